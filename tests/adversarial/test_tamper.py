"""Tamper evidence (issue 11, item 6): any edit to the manifest, the report JSON or any file of an output
makes `verify` exit 1 with reason manifest_tampered; a new key at the same --out is announced.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from anonymiser.mask.keys import generate_key
from tests.adversarial.harness import assert_clean, cli


@pytest.fixture(scope="module")
def signed_output(tmp_path_factory: pytest.TempPathFactory, planted_sqlite: tuple[str, Path]) -> Path:
    source, policy = planted_sqlite
    out = tmp_path_factory.mktemp("signed") / "out"
    assert_clean(cli("run", str(policy), "--source", source, "--out", str(out), "--format", "parquet,sql"), 0)
    return out


def _edit_json(path: Path, change: Callable[[dict[str, object]], None]) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")


def _reindent(path: Path) -> None:
    path.write_text(json.dumps(json.loads(path.read_text("utf-8")), indent=4), "utf-8")


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _set(*keys: str, value: object) -> Callable[[dict[str, object]], None]:
    def change(data: dict[str, object]) -> None:
        node: dict[str, object] = data
        for key in keys[:-1]:
            node = node[key]  # type: ignore[assignment]
        node[keys[-1]] = value
    return change


def _resign_with_another_key(out: Path, source: str, policy: Path) -> None:
    # A forger re-runs with their own key and copies that signature over the original's.
    other = out.parent / "forged"
    assert_clean(cli("run", str(policy), "--source", source, "--out", str(other), key=generate_key()), 0)
    shutil.copy(other / "manifest.sig", out / "manifest.sig")


EDITS: dict[str, Callable[[Path], None]] = {
    "manifest-row-count": lambda d: _edit_json(d / "manifest.json", _set("tables", "customer", "rows", value=99)),
    "manifest-key-id": lambda d: _edit_json(d / "manifest.json", _set("key_id", value="00000000")),
    "manifest-strategy-to-keep": lambda d: _edit_json(
        d / "manifest.json", _set("tables", "customer", "masking", "email", "strategy", value="keep")),
    "manifest-whitespace-only": lambda d: _reindent(d / "manifest.json"),
    "report-json-verdict": lambda d: _edit_json(d / "report" / "report.json", _set("verdict", value="FAIL")),
    "policy-yaml": lambda d: (d / "policy.yaml").write_text((d / "policy.yaml").read_text() + "# edited\n"),
    "parquet-byte": lambda d: _flip_a_byte(d / "parquet" / "customer.parquet"),
    "sql-dump-line": lambda d: (d / "sql" / "sqlite.sql").write_text((d / "sql" / "sqlite.sql").read_text()
                                                                      .replace("INSERT", "insert", 1)),
    "signature-deleted": lambda d: (d / "manifest.sig").unlink(),
    "signature-mac-edited": lambda d: _edit_json(d / "manifest.sig", _set("hmac_sha256", value="0" * 64)),
    "signature-sha-edited": lambda d: _edit_json(d / "manifest.sig",
                                                 _set("sha256", "manifest.json", value="0" * 64)),
}


@pytest.mark.parametrize("edit", list(EDITS.values()), ids=list(EDITS))
def test_any_edit_fails_verify_with_manifest_tampered(tmp_path: Path, signed_output: Path,
                                                      planted_sqlite: tuple[str, Path],
                                                      edit: Callable[[Path], None]) -> None:
    source, _ = planted_sqlite
    out = tmp_path / "out"
    shutil.copytree(signed_output, out)
    edit(out)
    for _ in range(2):   # and it stays tampered: verify never re-signs what it could not authenticate
        result = cli("--json", "verify", str(out), "--source", source)
        assert_clean(result, 1, expect="manifest_tampered")


def test_a_signature_from_another_key_is_refused(tmp_path: Path, signed_output: Path,
                                                 planted_sqlite: tuple[str, Path]) -> None:
    source, policy = planted_sqlite
    out = tmp_path / "out"
    shutil.copytree(signed_output, out)
    _resign_with_another_key(out, source, policy)
    assert_clean(cli("verify", str(out), "--source", source), 1, expect="manifest_tampered")


def test_an_untouched_output_verifies_and_stays_verifiable(tmp_path: Path, signed_output: Path,
                                                            planted_sqlite: tuple[str, Path]) -> None:
    source, _ = planted_sqlite
    out = tmp_path / "out"
    shutil.copytree(signed_output, out)
    for command in (["verify", str(out), "--source", source], ["report", str(out)],
                    ["verify", str(out), "--source", source]):
        assert_clean(cli(*command), 0)


@pytest.mark.parametrize("key", [None, "wrong"], ids=["no-key", "another-key"])
def test_verify_without_the_run_key_cannot_pass(tmp_path: Path, signed_output: Path,
                                                planted_sqlite: tuple[str, Path], key: str | None) -> None:
    source, _ = planted_sqlite
    out = tmp_path / "out"
    shutil.copytree(signed_output, out)
    result = cli("verify", str(out), "--source", source, key=generate_key() if key else None)
    assert_clean(result, 1, expect="manifest_not_authenticated" if key is None else "key id")


def test_a_new_key_at_the_same_out_warns_that_every_pseudonym_changed(tmp_path: Path,
                                                                     planted_sqlite: tuple[str, Path]) -> None:
    source, policy = planted_sqlite
    out = tmp_path / "out"
    assert_clean(cli("run", str(policy), "--source", source, "--out", str(out)), 0)
    for flags, expect in (([], r"warning:.*every pseudonym"), (["--quiet"], "every pseudonym"),
                          (["--json"], '"event": "key_changed", "level": "warning"')):
        result = cli(*flags, "run", str(policy), "--source", source, "--out", str(out), key=generate_key())
        assert_clean(result, 0, expect=expect)


SIGNED_FILE_EDITS = {
    "manifest-row-count": ("manifest.json", EDITS["manifest-row-count"]),
    "report-json-verdict": ("report/report.json", EDITS["report-json-verdict"]),
    "policy-yaml": ("policy.yaml", EDITS["policy-yaml"]),
    "signature-deleted": ("manifest.sig", EDITS["signature-deleted"]),
    "signature-mac-edited": ("manifest.sig", EDITS["signature-mac-edited"]),
}


@pytest.mark.parametrize(("named", "edit"), list(SIGNED_FILE_EDITS.values()), ids=list(SIGNED_FILE_EDITS))
def test_report_refuses_to_render_an_edited_output(tmp_path: Path, signed_output: Path, named: str,
                                                   edit: Callable[[Path], None]) -> None:
    out = tmp_path / "out"
    shutil.copytree(signed_output, out)
    edit(out)
    html = (out / "report" / "report.html").read_bytes()
    text = assert_clean(cli("report", str(out)), 1, expect=named)
    assert "refusing to render" in text
    assert (out / "report" / "report.html").read_bytes() == html      # nothing re-rendered
    result = cli("--json", "report", str(out))
    assert_clean(result, 1, expect='"reason": "manifest_tampered"')


@pytest.mark.parametrize("key", [None, "another"], ids=["no-key", "another-key"])
def test_report_needs_the_run_key(tmp_path: Path, signed_output: Path, key: str | None) -> None:
    out = tmp_path / "out"
    shutil.copytree(signed_output, out)
    result = cli("report", str(out), key=generate_key() if key else None)
    assert_clean(result, 1 if key else 2, expect="key id" if key else "ANONYMISER_KEY is not set")
