"""The masking key (issue 11, item 7): keygen's format; weak or malformed keys refused with the keygen hint."""

from __future__ import annotations

import base64
import os
import re
import secrets

import pytest

from anonymiser.errors import ConfigError
from anonymiser.mask.keys import KEY_BYTES, entropy_bits, generate_key, parse_key


def test_keygen_prints_43_characters_of_url_safe_base64_for_32_random_bytes() -> None:
    keys = {generate_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
        assert parse_key(key) == base64.urlsafe_b64decode(key + "=")
        assert len(parse_key(key)) == KEY_BYTES


ACCEPTED = {
    "keygen": generate_key,
    "keygen-with-trailing-newline": lambda: generate_key() + "\n",
    "openssl-rand-hex-32": lambda: secrets.token_hex(32),
    "openssl-rand-hex-16": lambda: secrets.token_hex(16),
    "openssl-rand-base64-32": lambda: base64.b64encode(os.urandom(32)).decode(),
}


@pytest.mark.parametrize("make", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_random_keys_in_the_documented_forms_are_accepted(make: object) -> None:
    for _ in range(50):
        assert len(parse_key(make())) >= 16  # type: ignore[operator]


REFUSED = {
    "spaces-password-x4": ("password password password password", "character 9 and 2 more"),
    "32-zero-bytes-hex": ("00" * 32, "estimated entropy is 0 bits"),
    "32-zero-bytes-base64": (base64.b64encode(bytes(32)).decode(), "one case|entropy"),
    "base64-of-a-passphrase": (base64.b64encode(b"test-key-for-anonymiser-tests-only!").decode(), "readable text"),
    "repeated-word": ("passwordpasswordpasswordpasswordpasswordpas", "one case"),
    "repeating-hex-pattern": ("0123456789abcdef" * 2, "entropy"),
    "counter-bytes": (bytes(range(32)).hex(), "entropy"),
    "too-short": (secrets.token_hex(8), "at least 16"),
    "invalid-character-at-the-end": (generate_key()[:-1] + ".", "character 43 "),
    "unicode-lookalike": (generate_key()[:-1] + "ѕ", "character 43 "),
    "both-base64-alphabets": ("A-_" + base64.b64encode(os.urandom(30)).decode().replace("+", "/")[3:] + "+/",
                              "not valid base64"),
    "padding-in-the-middle": (generate_key()[:20] + "==" + generate_key()[:21], "not valid base64"),
}


@pytest.mark.parametrize(("key", "why"), list(REFUSED.values()), ids=list(REFUSED))
def test_weak_or_malformed_keys_are_refused_with_the_keygen_command(key: str, why: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_key(key)
    assert re.search(why, raised.value.message), raised.value.message
    assert "anonymiser keygen" in (raised.value.hint or "")
    assert key.strip() not in str(raised.value)


def test_the_estimate_is_8_bits_per_random_byte() -> None:
    assert entropy_bits(os.urandom(32)) == 256
    assert entropy_bits(bytes(32)) == 0
