"""Ordinary but messy data never crashes a run (issue 11, item 3): exit 0, or 2/3 naming table.column.

Each case is a small SQLite source (DDL + rows) and the policy for it; the run's output is loaded back
into a fresh SQLite database where the case says so, and searched for the planted values.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.adversarial.harness import assert_clean, assert_no_planted_in_files, cli, write_policy

BIG = 1_100_000   # over spaCy's 1,000,000-character limit
FILLER = "the quick brown fox jumps over the lazy dog. "


@dataclass
class Case:
    statements: list[str]
    policy: str
    code: int = 0
    expect: str | None = None
    planted: tuple[str, ...] = ()
    params: list[tuple[object, ...]] = field(default_factory=list)   # rows for the last statement


def _long_note() -> str:
    text = (FILLER * (BIG // len(FILLER) + 1))[:BIG // 2]
    return text + " Write to aroha.secretsworth@leaktest.co.nz or call 021 555 0142. " + text


CASES: dict[str, Case] = {
    "names-and-emails-only-no-digit-anywhere": Case(
        ["CREATE TABLE person (name TEXT, email TEXT)",
         "INSERT INTO person VALUES ('Wiremu Plantedname', 'wiremu.planted@leaktest.co.nz'), "
         "('Aroha Secretsworth', 'aroha.secretsworth@leaktest.co.nz')"],
        "person: {columns: {name: {mask: person_name}, email: {mask: email}}}",
        planted=("wiremu.planted@leaktest.co.nz", "Wiremu Plantedname")),
    "free-text-cell-over-a-million-characters": Case(
        ["CREATE TABLE ticket (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO ticket VALUES (?, ?)"],
        "ticket: {columns: {id: keep, body: {mask: free_text}}}",
        params=[(1, _long_note()), (2, "short note from aroha.secretsworth@leaktest.co.nz")],
        planted=("aroha.secretsworth@leaktest.co.nz", "021 555 0142")),
    "remap-of-a-megabyte-identifier": Case(
        ["CREATE TABLE token (id INTEGER PRIMARY KEY, ref TEXT UNIQUE)", "INSERT INTO token VALUES (?, ?)"],
        "token: {columns: {id: keep, ref: {mask: remap}}}",
        params=[(1, "AB-" + "x7Q9" * 250_000), (2, "AB-1234")]),
    "hostile-identifiers": Case(
        ['CREATE TABLE "order details; DROP TABLE x; --" ("select" INTEGER PRIMARY KEY, "a.b" TEXT, '
         '"weird""quote" TEXT, "Māori ingoa 😀" TEXT, "--comment" TEXT)',
         "INSERT INTO \"order details; DROP TABLE x; --\" VALUES (1, 'Wiremu Plantedname', 'x''y', 'kia ora', '--')"],
        '"order details; DROP TABLE x; --": {columns: {"select": keep, "a.b": {mask: person_name}, '
        '"weird\\"quote": keep, "Māori ingoa 😀": keep, "--comment": {mask: keep, reason: dashes only}}}',
        planted=("Wiremu Plantedname",)),
    "empty-table": Case(["CREATE TABLE nobody (id INTEGER PRIMARY KEY, email TEXT)"],
                        "nobody: {columns: {id: keep, email: {mask: email}}}"),
    "only-nulls-and-empty-strings": Case(
        ["CREATE TABLE blanks (id INTEGER PRIMARY KEY, email TEXT, name TEXT, notes TEXT)",
         "INSERT INTO blanks VALUES (1, NULL, '', NULL), (2, '', NULL, ''), (3, '   ', ' ', '\t\n')"],
        "blanks: {columns: {id: keep, email: {mask: email}, name: {mask: person_name}, notes: {mask: free_text}}}"),
    "control-characters-and-nul-bytes": Case(
        ["CREATE TABLE odd (id INTEGER PRIMARY KEY, name TEXT, notes TEXT)", "INSERT INTO odd VALUES (?, ?, ?)"],
        "odd: {columns: {id: keep, name: {mask: person_name}, notes: {mask: free_text}}}",
        params=[(1, "Wiremu\x00Plantedname", "line\r\nbreak\x1b[31m red \u202e reversed \ufeff"),
                (2, "\U0001F600\U0001F600", "\x00")]),
    "no-primary-key-and-duplicate-rows": Case(
        ["CREATE TABLE log (who TEXT, what TEXT)",
         "INSERT INTO log VALUES ('Wiremu Plantedname', 'login'), ('Wiremu Plantedname', 'login')"],
        "log: {columns: {who: {mask: person_name}, what: keep}}", planted=("Wiremu Plantedname",)),
    "very-long-table-and-column-names": Case(
        [f"CREATE TABLE {'t' * 60} ({'c' * 60} INTEGER PRIMARY KEY, {'e' * 60} TEXT)",
         f"INSERT INTO {'t' * 60} VALUES (1, 'wiremu.planted@leaktest.co.nz')"],
        f"{'t' * 60}: {{columns: {{{'c' * 60}: keep, {'e' * 60}: {{mask: email}}}}}}",
        planted=("wiremu.planted@leaktest.co.nz",)),
    "sqlite-date-column-holding-not-a-date": Case(
        ["CREATE TABLE visit (id INTEGER PRIMARY KEY, seen DATE, email TEXT)",
         "INSERT INTO visit VALUES (1, '2024-02-29', 'wiremu.planted@leaktest.co.nz'), (2, 'not a date', NULL), "
         "(3, NULL, 'aroha.secretsworth@leaktest.co.nz')"],
        "visit: {columns: {id: keep, seen: {mask: date_shift, by: id}, email: {mask: email}}}",
        code=2, expect="'visit', column 'seen'.*invalid: null",
        planted=("wiremu.planted@leaktest.co.nz", "aroha.secretsworth@leaktest.co.nz", "not a date")),
    "sqlite-not-a-date-blanked-as-the-message-says": Case(
        ["CREATE TABLE visit (id INTEGER PRIMARY KEY, seen DATE, email TEXT)",
         "INSERT INTO visit VALUES (1, '2024-02-29', 'wiremu.planted@leaktest.co.nz'), (2, 'not a date', NULL)"],
        "visit: {columns: {id: keep, seen: {mask: date_shift, by: id, invalid: null}, email: {mask: email}}}",
        planted=("wiremu.planted@leaktest.co.nz", "not a date")),
}


def _build(path: Path, case: Case) -> str:
    with sqlite3.connect(path) as conn:
        for statement in case.statements[:-1]:
            conn.execute(statement)
        if case.params:
            conn.executemany(case.statements[-1], case.params)
        else:
            conn.execute(case.statements[-1])
    conn.close()
    return f"sqlite:///{path}"


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_messy_data_runs_and_loads_back(tmp_path: Path, case: Case) -> None:
    source = _build(tmp_path / "source.sqlite", case)
    policy = write_policy(tmp_path, "version: 1\ntables:\n  " + case.policy + "\n")
    out = tmp_path / "out"
    result = cli("run", str(policy), "--source", source, "--out", str(out), "--format", "parquet,sql")
    assert_clean(result, case.code, expect=case.expect)
    if case.code:
        assert not out.exists()
        return
    assert_no_planted_in_files(out, case.planted)
    for path in (out / "parquet").glob("*.parquet"):
        text = str(pq.read_table(path).to_pylist())
        assert [v for v in case.planted if v in text] == []
    target = tmp_path / "target.sqlite"
    assert_clean(cli("load", str(out), "--target", f"sqlite:///{target}"), 0)
    with sqlite3.connect(tmp_path / "source.sqlite") as src, sqlite3.connect(target) as dst:
        for (name,) in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            quoted = '"' + name.replace('"', '""') + '"'
            assert src.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone() == \
                dst.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()
    src.close()
    dst.close()


def test_a_blob_column_under_a_text_strategy_is_refused_at_check(tmp_path: Path) -> None:
    source = _build(tmp_path / "source.sqlite", Case(
        ["CREATE TABLE contact (id INTEGER PRIMARY KEY, email BLOB)", "INSERT INTO contact VALUES (?, ?)"],
        "", params=[(1, b"wiremu.planted@leaktest.co.nz")]))
    policy = write_policy(tmp_path, "version: 1\ntables:\n  contact: {columns: {id: keep, email: {mask: email}}}\n")
    assert_clean(cli("check", str(policy), "--source", source), 2, expect="contact.email")
    assert_clean(cli("run", str(policy), "--source", source, "--out", str(tmp_path / "out")), 2,
                 expect="contact.email")
    assert not (tmp_path / "out").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("rule", ["keep", "{mask: date_shift, by: id}"], ids=["kept", "date_shift"])
def test_postgresql_infinity_timestamps(rule: str, tmp_path: Path, pg_url: str) -> None:
    import psycopg  # the PostgreSQL driver: only this case needs it

    with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:
        conn.execute("CREATE TABLE booking (id INTEGER PRIMARY KEY, starts TIMESTAMP, ends TIMESTAMPTZ, "
                     "email TEXT)")
        conn.execute("INSERT INTO booking VALUES (1, 'infinity', '-infinity', 'wiremu.planted@leaktest.co.nz'), "
                     "(2, '2024-02-29 10:00', '2024-03-01 10:00+13', NULL)")
    policy = write_policy(tmp_path, "version: 1\ntables:\n  booking: {columns: {id: keep, starts: " + rule
                          + ", ends: " + rule + ", email: {mask: email}}}\n")
    out = tmp_path / "out"
    result = cli("run", str(policy), "--source", pg_url, "--out", str(out))
    planted = ("wiremu.planted@leaktest.co.nz",)
    assert_clean(result, 0, planted=planted)
    assert_no_planted_in_files(out, planted)
    assert pq.read_table(out / "parquet" / "booking.parquet").num_rows == 2
    target = tmp_path / "target.sqlite"   # and the copy loads (infinity travels as text where a driver cannot read it)
    assert_clean(cli("load", str(out), "--target", f"sqlite:///{target}"), 0)
