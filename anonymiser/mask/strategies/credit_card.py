"""Fake card numbers with a valid Luhn digit, in the source's layout (``4111 1111 1111 1111``).

A 12–18 digit source keeps its first digit (the card scheme) and length; the digits between it and
the check digit are a keyed permutation of the source's (injective). Other values get a 16-digit
``4…`` number from the keyed material.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.identifiers.nz_vec import luhn_check_digits
from anonymiser.mask.fakes import matches
from anonymiser.mask.fpe import permute
from anonymiser.mask.pseudonym import Material, PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_text, digit_values, fill_digits


@register
class CreditCard(PseudonymStrategy):
    name = "credit_card"
    entity = "credit_card"
    normaliser = "identifier"
    format_preserving = True
    summary = "keyed fake card number (same scheme digit and length, valid Luhn)"

    def render(self, m: Material) -> pa.Array:
        value, total = digit_values(m.raw, np.zeros(len(m), dtype=np.int64))
        shaped = (total >= 12) & (total <= 18)      # 19-digit numbers would overflow int64
        shaped &= matches(m.norm, r"^\d+$")
        full = np.zeros(len(m), dtype=np.int64)
        for t in np.unique(total[shaped]):
            rows = np.flatnonzero(shaped & (total == t))
            body_width = int(t) - 2
            space = 10**body_width
            first = value[rows] // 10 ** (int(t) - 1)
            if m.attempt:
                body = (m.h[rows, 0] % np.uint64(space)).astype(np.int64)
            else:
                body = permute(m.key, m.domain, (value[rows] // 10) % space, space)
            head = first * space + body
            full[rows] = head * 10 + luhn_check_digits(head, body_width + 1)
        head = 4 * 10**14 + (m.h[:, 0] % np.uint64(10**14)).astype(np.int64)
        plain_full = head * 10 + luhn_check_digits(head, 15)
        plain = digit_text(plain_full, 16)
        if not shaped.any():
            return plain
        return pc.if_else(pa.array(shaped), fill_digits(m.raw, full), plain)
