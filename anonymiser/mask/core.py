"""The keyed core: per-entity domain keys, value normalisation, and a vectorised keyed PRF.

**Domains.** Every pseudonym is a function of (key, domain, normalised value). The domain is the
*entity* (``person_name``, ``email``, ``phone``, ``nz_ird`` …), never the column, so
``audit_log.actor_email`` and ``customer.email`` get the same fake. A policy may override it with
the ``domain`` option. ``domain_key`` = HMAC-SHA256(key, "anonymiser/v1/" ‖ domain)[:16].

**PRF.** Per value we need 128 bits of keyed material for up to millions of distinct values.
HMAC-SHA256 in a Python loop costs ~1.5 µs per value (8M values ≈ 12 s, above the benchmark budget),
so the per-value PRF is AES-128 under the HMAC-derived domain key, used as a *prefix-free CBC-MAC*:
block 0 = (8-byte little-endian length ‖ first 8 bytes), then 16-byte blocks, zero padded. Putting
the length first makes the message encoding prefix-free, for which CBC-MAC is a secure PRF
(Bellare–Kilian–Rogaway; Petrank–Rackoff). AES runs in C (OpenSSL via ``cryptography``) over whole
columns, one ECB call per block position, so the cost is ~0.1 s per million values. The
construction is pinned here and by the golden test: it is keyed, deterministic, and independent of
pandas/Faker versions (AES is AES). ``prf_ints`` is one AES block over (value, tweak) for integers.

**Normalisation** (applied before the PRF, so variants of one value share a pseudonym):

==============  ===============================================================================
``name``        Unicode NFC, trim, runs of whitespace collapsed to one space, lower-cased
``email``       trim, lower-cased (the whole address, local part included)
``phone``       digits only; ``+64``/``0064``/``0`` national prefixes become ``64`` (so
                ``021 555 0199``, ``+64 21 555 0199`` and ``0215550199`` agree)
``identifier``  spaces, hyphens, dots and slashes removed, upper-cased (IRD, NHI, bank, NZBN …)
``text``        trim only
``exact``       unchanged (hash, redact, remap: the exact stored value)
==============  ===============================================================================
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from anonymiser.mask import textbuf
from anonymiser.mask.textbuf import count_per_row, string_bytes

Normaliser = Literal["name", "email", "phone", "identifier", "text", "exact"]
DOMAIN_PREFIX = b"anonymiser/v1/"
U64 = np.dtype("<u8")


@functools.lru_cache(maxsize=256)
def domain_key(key: bytes, domain: str) -> bytes:
    """The AES-128 key of one entity domain (HMAC-SHA256 derived, so domains are independent)."""
    return hmac.new(key, DOMAIN_PREFIX + domain.encode("utf-8"), hashlib.sha256).digest()[:16]


def _encryptor(key16: bytes) -> Any:
    return Cipher(algorithms.AES(key16), modes.ECB()).encryptor()


def _encrypt_into(encryptor: Any, blocks: np.ndarray, out: np.ndarray) -> None:
    """AES-ECB of each 16-byte row of ``blocks`` ((m, 2) uint64) written to the first m rows of
    ``out`` (C-contiguous (≥ m + 1, 2) uint64: OpenSSL wants up to 15 bytes of slack after the data)."""
    m = len(blocks)
    encryptor.update_into(np.ascontiguousarray(blocks).view(np.uint8).reshape(-1),
                          out.view(np.uint8).reshape(-1)[:16 * m + 16])


def _aes_ecb(key16: bytes, blocks: np.ndarray) -> np.ndarray:
    """Encrypt an (n, 2) uint64 array block by block; returns a new (n, 2) uint64 array."""
    out = np.empty((len(blocks) + 1, 2), dtype=U64)
    _encrypt_into(_encryptor(key16), blocks, out)
    return out[:-1]


# _KEEP[r]: the first r bytes of a 16-byte block kept, the rest zeroed (r = 0..16), as two words.
_KEEP = np.where(np.arange(16)[None, :] < np.arange(17)[:, None], 0xFF, 0).astype(np.uint8).view(U64)


def _byte_parts(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(data buffer, row starts, row lengths) of a string/binary array, zero copy (a NULL reads as '')."""
    t = values.type
    if not (pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_large_string(t)
            or pa.types.is_large_binary(t)):
        values = values.cast(pa.large_binary())
        t = values.type
    width = np.int64 if pa.types.is_large_string(t) or pa.types.is_large_binary(t) else np.int32
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=width)[values.offset:values.offset + n + 1]
    offsets = offsets.astype(np.int64)
    data_buf = values.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return data, offsets[:-1], np.diff(offsets)


def _window16(data: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """data[s:s + 16] for each start as an (m, 2) uint64 array; bytes past the buffer's end read as 0.

    Rows of a strided window view (one 16-byte copy each, no index matrix); the few starts within 16
    bytes of the end read from a small zero-padded copy of the tail instead of a padded whole buffer.
    """
    if len(data) < 32:
        data = np.concatenate([data, np.zeros(32, np.uint8)])
    last = len(data) - 16
    rows = np.lib.stride_tricks.sliding_window_view(data, 16)[np.minimum(starts, last)]
    late = np.flatnonzero(starts > last)
    if len(late):
        tail = np.concatenate([data[last:], np.zeros(16, np.uint8)])
        rows[late] = np.lib.stride_tricks.sliding_window_view(tail, 16)[starts[late] - last]
    return rows.view(U64)


# Rows per PRF pass: the pass's blocks (16 bytes a row) stay in the CPU cache between steps.
PRF_ROWS = 1 << 15


def prf(key: bytes, domain: str, values: pa.Array) -> np.ndarray:
    """128 keyed bits per value as an (n, 2) uint64 array (prefix-free AES-CBC-MAC, see module doc)."""
    n = len(values)
    if n == 0:
        return np.zeros((0, 2), dtype=U64)
    encryptor = _encryptor(domain_key(key, domain))
    data, starts, lengths = _byte_parts(values)
    n_blocks = (np.maximum(lengths - 8, 0) + 15) // 16        # 16-byte blocks after the first
    # Rows ordered by block count, so the rows still running at block j are a suffix (slices, not
    # fancy indexing); the usual column has one block count and needs no reordering.
    order = None if n_blocks.min() == n_blocks.max() else np.argsort(n_blocks, kind="stable")
    if order is not None:
        starts, lengths, n_blocks = starts[order], lengths[order], n_blocks[order]
    state = np.empty((n + 1, 2), dtype=U64)      # one spare row: OpenSSL's output slack
    for r0 in range(0, n, PRF_ROWS):
        r1 = min(r0 + PRF_ROWS, n)
        _cbc_mac(encryptor, data, starts[r0:r1], lengths[r0:r1], n_blocks[r0:r1], state[r0:])
    if order is None:
        return state[:n]
    out = np.empty((n, 2), dtype=U64)
    out[order] = state[:n]
    return out


def _cbc_mac(encryptor: Any, data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, n_blocks: np.ndarray,
             state: np.ndarray) -> None:
    """The MAC of m rows (``n_blocks`` non-decreasing) into ``state[:m]`` (which has rows to spare)."""
    m = len(starts)
    block = np.empty((m, 2), dtype=U64)
    block[:, 0] = lengths                                                    # length ‖ first 8 bytes
    block[:, 1] = _window16(data, starts)[:, 0]
    short = np.flatnonzero(lengths < 8)           # zero what lies past the value's end
    block[short, 1] &= _KEEP[lengths[short], 0]
    _encrypt_into(encryptor, block, state)
    for j in range(int(n_blocks[-1])):
        lo = int(np.searchsorted(n_blocks, j + 1))      # rows with more than j blocks: a suffix
        end = int(np.searchsorted(n_blocks, j + 2))     # of which [lo, end) end with this block
        off = 8 + 16 * j
        chunk = _window16(data, starts[lo:] + off)
        last = slice(0, end - lo)
        chunk[last] &= _KEEP[np.minimum(lengths[lo:end] - off, 16)]
        chunk ^= state[lo:m]
        _encrypt_into(encryptor, chunk, state[lo:])


def prf_ints(key: bytes, domain: str, values: np.ndarray, tweak: int | np.ndarray = 0) -> np.ndarray:
    """64 keyed bits per 64-bit integer (one AES block over value ‖ tweak)."""
    n = len(values)
    block = np.empty((n, 2), dtype=U64)
    block[:, 0] = np.asarray(values).astype(np.int64, copy=False).view(U64)
    block[:, 1] = np.asarray(tweak, dtype=np.int64).astype(U64)
    return _aes_ecb(domain_key(key, domain), block)[:, 0].copy()


def rehash(key: bytes, domain: str, h: np.ndarray, attempt: int) -> np.ndarray:
    """Fresh 128-bit material for collision attempt ``attempt`` (keyed, deterministic)."""
    out = np.empty_like(h)
    out[:, 0] = prf_ints(key, domain + "#retry", h[:, 0] ^ h[:, 1], attempt)
    out[:, 1] = prf_ints(key, domain + "#retry", h[:, 1], attempt + (1 << 32))
    return out


def pick(h: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """An index in [0, n) from 64-bit material, and the remaining quotient for further picks.

    Bias is below n / 2**64 per draw when h is uniform; callers chain picks while the product of
    their ranges stays far below 2**64.
    """
    n64 = np.uint64(n)
    return (h % n64).astype(np.int64), h // n64


# --- normalisation -----------------------------------------------------------------------------

def _no_regex_whitespace(arr: pa.Array) -> bool:
    """True when ``\\s+`` → " " cannot change any value: no tab, newline, form feed or carriage return
    (RE2's ``\\s`` is exactly [\\t\\n\\f\\r ]) and no two spaces in a row. A numpy byte scan, ~25×
    cheaper than one Arrow substring search per blank."""
    parts = string_bytes(arr)
    if parts is None:
        return False
    data = parts[0]
    step = textbuf.SCAN_BYTES
    for at in range(0, len(data), step):
        piece = data[at:at + step + 1]     # one byte of overlap: a pair across the cut
        if np.any(piece < 14):        # \t \n \f \r (and other control bytes: a false alarm is only slower)
            return False
        # Two spaces in a row, as 16-bit words at even and at odd byte offsets; also across a row
        # boundary ("a " + " b"), again only a false alarm.
        even, odd = piece[:len(piece) // 2 * 2], piece[1:1 + (len(piece) - 1) // 2 * 2]
        if np.any(even.view(np.uint16) == 0x2020) or np.any(odd.view(np.uint16) == 0x2020):
            return False
    return True


def _nfc(arr: pa.Array) -> pa.Array:
    # Text below U+0300 (ASCII, Latin-1, Latin Extended-A/B with the Māori macron vowels, IPA,
    # spacing modifiers) is already NFC: every such character is its own NFC form with combining
    # class 0 and no two of them compose (tests/unit/mask/test_core.py checks all pairs). In UTF-8
    # that is every byte below 0xCC, one numpy pass instead of a normalisation per value.
    parts = string_bytes(arr)
    if parts is not None and (not len(parts[0]) or parts[0].max() < 0xCC):
        return arr
    return pc.utf8_normalize(arr, "NFC")


def _collapse_whitespace(arr: pa.Array) -> pa.Array:
    if _no_regex_whitespace(arr):     # the usual case: nothing to collapse
        return arr
    # The regex is slow; apply it only where a run of spaces or another ASCII blank exists (plain
    # substring scans are far cheaper than one regex scan).
    needs = pc.match_substring(arr, "  ")
    for blank in ("\t", "\n", "\r", "\f", "\v", "\u00a0"):
        needs = pc.or_(needs, pc.match_substring(arr, blank))
    needs = pc.fill_null(needs, False)
    if not pc.any(needs).as_py():
        return arr
    if isinstance(arr, pa.ChunkedArray):
        arr, needs = arr.combine_chunks(), needs.combine_chunks()
    return pc.replace_with_mask(arr, needs, pc.replace_substring_regex(arr.filter(needs), r"\s+", " "))


def _phone_digits(arr: pa.Array) -> pa.Array | None:
    """The ``phone`` rule (digits only; ``00`` dropped, then a leading ``0`` becomes ``64``) on the
    bytes with numpy, or None where the general Arrow path must run (nulls, other types). Trimming
    first changes nothing here: whitespace is never a digit."""
    parts = string_bytes(arr)
    if parts is None or len(arr) == 0 or pa.types.is_large_string(arr.type):
        return None
    data, offsets = parts
    is_digit = (data - np.uint8(48)) < 10
    digits = data[is_digit]
    count = count_per_row(is_digit, offsets)
    end = np.cumsum(count)
    start = end - count                                           # each row's digits: digits[start:end]

    def digit_at(pos: np.ndarray) -> np.ndarray:      # -1 past the row's end
        inside = pos < end
        return np.where(inside, digits[np.minimum(pos, max(len(digits) - 1, 0))] if len(digits) else 0, -1)

    intl = (digit_at(start) == 48) & (digit_at(start + 1) == 48)                  # international 00
    national = digit_at(start + 2 * intl) == 48                                     # trunk 0 → 64
    kept = np.ones(len(digits), dtype=bool)
    for j, dropped in ((0, intl | national), (1, intl), (2, intl & national)):
        kept[start[dropped] + j] = False
    length = end - start - 2 * intl - national + 2 * national
    out_offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(length)])
    if out_offsets[-1] >= 1 << 31:
        return None
    out = np.empty(int(out_offsets[-1]), dtype=np.uint8)
    prefix = out_offsets[:-1][national]
    is_digit_out = np.ones(len(out), dtype=bool)
    is_digit_out[prefix] = is_digit_out[prefix + 1] = False
    out[prefix], out[prefix + 1] = ord("6"), ord("4")
    out[is_digit_out] = digits[kept]
    return pa.Array.from_buffers(pa.string(), len(length), [None, pa.py_buffer(out_offsets.astype(np.int32)),
                                                              pa.py_buffer(out)])


def _identifier_ascii(arr: pa.Array) -> pa.Array | None:
    """The ``identifier`` rule with numpy for printable ASCII values (None otherwise, or with nulls):
    there the only blank is the space, so trimming adds nothing to dropping spaces, - . and /."""
    parts = string_bytes(arr)
    if parts is None or pa.types.is_large_string(arr.type):
        return None
    data, offsets = parts
    if len(data) and (data.min() < 0x20 or data.max() > 0x7E):
        return None
    kept = (data != 0x20) & (data - np.uint8(0x2D) > 2)          # not ' ', '-', '.', '/' (0x2D-0x2F)
    out = data[kept]
    out -= np.uint8(0x20) * ((out - np.uint8(0x61)) < 26)          # a-z → A-Z
    out_offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(count_per_row(kept, offsets))])
    return pa.Array.from_buffers(pa.string(), len(arr), [None, pa.py_buffer(out_offsets.astype(np.int32)),
                                                          pa.py_buffer(out)])


def normalise(values: pa.Array, how: Normaliser) -> pa.Array:
    """Normalise a string array for keying (see the module docstring for each rule)."""
    if how == "exact":
        return values
    fast = _phone_digits(values) if how == "phone" else _identifier_ascii(values) if how == "identifier" else None
    if fast is not None:
        return fast
    arr = pc.utf8_trim_whitespace(values)
    if how == "text":
        return arr
    if how == "name":
        return pc.utf8_lower(_collapse_whitespace(_nfc(arr)))
    if how == "email":
        return pc.utf8_lower(arr)
    if how == "identifier":
        return pc.utf8_upper(pc.replace_substring_regex(arr, r"[\s\-./]", ""))
    digits = pc.replace_substring_regex(arr, r"\D", "")
    digits = pc.replace_substring_regex(digits, r"^00", "")     # international call prefix
    national = pc.starts_with(digits, "0")
    return pc.if_else(national, pc.binary_join_element_wise("64", pc.utf8_slice_codeunits(digits, 1), ""),
                      digits)
