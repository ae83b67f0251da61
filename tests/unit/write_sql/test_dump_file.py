"""The dump file: atomic, streamed in batches, self-contained, and the checksum that tests trust."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from anonymiser.errors import OutputError
from anonymiser.load.checksum import digest, parquet_checksums
from anonymiser.write.sql import DIALECTS, write_dump
from anonymiser.write.sql.core import plan_tables
from anonymiser.write.sql.dump import write_dump_file
from anonymiser.write.sql.sqlite import SQLite
from tests.unit.write_sql import dataset


@pytest.mark.parametrize("dialect", DIALECTS)
def test_dump_is_written_atomically_with_parents_first(dialect: str, tmp_path: Path) -> None:
    manifest = dataset.nasty(tmp_path)
    path = write_dump(tmp_path, manifest, dialect)
    assert sorted(p.name for p in path.parent.iterdir()) == [f"{dialect}.sql"]
    text = path.read_text("utf-8")
    created = [line.split("(")[0].split(" ", 2)[2].strip() for line in text.splitlines()
               if line.startswith("CREATE TABLE")]
    quote = "`" if dialect == "mysql" else '"'
    assert created.index(f"{quote}user{quote}") < created.index(f"{quote}order{quote}")
    assert created.index(f"{quote}pair{quote}") < created.index(f"{quote}pair child{quote}")
    assert "\r" not in text   # the clients would drop it: carriage returns travel escaped or as hex


def test_failed_dump_leaves_no_file(tmp_path: Path) -> None:
    manifest = dataset.special_floats(tmp_path)
    with pytest.raises(OutputError, match="NaN"):
        write_dump(tmp_path, manifest, "mysql")
    assert list((tmp_path / "sql").iterdir()) == []


def test_small_batches_give_the_same_database(tmp_path: Path) -> None:
    manifest = dataset.nasty(tmp_path)
    progress: list[tuple[str, int, int | None]] = []
    path = write_dump_file(tmp_path, manifest, SQLite(), batch_rows=2, progress=lambda *a: progress.append(a))
    assert ("nasty values", manifest.tables["nasty values"].rows, manifest.tables["nasty values"].rows) in progress
    conn = sqlite3.connect(tmp_path / "db.sqlite")
    conn.executescript(path.read_text("utf-8").replace(".bail on\n", ""))
    assert conn.execute('SELECT COUNT(*) FROM "nasty values"').fetchone()[0] == len(dataset.NASTY_STRINGS)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_checksum_ignores_row_order_but_sees_every_value(tmp_path: Path) -> None:
    manifest = dataset.nasty(tmp_path)
    columns = next(p for p in plan_tables(tmp_path, manifest, SQLite()) if p.name == "user").columns
    rows = [[0, 1, 2], ["a", "b", None], ["x", "", None]]
    reordered = [[2, 0, 1], [None, "a", "b"], [None, "x", ""]]
    assert digest(columns, [rows]) == digest(columns, [reordered])
    for changed in ([[0, 1, 2], ["a", "b", None], ["x", None, None]],    # '' versus NULL
                    [[0, 1, 2], ["a", "B", None], ["x", "", None]]):     # case
        assert digest(columns, [changed]) != digest(columns, [rows])
    assert parquet_checksums(tmp_path, manifest)["user"].rows == 4
