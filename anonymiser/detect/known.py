"""Known entities: the source values of masked personal columns, found again inside free text.

"Call Aroha Ngata on 021 555 1234" in a support note is caught even when no recognizer would find
it, because ``customer.full_name`` and ``customer.mobile`` hold those values and are masked: every
source value of a masked personal column is searched for in every free-text cell, and the match
carries the column's entity and pseudonym domain so free text replaces it with exactly the fake
that column gives it.

**Memory is bounded by design**: no value is kept, only a 64-bit hash of its normalised form, in
one sorted ``numpy`` array per kind, with the index of its column's target (12 bytes a value, plus a
bit filter of 1 to 2 bytes a value on tables over 256K values: 10 million values take about 150 MB;
see ``benchmarks/bench_known_entities.py``). A text is cut into candidates the same way the values
were normalised (name-like word runs, digit runs for phones and numbers, e-mail shapes, letter+digit
tokens for identifiers, number-led street lines), each candidate is hashed, and each kind is looked
up at once: the bit filter rules most candidates out, a ``searchsorted`` confirms the rest. A false
match needs a 64-bit hash collision (about one in 10^12 lookups at 10 million values) and only
replaces a span too many.

Normalised forms (``known_forms``: what makes two spellings one value):

- names: lower case, diacritics and ʻokina removed, blanks collapsed ("Hēmi  NGATA" = "hemi ngata");
  a full name is also split into its parts (given, family), each found alone when capitalised and
  not an everyday word ("Mark", "Grace" are found only as part of the full name);
- e-mail: lower case; phone: digits, with +64 / 0064 / 0 folded to one national form; identifiers:
  letters and digits only, upper case (IRD "049-091-850" = "49091850"); street lines: like names.

Hashes are polynomial hashes of folded code points (mod 2**64), so the candidate windows of a whole
buffer are hashed with numpy rather than one Python string each; e-mails, few, use Python's string hash
(stable within a process and its forked workers, which is where the index lives; nothing is persisted).

**Speed** (``known_windows``; ``benchmarks/bench_known_entities.py``): the texts of a batch are one buffer,
read once into numpy arrays (code points, their fold, their character classes) that every kind shares; digit runs and
street windows are cut in numpy, e-mails, identifiers and PO boxes are matched by their regex only at
anchors ("@", a letter before a digit, "box"/"bag"), and the longest-leftmost choice is made in numpy.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymiser.detect.known_forms import (
    _at_least,
    _concat,
    _first_and_last_words,
    _norm_identifiers,
    _norm_names,
    _ordinary,
    _phone_forms,
    _street_forms,
    _texts,
    _without,
    national_phone,
    norm_identifier,
    norm_name,
    norm_phone,
    poly_hashes,
    poly_hashes_arrow,
    street_forms,
)
from anonymiser.detect.known_windows import (
    _BUFFER_CHARS,
    _NO_WINDOWS,
    _SEPARATOR,
    Windows,
    _boxes,
    _Buffer,
    _emails,
    _identifier_tokens,
    _longest_leftmost,
    _street_windows,
    digit_runs,
    lower_case_names,
    name_windows,
)

Kind = str   # "name" | "name_part" | "email" | "phone" | "identifier" | "street"

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
    # Large tables: one bit per slot of the hashes' low bits, 8 to 16 slots a value, so that most windows
    # (which are no one's name) are ruled out with one memory access instead of a binary search.
    bits: np.ndarray | None = None

    def add(self, forms: Iterable[str], target: int) -> int:
        if self.polynomial:
            h = poly_hashes([f for f in forms if f])
        else:
            h = np.fromiter((hash(f) for f in forms if f), dtype=np.int64)
        self.hashes.append(h)
        self.targets.append(np.full(len(h), target, dtype=np.int32))
        self.sorted_hashes = None
        return len(h)

    def add_forms(self, forms: pa.Array, target: int) -> int:
        """``add`` for an Arrow array of forms (hashed in numpy, each distinct non-empty form once)."""
        forms = pc.unique(forms.filter(pc.greater(pc.binary_length(forms), 0)))
        if not self.polynomial:
            return self.add(forms.to_pylist(), target)
        h = poly_hashes_arrow(forms)
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
        self.bits = None
        if len(self.sorted_hashes) >= _FILTER_MIN:
            slots = 1 << int(8 * len(self.sorted_hashes) - 1).bit_length()
            self.bits = np.zeros(slots // 8, dtype=np.uint8)
            at = self.sorted_hashes.view(np.uint64) & np.uint64(slots - 1)
            np.bitwise_or.at(self.bits, (at >> np.uint64(3)).astype(np.int64),
                             (np.uint8(1) << (at & np.uint64(7)).astype(np.uint8)))

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
        if self.bits is not None:
            at = h.view(np.uint64) & np.uint64(len(self.bits) * 8 - 1)
            maybe = np.flatnonzero((self.bits[(at >> np.uint64(3)).astype(np.int64)] >>
                                    (at & np.uint64(7)).astype(np.uint8)) & np.uint8(1))
            out = np.full(len(h), -1, dtype=self.sorted_targets.dtype)
            out[maybe] = self._search(h[maybe])
            return out
        return self._search(h)

    def _search(self, h: np.ndarray) -> np.ndarray:
        assert self.sorted_hashes is not None and self.sorted_targets is not None
        pos = np.minimum(np.searchsorted(self.sorted_hashes, h), len(self.sorted_hashes) - 1)
        return np.where(self.sorted_hashes[pos] == h, self.sorted_targets[pos], -1)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.hashes) + sum(a.nbytes for a in self.targets) + \
            (self.bits.nbytes if self.bits is not None else 0)


_FILTER_MIN = 1 << 18       # values in a table before it gets its bit filter (1 to 2 bytes a value)


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
        return self._tables.setdefault(kind, _Table(polynomial=kind != "email"))

    def add(self, entity: str, values: Iterable[str] | pa.Array | pa.ChunkedArray, domain: str | None = None) -> None:
        """Source values of one masked column whose strategy fakes ``entity``: texts, or a column's Arrow array
        (NULLs skipped, other types as their ``str``). Values are normalised in Arrow, each distinct one once;
        only those that are not ASCII go through the per-value normalisers (same forms, same hashes)."""
        texts = _texts(values)
        self.values += len(texts)
        texts = pc.unique(texts)
        is_ascii = pc.string_is_ascii(texts)
        plain, other = texts.filter(is_ascii), texts.filter(pc.invert(is_ascii)).to_pylist()

        def forms(in_arrow: Callable[[pa.Array], pa.Array], one: Callable[[str], Iterable[str]]) -> pa.Array:
            return _concat(in_arrow(plain), [f for v in other for f in one(v)])

        if entity in ("PERSON", "GIVEN_NAME", "FAMILY_NAME"):
            names = forms(_norm_names, lambda v: [norm_name(v)])
            if entity == "PERSON":
                self._table("name").add_forms(names, self._target(Target("PERSON", domain)))
                given, family = _first_and_last_words(names)
                parts = [(family, "family"), (given, "given")]
            else:   # first_name / last_name columns: each name found alone (everyday words only inside a full name)
                parts = [(_at_least(names, 2), "given" if entity == "GIVEN_NAME" else "family")]
            for words, role in parts:
                self._table("name_part").add_forms(_without(words, _ordinary()),
                                                   self._target(Target("PERSON", domain, role)))
        elif entity == "EMAIL_ADDRESS":
            self._table("email").add((v.strip().lower() for v in texts.to_pylist()),
                                     self._target(Target(entity, domain)))
        elif entity == "PHONE_NUMBER":
            # Found in any layout of its own country ("021 555 1234", "+64 21 555 1234") and as its national
            # number ("+44 20 7946 0958" written "020 7946 0958", "+1 415 555 2671" as "(415) 555-2671").
            phones = forms(lambda a: pa.concat_arrays(_phone_forms(a)), lambda v: (norm_phone(v), national_phone(v)))
            self._table("phone").add_forms(_at_least(phones, 7), self._target(Target(entity, domain)))
        elif entity == "STREET_ADDRESS":
            self._table("street").add_forms(forms(_street_forms, street_forms), self._target(Target(entity, domain)))
        else:
            identifiers = forms(_norm_identifiers, lambda v: [norm_identifier(v)])
            self._table("identifier").add_forms(_at_least(identifiers, 5), self._target(Target(entity, domain)))

    def freeze(self) -> None:
        for table in self._tables.values():
            table.freeze()

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self._tables.values())

    def __bool__(self) -> bool:
        return self.values > 0

    def find(self, texts: Sequence[str]) -> list[list[KnownMatch]]:
        """Matches per text. All texts are scanned as one buffer: its code points, their fold and their
        character classes are numpy arrays computed once and shared by every kind; candidates are cut
        from them (or found by a regex started only at anchors: "@", a letter before a digit, "box"),
        hashed in numpy, looked up with one ``searchsorted`` per kind, and the longest-leftmost choice
        among overlapping matches is made in numpy too (Python only for the rare overlaps)."""
        if not texts or not self.values:
            return [[] for _ in texts]
        # The matches are many short-lived objects and no cycles: the cyclic collector would only walk
        # the heap again and again.
        collecting = gc.isenabled()
        gc.disable()
        try:
            out: list[list[KnownMatch]] = []
            start, size = 0, 0
            for end, text in enumerate(texts, 1):
                size += len(text)
                if size >= _BUFFER_CHARS or end == len(texts):
                    out += self._find(texts[start:end])
                    start, size = end, 0
            return out
        finally:
            if collecting:
                gc.enable()

    def _find(self, texts: Sequence[str]) -> list[list[KnownMatch]]:
        self.freeze()
        buffer = _Buffer(_SEPARATOR.join(texts))
        starts = np.cumsum([0] + [len(t) + len(_SEPARATOR) for t in texts[:-1]])
        found: list[Windows] = []          # (begins, ends, targets), in the order ties are settled
        tables = self._tables
        if "email" in tables:
            found.append(self._hits("email", None, _emails(buffer)))
        if "identifier" in tables:
            found.append(self._hits("identifier", None, _identifier_tokens(buffer)))
        if "street" in tables:
            found += [self._hits("street", _street_windows(buffer)), self._hits("street", None, _boxes(buffer))]
        if "name" in tables or "name_part" in tables:
            names, parts = name_windows(buffer)
            found += [self._hits("name", names), self._hits("name_part", parts)]
        if "name_part" in tables:
            full, pairs = lower_case_names(buffer, tables["name_part"])
            found += [self._hits("name", full), self._hits("name_part", pairs)]
        if "phone" in tables or "identifier" in tables:
            phones, identifiers = digit_runs(buffer)
            found += [self._hits("phone", phones), self._hits("identifier", identifiers)]
        out: list[list[KnownMatch]] = [[] for _ in texts]
        begin, end, target = (np.concatenate(a) for a in zip(*found, strict=True))
        if not len(begin):
            return out
        begin, end, target = _longest_leftmost(begin, end, target)
        owner = np.searchsorted(starts, begin, side="right") - 1
        offset = starts[owner]
        targets = self._targets
        for i, start, stop, t in zip(owner.tolist(), (begin - offset).tolist(), (end - offset).tolist(),
                                     target.tolist(), strict=True):
            out[i].append(KnownMatch(start, stop, targets[t]))
        return out

    def _hits(self, kind: Kind, windows: Windows | None, spans: list[tuple[int, int, str]] | None = None) -> Windows:
        """The windows (or string candidates) whose value is known: (begins, ends, target indexes)."""
        table = self._tables.get(kind)
        if table is None:
            return _NO_WINDOWS
        if spans is not None:
            hit = table.lookup([form for _, _, form in spans])
            keep = np.flatnonzero(hit >= 0)
            bounds = np.array([(s, e) for s, e, _ in spans], dtype=np.int64).reshape(-1, 2)
            return bounds[keep, 0], bounds[keep, 1], hit[keep].astype(np.int64)
        assert windows is not None
        begins, ends, hashes = windows
        if not len(hashes):
            return _NO_WINDOWS
        hit = table.lookup_hashes(hashes)
        keep = np.flatnonzero(hit >= 0)
        return begins[keep], ends[keep], hit[keep].astype(np.int64)

    def find_one(self, text: str) -> list[KnownMatch]:
        return self.find([text])[0]
