"""The masking key: generation, loading from ``ANONYMISER_KEY``, and its public id.

The key is never written, logged or printed by the tool (``keygen`` prints a *new* one for the
user to store). Outputs carry only ``key_id(key)`` so two runs can be shown to share a key.

Format (what ``keygen`` prints): 32 random bytes in URL-safe base64 without padding, 43 characters
of ``A-Z a-z 0-9 - _``. Also accepted: the same in standard base64 (``+ /``, ``=`` padding, e.g.
``openssl rand -base64 32``) and hex (``openssl rand -hex 32``). Anything else is refused, never
silently cleaned. A key must carry at least 128 bits of entropy: the estimate below refuses keys
that are short, repetitive, made of few distinct bytes, or text encoded as base64/hex. It can only
refuse obviously weak keys; it cannot prove a key strong, so generate keys with ``keygen``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import re
import secrets
from collections import Counter
from functools import lru_cache
from urllib.parse import quote

from anonymiser.errors import ConfigError
from anonymiser.redact import remember

KEY_ENV = "ANONYMISER_KEY"
KEY_BYTES = 32
MIN_KEY_BYTES = 16
MIN_ENTROPY_BITS = 128
# Random bytes never fall below 0.87 of the expected entropy (16 bytes, 20,000 draws): 0.8 leaves room for chance.
CHANCE_SLACK = 0.8
KEYGEN_HINT = (f"Create a key with 'anonymiser keygen' and export it: export {KEY_ENV}=$(anonymiser keygen). "
               "Keep it in your secret store: the same key gives the same pseudonyms month after month.")
# Public on purpose: only `anonymiser demo` uses it, and its outputs say so.
DEMO_KEY = b"anonymiser-demo-key: public, for the demo only, never for real data"

_HEX = re.compile(r"[0-9a-fA-F]+")
_OTHER_BASE64_ALPHABET = str.maketrans("-_+/", "+/-_")
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=")


def generate_key() -> str:
    """32 random bytes, URL-safe base64 without padding (fits an environment variable)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).rstrip(b"=").decode("ascii")


def _refuse(problem: str) -> ConfigError:
    return ConfigError(f"{KEY_ENV} is not a usable key: {problem}", hint=KEYGEN_HINT)


def _decode(text: str) -> bytes:
    if len(text) % 2 == 0 and len(text) >= 2 * MIN_KEY_BYTES and _HEX.fullmatch(text):
        return bytes.fromhex(text)
    invalid = [i for i, c in enumerate(text) if c not in _ALPHABET]
    if invalid:   # positions only: the characters are part of a secret
        more = f" and {len(invalid) - 1} more" if len(invalid) > 1 else ""
        raise _refuse(f"character {invalid[0] + 1}{more} is neither base64 nor hex; nothing is dropped or guessed")
    body = text.rstrip("=")
    if "=" in body or (set(body) & set("-_") and set(body) & set("+/")) or len(body) % 4 == 1:
        raise _refuse("it is not valid base64 (padding, length, or the two base64 alphabets mixed)")
    return base64.b64decode(body.replace("-", "+").replace("_", "/") + "=" * (-len(body) % 4), validate=True)


@lru_cache(maxsize=64)
def _expected_entropy(n: int) -> float:
    """Expected plug-in (Shannon) entropy, in bits per byte, of n uniformly random bytes: the yardstick."""
    p = 1 / 256
    expected = 0.0
    for k in range(1, n + 1):
        probability = math.comb(n, k) * p ** k * (1 - p) ** (n - k)
        expected -= 256 * probability * (k / n) * math.log2(k / n)
    return expected


def _shortest_period(raw: bytes) -> bytes:
    """The shortest unit whose repetition gives ``raw`` (itself when it repeats nothing)."""
    for period in range(1, len(raw) // 2 + 1):
        if all(raw[i] == raw[i % period] for i in range(len(raw))):
            return raw[:period]
    return raw


def _estimate(raw: bytes) -> float:
    unit = _shortest_period(raw)
    n = len(unit)
    if n < 2:
        return 0.0
    observed = -sum(c / n * math.log2(c / n) for c in Counter(unit).values())
    return 8 * n * min(1.0, observed / (CHANCE_SLACK * _expected_entropy(n)))


def entropy_bits(raw: bytes) -> float:
    """A conservative estimate: 8 bits per byte of the non-repeating unit, scaled by how far its byte
    distribution falls short of what random bytes of that length show; the same for the differences of
    consecutive bytes (a counter, 00 01 02 …, has many distinct bytes but one difference)."""
    differences = bytes((b - a) % 256 for a, b in zip(raw, raw[1:], strict=False))
    return min(_estimate(raw), _estimate(differences) + 8)


def parse_key(text: str) -> bytes:
    """What ``keygen`` prints (or standard base64, or hex) decoding to ≥ 16 random-looking bytes."""
    text = text.strip()
    raw = _decode(text)
    if len(raw) < MIN_KEY_BYTES:
        raise _refuse(f"it decodes to {len(raw)} bytes; at least {MIN_KEY_BYTES} random bytes are needed")
    if all(0x20 <= b < 0x7F for b in raw):
        raise _refuse("it decodes to readable text (an encoded passphrase?), not random bytes")
    letters = [c for c in text if c.isalpha()]
    if not _HEX.fullmatch(text) and len(text) >= 40 and letters and \
            (all(c.islower() for c in letters) or all(c.isupper() for c in letters)):
        raise _refuse("its letters are all of one case: it looks typed, not generated")
    bits = entropy_bits(raw)
    if bits < MIN_ENTROPY_BITS:
        raise _refuse(f"its estimated entropy is {bits:.0f} bits; at least {MIN_ENTROPY_BITS} are needed "
                      "(it repeats itself or uses few distinct byte values)")
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
    remember_key(text)   # never shown, even if a library echoed it back
    return parse_key(text)


def remember_key(text: str | None = None) -> None:
    """The key's text (default: ``ANONYMISER_KEY``'s value) and the forms a message could quote it in are
    scrubbed from everything shown: set at start-up, before any command could echo it (in a bad option value,
    a URL, a policy value)."""
    remember(*key_forms(text))


def key_forms(text: str | None = None) -> set[str]:
    """The key's text (default: ``ANONYMISER_KEY``'s value) as a message or a file could spell it: as set,
    without padding, percent-encoded, in the other base64 alphabet, hex in either case. Empty when unset."""
    text = (os.environ.get(KEY_ENV, "") if text is None else text).strip()
    if not text:
        return set()
    forms = {text, text.rstrip("="), quote(text, safe=""), text.translate(_OTHER_BASE64_ALPHABET)}
    if _HEX.fullmatch(text):
        forms |= {text.lower(), text.upper()}
    return forms


def key_id(key: bytes) -> str:
    """First 8 hex digits of HMAC(key, "key-id"): shows two runs shared a key, reveals nothing of it."""
    return hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:8]
