"""``anonymiser load`` through the real CLI: checksums equal the Parquet output on every engine; a
non-empty target is refused; failures roll back, exit 3 and never print a value or a password."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from anonymiser.load.checksum import parquet_checksums
from anonymiser.write.manifest import Manifest
from tests import dbs
from tests.cli_runner import anonymiser, assert_clean_failure
from tests.integration.test_dump import TARGET_FIXTURE, checksums_of
from tests.unit.write_sql import dataset

SECRET = "leaky-value-4f9c"   # must never reach the terminal, even inside a driver's message


def tables_in(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def assert_loaded(target: str, out: Path, manifest: Manifest) -> None:
    assert checksums_of(target, out, manifest) == parquet_checksums(out, manifest)


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_load_refuses_full_tables_then_replaces(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue(TARGET_FIXTURE[dialect])
    manifest = dataset.nasty(tmp_path)
    first = anonymiser("load", str(tmp_path), "--target", target)
    assert first.returncode == 0, first.stderr
    assert_loaded(target, tmp_path, manifest)

    again = anonymiser("load", str(tmp_path), "--target", target)
    text = assert_clean_failure(again, 2)
    assert "'Dept'" in text and "--replace" in text
    assert_loaded(target, tmp_path, manifest)   # untouched

    replaced = anonymiser("--json", "load", str(tmp_path), "--target", target, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert '"event": "load_finished"' in replaced.stderr
    assert_loaded(target, tmp_path, manifest)


def _violating(directory: Path, problem: str) -> Manifest:
    """A dataset the target must reject: a duplicate in a UNIQUE column, or an orphan FK value."""
    tables = dataset.nasty_tables()
    user_info, users = tables["user"]
    order_info, orders = tables["order"]
    if problem == "duplicate":
        tables["user"] = (user_info, {**users, "Email": [SECRET, SECRET, "c", "d"]})
    else:
        tables["order"] = (order_info, {**orders, "user": [0, 4242, 3], "Group": [SECRET, SECRET, SECRET]})
    return dataset.build(directory, tables)


@pytest.mark.parametrize("problem", ["duplicate", "orphan"])
@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_failed_load_rolls_back_without_printing_values(dialect: str, problem: str, tmp_path: Path,
                                                         request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue(TARGET_FIXTURE[dialect])
    _violating(tmp_path, problem)
    before = tables_in(target)
    result = anonymiser("load", str(tmp_path), "--target", target)
    text = assert_clean_failure(result, 3)
    assert SECRET not in text and "4242" not in text
    assert "loading rows failed" in text
    assert tables_in(target) == before   # rolled back (MySQL: the created tables dropped again)


def test_password_is_masked(tmp_path: Path, mariadb_url: str) -> None:
    dataset.nasty(tmp_path)
    url = mariadb_url.replace(f"{dbs.MY_USER}@", f"{dbs.MY_USER}:Sup3rSecretPw@")
    result = anonymiser("load", str(tmp_path), "--target", url)
    text = assert_clean_failure(result, 3)
    assert "Sup3rSecretPw" not in text and "***" in text


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_unstorable_floats_are_refused_by_name(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue(TARGET_FIXTURE[dialect])
    dataset.special_floats(tmp_path)
    result = anonymiser("load", str(tmp_path), "--target", target)
    text = assert_clean_failure(result, 2)
    assert "'floats'" in text and "'x'" in text and "NaN" in text
    assert "floats" not in tables_in(target)


def test_tampered_data_file_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    manifest = dataset.nasty(tmp_path)
    data = tmp_path / manifest.tables["user"].files[0].path
    data.write_bytes(data.read_bytes()[:-10])
    result = anonymiser("load", str(tmp_path), "--target", sqlite_url)
    assert "sha256" in assert_clean_failure(result, 2)


def test_existing_empty_table_is_loaded_as_it_is(tmp_path: Path, pg_url: str) -> None:
    manifest = dataset.nasty(tmp_path)
    dbs.run_psql(pg_url, 'CREATE TABLE "empty" (id integer PRIMARY KEY, added_by_migration text);')
    result = anonymiser("load", str(tmp_path), "--target", pg_url)
    assert result.returncode == 0, result.stderr
    assert_loaded(pg_url, tmp_path, manifest)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
@pytest.mark.parametrize("sample", ["northwind"])   # Chinook: test_dump_pipeline loads the masked run
def test_load_sample_databases(sample: str, dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    target = request.getfixturevalue(TARGET_FIXTURE[dialect])
    source = dbs.copy_chinook_sqlite(tmp_path) if sample == "chinook" else dataset.northwind_sqlite(tmp_path)
    out = tmp_path / "out"
    manifest = dataset.from_database(source, out)
    result = anonymiser("load", str(out), "--target", target)
    assert result.returncode == 0, result.stderr
    assert_loaded(target, out, manifest)
