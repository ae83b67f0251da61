"""F5: MySQL/MariaDB spatial columns (Sakila's address.location GEOMETRY NOT NULL) run end to end on real
MariaDB: scan drafts null/redact, check passes, redact writes a placeholder geometry of the column's type
that the dump and load put back into MariaDB; keep carries the geometry exactly; PostGIS-like columns are
refused at check with their table.column."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import dbs
from tests.cli_runner import anonymiser, assert_clean_failure

pytestmark = pytest.mark.slow   # real MariaDB, the CLI in a subprocess

ROWS = 12
ADDRESS_DDL = (
    "CREATE TABLE address (address_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "address VARCHAR(50) NOT NULL, phone VARCHAR(20) NOT NULL, location GEOMETRY NOT NULL, spot POINT NULL, "
    "area POLYGON NOT NULL, SPATIAL KEY idx_location (location))"
)


def _geo_source(url: str) -> None:
    rows = ",".join(
        f"('{i} Cuba Street', '021 555 {1000 + i}', ST_GeomFromText('POINT(174.{700 + i} -41.{200 + i})', 4326), "
        f"{'NULL' if i % 3 == 0 else 'ST_GeomFromText(' + repr(f'POINT({i} {i})') + ')'}, "
        f"ST_GeomFromText('POLYGON((0 0, {i + 1} 0, {i + 1} {i + 1}, 0 0))'))"
        for i in range(ROWS))
    dbs.run_mariadb(url, f"{ADDRESS_DDL};\nINSERT INTO address (address, phone, location, spot, area) VALUES {rows};")


def _geometries(url: str) -> list[tuple[object, ...]]:
    return dbs.mariadb_rows(url, "SELECT address_id, ST_AsText(location), ST_SRID(location), ST_AsText(spot), "
                                 "ST_AsText(area) FROM address ORDER BY address_id")


def test_scan_check_run_redact_and_load_into_mariadb(tmp_path: Path) -> None:
    with dbs.mariadb_database("findings") as source, dbs.mariadb_database("findings") as copy, \
            dbs.mariadb_database("findings") as loaded:
        _geo_source(source)
        policy, out = tmp_path / "policy.yaml", tmp_path / "out"
        scan = anonymiser("scan", source, "--out", str(policy))
        assert scan.returncode == 0, scan.stdout + scan.stderr
        rules = {line.split(":")[0].strip(): line.split("#")[0].split(":", 1)[1].strip()
                 for line in policy.read_text("utf-8").splitlines() if line.startswith("      ")}
        assert (rules["location"], rules["spot"], rules["area"]) == ("redact", "'null'", "redact"), rules
        check = anonymiser("check", str(policy), "--source", source)
        assert check.returncode == 0, check.stdout + check.stderr
        run = anonymiser("run", str(policy), "--source", source, "--out", str(out), "--format", "parquet,sql",
                         "--dialect", "mysql,postgresql")
        assert run.returncode == 0, run.stdout + run.stderr
        header = (out / "sql" / "postgresql.sql").read_text("utf-8").split("CREATE TABLE", 1)[0]
        assert "address.location" in header and "bytea" in header   # no geometry in plain PostgreSQL: warned

        subprocess.run(["mariadb", "-h", dbs.MY_HOST, "-P", str(dbs.MY_PORT), "-u", dbs.MY_USER,
                        dbs.database_name(copy)], input=(out / "sql" / "mysql.sql").read_bytes(), check=True,
                       capture_output=True)
        load = anonymiser("load", str(out), "--target", loaded)
        assert load.returncode == 0, load.stdout + load.stderr
        for target in (copy, loaded):
            index = "SELECT INDEX_TYPE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() " \
                    "AND INDEX_NAME = 'idx_location'"
            assert dbs.mariadb_rows(target, index) == [("SPATIAL",)]
            rows = _geometries(target)
            assert len(rows) == ROWS
            # The placeholder of each column's type at the origin; the SRID kept; NULL stays NULL.
            assert {r[1:] for r in rows} == {("POINT(0 0)", 4326, None, "POLYGON((0 0,0 0,0 0,0 0))")}
        source_hex = {h for (h,) in dbs.mariadb_rows(source, "SELECT HEX(location) FROM address")}
        dump = (out / "sql" / "mysql.sql").read_text("utf-8").upper()
        assert not [h for h in source_hex if h in dump]


def test_kept_geometry_round_trips_and_needs_a_reason(tmp_path: Path) -> None:
    with dbs.mariadb_database("findings") as source, dbs.mariadb_database("findings") as loaded:
        _geo_source(source)
        policy, out = tmp_path / "policy.yaml", tmp_path / "out"
        policy.write_text(
            "version: 1\ntables:\n  address:\n    columns:\n      address_id: keep\n      address: street_address\n"
            "      phone: phone\n      location: {mask: keep, reason: \"a shop's location, not a home\"}\n"
            "      spot: keep\n      area: {mask: keep, reason: delivery zone}\n", "utf-8")
        run = anonymiser("--json", "run", str(policy), "--source", source, "--out", str(out))
        assert run.returncode == 1, run.stdout + run.stderr     # spot is location data kept without a reason
        assert "kept_personal_unjustified" in run.stdout and "address.spot" in run.stdout
        load = anonymiser("load", str(out), "--target", loaded, "--allow-failed")
        assert load.returncode == 0, load.stdout + load.stderr
        assert _geometries(loaded) == _geometries(source)


def test_postgis_like_columns_are_refused_at_check_by_name(tmp_path: Path) -> None:
    with dbs.postgres_database("findings") as source:
        # No PostGIS on the test server: a type of the same name stands in for it.
        dbs.run_psql(source, "CREATE TYPE geometry AS (x float8, y float8);"
                             "CREATE TABLE place (id int PRIMARY KEY, spot geometry, name text);")
        policy = tmp_path / "policy.yaml"
        policy.write_text("version: 1\ntables:\n  place:\n    columns:\n      id: keep\n      spot: 'null'\n"
                          "      name: keep\n", "utf-8")
        text = assert_clean_failure(anonymiser("check", str(policy), "--source", source), 2)
        assert "place.spot" in text and "exclude" in text
        policy.write_text("version: 1\ntables:\n  place:\n    exclude: true\n", "utf-8")
        assert anonymiser("check", str(policy), "--source", source).returncode == 0
