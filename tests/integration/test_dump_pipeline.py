"""End to end: ``anonymiser run --format parquet,sql`` on a sample database, then every dump loads with
its client and ``anonymiser load`` fills PostgreSQL and MariaDB, all with the Parquet output's checksums."""

from __future__ import annotations

from pathlib import Path

import pytest

from anonymiser.load.checksum import parquet_checksums
from anonymiser.write.manifest import Manifest, sha256_file
from tests.cli_runner import anonymiser
from tests.dbs import mariadb_database, postgres_database
from tests.integration.test_dump import checksums_of, run_client
from tests.review import accept_residual_risk


@pytest.mark.slow
@pytest.mark.parametrize("source_fixture", ["chinook_sqlite"])
def test_run_dumps_and_load_agree(source_fixture: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    source = request.getfixturevalue(source_fixture)
    policy, out = tmp_path / "policy.yaml", tmp_path / "out"
    assert (scan := anonymiser("scan", source, "--out", str(policy))).returncode == 0, scan.stderr
    accept_residual_risk(policy)
    run = anonymiser("run", str(policy), "--source", source, "--out", str(out), "--format", "parquet,sql",
                     "--dialect", "postgresql,mysql,sqlite")
    assert run.returncode == 0, run.stdout + run.stderr
    manifest = Manifest.read(out)
    expected = parquet_checksums(out, manifest)
    assert {t: c.rows for t, c in expected.items()} == {t: e.rows for t, e in manifest.tables.items()}
    for dialect, entry in manifest.sql_files.items():
        assert sha256_file(out / entry.path) == entry.sha256, dialect

    sqlite_target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    loaded = run_client("sqlite", sqlite_target, out / "sql" / "sqlite.sql")
    assert loaded.returncode == 0, loaded.stderr
    assert checksums_of(sqlite_target, out, manifest) == expected
    with postgres_database() as by_client, postgres_database() as by_load, \
            mariadb_database() as my_client, mariadb_database() as my_load:
        for dialect, url in (("postgresql", by_client), ("mysql", my_client)):
            loaded = run_client(dialect, url, out / "sql" / f"{dialect}.sql")
            assert loaded.returncode == 0, loaded.stderr
            assert checksums_of(url, out, manifest) == expected, dialect
        for url in (by_load, my_load):
            result = anonymiser("load", str(out), "--target", url)
            assert result.returncode == 0, result.stderr
            assert checksums_of(url, out, manifest) == expected, url
