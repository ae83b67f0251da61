"""Helpers that keep the work per hit independent of the text's length (a long notes cell holds thousands
of hits; a scan of the whole text per hit would make it quadratic)."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable


class Spans:
    """Fixed (start, end) spans, overlapping or not, asked whether any overlaps ``[start, end)``
    (``any(a < end and start < b for a, b in spans)``) in O(log n): sorted by start, with the greatest
    end of each prefix."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [a for a, _ in ordered]
        self.ends = [b for _, b in ordered]
        self.reach = list(itertools.accumulate(self.ends, max))

    def overlap(self, start: int, end: int) -> bool:
        k = bisect.bisect_left(self.starts, end)        # the spans starting before ``end``
        return k > 0 and self.reach[k - 1] > start

    def holds_longer(self, start: int, end: int) -> bool:
        """Whether a longer span holds ``[start, end)`` (``any(a <= start and end <= b and b - a > end - start
        for a, b in spans)``): only the spans from ``start`` back while one still reaches ``end`` are read
        (one or two where the spans do not overlap)."""
        starts, ends, reach = self.starts, self.ends, self.reach
        j = bisect.bisect_right(starts, start) - 1
        while j >= 0 and reach[j] >= end:
            if ends[j] >= end and ends[j] - starts[j] > end - start:
                return True
            j -= 1
        return False


def search_tail(pattern: re.Pattern[str], text: str, end: int, solid: int) -> re.Match[str] | None:
    """``pattern.search(text, 0, end)`` for a pattern that ends in ``$`` (a match reaches ``end`` or the
    line break just before it) and whose matches hold at most ``solid`` non-whitespace characters: only
    the tail of ``text`` such a match can cover is searched. A window before ``end`` holding more than
    ``solid`` of them (its last character aside) leaves no match starting before it, so the search from
    the window's start finds the same (leftmost) match; ``^`` matches at 0 only, as in the search from 0."""
    size = 4 * (solid + 16)
    while True:
        lo = max(0, end - size)
        if lo == 0 or len("".join(text[lo:end - 1].split())) > solid:
            return pattern.search(text, lo, end)
        size *= 4
