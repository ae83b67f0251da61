"""The masking key (ANONYMISER_KEY's value) is never shown: not in an error, a JSON event or a report,
even when the user put it where a message quotes it (F15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import TEST_KEY, anonymiser

POLICY = Path("policies/demo.yaml").resolve()



def _policy_quoting_the_key(tmp_path: Path, old: str, new: str) -> Path:
    text = POLICY.read_text("utf-8")
    assert old in text
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize("flags", [[], ["--json"]], ids=["text", "json"])
@pytest.mark.parametrize("command", ["check", "run"])
def test_an_error_quoting_the_key_shows_a_placeholder(tmp_path: Path, demo_source: str, flags: list[str],
                                                      command: str) -> None:
    # An unknown strategy is quoted back in the error ("unknown strategy '…'. Did you mean …?").
    policy = _policy_quoting_the_key(tmp_path, "{ mask: keep, reason:", f"{{ mask: {TEST_KEY}, reason:")
    extra = ["--out", str(tmp_path / "out")] if command == "run" else []
    result = anonymiser(*flags, command, str(policy), "--source", demo_source, *extra)
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert TEST_KEY not in text and TEST_KEY[:20] not in text
    assert "***" in text


def test_a_policy_reason_holding_the_key_never_reaches_the_report(tmp_path: Path, demo_source: str) -> None:
    policy = _policy_quoting_the_key(tmp_path, 'reason: "job title: not personal on its own"',
                                     f'reason: "job title {TEST_KEY}"')
    out = tmp_path / "out"
    result = anonymiser("--json", "run", str(policy), "--source", demo_source, "--out", str(out))
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert TEST_KEY not in result.stdout + result.stderr
    for name in ("report.json", "report.md", "report.html"):
        text = (out / "report" / name).read_text("utf-8")
        assert TEST_KEY not in text, name
        assert "job title ***" in text, name


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent/{key}/db.sqlite",
    "postgresql://postgres@127.0.0.1:5432/findings_{key}?application_name={key}",
], ids=["sqlite-path", "postgresql-database-name"])
@pytest.mark.parametrize("key", [TEST_KEY, TEST_KEY.replace("-", "+").replace("_", "/") + "="],
                         ids=["keygen-form", "standard-base64"])
def test_a_source_url_holding_the_key_is_shown_with_a_placeholder(tmp_path: Path, url: str, key: str) -> None:
    result = anonymiser("--json", "scan", url.format(key=key), "--out", str(tmp_path / "p.yaml"), key=key)
    text = result.stdout + result.stderr
    assert result.returncode == 3, text
    assert key.rstrip("=") not in text and "***" in text
