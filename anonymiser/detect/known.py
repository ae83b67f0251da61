"""Known entities: the source values of masked personal columns, found again inside free text.

"Call Aroha Ngata on 021 555 1234" in a support note is caught even when no recognizer would find
it, because ``customer.full_name`` and ``customer.mobile`` hold those values and are masked: every
source value of a masked personal column is searched for in every free-text cell, and the match
carries the column's entity and pseudonym domain so free text replaces it with exactly the fake
that column gives it.

**Memory is bounded by design**: no value is kept, only a 64-bit hash of its normalised form, in
one sorted ``numpy`` array per kind (8 bytes a value: 10 million values take 80 MB; see
``benchmarks/bench_known_entities.py``). A text is cut into candidates the same way the values were
normalised (capitalised word runs for names, digit runs for phones and numbers, e-mail shapes,
letter+digit tokens for identifiers, number-led street lines), each candidate is hashed and looked
up with one ``searchsorted`` per text. A false match needs a 64-bit hash collision (about one in
10^12 lookups at 10 million values) and only replaces a span too many.

Normalised forms (what makes two spellings one value):

- names: lower case, diacritics and ʻokina removed, blanks collapsed ("Hēmi  NGATA" = "hemi ngata");
  a full name is also split into its parts (given, family), each found alone when capitalised and
  not an everyday word ("Mark", "Grace" are found only as part of the full name);
- e-mail: lower case; phone: digits, with +64 / 0064 / 0 folded to one national form; identifiers:
  letters and digits only, upper case (IRD "049-091-850" = "49091850"); street lines: like names.

Hashes use Python's string hash (stable within a process and its forked workers, which is where the
index lives; nothing is persisted), except for names: those are polynomial hashes of folded code
points (mod 2**64), so the candidate windows of a whole buffer are hashed with numpy
(``name_windows``) rather than one Python string each.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from anonymiser.detect.gazetteer import fold, load

Kind = str   # "name" | "name_part" | "email" | "phone" | "identifier" | "street"

_BLANKS = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"[^0-9]")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
_WORD = re.compile(r"[^\W\d_][\w'\u2019\-]*")
_EMAIL = re.compile(r"[\w.+'\-]+@[\w\-]+(?:\.[\w\-]+)+")
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d \t().\-/]{4,}\d")
_ID_TOKEN = re.compile(r"\b[A-Za-z]{1,3}[ \-]?\d[\dA-Za-z]{3,12}\b")
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


@dataclass(frozen=True)
class Target:
    """What a matched value is: its entity (for the masking strategy) and the column's domain."""

    entity: str          # PERSON, EMAIL_ADDRESS, PHONE_NUMBER, NZ_IRD, STREET_ADDRESS, ...
    domain: str | None   # the column's pseudonym domain when it is not the entity's default
    role: str = ""       # given / family for name parts


class KnownMatch:
    """A span of a text that holds a known source value (never the value itself)."""

    __slots__ = ("start", "end", "entity", "score", "recognizer", "parts", "domain")

    def __init__(self, start: int, end: int, target: Target) -> None:
        self.start, self.end, self.entity = start, end, target.entity
        self.score, self.recognizer = 1.0, "KnownEntity"
        self.parts: tuple[tuple[int, int, str], ...] = ((start, end, target.role),) if target.role else ()
        self.domain = target.domain


@dataclass
class _Table:
    """Sorted 64-bit hashes of normalised values, and per hash the index of its target."""

    hashes: list[np.ndarray] = field(default_factory=list)
    targets: list[np.ndarray] = field(default_factory=list)
    sorted_hashes: np.ndarray | None = None
    sorted_targets: np.ndarray | None = None

    polynomial: bool = False        # hashed with poly_hashes (names: windows hashed in numpy)

    def add(self, forms: Iterable[str], target: int) -> int:
        if self.polynomial:
            h = poly_hashes([f for f in forms if f])
        else:
            h = np.fromiter((hash(f) for f in forms if f), dtype=np.int64)
        self.hashes.append(h)
        self.targets.append(np.full(len(h), target, dtype=np.int32))
        self.sorted_hashes = None
        return len(h)

    def freeze(self) -> None:
        if self.sorted_hashes is not None:
            return
        h = np.concatenate(self.hashes) if self.hashes else np.zeros(0, np.int64)
        t = np.concatenate(self.targets) if self.targets else np.zeros(0, np.int32)
        order = np.argsort(h, kind="stable")
        h, t = h[order], t[order]
        keep = np.ones(len(h), dtype=bool)          # one target per value: the first column registered
        keep[1:] = h[1:] != h[:-1]
        self.sorted_hashes, self.sorted_targets = h[keep], t[keep]
        self.hashes, self.targets = [self.sorted_hashes], [self.sorted_targets]

    def lookup(self, forms: Sequence[str]) -> np.ndarray:
        """Target index per form, -1 where unknown."""
        self.freeze()
        assert self.sorted_hashes is not None and self.sorted_targets is not None
        if not forms or not len(self.sorted_hashes):
            return np.full(len(forms), -1, dtype=np.int32)
        h = poly_hashes(forms) if self.polynomial else np.fromiter((hash(f) for f in forms), dtype=np.int64,
                                                                     count=len(forms))
        return self.lookup_hashes(h)

    def lookup_hashes(self, h: np.ndarray) -> np.ndarray:
        self.freeze()
        assert self.sorted_hashes is not None and self.sorted_targets is not None
        if not len(h) or not len(self.sorted_hashes):
            return np.full(len(h), -1, dtype=np.int32)
        pos = np.minimum(np.searchsorted(self.sorted_hashes, h), len(self.sorted_hashes) - 1)
        return np.where(self.sorted_hashes[pos] == h, self.sorted_targets[pos], -1)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.hashes) + sum(a.nbytes for a in self.targets)


class KnownEntities:
    """The index: add columns' source values, then ``find`` them in texts."""

    def __init__(self) -> None:
        self._tables: dict[Kind, _Table] = {}
        self._targets: list[Target] = []
        self._target_ids: dict[Target, int] = {}
        self.values = 0

    def _target(self, target: Target) -> int:
        if target not in self._target_ids:
            self._target_ids[target] = len(self._targets)
            self._targets.append(target)
        return self._target_ids[target]

    def _table(self, kind: Kind) -> _Table:
        return self._tables.setdefault(kind, _Table(polynomial=kind in ("name", "name_part", "phone", "identifier")))

    def add(self, entity: str, values: Iterable[str], domain: str | None = None) -> None:
        """Source values of one masked column whose strategy fakes ``entity``."""
        values = [v for v in values if v]
        self.values += len(values)
        if entity == "PERSON":
            names = [norm_name(v) for v in values]
            self._table("name").add(names, self._target(Target("PERSON", domain)))
            g = load()
            given: set[str] = set()
            family: set[str] = set()
            for n in names:
                words = [w for w in n.split() if len(w) >= 2 and w not in _PARTICLES]
                if len(words) >= 2:
                    given.add(words[0])
                    family.add(words[-1])
            ordinary = g.never | g.ambiguous | g.places
            self._table("name_part").add(sorted(family - ordinary), self._target(Target("PERSON", domain, "family")))
            self._table("name_part").add(sorted(given - ordinary), self._target(Target("PERSON", domain, "given")))
        elif entity in ("GIVEN_NAME", "FAMILY_NAME"):
            # first_name / last_name columns: each name found alone (everyday words only inside a full name).
            g = load()
            ordinary = g.never | g.ambiguous | g.places
            role = "given" if entity == "GIVEN_NAME" else "family"
            self._table("name_part").add(sorted({n for v in values if len(n := norm_name(v)) >= 2} - ordinary),
                                         self._target(Target("PERSON", domain, role)))
        elif entity == "EMAIL_ADDRESS":
            self._table("email").add((v.strip().lower() for v in values), self._target(Target(entity, domain)))
        elif entity == "PHONE_NUMBER":
            self._table("phone").add((p for v in values if len(p := norm_phone(v)) >= 7),
                                     self._target(Target(entity, domain)))
        elif entity == "STREET_ADDRESS":
            self._table("street").add((f for v in values for f in street_forms(v)),
                                      self._target(Target(entity, domain)))
        else:
            self._table("identifier").add((i for v in values if len(i := norm_identifier(v)) >= 5),
                                          self._target(Target(entity, domain)))

    def freeze(self) -> None:
        for table in self._tables.values():
            table.freeze()

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self._tables.values())

    def __bool__(self) -> bool:
        return self.values > 0

    def find(self, texts: Sequence[str]) -> list[list[KnownMatch]]:
        """Matches per text. All texts are scanned as one buffer (one regex pass per kind, in C), every
        candidate is hashed once, and each kind is looked up with one ``searchsorted``."""
        if not texts or not self.values:
            return [[] for _ in texts]
        # The candidates are many short-lived tuples and no cycles: the cyclic collector would only walk
        # the heap again and again (about a fifth of the time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._find(texts)
        finally:
            if collecting:
                gc.enable()

    def _find(self, texts: Sequence[str]) -> list[list[KnownMatch]]:
        self.freeze()
        buffer = _SEPARATOR.join(texts)
        starts = np.cumsum([0] + [len(t) + len(_SEPARATOR) for t in texts[:-1]])
        found: list[tuple[int, int, int]] = []
        for kind, candidates in self._candidates(buffer):
            table = self._tables.get(kind)
            if table is None or not candidates:
                continue
            hits = table.lookup([form for _, _, form in candidates])
            found += [(start, end, target) for (start, end, _), target in zip(candidates, hits.tolist(), strict=True)
                      if target >= 0]
        windows: list[tuple[Kind, Windows]] = []
        if "name" in self._tables or "name_part" in self._tables:
            windows += zip(("name", "name_part"), name_windows(buffer), strict=True)
        if "phone" in self._tables or "identifier" in self._tables:
            windows += zip(("phone", "identifier"), digit_runs(buffer), strict=True)
        if windows:
            for kind, (begins, ends, hashes) in windows:
                table = self._tables.get(kind)
                if table is None or not len(hashes):
                    continue
                hit = table.lookup_hashes(hashes)
                keep = np.flatnonzero(hit >= 0)
                found += list(zip(begins[keep].tolist(), ends[keep].tolist(), hit[keep].tolist(), strict=True))
        out: list[list[KnownMatch]] = [[] for _ in texts]
        if found:
            owner = np.searchsorted(starts, np.array([f[0] for f in found]), side="right") - 1
            for (start, end, target), i in zip(found, owner.tolist(), strict=True):
                out[i].append(KnownMatch(start - int(starts[i]), end - int(starts[i]), self._targets[target]))
        return [_longest_first(m) if len(m) > 1 else m for m in out]

    def find_one(self, text: str) -> list[KnownMatch]:
        return self.find([text])[0]

    def _candidates(self, text: str) -> Iterable[tuple[Kind, list[tuple[int, int, str]]]]:
        tables = self._tables
        if "email" in tables and "@" in text:
            yield "email", [(m.start(), m.end(), m.group().lower()) for m in _EMAIL.finditer(text)]
        if "identifier" in tables:
            yield "identifier", [(m.start(), m.end(), norm_identifier(m.group())) for m in _ID_TOKEN.finditer(text)]
        if "street" in tables:
            yield "street", self._streets(text)

    @staticmethod
    def _streets(text: str) -> list[tuple[int, int, str]]:
        """Street lines (a number and one to five words: every length is a candidate) and PO boxes."""
        out = []
        for m in _STREET_LINE.finditer(text):
            start, base = m.start(), m.start("words")
            form = norm_street(text[start:base])         # the number: "12", "3/18", "87a"
            for word in _WORD.finditer(m.group("words")):
                form += " " + norm_name(word.group())  # each window's form, as norm_street would give it
                out.append((start, base + word.end(), form))
        out += [(m.start(), m.end(), norm_street(m.group())) for m in _BOX_LINE.finditer(text)]
        return out


Windows = tuple[np.ndarray, np.ndarray, np.ndarray]      # starts, ends, hashes


_NO_WINDOWS: Windows = (np.zeros(0, dtype=np.int64),) * 3


def _spans_and_points(pattern: re.Pattern[str], text: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The pattern's matches as (start, end) rows, and the text's code points; None without a match."""
    spans = [m.span() for m in pattern.finditer(text)]
    if not spans:
        return None
    return np.array(spans, dtype=np.int64), np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def name_windows(text: str) -> tuple[Windows, Windows]:
    """(starts, ends, hashes) of every window of two to four words that starts and ends capitalised ("Aroha
    Ngata", "Ludo van der Berg"), and of each capitalised word alone ("Ngata's" as "Ngata"), in runs of
    name-like words one blank apart on a line. One regex pass finds the runs; words, windows and their
    polynomial hashes are numpy arrays."""
    found = _spans_and_points(_NAME_RUN, text)
    if found is None:
        return _NO_WINDOWS, _NO_WINDOWS
    run, points = found
    folded = np.frombuffer(fold_chars(text).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + np.uint64(1)
    dropped = folded == np.uint64(ord(_DROPPED) + 1)
    depth = np.zeros(len(points) + 1, dtype=np.int64)
    np.add.at(depth, run[:, 0], 1)
    np.add.at(depth, run[:, 1], -1)
    inside = np.cumsum(depth[:-1]) > 0
    blanks = np.flatnonzero(inside & ((points == 32) | (points == 9)))
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
    hashes = _window_hashes(folded, dropped, begin, end)
    parts = len(caps)
    return (begin[parts:], end[parts:], hashes[parts:]), (begin[:parts], end[:parts], hashes[:parts])


def digit_runs(text: str) -> tuple[Windows, Windows]:
    """(starts, ends, hashes) of each run of digits and separators, as a phone (``norm_phone``: digits,
    a leading 00 dropped, a leading 0 read as 64) and as an identifier (``norm_identifier``: digits
    without leading zeros), hashed in numpy like names."""
    found = _spans_and_points(_DIGIT_RUN, text)
    if found is None:
        return _NO_WINDOWS, _NO_WINDOWS
    run, points = found
    digit = (points >= 48) & (points <= 57)
    at = np.flatnonzero(digit)
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
    # Identifier: the digits from the first that is not 0 (all zeros: the whole run).
    nonzero = np.flatnonzero(digit & (points != 48))
    lead = np.searchsorted(nonzero, run[:, 0])
    has = (lead < len(nonzero)) & (nonzero[np.minimum(lead, len(nonzero) - 1)] < run[:, 1])
    ident_begin = np.where(has, nonzero[np.minimum(lead, max(len(nonzero) - 1, 0))] if len(nonzero) else 0, run[:, 0])
    ident = _window_hashes(weights, ~digit, ident_begin, run[:, 1])
    return (run[:, 0], run[:, 1], phone), (run[:, 0], run[:, 1], ident)


def _window_hashes(folded: np.ndarray, dropped: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """poly_hashes of the folded text between begin and end, dropped characters left out."""
    kept_before = np.concatenate([[0], np.cumsum(~dropped)])
    lengths = end - begin
    offsets = np.cumsum(lengths) - lengths
    at = np.repeat(begin, lengths) + (np.arange(int(lengths.sum())) - np.repeat(offsets, lengths))
    exponent = np.minimum(kept_before[at] - np.repeat(kept_before[begin], lengths), _MAX_POWER)
    with np.errstate(over="ignore"):
        weights = np.where(dropped[at], np.uint64(0), folded[at] * _POWERS[exponent])
        return np.add.reduceat(weights, offsets).view(np.int64)


_CAP = r"[^\W\d_a-z][\w'\u2019\-\u0300-\u036f]*"   # combining marks: decomposed macrons
_MIDDLE = rf"(?:{_CAP}|te|van|der|den|de|la|le|del|di|da|dos|von|bin|binti|ibn|al|el|ter|ten|st|mac|mc)"
# A run of name-like words on one line: a capitalised word, then capitalised words or particles, one blank apart.
_NAME_RUN = re.compile(rf"(?<![\w'\u2019\-]){_CAP}(?:[ \t]{_MIDDLE}(?![\w\-]))*")
_SEPARATOR = "\n\x00\n"      # no candidate crosses it: name runs and digit runs stay on one line
_STREET_LINE = re.compile(r"\b\d{1,5}[A-Za-z]?(?:/\d{1,5})?,?[ \t]+(?P<words>[^\W\d_][\w'\-]*"
                          r"(?:[ \t]+[^\W\d_][\w'\-]*){0,4})")
# A PO box or private bag: "PO Box 17", "P.O. Box 4411", "Private Bag 92019" (the number whole).
_BOX_LINE = re.compile(r"\b(?:P\.?[ \t]?O\.?[ \t]?Box|Private[ \t]+Bag|Locked[ \t]+Bag|GPO[ \t]+Box)"
                       r"[ \t]+\d{1,6}(?!\d)", re.IGNORECASE)
_PO = re.compile(r"\bP\.?[ \t]?O\.?[ \t]*(?=Box\b)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"[\r\n,]+")


def _without_possessive(start: int, end: int, folded: str) -> tuple[int, int, str]:
    """"Ngata's" is found as "Ngata"."""
    return (start, end - 2, folded[:-2]) if folded.endswith(("'s", "\u2019s")) else (start, end, folded)


def _longest_first(matches: list[KnownMatch]) -> list[KnownMatch]:
    """Non-overlapping matches, longest first ("Aroha Ngata" before "Aroha"), in text order."""
    chosen: list[KnownMatch] = []
    for m in sorted(matches, key=lambda m: (-(m.end - m.start), m.start)):
        if all(m.end <= c.start or m.start >= c.end for c in chosen):
            chosen.append(m)
    return sorted(chosen, key=lambda m: m.start)
