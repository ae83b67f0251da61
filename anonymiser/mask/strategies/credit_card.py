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
from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.identifier_fake import IdentifierFake, digits_of
from anonymiser.mask.material import Material
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import digit_text, fill_digits


@register
class CreditCard(IdentifierFake):
    name = "credit_card"
    entity = "credit_card"
    summary = "keyed fake card number (same scheme digit and length, valid Luhn)"
    technique = "pseudonymisation"
    entities = ("CREDIT_CARD",)
    leak_class = "identifier"
    accepts = TEXT_KINDS
    shape = r"\d{12,18}"        # 19-digit numbers would overflow int64
    check_digits = 1

    def spaces(self, m: Material, shaped: np.ndarray) -> np.ndarray:
        """The digits between the scheme digit and the check digit: 10 ** (length - 2)."""
        length = pc.utf8_length(m.norm).to_numpy(zero_copy_only=False).astype(np.int64)
        return np.where(shaped, 10 ** np.clip(length - 2, 0, 16), 1)

    def write(self, m: Material, number: np.ndarray, shaped: np.ndarray) -> pa.Array:
        head = 4 * 10**14 + (m.h[:, 0] % np.uint64(10**14)).astype(np.int64)
        plain = digit_text(head * 10 + luhn_check_digits(head, 15), 16)
        if not shaped.any():
            return plain
        rows = np.flatnonzero(shaped)
        length = pc.utf8_length(m.norm.take(pa.array(rows))).to_numpy(zero_copy_only=False).astype(np.int64)
        full = np.zeros(len(m), dtype=np.int64)
        for t in np.unique(length):
            at = rows[length == t]
            space = 10 ** (int(t) - 2)
            head = digits_of(m.norm, at, 0, 1) * space + number[at]
            full[at] = head * 10 + luhn_check_digits(head, int(t) - 1)
        return pc.if_else(pa.array(shaped), fill_digits(m.raw, full), plain)
