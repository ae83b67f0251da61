from __future__ import annotations

import pandas as pd
import pytest

from anonymiser.mask import registry
from anonymiser.mask.entities import ENTITY_STRATEGIES, pseudonymise
from tests.unit.mask.helpers import KEY, arrow, ctx

REQUIRED = {
    "PERSON": "person_name", "EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "NZ_IRD": "nz_ird",
    "NZ_NHI": "nz_nhi", "NZ_BANK_ACCOUNT": "nz_bank_account", "NZ_DRIVER_LICENCE": "nz_driver_licence",
    "NZ_PASSPORT": "nz_passport", "NZBN": "nzbn", "IP_ADDRESS": "ip_address", "URL": "url",
    "CREDIT_CARD": "credit_card", "LOCATION": "city",
}


def test_required_mapping() -> None:
    assert REQUIRED.items() <= ENTITY_STRATEGIES.items()
    assert set(ENTITY_STRATEGIES.values()) <= set(registry.names())


@pytest.mark.parametrize(
    ("entity", "value"),
    [("PERSON", "Aroha Ngata"), ("EMAIL_ADDRESS", "aroha@x.nz"), ("PHONE_NUMBER", "021 555 0199"),
     ("NZ_IRD", "49-091-850"), ("LOCATION", "Auckland")],
    ids=["person", "email", "phone", "ird", "location"],
)
def test_free_text_span_matches_column_pseudonym(entity: str, value: str) -> None:
    in_text = pseudonymise(entity, pd.Series([value, None], dtype=object), KEY)
    column = registry.build(ENTITY_STRATEGIES[entity], {}).mask(arrow([value]), ctx(unique=True))
    assert in_text.iloc[0] == column.iloc[0] and in_text.iloc[1] is None


def test_unknown_entity_gets_keyed_token_and_dates_are_kept() -> None:
    out = pseudonymise("MEDICAL_LICENSE", pd.Series(["ABC123"]), KEY).iloc[0]
    assert out.startswith("MEDICAL_LICENSE-") and "ABC123" not in out
    assert pseudonymise("DATE_TIME", pd.Series(["12 March"]), KEY).iloc[0] == "12 March"
