"""No password and no source value in any message, event, report or saved policy (issue 11, items 2 and 8).

Every URL below carries the planted password; every command that takes a URL is fed each of them on an
error path, at default verbosity and with --json, and all output is searched for the password.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial.harness import (
    CUSTOMER_POLICY,
    PLANTED_PASSWORD,
    assert_clean,
    assert_no_planted_in_files,
    cli,
    write_policy,
)

PW = PLANTED_PASSWORD
# A closed port: the connection fails and the driver's message is shown (scrubbed).
BAD_URLS = {
    "userinfo": f"postgresql://postgres:{PW}@127.0.0.1:1/db",
    "password-param": f"postgresql://postgres@127.0.0.1:1/db?password={PW}",
    "sslpassword-param": f"postgresql://postgres@127.0.0.1:1/db?sslmode=prefer&sslpassword={PW}",
    "unencoded-at-in-password": f"postgresql://postgres:{PW}@x@127.0.0.1:1/db",
    "unencoded-at-mysql": f"mysql://root:{PW}@x@127.0.0.1:1/db",
    "unknown-dialect": f"postgresqlx://postgres:{PW}@127.0.0.1:1/db",
    "unparseable": f"postgres:{PW}@127.0.0.1",
}


def _commands(url: str, tmp: Path, policy: Path) -> dict[str, list[str]]:
    return {
        "scan": ["scan", url, "--out", str(tmp / "p.yaml")],
        "check": ["check", str(policy), "--source", url],
        "run": ["run", str(policy), "--source", url, "--out", str(tmp / "out")],
        "verify": ["verify", str(tmp / "existing"), "--source", url],
        "load": ["load", str(tmp / "existing"), "--target", url],
    }


@pytest.fixture(scope="module")
def existing_output(tmp_path_factory: pytest.TempPathFactory, planted_sqlite: tuple[str, Path]) -> Path:
    source, policy = planted_sqlite
    out = tmp_path_factory.mktemp("existing") / "existing"
    assert_clean(cli("run", str(policy), "--source", source, "--out", str(out)), 0)
    return out


@pytest.mark.parametrize("json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("command", ["scan", "check", "run", "verify", "load"])
@pytest.mark.parametrize("url", list(BAD_URLS.values()), ids=list(BAD_URLS))
def test_no_password_on_any_connection_error_path(tmp_path: Path, existing_output: Path, url: str, command: str,
                                                   json: bool) -> None:
    (tmp_path / "existing").symlink_to(existing_output)
    policy = write_policy(tmp_path)
    args = _commands(url, tmp_path, policy)[command]
    result = cli(*(["--json"] if json else []), *args)
    assert result.code in (2, 3), result.text
    assert_clean(result, result.code)
    assert not (tmp_path / "out").exists()


LITERAL_SOURCES = {
    "userinfo": f"postgresql://postgres:{PW}@127.0.0.1/test",
    "password-param": f"postgresql://postgres@127.0.0.1/test?password={PW}",
    "default-of-env-reference": f"${{NOT_SET_ANYWHERE:-postgresql://postgres:{PW}@127.0.0.1/test}}",
    "unencoded-at": f"postgresql://postgres:{PW}@x@127.0.0.1/test",
}


@pytest.mark.parametrize("source", list(LITERAL_SOURCES.values()), ids=list(LITERAL_SOURCES))
def test_a_password_written_into_the_policy_is_refused(tmp_path: Path, source: str) -> None:
    policy = write_policy(tmp_path, f"source: '{source}'\n" + CUSTOMER_POLICY)
    for args in (["check", str(policy)], ["run", str(policy), "--out", str(tmp_path / "out")]):
        assert_clean(cli(*args), 2, expect=r"policy\.yaml:1: .*contains a password")
    assert not (tmp_path / "out").exists()


@pytest.mark.postgres
def test_the_documented_env_set_up_works_and_the_password_goes_nowhere(tmp_path: Path, planted_pg: str) -> None:
    # trust authentication ignores the password, so a real URL with one connects
    url = planted_pg.replace("postgresql+psycopg://postgres@", f"postgresql://postgres:{PW}@")
    policy = write_policy(tmp_path, "source: ${ANONYMISER_SOURCE_URL}\n" + CUSTOMER_POLICY)
    env: dict[str, str | None] = {"ANONYMISER_SOURCE_URL": url}
    assert_clean(cli("check", str(policy), env=env), 0)
    out = tmp_path / "out"
    assert_clean(cli("--json", "run", str(policy), "--out", str(out), env=env), 0)
    assert_clean(cli("verify", str(out), env=env), 0)
    assert_clean(cli("scan", "--out", str(tmp_path / "scanned.yaml"), env=env), 0)
    assert_no_planted_in_files(out)
    assert PW not in (tmp_path / "scanned.yaml").read_text()


WHERE_LEAKS = {
    # a cast that fails on a row: PostgreSQL quotes the row's value in its message
    "cast-failure-quotes-a-row-value": "email::int > 0",
    "subquery-value-in-cast-error": "id = (SELECT full_name FROM customer ORDER BY id LIMIT 1)::int",
    "literal-in-syntax-error": "email = 'wiremu.planted@leaktest.co.nz' AND AND",
    "unknown-column-next-to-a-value": "nosuch = 'Wiremu Plantedname'",
}


@pytest.mark.postgres
@pytest.mark.parametrize("where", list(WHERE_LEAKS.values()), ids=list(WHERE_LEAKS))
def test_a_rejected_where_clause_prints_no_value(tmp_path: Path, planted_pg: str, where: str) -> None:
    policy = write_policy(tmp_path, CUSTOMER_POLICY.replace(
        "tables:", f"subset:\n  roots:\n    - table: customer\n      where: \"{where}\"\ntables:", 1))
    for flags in ([], ["--json"]):
        result = cli(*flags, "run", str(policy), "--source", planted_pg, "--out", str(tmp_path / "out"))
        assert_clean(result, 2, expect="where clause")
    assert not (tmp_path / "out").exists()
