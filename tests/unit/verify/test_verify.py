"""verify_output on a hand-built source and masked output, clean and with seeded faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

from anonymiser.detect.engine import get_engine
from anonymiser.errors import DetectError
from anonymiser.mask import registry
from anonymiser.schema import ColumnInfo
from anonymiser.verify import VerifyResult, redetect, verify_output
from anonymiser.verify import model as m
from anonymiser.verify.hashing import Hasher, compact, normalise, token_runs, value_hashes
from anonymiser.verify.leakindex import strict_flags
from anonymiser.write.manifest import ColumnMasking, file_entry
from tests.unit.verify.builder import build_output


def _verify(tmp_path: Path, jobs: int = 1, **faults: Any) -> VerifyResult:
    built = build_output(tmp_path, **faults)
    engine = sa.create_engine(built.source_url)
    try:
        with engine.connect() as conn:
            return verify_output(built.directory, built.manifest, source=conn, jobs=jobs)
    finally:
        engine.dispose()


def test_clean_output_passes_and_reports_coincidences(tmp_path: Path) -> None:
    result = _verify(tmp_path)
    assert result.passed, [f.message for f in result.failures]
    assert [g.status for g in result.gates] == ["accepted" if g == "residual_risk" else "pass" for g in m.GATE_TITLES]
    scan = result.leak_scan
    # The rotated fake first names and cities are real values of other rows: coincidences, not leaks.
    by_column = {c.column: c for c in scan.columns}
    assert by_column["first_name"].coincidences > 0 and by_column["city"].coincidences > 0
    assert scan.leaks == 0 and scan.unchanged == 0
    assert {c.column: c.value_class for c in scan.columns} == {
        "first_name": "dictionary", "last_name": "dictionary", "full_name": "composite", "email": "identifier",
        "phone": "identifier", "ird_number": "identifier", "city": "dictionary", "date_of_birth": "dictionary"}
    assert scan.free_text_columns == ["customer.notes"]
    assert {(c.table, tuple(c.columns)) for c in result.foreign_keys} == {
        ("orders", ("customer_id",)), ("order_line", ("order_id",)), ("shipment", ("order_id", "line_no"))}


@pytest.mark.parametrize(("fault", "gate", "reason", "where"), [
    ("keep_email", "at_risk", m.KEPT_PERSONAL, ("customer", "email")),
    ("keep_email", "redetection", m.REDETECTED, ("customer", "email")),
    ("drop_parent", "orphans", m.ORPHAN_FK, ("orders", "customer_id")),
    ("drop_parent", "files", m.FILE_MISMATCH, ("customer", None)),
    ("duplicate_unique", "duplicates", m.DUPLICATE_UNIQUE, ("customer", "email")),
    ("leak_in_notes", "leaks", m.LEAKED_VALUE, ("customer", "notes")),
    ("email_in_kept", "leaks", m.LEAKED_VALUE, ("shipment", "carrier")),
    ("unchanged_dob", "leaks", m.UNCHANGED_VALUE, ("customer", "date_of_birth")),
], ids=lambda v: v if isinstance(v, str) else None)
def test_seeded_fault_fails_with_reason(tmp_path: Path, fault: str, gate: str, reason: str,
                                        where: tuple[str, str | None]) -> None:
    result = _verify(tmp_path, **{fault: True})
    assert not result.passed
    matching = [f for f in result.failures if f.reason == reason and (f.table, f.column) == where]
    assert matching and all(f.gate == gate and f.count > 0 for f in matching)
    assert next(g for g in result.gates if g.id == gate).status == "fail"


def test_records_below_k_fail_unless_a_reviewer_accepted_them(tmp_path: Path) -> None:
    for name in ("accepted", "unaccepted", "bounded"):
        (tmp_path / name).mkdir()
    # Every one of the 60 customers is alone in its (postcode, date of birth) class: 60 below k = 3.
    accepted = _verify(tmp_path / "accepted")
    gate = next(g for g in accepted.gates if g.id == "residual_risk")
    assert accepted.passed and gate.status == "accepted" and gate.figure == 60
    assert "Accepted by Privacy Officer on 2026-01-01: staging copy for the billing team only" in gate.detail

    unaccepted = _verify(tmp_path / "unaccepted", risk_acceptance=None)
    gate = next(g for g in unaccepted.gates if g.id == "residual_risk")
    assert not unaccepted.passed and gate.status == "fail" and gate.figure == 60
    (failure,) = unaccepted.failures
    assert (failure.reason, failure.table, failure.column, failure.count) == (
        m.K_BELOW_TARGET, "customer", "date_of_birth,postcode", 60)
    assert "report.risk_acceptance" in failure.message

    bounded = _verify(tmp_path / "bounded", risk_acceptance={"reviewer": "P. Officer", "reason": "accepted at 20%",
                                                             "max_share_below_k_target": 0.2})
    assert not bounded.passed and [f.reason for f in bounded.failures] == [m.K_BELOW_TARGET]
    assert "covers at most 20.0%" in bounded.failures[0].message


def test_orphan_count_is_exact(tmp_path: Path) -> None:
    result = _verify(tmp_path, drop_parent=True)
    # customer 6 is referenced by orders whose customer_id = 1 + 5k mod 60 = 6, k in 0..119.
    expected = sum(1 for k in range(120) if 1 + (k * 5) % 60 == 6)
    assert [c.orphans for c in result.foreign_keys if c.table == "orders"] == [expected]


def test_no_source_is_not_a_pass(tmp_path: Path) -> None:
    built = build_output(tmp_path)
    result = verify_output(built.directory, built.manifest, source=None)
    assert not result.passed
    assert [f.reason for f in result.failures] == [m.NOT_VERIFIED]
    assert {g.id: g.status for g in result.gates}["leaks"] == "fail"
    assert {g.id: g.status for g in result.gates}["drift"] == "not_run"


def test_drift_reports_unruled_source_columns(tmp_path: Path) -> None:
    built = build_output(tmp_path)
    with sqlite_conn(built.source_url) as conn:
        conn.execute(sa.text("ALTER TABLE customer ADD COLUMN passport VARCHAR(9)"))
        conn.commit()
        result = verify_output(built.directory, built.manifest, source=conn)
    assert result.unruled_columns == ["customer.passport"]
    assert [(f.reason, f.column) for f in result.failures] == [(m.UNRULED_COLUMN, "passport")]


class sqlite_conn:  # noqa: N801 - a tiny context manager that also disposes the engine
    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def __enter__(self) -> sa.Connection:
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
        self.engine.dispose()


@pytest.mark.parametrize(("strategy", "entity", "in_key", "expected"), [
    ("email", "EMAIL_ADDRESS", False, "identifier"),
    ("nz_ird", "NZ_IRD", False, "identifier"),
    ("first_name", "PERSON", False, "dictionary"),      # the strategy's own class wins over the entity's
    ("person_name", "PERSON", False, "composite"),
    ("street_address", "STREET_ADDRESS", False, "composite"),
    ("city", "LOCATION", False, "dictionary"),
    ("date_shift", None, False, "dictionary"),
    ("hash", "EMAIL_ADDRESS", False, "identifier"),    # hash does not know its values: the entity's class
    ("keep", "PERSON", False, "composite"),
    ("remap", None, True, "dictionary"),
    ("hash", None, False, "default"),
    ("null", None, False, "default"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_leak_class_recorded_per_column(strategy: str, entity: str | None, in_key: bool, expected: str) -> None:
    options = {"to": "year"} if strategy == "generalise" else {}
    masking = ColumnMasking.of(registry.build(strategy, options), entity=entity, in_key=in_key)
    assert masking.leak_class == expected
    assert masking.kept == (strategy == "keep")


@pytest.mark.parametrize(("cls", "value", "strict"), [
    ("identifier", "liam.smith5@mail.example.nz", True),
    ("identifier", "021 400 1037", True),
    ("identifier", "n/a", False),
    ("identifier", "jsmith", False),          # one short word: could be anyone's fake user name
    ("composite", "olivia smith", True),
    ("composite", "li wu", False),
    ("dictionary", "auckland central", False),
    ("default", "abc-12345", True),
    ("default", "unknown", False),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None)
def test_strict_flags(cls: str, value: str, strict: bool) -> None:
    assert strict_flags(pa.array([value]), cls).tolist() == [strict]


@pytest.mark.parametrize(("a", "b"), [
    ("  Liam   SMITH ", "liam smith"),
    ("021-400-1037", "021 400 1037"),
    ("(021) 4001037", "0214001037"),
], ids=["case-and-space", "dashes", "brackets"])
def test_normalisation_makes_formats_meet(a: str, b: str) -> None:
    hasher = Hasher.ephemeral()
    left, right = normalise(pa.array([a])), normalise(pa.array([b]))
    same_full = hasher.hash(left)[0] == hasher.hash(right)[0]
    same_compact = hasher.hash(compact(left))[0] == hasher.hash(compact(right))[0]
    assert same_full or same_compact


def test_hasher_is_keyed() -> None:
    text = pa.array(["liam smith"])
    assert Hasher("0123456789abcdef").hash(text)[0] != Hasher("fedcba9876543210").hash(text)[0]


def test_token_runs_stay_inside_cells() -> None:
    runs = token_runs(Hasher.ephemeral(), normalise(pa.array(["Call Liam Smith.", "on 021 400 1037"])), max_n=3)
    words = runs.words.to_pylist()
    found = {" ".join(words[s:s + n]): c for s, n, c in zip(runs.starts.tolist(), runs.lengths.tolist(),
                                                          runs.cells.tolist(), strict=True)}
    assert found["liam smith"] == 0 and found["021 400 1037"] == 1
    assert "smith on" not in found   # never across two cells
    assert np.all(np.diff(runs.cells[: 3]) >= 0)


@pytest.mark.parametrize("text", ["Call Liam Smith.", "on 021 400 1037, or (021) 4001037!", "x",
                                  "Aroha  Ngata lives at 12 Queen St", "a\u00a0b c", "é É  ʻokina"])
def test_a_run_of_words_hashes_as_the_value_it_spells(text: str) -> None:
    # A run inside free text meets a source value exactly when the run, joined by single spaces, is the value:
    # the runs' hashes are folded from their words, never built as strings, so this is checked here.
    hasher = Hasher.ephemeral()
    runs = token_runs(hasher, normalise(pa.array([text, "liam smith"])))
    words = runs.words.to_pylist()
    spelt = [" ".join(words[s:s + n]) for s, n in zip(runs.starts.tolist(), runs.lengths.tolist(), strict=True)]
    assert np.array_equal(value_hashes(hasher, normalise(pa.array(spelt))), runs.hashes)
    assert len(set(runs.hashes.tolist())) == len(set(spelt))
    digit = runs.with_digit()
    assert sorted(digit.tolist()) == [i for i, g in enumerate(spelt) if any(c.isdigit() for c in g)]
    with_digit = pa.array([spelt[i] for i in digit], pa.string())
    assert np.array_equal(runs.compact_hashes(hasher, digit), hasher.hash(compact(with_digit)))


def test_redetection_beside_the_other_gates_finds_what_it_finds_inline(tmp_path: Path,
                                                                        forked_runs: list[str]) -> None:
    for jobs in (1, 2):
        (tmp_path / str(jobs)).mkdir()
    inline, apart = (_verify(tmp_path / str(jobs), jobs=jobs, keep_email=True) for jobs in (1, 2))
    assert "verify_output.<locals>.redetection" in forked_runs
    assert inline.redetection == apart.redetection and inline.redetection.ran
    assert inline.failures == apart.failures
    assert [(f.table, f.column) for f in apart.failures if f.reason == m.REDETECTED] == [("customer", "email")]


@pytest.mark.parametrize("jobs", [1, 2], ids=["inline", "beside"])
def test_missing_detector_fails_the_redetection_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     jobs: int) -> None:
    def no_engine(model: str | None = None) -> None:
        raise DetectError("the spaCy model 'x' is not installed")

    monkeypatch.setattr(redetect, "get_engine", no_engine)
    result = _verify(tmp_path, jobs=jobs)
    assert not result.passed
    assert [(f.reason, f.gate) for f in result.failures] == [(m.DETECTOR_UNAVAILABLE, "redetection")]
    assert {g.id: g.status for g in result.gates}["redetection"] == "fail"


@pytest.mark.parametrize(("name", "texts", "found"), [
    ("note", ["Spoke with Hemi Walker about the delivery", "Box left at the door"], True),
    ("comments", ["Box left at the door", "Left with the neighbour"], False),
    ("status", ["Spoke with Hemi Walker about the delivery", "Box left at the door"], False),
])
def test_a_kept_notes_column_naming_one_person_is_redetected(name: str, texts: list[str], found: bool) -> None:
    # trial2: a kept 'note' with one person named among two cells passed (two named cells were needed); scan drafts
    # such a column free_text on one cell, and re-detection now agrees for columns named as notes.
    column = ColumnInfo(name=name, kind="text", sql_type="TEXT")
    finding = redetect._named_in_notes(texts, column, get_engine("blank"))
    assert (finding is not None) == found
    assert finding is None or finding[0] == "PERSON"


def test_sql_dumps_written_beside_the_verification_give_the_same_findings(tmp_path: Path) -> None:
    """A run writes its SQL dumps while it verifies (``sql_dumps``): their files are checked last, yet the
    findings are those of a check of every file at once, in the same order (a damaged table file, then the dumps'
    files: one that differs from its entry, one missing)."""
    built = build_output(tmp_path, drop_parent=True)
    sql = built.directory / "sql"
    sql.mkdir()
    for dialect in ("mysql", "postgresql", "sqlite"):
        (sql / f"{dialect}.sql").write_text(f"-- {dialect}\n", encoding="utf-8")
    entries = {dialect: file_entry(built.directory, sql / f"{dialect}.sql") for dialect in ("mysql", "postgresql",
                                                                                              "sqlite")}
    (sql / "postgresql.sql").write_text("-- changed after its entry was made\n", encoding="utf-8")
    (sql / "sqlite.sql").unlink()
    engine = sa.create_engine(built.source_url)
    calls: list[int] = []

    def dumps_written() -> None:
        calls.append(len(built.manifest.sql_files))
        built.manifest.sql_files.update(entries)

    try:
        with engine.connect() as conn:
            beside = verify_output(built.directory, built.manifest, source=conn, sql_dumps=dumps_written)
            serial = verify_output(built.directory, built.manifest, source=conn)
    finally:
        engine.dispose()
    assert calls == [0]
    assert beside.model_dump(exclude={"verified_at"}) == serial.model_dump(exclude={"verified_at"})
    files = [(f.table, f.message) for f in serial.failures if f.gate == "files"]
    assert len(files) == 3 and files[0][0] == "customer" and "postgresql.sql" in files[1][1]
    assert [f.gate for f in serial.failures][:3] == ["files"] * 3


@pytest.mark.parametrize("fault", ["drop_parent", "duplicate_unique", "cut_short"])
def test_integrity_checks_beside_the_leak_scan_find_what_they_find_inline(tmp_path: Path, forked_runs: list[str],
                                                                          fault: str) -> None:
    """With 2 jobs the foreign-key and unique checks run in a forked process beside the leak scan: the same result,
    failures in the same order, as run inline first; a file cut short fails them as unreadable either way."""
    results = {}
    for jobs in (1, 2):
        (tmp_path / str(jobs)).mkdir()
        built = build_output(tmp_path / str(jobs), **({} if fault == "cut_short" else {fault: True}))
        if fault == "cut_short":
            damaged = built.directory / "parquet" / "orders.parquet"
            damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
        engine = sa.create_engine(built.source_url)
        try:
            with engine.connect() as conn:
                results[jobs] = verify_output(built.directory, built.manifest, source=conn, jobs=jobs)
        finally:
            engine.dispose()
    assert "verify_output.<locals>.integrity_checks" in forked_runs
    inline, beside = (results[jobs].model_dump(exclude={"verified_at"}) for jobs in (1, 2))
    assert inline == beside
    gates = [f["gate"] for f in inline["failures"]]
    expected = {"drop_parent": "orphans", "duplicate_unique": "duplicates", "cut_short": "orphans"}[fault]
    assert expected in gates
    if fault == "cut_short":
        assert [f["reason"] for f in inline["failures"] if f["gate"] in ("orphans", "duplicates")] == \
            [m.UNREADABLE_OUTPUT] * 2
    # Listed where they were when the checks ran first: after the files' and at-risk failures, before the others.
    order = ["files", "at_risk", "orphans", "duplicates", "drift", "leaks", "redetection", "residual_risk"]
    assert [order.index(g) for g in gates] == sorted(order.index(g) for g in gates)
