"""The masking key: generation, loading from ``ANONYMISER_KEY``, and its public id.

The key is never written, logged or printed by the tool (``keygen`` prints a *new* one for the
user to store). Outputs carry only ``key_id(key)`` so two runs can be shown to share a key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets

from anonymiser.errors import ConfigError
from anonymiser.redact import remember

KEY_ENV = "ANONYMISER_KEY"
MIN_KEY_BYTES = 16
# Public on purpose: only `anonymiser demo` uses it, and its outputs say so.
DEMO_KEY = b"anonymiser-demo-key: public, for the demo only, never for real data"


def generate_key() -> str:
    """32 random bytes, URL-safe base64 without padding (fits an environment variable)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def parse_key(text: str) -> bytes:
    """Accept what ``generate_key`` prints, or hex; refuse anything shorter than 16 bytes."""
    text = text.strip()
    raw: bytes | None = None
    try:
        raw = bytes.fromhex(text) if len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text) else None
    except ValueError:
        raw = None
    if raw is None:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) < MIN_KEY_BYTES:
        raise ConfigError(
            f"{KEY_ENV} is not a usable key (it must decode to at least {MIN_KEY_BYTES} random bytes)",
            hint=f"Create one with 'anonymiser keygen' and export it: export {KEY_ENV}=<the printed key>",
        )
    return raw


def key_from_env() -> bytes:
    text = os.environ.get(KEY_ENV, "")
    if not text.strip():
        raise ConfigError(
            f"no masking key: {KEY_ENV} is not set",
            hint=(
                f"Run 'anonymiser keygen', store the key in your secret store, and export {KEY_ENV} before "
                "'anonymiser run'. Keep the same key across monthly runs so pseudonyms stay consistent."
            ),
        )
    remember(text.strip())   # never shown, even if a library echoed it back
    return parse_key(text)


def key_id(key: bytes) -> str:
    """First 8 hex digits of HMAC(key, "key-id"): shows two runs shared a key, reveals nothing of it."""
    return hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:8]
