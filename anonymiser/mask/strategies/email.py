"""Fake email addresses on reserved domains (RFC 2606): ``aroha.ngata4821@example.net``.

Always the same shape whether or not the column is unique (so ``customer.email`` and
``audit_log.actor_email`` agree): a name-like local part, a keyed number below 100,000 and one of
three reserved domains carry ~40 keyed bits; the uniqueness resolver handles the rare rest.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.core import pick
from anonymiser.mask.fakes import RESERVED_EMAIL_DOMAINS, choose, join, number_text, slug_name, slug_parts
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.schema import ColumnInfo

NUMBER_RANGE = 100_000
_DOMAINS = pa.array(RESERVED_EMAIL_DOMAINS)
# Columns too narrow for name.number@example.com get keyed letters and digits on a host under ".test",
# a top-level domain RFC 2606 reserves for testing: still an address that parses, never a real one.
SHORT_DOMAIN = "@a.test"
SHORTEST = 1 + len(SHORT_DOMAIN)                                        # x@a.test
USUAL_MIN = 1 + len(str(NUMBER_RANGE - 1)) + 1 + len("example.com")     # n12345@example.com
_ALNUM = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)


def email_parts(m: Material) -> tuple[pa.Array, pa.Array, pa.Array]:
    local, _ = slug_name(m.h[:, 0])
    number, domain = _number_and_domain(m)
    return local, number, domain


def _number_and_domain(m: Material) -> tuple[pa.Array, pa.Array]:
    number, rest = pick(m.h[:, 1], NUMBER_RANGE)
    domain, _ = pick(rest, len(RESERVED_EMAIL_DOMAINS))
    return number_text(number), choose(_DOMAINS, domain)


@register
class Email(PseudonymStrategy):
    name = "email"
    entity = "email"
    normaliser = "email"
    summary = "keyed fake email address on example.com/.net/.org"
    technique = "pseudonymisation"
    entities = ("EMAIL_ADDRESS",)
    leak_class = "identifier"
    accepts = TEXT_KINDS

    def rejects(self, column: ColumnInfo) -> str | None:
        if column.length is not None and column.length < SHORTEST:
            return f"'email' needs at least {SHORTEST} characters for a valid address (x@a.test); " \
                   f"{column.sql_type} holds {column.length}"
        return super().rejects(column)

    def render(self, m: Material) -> pa.Array:
        if m.max_len is not None and m.max_len < USUAL_MIN:
            return join(_keyed_alnum(m.h[:, 0], max(1, m.max_len - len(SHORT_DOMAIN))), SHORT_DOMAIN)
        if m.max_len is None:        # the whole address in one join
            first, separator, family, _ = slug_parts(m.h[:, 0])
            number, domain = _number_and_domain(m)
            return join(first, separator, family, number, "@", domain)
        local, number, domain = email_parts(m)
        # Shorten the name part, never the number or the domain (they keep it valid and distinct).
        room = m.max_len - 1 - 11 - len(str(NUMBER_RANGE - 1))
        local = pc.utf8_rtrim(pc.utf8_slice_codeunits(local, 0, max(room, 1)), ".")
        return join(local, number, "@", domain)


def _keyed_alnum(h: np.ndarray, width: int) -> pa.Array:
    """``width`` keyed characters from [a-z0-9] per value, the first a letter (36 ** width outputs)."""
    digits = np.empty((len(h), width), dtype=np.uint8)
    rest = h.copy()
    for i in range(width):
        base = 26 if i == 0 else 36
        digits[:, i] = _ALNUM[(rest % np.uint64(base)).astype(np.intp)]
        rest //= np.uint64(base)
    offsets = np.arange(0, (len(h) + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), len(h), [None, pa.py_buffer(offsets), pa.py_buffer(digits.tobytes())])
