"""Vectorised text forms of Arrow columns, shared by every SQL dialect.

Each function takes a whole Arrow array and returns a ``large_string`` array of the same length,
null where the input is null: the dialects then quote, escape and substitute their NULL token.
Nothing here loops over cells in Python, except the rare decimal Arrow prints in E-notation.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.schema import DATE_INFINITY, TIMESTAMP_INFINITY

TEXT = pa.large_string()
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# For each byte value, its two lowercase hex digits: a lookup table applied to the whole data buffer.
_HEX_TABLE = np.stack([_HEX_DIGITS[np.arange(256) >> 4], _HEX_DIGITS[np.arange(256) & 15]], axis=1)


def plain(array: pa.Array) -> pa.Array:
    """A flat, non-dictionary array (chunked arrays combined)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def as_text(array: pa.Array) -> pa.Array:
    """String-like input as ``large_string`` (so concatenating a batch cannot overflow 32-bit offsets)."""
    return plain(array).cast(TEXT)


def hex_text(array: pa.Array) -> pa.Array:
    """Binary values as lowercase hex digits (nulls stay null)."""
    array = plain(array).cast(pa.large_binary())
    filled = pc.fill_null(array, b"") if array.null_count else array
    offsets = np.frombuffer(filled.buffers()[1], dtype=np.int64)[filled.offset:filled.offset + len(filled) + 1]
    data_buffer = filled.buffers()[2]
    data = (np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0]:offsets[-1]] if data_buffer is not None
            else np.zeros(0, dtype=np.uint8))
    digits = _HEX_TABLE[data].reshape(-1)
    new_offsets = (offsets - offsets[0]) * 2
    result = pa.LargeStringArray.from_buffers(len(filled), pa.py_buffer(new_offsets.astype(np.int64)),
                                              pa.py_buffer(digits.tobytes()))
    return pc.if_else(pc.is_valid(array), result, pa.scalar(None, TEXT)) if array.null_count else result


def float_text(array: pa.Array, *, infinity: str, nan: str | None) -> pa.Array:
    """Shortest round-trip text of each float; ``inf``/``nan`` spelled as the dialect wants."""
    array = plain(array)
    text = array.cast(pa.float64()).cast(TEXT) if not pa.types.is_float32(array.type) else array.cast(TEXT)
    text = choose(pc.equal(text, "inf"), infinity, text)
    text = choose(pc.equal(text, "-inf"), "-" + infinity, text)
    return choose(pc.equal(text, "nan"), nan, text) if nan is not None else text


def has_nan(array: pa.Array) -> bool:
    return bool(pc.any(pc.is_nan(plain(array).cast(pa.float64()))).as_py() or False)


def has_infinity(array: pa.Array) -> bool:
    return bool(pc.any(pc.is_inf(plain(array).cast(pa.float64()))).as_py() or False)


def decimal_text(array: pa.Array) -> pa.Array:
    """Plain positional decimals: Arrow prints tiny values as ``1E-10``, which MySQL reads as a double."""
    array = plain(array)
    text = array.cast(TEXT)
    scientific = pc.fill_null(pc.match_substring(text, "E"), False)
    if not pc.any(scientific).as_py():
        return text
    # Rare (|x| < 1e-6): only these few cells are re-printed in Python.
    positions = np.flatnonzero(scientific.to_numpy(zero_copy_only=False))
    fixed = [format(decimal.Decimal(text[int(i)].as_py()), "f") for i in positions]
    mask = np.zeros(len(text), dtype=bool)
    mask[positions] = True
    return pc.replace_with_mask(text, pa.array(mask), pa.array(fixed, TEXT))


def _microseconds(array: pa.Array) -> pa.Array:
    unit_type = array.type
    target = pa.timestamp("us", tz=unit_type.tz) if pa.types.is_timestamp(unit_type) else pa.time64("us")
    # Databases keep microseconds: nanoseconds are truncated, never rounded up into the next second.
    return array.cast(target, safe=False)


Spelling = tuple[str, str]


def _with_infinity(array: pa.Array, storage: pa.DataType, extremes: tuple[int, int], spelling: Spelling,
                   render_finite: Callable[[pa.Array], pa.Array]) -> pa.Array:
    raw = array.cast(storage)
    top, bottom = pc.equal(raw, extremes[0]), pc.equal(raw, extremes[1])
    infinite = pc.fill_null(pc.or_(top, bottom), False)
    if not pc.any(infinite).as_py():
        return render_finite(array)
    finite = pc.if_else(infinite, pa.scalar(None, array.type), array)
    return choose(pc.fill_null(top, False), spelling[0], choose(pc.fill_null(bottom, False), spelling[1],
                                                                  render_finite(finite)))


def datetime_text(array: pa.Array, infinity: Spelling = ("9999-12-31 23:59:59.999999", "0001-01-01 00:00:00.000000"),
                  *, era: bool = False) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS.ffffff``; time-zone-aware values converted to UTC first. ``era``: years before 1
    as PostgreSQL spells them (``0044-03-15 … BC``), else as Arrow does (ISO's ``-0043``)."""
    array = _microseconds(plain(array))
    if array.type.tz is not None:
        array = array.cast(pa.timestamp("us", tz="UTC"))
    return _with_infinity(array, pa.int64(), TIMESTAMP_INFINITY, infinity,
                          lambda a: _with_era(timestamp_text(a).cast(TEXT), a, era))


_FIRST_US, _LAST_US = -62_135_596_800_000_000, 253_402_300_799_999_999   # 0001-01-01, 9999-12-31 23:59:59.999999
_US_PER_DAY = 86_400_000_000
_STAMP = np.frombuffer(b"0000-00-00 00:00:00.000000", dtype=np.uint8)
_STAMP_FIELDS = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2), (20, 6))   # (position, digits)


def timestamp_text(array: pa.Array) -> pa.Array:
    """``pc.strftime(array, format="%Y-%m-%d %H:%M:%S")`` of microsecond timestamps (Arrow writes the seconds
    with six decimals), digit by digit in numpy: Arrow formats each value through its calendar library (about
    1.4 µs a value). Years 1 to 9999 only (a fixed width); other values take Arrow's path."""
    micros = pc.fill_null(array.cast(pa.int64()), 0).to_numpy()
    if not len(micros) or micros.min() < _FIRST_US or micros.max() > _LAST_US or len(micros) * 26 >= 1 << 31:
        return pc.strftime(array, format="%Y-%m-%d %H:%M:%S")
    days, rest = np.divmod(micros, _US_PER_DAY)
    seconds, fraction = np.divmod(rest, 1_000_000)
    fields = (*_civil(days), seconds // 3600, seconds // 60 % 60, seconds % 60, fraction)
    out = np.empty((len(micros), len(_STAMP)), dtype=np.uint8)
    out[:] = _STAMP
    for (at, width), value in zip(_STAMP_FIELDS, fields, strict=True):
        for k in range(width):
            out[:, at + width - 1 - k] += (value // 10 ** k % 10).astype(np.uint8)
    offsets = np.arange(0, out.size + 1, len(_STAMP), dtype=np.int32)
    text = pa.Array.from_buffers(pa.string(), len(micros), [None, pa.py_buffer(offsets), pa.py_buffer(out)])
    return text if not array.null_count else pc.if_else(pc.is_valid(array), text, pa.scalar(None, pa.string()))


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's
    ``civil_from_days``)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, doy - (153 * mp + 2) // 5 + 1


def date_text(array: pa.Array, infinity: Spelling = ("9999-12-31", "0001-01-01"), *, era: bool = False) -> pa.Array:
    array = plain(array)
    if pa.types.is_timestamp(array.type):
        array = array.cast(pa.date32())
    array = array.cast(pa.date32())
    return _with_infinity(array, pa.int32(), DATE_INFINITY, infinity, lambda a: _with_era(a.cast(TEXT), a, era))


def _with_era(text: pa.Array, values: pa.Array, era: bool) -> pa.Array:
    """Arrow writes years before 1 astronomically (year 0 is 1 BC, -43 is 44 BC); PostgreSQL wants ``BC``."""
    if not era:
        return text
    years = pc.year(values)
    before = pc.fill_null(pc.less_equal(years, 0), False)
    if not pc.any(before).as_py():
        return text
    bc_year = pc.utf8_lpad(pc.subtract(1, pc.fill_null(years, 1)).cast(TEXT), width=4, padding="0")
    rest = pc.replace_substring_regex(text, r"^-?\d+", "")
    return pc.if_else(before, concat(bc_year, rest, " BC"), text)


def time_text(array: pa.Array) -> pa.Array:
    return _microseconds(plain(array)).cast(TEXT)


def duration_microseconds(array: pa.Array) -> pa.Array:
    array = plain(array)
    return array.cast(pa.duration("us"), safe=False).cast(pa.int64())


def duration_clock_text(array: pa.Array) -> pa.Array:
    """``[-]H:MM:SS.ffffff`` (hours unbounded): MySQL's TIME spelling of a duration."""
    micros = duration_microseconds(array)
    negative = pc.less(micros, 0)
    size = pc.abs(micros)
    hours = pc.divide(size, 3_600_000_000)
    minutes = pc.divide(pc.subtract(size, pc.multiply(hours, 3_600_000_000)), 60_000_000)
    rest = pc.subtract(size, pc.add(pc.multiply(hours, 3_600_000_000), pc.multiply(minutes, 60_000_000)))
    seconds, fraction = pc.divide(rest, 1_000_000), pc.subtract(rest, pc.multiply(pc.divide(rest, 1_000_000),
                                                                                   1_000_000))
    text = concat(choose(negative, "-", ""), hours.cast(TEXT), ":", _pad(minutes, 2), ":", _pad(seconds, 2), ".",
                  _pad(fraction, 6))
    return pc.if_else(pc.is_valid(array), text, pa.scalar(None, TEXT))


def _pad(numbers: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.fill_null(numbers, 0).cast(TEXT), width=width, padding="0")


def json_array_text(array: pa.Array) -> pa.Array:
    """Lists as JSON arrays: strings escaped and quoted, numbers and booleans bare, nulls ``null``."""
    def element(values: pa.Array) -> pa.Array:
        if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
            return list_join(values, element, "[", ",", "]", null="null")
        if pa.types.is_integer(values.type) or pa.types.is_floating(values.type) \
                or pa.types.is_decimal(values.type):
            text = values.cast(TEXT) if not pa.types.is_decimal(values.type) else decimal_text(values)
        elif pa.types.is_boolean(values.type):
            text = choose(values, "true", "false")
        elif pa.types.is_date32(values.type) or pa.types.is_timestamp(values.type):
            text = concat('"', _json_date_text(values), '"')
        else:
            text = values if pa.types.is_string(values.type) or pa.types.is_large_string(values.type) \
                else values.cast(pa.string())
            for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
                text = pc.replace_substring(text, raw, escaped)
            text = concat('"', text, '"')
        return pc.fill_null(text.cast(TEXT), "null")

    return list_join(array, element, "[", ",", "]", null=None)


def _json_date_text(values: pa.Array) -> pa.Array:
    """Dates and timestamps as Arrow spells them; PostgreSQL's infinity as the scalar columns' stand-ins of
    the engines without infinite dates (docs/types.md)."""
    if pa.types.is_date32(values.type):
        return _with_infinity(values, pa.int32(), DATE_INFINITY, ("9999-12-31", "0001-01-01"),
                              lambda a: a.cast(pa.string()))
    zone = "Z" if values.type.tz is not None else ""
    values = _microseconds(values)
    return _with_infinity(values, pa.int64(), TIMESTAMP_INFINITY,
                          ("9999-12-31 23:59:59.999999" + zone, "0001-01-01 00:00:00.000000" + zone),
                          lambda a: a.cast(pa.string()))


def uuid_text(array: pa.Array) -> pa.Array:
    """Canonical lowercase ``8-4-4-4-12`` text, from strings or 16-byte binaries."""
    array = plain(array)
    if pa.types.is_binary(array.type) or pa.types.is_fixed_size_binary(array.type) \
            or pa.types.is_large_binary(array.type):
        digits = hex_text(array.cast(pa.binary()))
        parts = [pc.utf8_slice_codeunits(digits, a, b) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
        return pc.binary_join_element_wise(*parts, lit("-"))
    return pc.utf8_lower(as_text(array))


def contains_nul(text: pa.Array) -> bool:
    return bool(pc.any(pc.match_substring(text, "\x00")).as_py() or False)


def lit(text: str) -> pa.Scalar:
    return pa.scalar(text, TEXT)


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of arrays and constant strings (null if any array value is null)."""
    args = [lit(p) if isinstance(p, str) else plain(p).cast(TEXT) for p in parts]
    return pc.binary_join_element_wise(*args, lit(""))


def choose(condition: pa.Array, when_true: pa.Array | str, when_false: pa.Array | str) -> pa.Array:
    args = [lit(p) if isinstance(p, str) else plain(p).cast(TEXT) for p in (when_true, when_false)]
    return pc.if_else(condition, *args)


def join_rows(columns: list[pa.Array], separator: str) -> pa.Array:
    """One string per row: the (non-null) column texts joined by ``separator``."""
    if len(columns) == 1:
        return plain(columns[0]).cast(TEXT)
    return pc.binary_join_element_wise(*(plain(c).cast(TEXT) for c in columns), lit(separator))


def list_join(array: pa.Array, element_text: Callable[[pa.Array], pa.Array], opening: str, separator: str,
              closing: str, *, null: str | None) -> pa.Array:
    """Each list as ``opening + elements joined + closing``; ``element_text`` renders the flat elements
    (never null). A null list becomes ``null`` (or stays null when ``null`` is None)."""
    array = plain(array)
    flat = array.values if array.offset == 0 else array.flatten()
    offsets = array.offsets if array.offset == 0 else pc.subtract(array.offsets, array.offsets[0])
    texts = element_text(flat.slice(0, len(flat)))
    rebuilt = pa.ListArray.from_arrays(offsets.cast(pa.int32()), texts.cast(pa.string()))
    joined = pc.binary_join(rebuilt, separator).cast(TEXT)
    result = concat(opening, joined, closing)
    validity = pc.is_valid(array)
    if null is None:
        return pc.if_else(validity, result, pa.scalar(None, TEXT))
    return pc.if_else(validity, result, lit(null))


def concat_bytes(array: pa.Array) -> memoryview:
    """The concatenation of every value of a non-null string array, without copying."""
    array = plain(array).cast(TEXT)
    if len(array) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    data = array.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]):int(offsets[-1])]


def value_slices(array: pa.Array, bounds: np.ndarray) -> list[bytes]:
    """Concatenations of ``array[bounds[i]:bounds[i+1]]``: one statement per slice."""
    whole = concat_bytes(array)
    array = plain(array).cast(TEXT)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    offsets = offsets - offsets[0]
    return [bytes(whole[int(offsets[a]):int(offsets[b])]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
