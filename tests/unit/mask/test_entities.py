from __future__ import annotations

import pyarrow as pa
import pytest

from anonymiser.mask import registry
from anonymiser.mask.entities import pseudonymise
from anonymiser.mask.pseudonym import PseudonymStrategy
from tests.unit.mask.helpers import KEY, arrow, ctx

REQUIRED = {
    "PERSON": "person_name", "EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "NZ_IRD": "nz_ird",
    "NZ_NHI": "nz_nhi", "NZ_BANK_ACCOUNT": "nz_bank_account", "NZ_DRIVER_LICENCE": "nz_driver_licence",
    "NZ_PASSPORT": "nz_passport", "NZBN": "nzbn", "IP_ADDRESS": "ip_address", "URL": "url",
    "CREDIT_CARD": "credit_card", "LOCATION": "city",
}


def test_required_mapping() -> None:
    assert REQUIRED.items() <= registry.entity_map().items()


@pytest.mark.parametrize("entity", sorted(registry.entity_map()))
def test_claimed_entities_can_be_faked_in_text(entity: str) -> None:
    # Spans of a claimed entity go through its strategy's pseudonyms (or stay as written: keep).
    strategy = registry.get(registry.entity_map()[entity])
    assert strategy.name == "keep" or issubclass(strategy, PseudonymStrategy)


@pytest.mark.parametrize(
    ("entity", "value"),
    [("PERSON", "Aroha Ngata"), ("EMAIL_ADDRESS", "aroha@x.nz"), ("PHONE_NUMBER", "021 555 0199"),
     ("NZ_IRD", "49-091-850"), ("LOCATION", "Auckland")],
    ids=["person", "email", "phone", "ird", "location"],
)
def test_free_text_span_matches_column_pseudonym(entity: str, value: str) -> None:
    in_text = pseudonymise(entity, pa.array([value, None], pa.string()), KEY).to_pylist()
    strategy = registry.build(registry.entity_map()[entity], {})
    column = strategy.mask(arrow([value]), ctx(unique=True)).to_pylist()
    assert in_text[0] == column[0] and in_text[1] is None


def test_unknown_entity_gets_keyed_token_and_dates_are_kept() -> None:
    out = pseudonymise("MEDICAL_LICENSE", arrow(["ABC123"]), KEY).to_pylist()[0]
    assert out.startswith("MEDICAL_LICENSE-") and "ABC123" not in out
    assert pseudonymise("DATE_TIME", arrow(["12 March"]), KEY).to_pylist() == ["12 March"]
