"""Weak and malformed masking keys stop `run` before anything is read (issue 11, item 7)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.adversarial.harness import assert_clean, cli

KEYS = {
    "password-password-password-password": "password password password password",
    "32-zero-bytes": "00" * 32,
    "base64-of-a-passphrase": base64.b64encode(b"correct horse battery staple!!").decode(),
    "keygen-key-with-a-stray-character": "18SCHtxmIO-tYYMMKM2SKqoyfcUOCylkXh-txZ95Bk!",
}


@pytest.mark.parametrize("key", list(KEYS.values()), ids=list(KEYS))
def test_a_weak_key_is_refused_with_the_keygen_command(tmp_path: Path, planted_sqlite: tuple[str, Path],
                                                        key: str) -> None:
    source, policy = planted_sqlite
    for flags in ([], ["--json"]):
        result = cli(*flags, "run", str(policy), "--source", source, "--out", str(tmp_path / "out"), key=key)
        text = assert_clean(result, 2, expect="anonymiser keygen", planted=[key])
        assert "ANONYMISER_KEY" in text
    assert list(tmp_path.iterdir()) == []
