"""Replace every value with a fixed placeholder. On a unique column (or with ``keyed: true``) the
placeholder gets a keyed suffix, ``REDACTED-3f9a0c1d``, so the column stays unique and joins hold.

Blobs (bytea, BLOB, VARBINARY) get the placeholder's UTF-8 bytes, never a byte of the source; the
keyed suffix there is 128 bits, so distinct blobs stay distinct without a uniqueness resolver. MySQL/MariaDB
spatial columns get a placeholder geometry of their declared type at the origin (``mask/geometry.py``)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.base import TEXT_KINDS, MaskContext
from anonymiser.mask.core import prf
from anonymiser.mask.geometry import redact_geometries
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import FakeParams, PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import hex_strings
from anonymiser.source.catalog import is_spatial


class RedactParams(FakeParams):
    value: str = "REDACTED"
    keyed: bool = False


@register
class Redact(PseudonymStrategy):
    name = "redact"
    entity = "redact"
    normaliser = "exact"
    params_model = RedactParams
    technique = "suppression"
    summary = "fixed placeholder (keyed suffix on unique columns)"
    entities = ()
    leak_class = None
    accepts = TEXT_KINDS | {"binary"}

    def mask(self, values: pa.Array, ctx: MaskContext) -> pa.Array:
        if not (pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type)):
            return super().mask(values, ctx)
        assert isinstance(self.params, RedactParams)
        encoded = pc.dictionary_encode(values)      # bytes as they are: a blob need not be UTF-8
        distinct = encoded.dictionary
        if is_spatial(ctx.column):   # a MySQL/MariaDB geometry: a placeholder geometry the engine accepts
            return self._counted(values, distinct, pc.take(redact_geometries(distinct, ctx.column.native_type or "")
                                                           .cast(values.type), encoded.indices))
        placeholder = self.params.value.encode("utf-8")
        length = ctx.column.length
        if self.params.keyed or ctx.unique:
            h = prf(ctx.key, self.domain, distinct)
            if length is None or length >= len(placeholder) + 33:
                fakes = pc.binary_join_element_wise(self.params.value, hex_strings(h, 32), "-").cast(pa.binary())
            else:     # a short BINARY(n): n keyed bytes (up to 16), still distinct per blob
                width = min(length, 16)
                raw = np.ascontiguousarray(h.astype("<u8")).view(np.uint8).reshape(len(h), 16)[:, :width]
                fakes = pa.Array.from_buffers(pa.binary(width), len(h), [None, pa.py_buffer(raw.tobytes())])
                fakes = fakes.cast(pa.binary())
        else:
            fakes = pa.array([placeholder[:length] if length else placeholder] * len(distinct), pa.binary())
        fakes = pc.if_else(pc.equal(pc.binary_length(distinct), 0), pa.scalar(b"", pa.binary()), fakes)
        return self._counted(values, distinct, pc.take(fakes.cast(values.type), encoded.indices))

    def _counted(self, values: pa.Array, distinct: pa.Array, masked: pa.Array) -> pa.Array:
        self.stats.cells += len(values)
        self.stats.distinct += len(distinct)
        self.stats.nulls += values.null_count
        return masked

    def render(self, m: Material) -> pa.Array:
        assert isinstance(self.params, RedactParams)
        if self.params.keyed or m.unique:
            return pc.binary_join_element_wise(self.params.value, hex_strings(m.h, 16), "-")
        return pa.array([self.params.value] * len(m), pa.string())
