"""Candidate windows of texts for the known-entity search, cut and hashed in numpy.

The texts of a batch are one buffer, read once into numpy arrays (code points, their fold, their character
classes) that every kind shares: name-like word runs, digit runs (phones and numbers), street lines, e-mails,
identifier tokens and PO boxes. Each window is hashed like the index's forms (``known_forms.poly_hashes``), and
the longest-leftmost choice among matches is made in numpy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

import numpy as np

from anonymiser.detect.known_forms import (
    _BASE,
    _BOX_LINE,
    _CALLING_CODE_INTS,
    _DROPPED,
    _MAX_POWER,
    _POWERS,
    _STREET_LINE,
    fold_chars,
    norm_identifier,
    norm_street,
)

# The candidates' patterns: e-mails and identifier tokens are matched with theirs at anchors; the numpy cutters
# below give exactly the matches of the others (tests/unit/detect/test_known.py).
_WORD = re.compile(r"[^\W\d_][\w'\u2019\-]*")
_EMAIL = re.compile(r"[\w.+'\-]+@[\w\-]+(?:\.[\w\-]+)+")
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d \t().\-/]{4,}\d")
_ID_TOKEN = re.compile(r"\b[A-Za-z]{1,3}[ \-]?\d[\dA-Za-z]{3,12}\b")


class HashLookup(Protocol):
    """An index table (``known._Table``): the target of each hash, -1 where none."""

    def lookup_hashes(self, h: np.ndarray) -> np.ndarray: ...


Windows = tuple[np.ndarray, np.ndarray, np.ndarray]      # starts, ends, hashes (or targets)


_NO_WINDOWS: Windows = (np.zeros(0, dtype=np.int64),) * 3

# Character classes, as ``re`` reads them: \w, \d, and the blanks and punctuation of digit runs.
_WORD_CLASS, _DIGIT_CLASS, _BLANK_CLASS, _RUN_PUNCT_CLASS, _LOCAL_CLASS = 1, 2, 4, 8, 16
_NAME_CHAR_CLASS, _LETTER_CLASS, _LOWER_CLASS = 32, 64, 128     # _CAP_REST's class, [^\W\d_], lower case


class _CharTables:
    """Per code point, its fold (as ``fold_chars`` gives it) and its classes; filled the first time a
    character is met (1.1 M code points, 6 bytes each: 6.7 MB per process)."""

    def __init__(self) -> None:
        self.folded = np.arange(0x110000, dtype=np.uint32)
        self.classes = np.zeros(0x110000, dtype=np.uint8)
        self.seen = np.zeros(0x110000, dtype=bool)
        self.learn(range(128))

    def learn(self, points: Iterable[int]) -> None:
        for point in points:
            c = chr(point)
            self.folded[point] = ord(fold_chars(c))
            self.classes[point] = ((c.isalnum() or c == "_") * _WORD_CLASS | c.isdecimal() * _DIGIT_CLASS
                                   | (c in " \t") * _BLANK_CLASS | (c in " \t().-/") * _RUN_PUNCT_CLASS
                                   | (c.isalnum() or c in "_.+'-") * _LOCAL_CLASS
                                   | (c.isalnum() or c in "_'\u2019-" or 0x300 <= point <= 0x36F) * _NAME_CHAR_CLASS
                                   | (c.isalnum() and not c.isdecimal()) * _LETTER_CLASS | c.islower() * _LOWER_CLASS)
            self.seen[point] = True

    def lookup(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        high = points[points > 127]
        if len(high):
            new = high[~self.seen[high]]
            if len(new):
                self.learn(np.unique(new).tolist())
        return self.folded[points], self.classes[points]


_CHARS: list[_CharTables] = []


class _Buffer:
    """A text with its code points, their fold (+1, as polynomial hash weights) and classes."""

    def __init__(self, text: str) -> None:
        if not _CHARS:
            _CHARS.append(_CharTables())
        self.text = text
        self.points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        folded, self.classes = _CHARS[0].lookup(self.points)
        self.dropped = folded == ord(_DROPPED)
        self.weights = folded.astype(np.uint64) + np.uint64(1)
        self._prefix: np.ndarray | None = None
        self._kept_before = self._inverse = _NO_WINDOWS[0]

    def has(self, cls: int) -> np.ndarray:
        return (self.classes & cls) != 0

    def name_hashes(self, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        """``_window_hashes(self.weights, self.dropped, begin, end)``, each in constant time: from prefix sums
        of the kept characters' weighted powers, divided by the window's first power (the base is odd, so
        invertible mod 2**64). Windows longer than ``_MAX_POWER`` + 1 kept characters, whose last weights
        are capped, are hashed the long way."""
        if self._prefix is None:
            kept = ~self.dropped
            self._kept_before = np.concatenate([[0], np.cumsum(kept)])
            weights = self.weights[kept]
            powers, inverse = _powers(len(weights) + 1)
            with np.errstate(over="ignore"):
                self._prefix = np.concatenate([[np.uint64(0)], np.cumsum(weights * powers[:len(weights)])])
            self._inverse = inverse
        kb, ke = self._kept_before[begin], self._kept_before[end]
        with np.errstate(over="ignore"):
            out = ((self._prefix[ke] - self._prefix[kb]) * self._inverse[kb]).view(np.int64)
        long = np.flatnonzero(ke - kb > _MAX_POWER + 1)
        if len(long):
            out[long] = _window_hashes(self.weights, self.dropped, begin[long], end[long])
        return out


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """_BASE ** k and its inverse mod 2**64 for k < n (at least); kept for buffers up to a few times
    ``_BUFFER_CHARS`` (one huge cell gets its own, released after its search)."""
    if len(_LONG_POWERS[0]) >= n:
        return _LONG_POWERS[0], _LONG_POWERS[1]
    size = max(n, 2 * len(_LONG_POWERS[0]))
    with np.errstate(over="ignore"):
        powers = np.concatenate([[np.uint64(1)], np.cumprod(np.full(size - 1, _BASE, dtype=np.uint64))])
        inverse = np.concatenate([[np.uint64(1)], np.cumprod(np.full(size - 1, _INVERSE_BASE, dtype=np.uint64))])
    if size <= 4 * _BUFFER_CHARS:
        _LONG_POWERS[:] = [powers, inverse]
    return powers, inverse


_INVERSE_BASE = np.uint64(pow(int(_BASE), -1, 2**64))
_LONG_POWERS: list[np.ndarray] = [np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64)]


def _emails(buffer: _Buffer) -> list[tuple[int, int, str]]:
    """``_EMAIL``'s matches (as ``finditer`` gives them), each tried only where an "@" is: its local part is
    the run of local-part characters just before the "@"."""
    out: list[tuple[int, int, str]] = []
    text, last = buffer.text, 0
    for at in np.flatnonzero(buffer.points == 64).tolist():
        if at < last:
            continue
        local = _local_start(buffer, at, last)
        if local < at and (m := _EMAIL.match(text, local)):
            out.append((m.start(), m.end(), m.group().lower()))
            last = m.end()
    return out


def _local_start(buffer: _Buffer, at: int, floor: int) -> int:
    local = buffer.classes[max(floor, at - 64):at]
    outside = np.flatnonzero((local & _LOCAL_CLASS) == 0)
    if len(outside) or at - 64 <= floor:
        return at - len(local) + (int(outside[-1]) + 1 if len(outside) else 0)
    run = np.flatnonzero((buffer.classes[floor:at] & _LOCAL_CLASS) == 0)
    return floor + (int(run[-1]) + 1 if len(run) else 0)


def _identifier_tokens(buffer: _Buffer) -> list[tuple[int, int, str]]:
    """``_ID_TOKEN``'s matches (one to three letters, maybe a blank or hyphen, a digit, ...), tried only at
    the word start of each digit that follows letters."""
    p = buffer.points
    letter = ((p >= 65) & (p <= 90)) | ((p >= 97) & (p <= 122))
    digit = np.flatnonzero(buffer.has(_DIGIT_CLASS))
    digit = digit[digit >= 1]
    after_letter = letter[digit - 1]
    after_sep = ~after_letter & ((p[digit - 1] == 32) | (p[digit - 1] == 45)) & (digit >= 2) & \
        letter[np.maximum(digit - 2, 0)]
    last = np.sort(np.concatenate([digit[after_letter] - 1, digit[after_sep] - 2]))   # the letters' last
    run = np.ones(len(last), dtype=np.int64)        # letters up to it, counted up to 4 (4+ fail the \b)
    for back in (1, 2, 3):
        run += (run == back) & (last - back >= 0) & letter[np.maximum(last - back, 0)]
    candidates = (last - run + 1)[run <= 3]
    out: list[tuple[int, int, str]] = []
    text, end = buffer.text, 0
    for start in candidates.tolist():
        if start >= end and (m := _ID_TOKEN.match(text, start)):
            out.append((m.start(), m.end(), norm_identifier(m.group())))
            end = m.end()
    return out


def _boxes(buffer: _Buffer) -> list[tuple[int, int, str]]:
    """``_BOX_LINE``'s matches (PO boxes, private bags), tried only around each "box" or "bag"."""
    f = buffer.weights - np.uint64(1)
    b = np.flatnonzero(f[:-2] == ord("b"))
    anchors = b[((f[b + 1] == ord("o")) & (f[b + 2] == ord("x"))) | ((f[b + 1] == ord("a")) & (f[b + 2] == ord("g")))]
    out: list[tuple[int, int, str]] = []
    text, last = buffer.text, 0
    n = len(text)
    for at in anchors.tolist():
        if at < last:
            continue
        before, after = at, at + 3              # the blanks around "box": a match is "Private" + blanks
        while before > 0 and text[before - 1] in " \t":     # + "Bag" + blanks + 6 digits at most
            before -= 1
        while after < n and text[after] in " \t":
            after += 1
        stop = min(n, after + 7)                # room for the digits and the (?!\d) after them
        m = _BOX_LINE.search(text, max(last, before - 7), stop)
        if m and (m.end() < stop or stop == n):
            out.append((m.start(), m.end(), norm_street(m.group())))
            last = m.end()
    return out


def _street_windows(buffer: _Buffer) -> Windows:
    """(starts, ends, hashes) of each street line (``_STREET_LINE``: a number and one to five words) cut
    after each of its words, hashed as ``norm_street`` would write it: the number, then the words one
    blank apart ("12, Queen  Street" as "12 queen street")."""
    spans = [(m.start(), m.start("words"), m.end()) for m in _STREET_LINE.finditer(buffer.text)]
    if not spans:
        return _NO_WINDOWS
    start, words, stop = np.array(spans, dtype=np.int64).T
    blank = buffer.has(_BLANK_CLASS)
    at, row = _ranges(words, stop)
    last = ~blank[at] & ((at + 1 == stop[row]) | blank[np.minimum(at + 1, len(blank) - 1)])
    begin, end = start[row[last]], at[last] + 1
    follows_blank = np.concatenate([[False], blank[:-1]])
    dropped = buffer.dropped | (buffer.points == ord(",")) | (blank & follows_blank)
    return begin, end, _window_hashes(buffer.weights, dropped, begin, end)


def _ranges(begin: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every position of the ranges [begin, end), and the index of its range."""
    lengths = end - begin
    offsets = np.cumsum(lengths) - lengths
    row = np.repeat(np.arange(len(begin)), lengths)
    return begin[row] + (np.arange(int(lengths.sum())) - offsets[row]), row


def name_windows(buffer: _Buffer) -> tuple[Windows, Windows]:
    """(starts, ends, hashes) of every window of two to four words that starts and ends capitalised ("Aroha
    Ngata", "Ludo van der Berg"), and of each capitalised word alone ("Ngata's" as "Ngata"), in runs of
    name-like words one blank apart on a line. One regex pass finds the runs; words, windows and their
    polynomial hashes are numpy arrays."""
    text = buffer.text
    spans = [m.span() for m in _NAME_RUN.finditer(text)]
    if not spans:
        return _NO_WINDOWS, _NO_WINDOWS
    run = np.array(spans, dtype=np.int64)
    points, folded = buffer.points, buffer.weights
    at, row = _ranges(run[:, 0], run[:, 1])
    blanks = at[buffer.has(_BLANK_CLASS)[at]]
    word_start = np.sort(np.concatenate([run[:, 0], blanks + 1]))
    word_end = np.sort(np.concatenate([blanks, run[:, 1]]))
    run_of = np.searchsorted(run[:, 0], word_start, side="right") - 1
    first = points[word_start]
    cap = ~((first >= 97) & (first <= 122))
    for w in np.flatnonzero(first > 127).tolist():
        cap[w] = not text[word_start[w]].islower()
    # "Ngata's" is found as "Ngata".
    length = word_end - word_start
    possessive = (length > 2) & (folded[np.maximum(word_end - 1, 0)] == np.uint64(ord("s") + 1)) & \
        np.isin(folded[np.maximum(word_end - 2, 0)], np.array([ord("'") + 1, 0x2019 + 1], dtype=np.uint64))
    core_end = np.where(possessive, word_end - 2, word_end)
    caps = np.flatnonzero(cap)
    starts, ends = [word_start[caps]], [core_end[caps]]
    for n in (1, 2, 3):
        left = caps[caps + n < len(word_start)]
        right = left + n
        ok = (run_of[right] == run_of[left]) & cap[right]
        starts.append(word_start[left[ok]])
        ends.append(core_end[right[ok]])
    begin, end = np.concatenate(starts), np.concatenate(ends)
    hashes = buffer.name_hashes(begin, end)
    parts = len(caps)
    return (begin[parts:], end[parts:], hashes[parts:]), (begin[:parts], end[:parts], hashes[:parts])


def lower_case_names(buffer: _Buffer, parts: HashLookup) -> tuple[Windows, Windows]:
    """(starts, ends, hashes) of windows of two to four words one blank apart on a line, one of them at least
    in lower case ("aroha ngata", "Aroha ngata", "ludo van der berg"), that open with a known name part: a
    full name written so is still that person's; and of each word of two such words that are both known
    parts (first_name and last_name columns: "aroha ngata" as "aroha" + "ngata"). A part alone in lower
    case is not looked for: "ring", "sun" are words too."""
    inside = buffer.has(_NAME_CHAR_CLASS)
    edges = np.diff(inside.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    word_start, word_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if len(word_start) < 2:
        return _NO_WINDOWS, _NO_WINDOWS
    first = buffer.classes[word_start]
    lower = (first & _LOWER_CLASS) != 0
    if not lower.any():
        return _NO_WINDOWS, _NO_WINDOWS
    named = (first & _LETTER_CLASS) != 0          # a name word opens with a letter
    # Word k links to word k + 1: both name words, one blank between.
    blank = buffer.has(_BLANK_CLASS)
    link = named[:-1] & named[1:] & (word_start[1:] == word_end[:-1] + 1) & blank[word_end[:-1]]
    folded = buffer.weights
    length = word_end - word_start
    possessive = (length > 2) & (folded[np.maximum(word_end - 1, 0)] == np.uint64(ord("s") + 1)) & \
        np.isin(folded[np.maximum(word_end - 2, 0)], np.array([ord("'") + 1, 0x2019 + 1], dtype=np.uint64))
    core_end = np.where(possessive, word_end - 2, word_end)
    opens = np.flatnonzero(named[:-1] & link)
    opens_hash = buffer.name_hashes(word_start[opens], core_end[opens])
    known = parts.lookup_hashes(opens_hash) >= 0
    opens, opens_hash = opens[known], opens_hash[known]
    nxt = opens + 1
    next_hash = buffer.name_hashes(word_start[nxt], core_end[nxt])
    pair = (parts.lookup_hashes(next_hash) >= 0) & (lower[opens] | lower[nxt])
    pairs = (np.concatenate([word_start[opens[pair]], word_start[nxt[pair]]]),
             np.concatenate([core_end[opens[pair]], core_end[nxt[pair]]]),
             np.concatenate([opens_hash[pair], next_hash[pair]]))
    starts, ends = [], []
    chained = np.ones(len(opens), dtype=bool)
    any_lower = lower[opens]
    for n in (1, 2, 3):
        right = opens + n
        chained &= right < len(word_start)
        right = np.minimum(right, len(word_start) - 1)
        chained &= link[np.minimum(right - 1, len(link) - 1)]
        any_lower = any_lower | lower[right]
        ok = chained & any_lower
        starts.append(word_start[opens[ok]])
        ends.append(core_end[right[ok]])
    begin, end = np.concatenate(starts), np.concatenate(ends)
    return (begin, end, buffer.name_hashes(begin, end)), pairs


def _digit_run_spans(buffer: _Buffer) -> np.ndarray:
    """``_DIGIT_RUN``'s matches as (start, end) rows: in each run of digits, blanks and ( ) . - /, from
    its first digit (with a "(" and a "+" just before it) to its last, when they are at least 5 apart."""
    digit = buffer.has(_DIGIT_CLASS)
    inside = digit | buffer.has(_RUN_PUNCT_CLASS)
    edges = np.diff(inside.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    run_start, run_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    at = np.flatnonzero(digit)
    if not len(at):
        return np.zeros((0, 2), dtype=np.int64)
    first = np.searchsorted(at, run_start)
    last = np.searchsorted(at, run_end) - 1
    ok = (first < len(at)) & (first <= last)
    first, last = at[first[ok]], at[last[ok]]
    long_enough = last - first >= 5
    begin, end = first[long_enough], last[long_enough] + 1
    points = buffer.points
    begin = begin - ((begin > 0) & (points[np.maximum(begin - 1, 0)] == ord("(")))
    begin = begin - ((begin > 0) & (points[np.maximum(begin - 1, 0)] == ord("+")))
    return np.stack([begin, end], axis=1).astype(np.int64)


def digit_runs(buffer: _Buffer) -> tuple[Windows, Windows]:
    """(starts, ends, hashes) of each run of digits and separators, as a phone (``norm_phone``: digits,
    a leading 00 dropped, a leading 0 read as 64; and ``national_phone``) and as an identifier
    (``norm_identifier``: digits without leading zeros), hashed in numpy like names."""
    run = _digit_run_spans(buffer)
    points = buffer.points
    digit = (points >= 48) & (points <= 57)
    at = np.flatnonzero(digit)
    if not len(run) or not len(at):
        return _NO_WINDOWS, _NO_WINDOWS
    first = np.searchsorted(at, run[:, 0])                   # rank of each run's first digit
    second = np.minimum(first + 1, len(at) - 1)
    zero = points[at[first]] == 48
    double_zero = zero & (points[at[second]] == 48) & (at[second] < run[:, 1])
    phone_begin = np.where(double_zero, at[second] + 1, np.where(zero, at[first] + 1, at[first]))
    weights = points.astype(np.uint64) + np.uint64(1)
    phone = _window_hashes(weights, ~digit, phone_begin, run[:, 1]).view(np.uint64)
    with np.errstate(over="ignore"):
        prefixed = np.uint64(ord("6") + 1) + np.uint64(ord("4") + 1) * _BASE + _POWERS[2] * phone
    phone = np.where(zero & ~double_zero, prefixed, phone).view(np.int64)
    national = _window_hashes(weights, ~digit, _national_begin(points, at, run, first, double_zero), run[:, 1])
    # Identifier: the digits from the first that is not 0 (all zeros: the whole run).
    nonzero = np.flatnonzero(digit & (points != 48))
    if len(nonzero):
        lead = np.minimum(np.searchsorted(nonzero, run[:, 0]), len(nonzero) - 1)
        ident_begin = np.where((nonzero[lead] >= run[:, 0]) & (nonzero[lead] < run[:, 1]), nonzero[lead], run[:, 0])
    else:                       # every digit is a 0 ("000000"): the whole run
        ident_begin = run[:, 0]
    ident = _window_hashes(weights, ~digit, ident_begin, run[:, 1])
    phones = (np.concatenate([run[:, 0], run[:, 0]]), np.concatenate([run[:, 1], run[:, 1]]),
              np.concatenate([phone, national]))
    return phones, (run[:, 0], run[:, 1], ident)


def _national_begin(points: np.ndarray, at: np.ndarray, run: np.ndarray, first: np.ndarray,
                    double_zero: np.ndarray) -> np.ndarray:
    """Where each run's national number starts (``national_phone``): after "+" or "00" and the calling
    code, else after a trunk 0; the run's end when nothing is left."""
    count = np.searchsorted(at, run[:, 1]) - first             # digits in the run
    plus = points[run[:, 0]] == ord("+")
    international = plus | double_zero
    start = first + np.where(double_zero & ~plus, 2, 0)         # rank of the calling code's first digit
    digits = [np.where(start + k < first + count, points[at[np.minimum(start + k, len(at) - 1)]].astype(np.int64) - 48,
                       -1) for k in range(3)]
    code = np.zeros(len(run), dtype=np.int64)
    value = np.zeros(len(run), dtype=np.int64)
    for n, codes in enumerate(_CALLING_CODE_INTS, 1):
        value = value * 10 + digits[n - 1]
        code = np.where((code == 0) & (digits[n - 1] >= 0) & np.isin(value, codes), n, code)
    trunk = (points[at[first]] == ord("0")).astype(np.int64)
    rank = np.where(international, start + code, first + trunk)
    return np.where(rank < first + count, at[np.minimum(rank, len(at) - 1)], run[:, 1])


def _window_hashes(folded: np.ndarray, dropped: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """poly_hashes of the folded text between begin and end, dropped characters left out."""
    at, row = _ranges(begin, end)
    if not len(at):
        return np.zeros(len(begin), dtype=np.int64)
    kept = ~dropped[at]
    before = np.cumsum(kept) - kept                  # kept characters before each, from the first window
    lengths = end - begin
    offsets = np.cumsum(lengths) - lengths
    exponent = np.minimum(before - before[np.minimum(offsets, len(at) - 1)][row], _MAX_POWER)
    with np.errstate(over="ignore"):
        weights = np.where(kept, folded[at] * _POWERS[exponent], np.uint64(0))
    out = np.zeros(len(begin), dtype=np.uint64)          # an empty window hashes to 0
    nonempty = lengths > 0
    with np.errstate(over="ignore"):
        out[nonempty] = np.add.reduceat(weights, offsets[nonempty])
    return out.view(np.int64)


def _longest_leftmost(begin: np.ndarray, end: np.ndarray, target: np.ndarray) -> Windows:
    """The non-overlapping matches, in text order: a longer match wins over those it overlaps ("Aroha
    Ngata" over "Aroha"), then the leftmost, then the first found. Matches that overlap no other are
    kept in numpy; only clusters of overlapping ones are settled one by one. (Texts are apart in the
    buffer, so no match overlaps one of another text.)"""
    order = np.lexsort((-(end - begin), begin))          # by start, longest first, then as found (stable)
    begin, end, target = begin[order], end[order], target[order]
    reach = np.maximum.accumulate(end)
    overlaps = np.zeros(len(begin), dtype=bool)
    overlaps[1:] = begin[1:] < reach[:-1]
    overlaps[:-1] |= begin[1:] < end[:-1]
    keep = ~overlaps
    clustered = np.flatnonzero(overlaps)
    if len(clustered):
        # A cluster: consecutive overlapping matches (by start) whose reach has not ended.
        idx = clustered.tolist()
        cluster_start = np.ones(len(clustered), dtype=bool)
        cluster_start[1:] = begin[clustered[1:]] >= reach[clustered[:-1]]
        bounds = np.append(np.flatnonzero(cluster_start), len(clustered)).tolist()
        b, e = begin.tolist(), end.tolist()
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            members = sorted(idx[lo:hi], key=lambda i: (b[i] - e[i], b[i], int(order[i])))
            chosen: list[int] = []
            for i in members:
                if all(e[i] <= b[c] or b[i] >= e[c] for c in chosen):
                    chosen.append(i)
            keep[chosen] = True
    return begin[keep], end[keep], target[keep]


_CAP_FIRST, _CAP_REST = r"[^\W\d_a-z]", r"[\w'\u2019\-\u0300-\u036f]*"   # combining marks: decomposed macrons
_CAP = _CAP_FIRST + _CAP_REST
_MIDDLE = rf"(?:{_CAP}|te|van|der|den|de|la|le|del|di|da|dos|von|bin|binti|ibn|al|el|ter|ten|st|mac|mc)"
# A run of name-like words on one line: a capitalised word, then capitalised words or particles, one blank apart.
# (The look-behind comes after the first character, so that re scans for that character's class in C.)
_NAME_RUN = re.compile(rf"{_CAP_FIRST}(?<![\w'\u2019\-][\s\S]){_CAP_REST}(?:[ \t]{_MIDDLE}(?![\w\-]))*")
# Texts are searched a buffer of about this many characters at a time: its arrays (about 40 bytes a
# character) stay small enough for the CPU's caches, and memory stays bounded whatever the batch.
_BUFFER_CHARS = 1 << 18
_SEPARATOR = "\n\x00\n"      # no candidate crosses it: name runs and digit runs stay on one line
