"""Fake phone numbers that keep the source's layout and NZ number plan.

``021 555 0199`` → ``021 5xx xxxx``, ``+64 21 555 0199`` → ``+64 21 5xx xxxx``: every character but
the subscriber digits is kept (country code, trunk 0, spacing, brackets), as is the mobile/area
code and the first subscriber digit, so the fake parses as the same kind of NZ number. The other
subscriber digits are a keyed permutation (``fpe``) of the source's, keyed by those digits only:
injective (unique columns stay unique) and the same in every spelling of the number. NZ has no
reserved fictional range like the US 555-01xx, so injectivity was preferred over one.

A cell holding several numbers (``021 555 1234 / 09 555 1234``, ``09 555 1234 ext 42``) is masked
number by number: each run of digits (with its spaces, brackets, dashes and leading ``+``) is faked on
its own, as if it stood alone, and the text between runs is kept. So every number stays a valid NZ
number, agrees with the same number elsewhere, and the cell keeps its length (VARCHAR(n) still fits).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.mask.base import TEXT_KINDS
from anonymiser.mask.fpe import permute
from anonymiser.mask.material import Material
from anonymiser.mask.pseudonym import PseudonymStrategy
from anonymiser.mask.registry import register
from anonymiser.mask.textbuf import Digits

MIN_SUBSCRIBER = 4       # fewer digits than this after the kept prefix: not a phone number shape
MAX_DIGITS = 15          # E.164 limit; longer values are not phone numbers
# One number of a cell: digits with the spacing, brackets and dashes of a layout, from '+' or '('.
NUMBER_RUN = r"\+?\(?\d(?:[\d ().-]*\d)?"
_NUMBER_RUN = re.compile(NUMBER_RUN)
WHOLE_NUMBER = 7         # digits of a cell's first run that make it a number on its own ('021 555/1234' is one)


def kept_prefix(digits: Digits) -> np.ndarray:
    """Digits to keep per row: country code or trunk 0, mobile/area code, first subscriber digit."""
    plus = digits.first_byte == ord("+")
    d = digits.leading(6)      # the most this reads: up to 4 prefix digits, then 2 more
    nz_intl = (d[:, 0] == 6) & (d[:, 1] == 4)
    cc = np.where(plus, np.where(nz_intl, 2, 2), 0)
    cc = np.where(~plus & (d[:, 0] == 0) & (d[:, 1] == 0) & (d[:, 2] == 6) & (d[:, 3] == 4), 4, cc)
    cc = np.where(~plus & (cc == 0) & (d[:, 0] == 0), 1, cc)
    cc = np.where(~plus & (cc == 0) & nz_intl, 2, cc)
    rows = np.arange(len(d))
    at = np.minimum(cc, 5)
    a0 = d[rows, at]
    a1 = d[rows, np.minimum(at + 1, 5)]
    a2 = d[rows, np.minimum(at + 2, 5)]
    toll_free = ((a0 == 8) & (a1 == 0) & (a2 == 0)) | ((a0 == 5) & (a1 == 0) & (a2 == 8))
    area = np.where(a0 == 2, 2, np.where(toll_free, 3, 1))
    return cc + area + 1


@register
class Phone(PseudonymStrategy):
    name = "phone"
    entity = "phone"
    normaliser = "phone"
    format_preserving = True
    summary = "keyed fake phone number in the source's layout and NZ number plan"
    technique = "pseudonymisation"
    entities = ("PHONE_NUMBER", "NZ_PHONE_NUMBER")
    leak_class = "identifier"
    accepts = TEXT_KINDS | {"integer"}

    def render(self, m: Material) -> pa.Array:
        several = pc.greater(pc.count_substring_regex(m.raw, NUMBER_RUN), 1).to_numpy(zero_copy_only=False)
        if m.attempt or not several.any():
            return self._render_one(m)
        out = self._render_one(m).to_pylist()
        rows, texts, spans = [], [], []
        for row, text in zip(np.flatnonzero(several), m.raw.take(pa.array(np.flatnonzero(several))).to_pylist(),
                             strict=True):
            row_spans = [r.span() for r in _NUMBER_RUN.finditer(text)]
            a, b = row_spans[0]
            if sum(c.isdigit() for c in text[a:b]) >= WHOLE_NUMBER:   # else one number written in parts
                rows.append(row)
                texts.append(text)
                spans.append(row_spans)
        runs = [t[a:b] for t, row in zip(texts, spans, strict=True) for a, b in row]
        if not rows:
            return pa.array(out, pa.string())
        faked = iter(self._render_one(Material(pa.array(runs, pa.string()), m.key, m.domain, m.normaliser,
                                               None, m.unique)).to_pylist())
        for row, text, row_spans in zip(rows, texts, spans, strict=True):
            parts, at = [], 0
            for a, b in row_spans:
                parts += [text[at:a], next(faked)]
                at = b
            out[row] = "".join(parts) + text[at:]
        return pa.array(out, pa.string())

    def _render_one(self, m: Material) -> pa.Array:
        digits = Digits(m.raw, width=MAX_DIGITS)
        keep = kept_prefix(digits)
        total = digits.total
        bad = (total - keep < MIN_SUBSCRIBER) | (total > MAX_DIGITS)
        # Not a phone shape: replace every digit after the first one from the keyed material.
        keep = np.where(bad, np.minimum(1, total), keep)
        value, width = digits.value_after(keep)
        width = np.minimum(width, 18)
        new = np.empty(len(value), dtype=np.int64)
        for w in np.unique(width):
            rows = np.flatnonzero(width == w)
            space = 10 ** int(w)
            if m.attempt:
                new[rows] = (m.h[rows, 0] % np.uint64(space)).astype(np.int64)
            else:
                new[rows] = permute(m.key, m.domain, value[rows] % space, space)
        return digits.fill(new, keep)
