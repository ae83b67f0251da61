"""The adversarial corpus' harness: run the real CLI, plant values, and check that nothing leaked or was lost.

Most cases run the typer application in-process (the same code path as the installed command, minus the
interpreter start and the model load, which would cost seconds per case); the signal cases run the real
process. Every case asserts its exit code, that no traceback was printed, and that no planted value
(source values and passwords) appears in anything printed.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from anonymiser.cli.app import app, hoist_global_flags
from tests.cli_runner import TEST_KEY

# Values planted in every corpus source: none of them may ever be printed, logged or reported.
PLANTED_ROWS = [
    # id, full_name, email, mobile, ird, postcode, notes
    (1, "Wiremu Plantedname", "wiremu.planted@leaktest.co.nz", "021 555 0199", "049-091-850", "6011",
     "Call Wiremu Plantedname on 021 555 0199 about the leak-test account."),
    (2, "Aroha Secretsworth", "aroha.secretsworth@leaktest.co.nz", "027 555 0142", "136-410-132", "6012",
     "Aroha Secretsworth asked for a refund; email aroha.secretsworth@leaktest.co.nz."),
    (3, "Tipene Hiddenvalue", "tipene.hidden@leaktest.co.nz", "022 555 0178", "035-901-981", "6021",
     "Tipene Hiddenvalue moved house."),
]
PLANTED_PASSWORD = "Pl4nted-Pa55word"
PLANTED: tuple[str, ...] = tuple(
    {str(v) for row in PLANTED_ROWS for v in row[1:6]} | {"Plantedname", "Secretsworth", "Hiddenvalue",
                                                          PLANTED_PASSWORD})

CUSTOMER_DDL = (
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, full_name VARCHAR(80) NOT NULL, email VARCHAR(120) UNIQUE, "
    "mobile VARCHAR(20), ird VARCHAR(11), postcode VARCHAR(4), notes TEXT)"
)
CUSTOMER_POLICY = """\
version: 1
tables:
  customer:
    columns:
      id: keep
      full_name: {mask: person_name}
      email: {mask: email}
      mobile: {mask: phone}
      ird: {mask: nz_ird}
      postcode: {mask: postcode}
      notes: {mask: free_text}
"""


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def cli(*args: str, env: dict[str, str | None] | None = None, key: str | None = TEST_KEY) -> Result:
    """The real typer application, in this process, with a clean ANONYMISER_* environment."""
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ANONYMISER_")}
    # The blank pipeline: detection quality is tested elsewhere; here it only has to run, and fast.
    clean |= {"ANONYMISER_KEY": key, "NO_COLOR": "1", "COLUMNS": "200", "ANONYMISER_SPACY_MODEL": "blank"}
    clean |= env or {}
    result = CliRunner().invoke(app, hoist_global_flags(list(args)), env=clean, catch_exceptions=True)
    return Result(result.exit_code, result.stdout, result.stderr, result.exception)


def assert_clean(result: Result, code: int, *, planted: Iterable[str] = PLANTED, expect: str | None = None) -> str:
    """The documented exit code, no traceback, no planted value; ``expect`` (a regex) in the output."""
    text = result.text
    assert result.code == code, f"exit {result.code}, expected {code}:\n{text[-3000:]}"
    unexpected = result.exception if not isinstance(result.exception, SystemExit) else None
    assert unexpected is None, f"uncaught {type(unexpected).__name__}: {text[-2000:]}"
    assert "Traceback" not in text, text
    leaked = sorted(v for v in planted if v and holds(text, v))
    assert leaked == [], f"planted values printed: {leaked}\n{text[-3000:]}"
    if code not in (0, 1):
        assert "error:" in text or '"event": "error"' in text, text
    if expect:
        assert re.search(expect, text, flags=re.S), f"{expect!r} not in:\n{text[-3000:]}"
    return text


def assert_no_planted_in_files(directory: Path, planted: Iterable[str] = PLANTED) -> None:
    """No planted value in any text file of an output (manifest, policy, reports, SQL dumps)."""
    for path in directory.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".yaml", ".md", ".html", ".sql", ".sig"):
            content = path.read_text(encoding="utf-8", errors="replace")
            leaked = [v for v in planted if holds(content, v)]
            assert leaked == [], f"{path}: {leaked}"


def holds(text: str, value: str) -> bool:
    """``value`` stands in ``text`` as itself, not inside a longer run of letters and digits: the planted
    "6012" is no leak inside a random database name (anon_t_1307660127) or a sha256 in the manifest."""
    return re.search(rf"(?<![^\W_]){re.escape(value)}(?![^\W_])", text) is not None


def snapshot(directory: Path) -> dict[str, str]:
    """Relative path -> sha256 (or 'dir'/'link:<target>') of everything under ``directory``."""
    state: dict[str, str] = {}
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if path.is_symlink():
            state[rel] = f"link:{os.readlink(path)}"
        elif path.is_dir():
            state[rel] = "dir"
        else:
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def make_sqlite_source(path: Path, rows: list[tuple[object, ...]] = PLANTED_ROWS) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute(CUSTOMER_DDL)
        conn.executemany("INSERT INTO customer VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.close()
    return f"sqlite:///{path}"


def make_event_source(directory: Path, rows: int) -> tuple[str, Path]:
    """A SQLite source with one table of ``rows`` events (nothing personal, all kept) and its policy: a run
    that takes long enough to be interrupted at a chosen stage."""
    path = directory / "big.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, kind VARCHAR(10), amount INTEGER)")
        conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                     "INSERT INTO event SELECT i, 'k' || (i % 7), i * 3 FROM n", (rows,))
    conn.close()
    policy = directory / "policy.yaml"
    policy.write_text("version: 1\ntables:\n  event:\n    columns:\n      id: keep\n      kind: keep\n"
                      "      amount: keep\n")
    return f"sqlite:///{path}", policy


def write_policy(directory: Path, text: str = CUSTOMER_POLICY, name: str = "policy.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path
