"""Normalised forms of known values and their 64-bit hashes: what makes two spellings one value.

Names: lower case, diacritics and ʻokina removed, blanks collapsed ("Hēmi  NGATA" = "hemi ngata"); e-mail:
lower case; phone: digits, with +64 / 0064 / 0 folded to one national form; identifiers: letters and digits,
upper case (IRD "049-091-850" = "49091850"); street lines: like names. Each normaliser exists per value (Python)
and per Arrow array (a whole column indexed at once, each distinct value once); ``poly_hashes`` and
``poly_hashes_arrow`` give the hash the index (``known``) stores and the text windows (``known_windows``) use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from anonymiser.detect.gazetteer import fold, load

_BLANKS = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"[^0-9]")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
_PARTICLES = frozenset({"te", "van", "der", "den", "de", "la", "le", "del", "della", "di", "da", "dos", "das",
                        "von", "bin", "binti", "ibn", "al", "el", "ter", "ten", "st", "mac", "mc"})


def norm_name(text: str) -> str:
    return _BLANKS.sub(" ", fold_chars(text).replace(_DROPPED, "")).strip()


def fold_chars(text: str) -> str:
    """``fold`` character by character, keeping the length: a character ``fold`` removes (a combining mark,
    the ʻokina) becomes ``_DROPPED``, a tab a blank. Names in values and in texts are folded alike, and
    a position in the folded text is the position in the text."""
    if text.isascii():
        return text.lower().replace("\t", " ")
    new = {c for c in set(text) if ord(c) not in _FOLD_TABLE}
    for c in new:
        folded = fold(c)
        lowered = c.lower()
        _FOLD_TABLE[ord(c)] = folded if len(folded) == 1 else _DROPPED if not folded else \
            lowered if len(lowered) == 1 else c
    return text.translate(_FOLD_TABLE)


_DROPPED = "\x01"
_FOLD_TABLE: dict[int, str] = {**{i: chr(i).lower() for i in range(128)}, 9: " "}


# Names are hashed as polynomials of their folded code points (mod 2**64), so a text's candidate windows
# are hashed with numpy, without building a string per window.
_BASE = np.uint64(0x9E3779B97F4A7C15)
_MAX_POWER = 512           # characters past this weigh like the last (names are far shorter)
_POWERS = np.concatenate([[np.uint64(1)], np.cumprod(np.full(_MAX_POWER, _BASE, dtype=np.uint64))])


def poly_hashes(forms: Sequence[str]) -> np.ndarray:
    """The polynomial hash of each (non-empty, folded) form, as int64."""
    out = np.empty(len(forms), dtype=np.uint64)
    step = 100_000
    for at in range(0, len(forms), step):
        chunk = forms[at:at + step]
        lengths = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        points = np.frombuffer("".join(chunk).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + np.uint64(1)
        starts = np.cumsum(lengths) - lengths
        exponent = np.minimum(np.arange(len(points)) - np.repeat(starts, lengths), _MAX_POWER)
        with np.errstate(over="ignore"):
            out[at:at + len(chunk)] = np.add.reduceat(points * _POWERS[exponent], starts)
    return out.view(np.int64)


def norm_phone(text: str) -> str:
    digits = _NOT_DIGIT.sub("", text)
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "64" + digits[1:]
    return digits


def national_phone(text: str) -> str:
    """A phone's national significant number: its digits without the country calling code (after a "+" or
    "00") or the trunk 0 ("+44 20 7946 0958", "0044 20 7946 0958", "020 7946 0958" → "2079460958").
    Calling codes are prefix-free, so the first one to match is the one."""
    digits = _NOT_DIGIT.sub("", text)
    plus = "+" in text[:len(text) - len(text.lstrip("+( \t"))]
    if plus or digits.startswith("00"):
        international = digits if plus else digits[2:]
        for n in (1, 2, 3):
            if international[:n] in _CALLING_CODES:
                return international[n:]
        return international
    return digits[1:] if digits.startswith("0") else digits


_CALLING_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
_CALLING_CODE_INTS = tuple(np.array(sorted(int(c) for c in _CALLING_CODES if len(c) == n), dtype=np.int64)
                           for n in (1, 2, 3))


def norm_street(text: str) -> str:
    """A street line or box as one form: "P.O. Box 17" = "PO  BOX 17" = "po box 17"; commas are blanks."""
    return norm_name(_PO.sub("po ", text).replace(",", " "))


def street_forms(value: str) -> list[str]:
    """The forms a street value is found by: the whole value, and each of its lines that is a street line
    or a box ("Flat 83\\n9 Papapataimoko Place" is found as "9 Papapataimoko Place"; "12 Queen Street\\nRD 3"
    as "12 Queen Street"). A unit or RD line alone is too common to be anyone's."""
    forms = {norm_street(value)}
    for line in _LINE_BREAK.split(value):
        line = line.strip()
        if _STREET_LINE.fullmatch(line) or _BOX_LINE.fullmatch(line):
            forms.add(norm_street(line))
    return sorted(f for f in forms if f)


def norm_identifier(text: str) -> str:
    """Letters and digits, upper case; an all-digit identifier without leading zeros (IRD 049-091-850)."""
    out = _NOT_ALNUM.sub("", text).upper()
    return out.lstrip("0") or out if out.isdigit() else out



# Building the index in Arrow: a column's values are normalised as whole arrays (each distinct value once),
# like the per-value normalisers above write them; values that are not ASCII go through those normalisers.
_ASCII_SPACES = "\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f"      # str.isspace() and re's \s, in ASCII
_ASCII_BLANKS = r"[\t\n\x0b\x0c\r \x1c-\x1f]+"
# _STREET_LINE and _BOX_LINE matching a whole (ASCII) line: the look-behind and look-ahead cannot fail there.
_ASCII_STREET_LINE = (r"^[0-9]{1,5}[A-Za-z]?(?:/[0-9]{1,5})?,?[ \t]+[A-Za-z][0-9A-Za-z_'\-]*"
                      r"(?:[ \t]+[A-Za-z][0-9A-Za-z_'\-]*){0,4}$")
_ASCII_BOX_LINE = r"(?i)^(?:P\.?[ \t]?O\.?[ \t]?Box|Private[ \t]+Bag|Locked[ \t]+Bag|GPO[ \t]+Box)[ \t]+[0-9]{1,6}$"
_ASCII_PO = r"(?i)\bP\.?[ \t]?O\.?[ \t]*(Box\b)"   # _PO, its look-ahead captured (no match starts inside "Box")


def _texts(values: Iterable[str] | pa.Array | pa.ChunkedArray) -> pa.Array:
    """The non-empty texts of ``values`` as one string array: NULLs dropped, other types as their ``str``."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    values = values.drop_null()
    if pa.types.is_large_string(values.type) or pa.types.is_integer(values.type):
        values = values.cast(pa.string())     # Arrow writes integers as str() does
    elif not pa.types.is_string(values.type):
        values = pa.array([str(v) for v in values.to_pylist()], type=pa.string())
    return values.filter(pc.greater(pc.binary_length(values), 0))


def _concat(forms: pa.Array, more: list[str]) -> pa.Array:
    return pa.concat_arrays([forms, pa.array(more, type=pa.string())]) if more else forms


def _norm_names(texts: pa.Array) -> pa.Array:
    """``norm_name`` of ASCII texts."""
    lower = pc.replace_substring(pc.ascii_lower(texts), _DROPPED, "")
    return pc.utf8_trim(pc.replace_substring_regex(lower, _ASCII_BLANKS, " "), " ")


def _norm_streets(texts: pa.Array) -> pa.Array:
    """``norm_street`` of ASCII texts."""
    return _norm_names(pc.replace_substring(pc.replace_substring_regex(texts, _ASCII_PO, r"po \1"), ",", " "))


def _street_forms(texts: pa.Array) -> pa.Array:
    """``street_forms`` of ASCII texts, all in one array."""
    lines = pc.utf8_trim(pc.list_flatten(pc.split_pattern_regex(texts, r"[\r\n,]+")), _ASCII_SPACES)
    street = pc.or_(pc.match_substring_regex(lines, _ASCII_STREET_LINE),
                    pc.match_substring_regex(lines, _ASCII_BOX_LINE))
    return pa.concat_arrays([_norm_streets(texts), _norm_streets(lines.filter(street))])


def _phone_forms(texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``norm_phone`` and ``national_phone`` of ASCII texts."""
    digits = pc.replace_substring_regex(texts, "[^0-9]", "")
    zero, double_zero = pc.starts_with(digits, "0"), pc.starts_with(digits, "00")
    after_one, after_two = pc.utf8_slice_codeunits(digits, 1), pc.utf8_slice_codeunits(digits, 2)
    norm = pc.if_else(double_zero, after_two,
                      pc.if_else(zero, pc.binary_join_element_wise(pa.scalar("64"), after_one, ""), digits))
    plus = pc.match_substring_regex(texts, r"^[( \t]*\+")
    international = pc.if_else(plus, digits, after_two)
    national = international
    found = pc.equal(pc.binary_length(international), -1)       # all false
    for n, codes in enumerate(_calling_codes(), 1):          # prefix-free: the first to match is the one
        hit = pc.and_(pc.is_in(pc.utf8_slice_codeunits(international, 0, n), value_set=codes), pc.invert(found))
        national = pc.if_else(hit, pc.utf8_slice_codeunits(international, n), national)
        found = pc.or_(found, hit)
    national = pc.if_else(pc.or_(plus, double_zero), national, pc.if_else(zero, after_one, digits))
    return norm, national


def _norm_identifiers(texts: pa.Array) -> pa.Array:
    """``norm_identifier`` of ASCII texts."""
    out = pc.ascii_upper(pc.replace_substring_regex(texts, "[^0-9A-Za-z]", ""))
    stripped = pc.utf8_ltrim(out, "0")
    stripped = pc.if_else(pc.equal(pc.binary_length(stripped), 0), out, stripped)
    return pc.if_else(pc.match_substring_regex(out, "^[0-9]+$"), stripped, out)


def _first_and_last_words(names: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The first and the last word of each normalised full name with two words or more, once particles
    and one-letter words are left out (given and family name)."""
    lists = pc.split_pattern(names, " ")
    words = pc.list_flatten(lists)
    keep = pc.and_(pc.greater_equal(pc.utf8_length(words), 2), pc.invert(pc.is_in(words, value_set=_particles())))
    owner = pc.list_parent_indices(lists).to_numpy()[keep.to_numpy(zero_copy_only=False)]
    words = words.filter(keep)
    first = np.flatnonzero(np.concatenate([[True], owner[1:] != owner[:-1]])) if len(owner) else np.zeros(0, np.int64)
    last = np.append(first[1:] - 1, len(owner) - 1) if len(owner) else first
    two = last > first
    return words.take(first[two]), words.take(last[two])


def _at_least(forms: pa.Array, characters: int) -> pa.Array:
    return forms.filter(pc.greater_equal(pc.utf8_length(forms), characters))


def _without(words: pa.Array, ordinary: pa.Array) -> pa.Array:
    return words.filter(pc.invert(pc.is_in(words, value_set=ordinary)))


@functools.cache
def _ordinary() -> pa.Array:
    """Everyday words, places and particles: never a name part alone."""
    g = load()
    return pa.array(sorted(g.never | g.ambiguous | g.places), type=pa.string())


@functools.cache
def _particles() -> pa.Array:
    return pa.array(sorted(_PARTICLES), type=pa.string())   # on first use: pa.array imports pandas (0.15 s)


@functools.cache
def _calling_codes() -> tuple[pa.Array, ...]:
    """The calling codes of one, two and three digits."""
    return tuple(pa.array(sorted(c for c in _CALLING_CODES if len(c) == n), type=pa.string()) for n in (1, 2, 3))


def _code_points(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The code points of (valid) UTF-8 ``data``, and the character offsets of the byte ``offsets``."""
    starts = (data & 0xC0) != 0x80                  # a character's first byte
    lead = np.flatnonzero(starts)
    first = data[lead]
    size = 1 + (first >= 0xC0).astype(np.int64) + (first >= 0xE0) + (first >= 0xF0)
    points = (first & np.array([0, 0x7F, 0x1F, 0x0F, 0x07], dtype=np.uint8)[size]).astype(np.uint64)
    for k in (1, 2, 3):
        more = np.flatnonzero(size > k)
        points[more] = (points[more] << np.uint64(6)) | (data[lead[more] + k] & 0x3F).astype(np.uint64)
    characters = np.concatenate([[0], np.cumsum(starts)])[offsets - offsets[0]]
    return points, characters


def poly_hashes_arrow(forms: pa.Array) -> np.ndarray:
    """``poly_hashes`` of a string array (no NULL, no empty string), read from its UTF-8 buffers."""
    out = np.empty(len(forms), dtype=np.uint64)
    step = 100_000
    for at in range(0, len(forms), step):
        chunk = forms.slice(at, step)
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        if not (data >= 0x80).any():        # ASCII: a byte is a character
            points, characters = data.astype(np.uint64), (offsets - offsets[0]).astype(np.int64)
        else:
            points, characters = _code_points(data, offsets)
        starts, lengths = characters[:-1], np.diff(characters)
        exponent = np.minimum(np.arange(len(points)) - np.repeat(starts, lengths), _MAX_POWER)
        with np.errstate(over="ignore"):
            out[at:at + len(chunk)] = np.add.reduceat((points + np.uint64(1)) * _POWERS[exponent], starts)
    return out.view(np.int64)


# Street lines and PO boxes, as the index cuts them from values and the search from texts.
_STREET_LINE = re.compile(r"\d(?<!\w\d)\d{0,4}[A-Za-z]?(?:/\d{1,5})?,?[ \t]+(?P<words>[^\W\d_][\w'\-]*"
                          r"(?:[ \t]+[^\W\d_][\w'\-]*){0,4})")
# A PO box or private bag: "PO Box 17", "P.O. Box 4411", "Private Bag 92019" (the number whole).
_BOX_LINE = re.compile(r"\b(?:P\.?[ \t]?O\.?[ \t]?Box|Private[ \t]+Bag|Locked[ \t]+Bag|GPO[ \t]+Box)"
                       r"[ \t]+\d{1,6}(?!\d)", re.IGNORECASE)
_PO = re.compile(r"\bP\.?[ \t]?O\.?[ \t]*(?=Box\b)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"[\r\n,]+")
