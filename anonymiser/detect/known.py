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

Normalised forms (what makes two spellings one value):

- names: lower case, diacritics and ʻokina removed, blanks collapsed ("Hēmi  NGATA" = "hemi ngata");
  a full name is also split into its parts (given, family), each found alone when capitalised and
  not an everyday word ("Mark", "Grace" are found only as part of the full name);
- e-mail: lower case; phone: digits, with +64 / 0064 / 0 folded to one national form; identifiers:
  letters and digits only, upper case (IRD "049-091-850" = "49091850"); street lines: like names.

Hashes are polynomial hashes of folded code points (mod 2**64), so the candidate windows of a whole
buffer are hashed with numpy rather than one Python string each; e-mails, few, use Python's string hash
(stable within a process and its forked workers, which is where the index lives; nothing is persisted).

**Speed** (``benchmarks/bench_known_entities.py``): the texts of a batch are one buffer, read once into
numpy arrays (code points, their fold, their character classes) that every kind shares; digit runs and
street windows are cut in numpy, e-mails, identifiers and PO boxes are matched by their regex only at
anchors ("@", a letter before a digit, "box"/"bag"), and the longest-leftmost choice is made in numpy.
"""

from __future__ import annotations

import functools
import gc
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

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


def national_phone(text: str) -> str:
    """A phone's national significant number: its digits without the country calling code (after a "+" or
    "00") or the trunk 0 ("+44 20 7946 0958", "0044 20 7946 0958", "020 7946 0958" → "2079460958").
    Calling codes are prefix-free, so the first one to match is the one."""
    digits = _NOT_DIGIT.sub("", text)
    plus = "+" in text[:len(text) - len(text.lstrip("+( \t"))]
    if plus or digits.startswith("00"):
        international = digits if plus else digits[2:]
        for n in (1, 2, 3):
            if international[:n] in _CALLING_CODES:
                return international[n:]
        return international
    return digits[1:] if digits.startswith("0") else digits


_CALLING_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
_CALLING_CODE_INTS = tuple(np.array(sorted(int(c) for c in _CALLING_CODES if len(c) == n), dtype=np.int64)
                           for n in (1, 2, 3))


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


# Building the index in Arrow: a column's values are normalised as whole arrays (each distinct value once),
# like the per-value normalisers above write them; values that are not ASCII go through those normalisers.
_ASCII_SPACES = "\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f"      # str.isspace() and re's \s, in ASCII
_ASCII_BLANKS = r"[\t\n\x0b\x0c\r \x1c-\x1f]+"
# _STREET_LINE and _BOX_LINE matching a whole (ASCII) line: the look-behind and look-ahead cannot fail there.
_ASCII_STREET_LINE = (r"^[0-9]{1,5}[A-Za-z]?(?:/[0-9]{1,5})?,?[ \t]+[A-Za-z][0-9A-Za-z_'\-]*"
                      r"(?:[ \t]+[A-Za-z][0-9A-Za-z_'\-]*){0,4}$")
_ASCII_BOX_LINE = r"(?i)^(?:P\.?[ \t]?O\.?[ \t]?Box|Private[ \t]+Bag|Locked[ \t]+Bag|GPO[ \t]+Box)[ \t]+[0-9]{1,6}$"
_ASCII_PO = r"(?i)\bP\.?[ \t]?O\.?[ \t]*(Box\b)"   # _PO, its look-ahead captured (no match starts inside "Box")


def _texts(values: Iterable[str] | pa.Array | pa.ChunkedArray) -> pa.Array:
    """The non-empty texts of ``values`` as one string array: NULLs dropped, other types as their ``str``."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    values = values.drop_null()
    if pa.types.is_large_string(values.type) or pa.types.is_integer(values.type):
        values = values.cast(pa.string())     # Arrow writes integers as str() does
    elif not pa.types.is_string(values.type):
        values = pa.array([str(v) for v in values.to_pylist()], type=pa.string())
    return values.filter(pc.greater(pc.binary_length(values), 0))


def _concat(forms: pa.Array, more: list[str]) -> pa.Array:
    return pa.concat_arrays([forms, pa.array(more, type=pa.string())]) if more else forms


def _norm_names(texts: pa.Array) -> pa.Array:
    """``norm_name`` of ASCII texts."""
    lower = pc.replace_substring(pc.ascii_lower(texts), _DROPPED, "")
    return pc.utf8_trim(pc.replace_substring_regex(lower, _ASCII_BLANKS, " "), " ")


def _norm_streets(texts: pa.Array) -> pa.Array:
    """``norm_street`` of ASCII texts."""
    return _norm_names(pc.replace_substring(pc.replace_substring_regex(texts, _ASCII_PO, r"po \1"), ",", " "))


def _street_forms(texts: pa.Array) -> pa.Array:
    """``street_forms`` of ASCII texts, all in one array."""
    lines = pc.utf8_trim(pc.list_flatten(pc.split_pattern_regex(texts, r"[\r\n,]+")), _ASCII_SPACES)
    street = pc.or_(pc.match_substring_regex(lines, _ASCII_STREET_LINE),
                    pc.match_substring_regex(lines, _ASCII_BOX_LINE))
    return pa.concat_arrays([_norm_streets(texts), _norm_streets(lines.filter(street))])


def _phone_forms(texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``norm_phone`` and ``national_phone`` of ASCII texts."""
    digits = pc.replace_substring_regex(texts, "[^0-9]", "")
    zero, double_zero = pc.starts_with(digits, "0"), pc.starts_with(digits, "00")
    after_one, after_two = pc.utf8_slice_codeunits(digits, 1), pc.utf8_slice_codeunits(digits, 2)
    norm = pc.if_else(double_zero, after_two,
                      pc.if_else(zero, pc.binary_join_element_wise(pa.scalar("64"), after_one, ""), digits))
    plus = pc.match_substring_regex(texts, r"^[( \t]*\+")
    international = pc.if_else(plus, digits, after_two)
    national = international
    found = pc.equal(pc.binary_length(international), -1)       # all false
    for n, codes in enumerate(_calling_codes(), 1):          # prefix-free: the first to match is the one
        hit = pc.and_(pc.is_in(pc.utf8_slice_codeunits(international, 0, n), value_set=codes), pc.invert(found))
        national = pc.if_else(hit, pc.utf8_slice_codeunits(international, n), national)
        found = pc.or_(found, hit)
    national = pc.if_else(pc.or_(plus, double_zero), national, pc.if_else(zero, after_one, digits))
    return norm, national


def _norm_identifiers(texts: pa.Array) -> pa.Array:
    """``norm_identifier`` of ASCII texts."""
    out = pc.ascii_upper(pc.replace_substring_regex(texts, "[^0-9A-Za-z]", ""))
    stripped = pc.utf8_ltrim(out, "0")
    stripped = pc.if_else(pc.equal(pc.binary_length(stripped), 0), out, stripped)
    return pc.if_else(pc.match_substring_regex(out, "^[0-9]+$"), stripped, out)


def _first_and_last_words(names: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The first and the last word of each normalised full name with two words or more, once particles
    and one-letter words are left out (given and family name)."""
    lists = pc.split_pattern(names, " ")
    words = pc.list_flatten(lists)
    keep = pc.and_(pc.greater_equal(pc.utf8_length(words), 2), pc.invert(pc.is_in(words, value_set=_particles())))
    owner = pc.list_parent_indices(lists).to_numpy()[keep.to_numpy(zero_copy_only=False)]
    words = words.filter(keep)
    first = np.flatnonzero(np.concatenate([[True], owner[1:] != owner[:-1]])) if len(owner) else np.zeros(0, np.int64)
    last = np.append(first[1:] - 1, len(owner) - 1) if len(owner) else first
    two = last > first
    return words.take(first[two]), words.take(last[two])


def _at_least(forms: pa.Array, characters: int) -> pa.Array:
    return forms.filter(pc.greater_equal(pc.utf8_length(forms), characters))


def _without(words: pa.Array, ordinary: pa.Array) -> pa.Array:
    return words.filter(pc.invert(pc.is_in(words, value_set=ordinary)))


@functools.cache
def _ordinary() -> pa.Array:
    """Everyday words, places and particles: never a name part alone."""
    g = load()
    return pa.array(sorted(g.never | g.ambiguous | g.places), type=pa.string())


@functools.cache
def _particles() -> pa.Array:
    return pa.array(sorted(_PARTICLES), type=pa.string())   # on first use: pa.array imports pandas (0.15 s)


@functools.cache
def _calling_codes() -> tuple[pa.Array, ...]:
    """The calling codes of one, two and three digits."""
    return tuple(pa.array(sorted(c for c in _CALLING_CODES if len(c) == n), type=pa.string()) for n in (1, 2, 3))


def _code_points(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The code points of (valid) UTF-8 ``data``, and the character offsets of the byte ``offsets``."""
    starts = (data & 0xC0) != 0x80                  # a character's first byte
    lead = np.flatnonzero(starts)
    first = data[lead]
    size = 1 + (first >= 0xC0).astype(np.int64) + (first >= 0xE0) + (first >= 0xF0)
    points = (first & np.array([0, 0x7F, 0x1F, 0x0F, 0x07], dtype=np.uint8)[size]).astype(np.uint64)
    for k in (1, 2, 3):
        more = np.flatnonzero(size > k)
        points[more] = (points[more] << np.uint64(6)) | (data[lead[more] + k] & 0x3F).astype(np.uint64)
    characters = np.concatenate([[0], np.cumsum(starts)])[offsets - offsets[0]]
    return points, characters


def poly_hashes_arrow(forms: pa.Array) -> np.ndarray:
    """``poly_hashes`` of a string array (no NULL, no empty string), read from its UTF-8 buffers."""
    out = np.empty(len(forms), dtype=np.uint64)
    step = 100_000
    for at in range(0, len(forms), step):
        chunk = forms.slice(at, step)
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        if not (data >= 0x80).any():        # ASCII: a byte is a character
            points, characters = data.astype(np.uint64), (offsets - offsets[0]).astype(np.int64)
        else:
            points, characters = _code_points(data, offsets)
        starts, lengths = characters[:-1], np.diff(characters)
        exponent = np.minimum(np.arange(len(points)) - np.repeat(starts, lengths), _MAX_POWER)
        with np.errstate(over="ignore"):
            out[at:at + len(chunk)] = np.add.reduceat((points + np.uint64(1)) * _POWERS[exponent], starts)
    return out.view(np.int64)


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


def lower_case_names(buffer: _Buffer, parts: _Table) -> tuple[Windows, Windows]:
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
_STREET_LINE = re.compile(r"\d(?<!\w\d)\d{0,4}[A-Za-z]?(?:/\d{1,5})?,?[ \t]+(?P<words>[^\W\d_][\w'\-]*"
                          r"(?:[ \t]+[^\W\d_][\w'\-]*){0,4})")
# A PO box or private bag: "PO Box 17", "P.O. Box 4411", "Private Bag 92019" (the number whole).
_BOX_LINE = re.compile(r"\b(?:P\.?[ \t]?O\.?[ \t]?Box|Private[ \t]+Bag|Locked[ \t]+Bag|GPO[ \t]+Box)"
                       r"[ \t]+\d{1,6}(?!\d)", re.IGNORECASE)
_PO = re.compile(r"\bP\.?[ \t]?O\.?[ \t]*(?=Box\b)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"[\r\n,]+")
