"""Issue 10 item 7: ``check`` on masking rules for PostgreSQL's own types says, per table.column, which
rules cannot work and which strategies fit, before any data is read — never a crash, never a dump that
does not load (an e-mail fake is no int4range)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests import dbs
from tests.cli_runner import anonymiser, assert_clean_failure
from tests.types import catalogue

# Rules a reviewer might write on types with a syntax of their own, and the ones that do fit.
UNFIT = {"c_int_range": "email", "c_xml": "redact", "c_timetz": "hash", "c_macaddr": "remap",
         "c_varbit": "redact", "c_interval": "redact", "c_tsvector": "hash", "c_composite": "redact"}
FIT = {"c_inet": "ip_address", "c_cidr": "ip_address", "c_tsvector": "null", "c_int_range": "null"}


def test_rules_on_postgresql_own_types_are_checked_by_column(tmp_path: Path) -> None:
    with dbs.postgres_database() as source:
        catalogue.build_postgres(source)
        policy = tmp_path / "policy.yaml"
        scanned = anonymiser("scan", source, "--schema", catalogue.PG_SCHEMA, "--out", str(policy))
        assert scanned.returncode == 0, scanned.stdout + scanned.stderr
        drafted = yaml.safe_load(policy.read_text("utf-8"))

        def check(rules: dict[str, str]) -> Path:
            data = yaml.safe_load(yaml.safe_dump(drafted))
            data["tables"]["every_type"]["columns"].update(rules)
            policy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            return policy

        text = assert_clean_failure(anonymiser("check", str(check(UNFIT)), "--source", source), 2)
        assert f"{len(UNFIT)} rule(s) name a strategy that cannot mask the column's type" in text
        for column, strategy in UNFIT.items():
            line = next(line for line in text.splitlines() if f"every_type.{column}:" in line)
            assert f"'{strategy}' cannot mask this" in line and "Strategies that fit this column: keep, null" in line

        result = anonymiser("check", str(check(FIT)), "--source", source)
        assert result.returncode == 0, result.stdout + result.stderr


def test_mariadb_inet6_gets_a_draft_and_rules_that_load(tmp_path: Path) -> None:
    """MariaDB's INET6 is read as text; a column named like an address must not get a street-address fake
    (the dump would not load): the draft nulls it, check refuses the fake, and the dump loads."""
    with dbs.mariadb_database() as source, dbs.mariadb_database() as target:
        dbs.run_mariadb(source, "CREATE TABLE device (id INT AUTO_INCREMENT PRIMARY KEY, addr INET6, "
                                "owner_email VARCHAR(80));\n"
                                "INSERT INTO device (addr, owner_email) VALUES ('2001:db8::1', 'ann@example.com'), "
                                "('::ffff:192.168.1.7', 'bob@example.com');")
        policy = tmp_path / "policy.yaml"
        scanned = anonymiser("scan", source, "--out", str(policy))
        assert scanned.returncode == 0, scanned.stdout + scanned.stderr
        drafted = yaml.safe_load(policy.read_text("utf-8"))
        assert drafted["tables"]["device"]["columns"]["addr"] == "null"

        out = tmp_path / "out"
        result = anonymiser("run", str(policy), "--source", source, "--out", str(out), "--format", "sql")
        assert result.returncode == 0, result.stdout + result.stderr
        dbs.run_mariadb(target, (out / "sql" / "mysql.sql").read_text("utf-8"))
        assert dbs.mariadb_rows(target, "SELECT COUNT(*) FROM device WHERE addr IS NULL") == [(2,)]

        for strategy in ("street_address", "ip_address"):
            drafted["tables"]["device"]["columns"]["addr"] = strategy
            policy.write_text(yaml.safe_dump(drafted, sort_keys=False), encoding="utf-8")
            text = assert_clean_failure(anonymiser("check", str(policy), "--source", source), 2)
            assert f"device.addr: '{strategy}' cannot mask this inet6 column (inet6)" in text, text
