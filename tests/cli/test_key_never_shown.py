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
    # check quotes the unknown strategy (masked); run refuses the policy for holding the key before that
    assert ("***" in text) if command == "check" else ("the policy holds ANONYMISER_KEY's value" in text)


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_policy_holding_the_key_is_refused_with_its_line(tmp_path: Path, demo_source: str, command: str) -> None:
    # run copies the policy into its output (policy.yaml, manifest.json): the key would be written there.
    policy = _policy_quoting_the_key(tmp_path, 'reason: "job title: not personal on its own"',
                                     f'reason: "job title {TEST_KEY}"')
    line = next(i for i, text in enumerate(policy.read_text("utf-8").splitlines(), 1) if TEST_KEY in text)
    out = tmp_path / "out"
    extra = ["--out", str(out)] if command == "run" else []
    result = anonymiser(command, str(policy), "--source", demo_source, *extra)
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert f"policy.yaml:{line}: the policy holds ANONYMISER_KEY's value" in text and TEST_KEY not in text
    assert not out.exists()


def test_the_key_through_interpolation_is_refused(tmp_path: Path, demo_source: str) -> None:
    policy = _policy_quoting_the_key(tmp_path, 'reason: "job title: not personal on its own"',
                                     'reason: "job title ${ANONYMISER_KEY}"')
    result = anonymiser("run", str(policy), "--source", demo_source, "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "through ${...} interpolation" in result.stderr and TEST_KEY not in result.stderr


@pytest.mark.parametrize("flags", [[], ["--json"]], ids=["text", "json"])
@pytest.mark.parametrize("args", [[TEST_KEY], ["check", f"--{TEST_KEY}"], ["scan", "--sample", TEST_KEY]],
                         ids=["as-a-command", "as-an-option", "as-a-value"])
def test_the_key_on_the_command_line_is_not_echoed(flags: list[str], args: list[str]) -> None:
    result = anonymiser(*flags, *args)
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert TEST_KEY not in text and TEST_KEY[:20] not in text


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
