"""Placeholder geometries for redacted spatial columns (MySQL/MariaDB), as the engine stores them: a
4-byte little-endian SRID, then standard WKB. The placeholder is of the column's declared geometry type
(a POLYGON column takes no POINT) and sits at the origin: nothing of the source's location survives,
only its SRID (the spatial reference, which a column may constrain)."""

from __future__ import annotations

import struct

import pyarrow as pa
import pyarrow.compute as pc

_POINT = struct.pack("<BIdd", 1, 1, 0.0, 0.0)
_LINE = struct.pack("<BII", 1, 2, 2) + struct.pack("<dddd", 0.0, 0.0, 0.0, 0.0)
_RING = struct.pack("<I", 4) + struct.pack("<dd", 0.0, 0.0) * 4
_POLYGON = struct.pack("<BII", 1, 3, 1) + _RING


def _multi(type_code: int, part: bytes) -> bytes:
    return struct.pack("<BII", 1, type_code, 1) + part


PLACEHOLDERS: dict[str, bytes] = {
    "geometry": _POINT, "point": _POINT, "linestring": _LINE, "polygon": _POLYGON,
    "multipoint": _multi(4, _POINT), "multilinestring": _multi(5, _LINE), "multipolygon": _multi(6, _POLYGON),
    "geometrycollection": _multi(7, _POINT),
}
SRID_BYTES = 4


def placeholder_wkb(native_type: str) -> bytes:
    """WKB of the placeholder for a column of this declared type (POINT(0 0) for GEOMETRY)."""
    return PLACEHOLDERS.get(native_type.lower().split("(", 1)[0].strip(), _POINT)


def redact_geometries(distinct: pa.Array, native_type: str) -> pa.Array:
    """One placeholder per distinct stored geometry, keeping each value's SRID (its first 4 bytes)."""
    srid = pc.binary_slice(distinct.cast(pa.binary()), 0, SRID_BYTES)
    srid = pc.if_else(pc.equal(pc.binary_length(srid), SRID_BYTES), srid, pa.scalar(b"\0" * SRID_BYTES))
    return pc.binary_join_element_wise(srid, pa.scalar(placeholder_wkb(native_type)), pa.scalar(b""))
