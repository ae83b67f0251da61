"""Person names in free text without a model: a multi-locale gazetteer, capitalisation and context cues.

A *candidate* is a run of capitalised words on one line, with name particles inside it ("Te Aorere
Te Whata", "Ludo van der Berg", "Aisha bin Abdullah"). Each word is looked up in the gazetteer
(given name, family name, ambiguous everyday word, place, unknown) and the run is judged with its
context:

- a **strong cue** makes any capitalised run a name, known or not: a title ("Mrs Ngata"), a phrase
  that introduces a person ("my name is", "calls me", "Dear", "spoke with", "on behalf of",
  "her mother,"), a verb of speech or action right after ("Aantje said", "Mourik sent"), a
  possessive ("Hemi's"), an e-mail address in brackets after it;
- a **weak cue** (a preposition such as "to", "with", "from", "and") is enough with a known name;
- **no cue**: a known given name followed by a known or unknown name word ("Pascual Pizarro"), or a
  known name word alone in mid-sentence, is a name unless it is also an everyday word ("Mark",
  "Grace") or a place ("Nelson").

Capitalisation carries no information at the start of a sentence, nor in title-case lines
("A Boring Drama of a Dentist And a Cat who must Chase a Monkey"): there only a strong cue or a
pair of known, unambiguous names counts. Scores: 0.85 strong cue, 0.6 known pair or weak cue,
0.45 a single known word; the free-text threshold is 0.35, and scan's evidence counts ≥ 0.6.

Names not capitalised as names are (trial F16) are held to the gazetteer:

- a word in **capitals** ("AROHA NGATA", "CALL AROHA NGATA RE REFUND") is a name word only when the
  gazetteer knows it as a name, it is no cue or verb, and it has three letters or more (acronyms:
  "IRD", "GST", "KX"); alone, it needs a strong cue and must not be an everyday word ("paid with
  VISA", "RING, KING SIZE BED" are no names);
- words in **lower case** ("call aroha ngata", "hi ilona") are a name only with a cue (a phrase before,
  a verb after, a title) and only as a known given name followed by a known family name, or as a
  given name alone after a strong cue, neither of them an everyday word, cue or verb.
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate, compress
from typing import NamedTuple, cast

from anonymiser.detect.gazetteer import Gazetteer, fold, load
from anonymiser.detect.longtext import Spans, search_tail

STRONG, MEDIUM, WEAK = 0.85, 0.6, 0.45
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "prof", "professor", "rev", "fr", "madam",
                    "mister", "lady", "lord", "aunty", "auntie", "uncle", "whaea", "matua", "koro", "nana"})
PARTICLES = frozenset({"te", "van", "der", "den", "de", "la", "le", "del", "della", "di", "da", "dos", "das", "von",
                       "bin", "binti", "bint", "ibn", "al", "el", "ter", "ten", "st", "o", "mac", "mc", "ap", "ni",
                       "nic", "ui", "ó"})
# Phrases (lower case, as token tuples) right before a run that make it a person.
STRONG_BEFORE: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in (
    "my name is", "name is", "name", "names", "i am", "i'm", "im", "called", "calls me", "call me", "known as",
    "named", "dear", "hi", "hello", "hey", "kia ora", "morena", "talofa", "malo e lelei", "thanks", "thank you",
    "regards", "cheers", "sincerely", "spoke with", "spoke to", "speak to", "speak with", "talked to",
    "talk to", "talking to", "chatted with", "ask for", "asked for", "ask", "signed by", "signed for by",
    "for attention",
    "on behalf of", "attn", "attention", "cc", "contact", "contact person", "customer", "client", "patient",
    "member", "holder", "recipient", "applicant", "husband", "wife", "partner", "son", "daughter", "mother",
    "father", "brother", "sister", "mum", "dad", "neighbour", "neighbor", "colleague", "manager", "friend",
    "nephew", "niece", "aunt", "grandmother", "grandfather", "nan", "boss", "landlord", "tenant", "owner",
    "caller", "authorised", "authorized", "according to", "sender", "author",
    "requested by", "lodged by", "approved by", "handed over to", "passed to", "refer to", "referred to",
    "assigned to", "addressed to", "emergency contact is", "emergency contact", "next of kin", "told by",
    "note from", "message from", "email from", "call from", "letter from", "complaint from", "request from",
    "feedback from", "text from", "reply from", "voicemail from", "update from", "phoned by", "rang",
    "call", "ring", "phone", "text", "email", "emailed", "tell", "told", "asked", "thank", "remind", "notify",
    "contact", "contacted", "meet", "met", "visit", "visited", "invite", "try", "tried", "knows", "know", "see",
    "saw", "pay", "paid", "ping", "bcc", "mr", "mrs", "ms", "dr", "miss", "mx",
))
CUE_WORDS = frozenset(p[0] for p in STRONG_BEFORE if len(p) == 1)
_STRONG_BEFORE = frozenset(STRONG_BEFORE)
# Of those, the ones that need a known name beside them (they also precede places and products).
WEAK_BEFORE = frozenset({("from",), ("by",), ("to",), ("with",), ("according", "to"), ("and",), ("or",),
                         ("for",), ("of",), ("cc",), ("&",), ("at",), ("via",)})
# Phrases ending in ":" ("Name:", "From:", "Contact:") are strong whatever the word.
COLON_CUES = frozenset({"name", "names", "from", "to", "contact", "customer", "client", "patient", "attn", "cc",
                        "caller", "author", "sender", "recipient", "by", "signed", "rep", "agent"})
# Verbs only people do ("Quilla said"): a name even opening a sentence. Verbs things do too ("Parcel
# returned", "Confirmation sent") count only in mid-sentence or with a known name.
PERSON_VERBS = frozenset(["said", "says", "asked", "asks", "wants", "wanted", "prefers", "preferred", "mentioned",
                          "explained", "complained", "replied", "wrote", "writes", "told", "tells", "thinks",
                          "thought", "wishes", "insists", "insisted", "promised", "agreed", "rang", "phoned",
                          "emailed", "texted", "rings", "emails", "apologised", "apologized", "laughed"])
STRONG_AFTER = PERSON_VERBS | frozenset(["sent", "reported", "confirmed", "requested", "advised", "rung", "called",
                                         "lodged", "signed", "collected", "visited", "paid", "ordered", "returned",
                                         "cancelled", "moved", "lives", "lived", "needs", "needed", "read", "calls"])
WEAK_AFTER = frozenset(["has", "had", "was", "is", "will", "would", "can", "could", "should", "did", "does"])

# A word: a letter, then word characters, apostrophes and hyphens, ending with a letter or digit (the
# look-behind gives back a trailing "_", "'" or "-": faster than an optional group ending in [^\W_]).
_TOKEN = re.compile(r"[^\W\d_][\w'\u2019\-]*(?<![_'\u2019\-])|\d+|\n|[^\w\s]")
_TOKEN_SPLIT = re.compile(f"({_TOKEN.pattern})")
# The same for ASCII text, faster (no Unicode tables); \x1c-\x1f are blanks to Unicode's \s, not ASCII's.
_ASCII_TOKEN_SPLIT = re.compile(r"([A-Za-z][\w'\-]*(?<![_'\-])|\d+|\n|[^\w\s\x1c-\x1f])", re.ASCII)
_KNOWN_WORDS = 200_000      # distinct tokens remembered per finder (then forgotten at once: bounded memory)
_POSSESSIVE = re.compile(r"['\u2019]s$")
_PREFIXED = re.compile(r"^(?:al|el|ibn|bin|d|l|o)[-'\u2019][^\W\d_]", re.IGNORECASE)
_SENTENCE_END = frozenset(".!?")
_ANY_CAPITAL = re.compile(r"[^\W\d_a-z]")
_OPENERS = frozenset("\"'(“‘[«—-•*")
# Contact details right after a name: "Aroha Ngata (aroha@…)", "Aroha Ngata, +64 21 …", "…, IRD 123…".
_DETAILS_AFTER = re.compile(r"\s*[(<]\s*[^\s@()<>]+@|\s*,\s*(?:\+?\d[\d\s().\-]{6,}|[^\s@,]+@|(?:IRD|NHI|DOB|ph|"
                            r"phone|mobile|email|born|aged?)\b)", re.IGNORECASE)
_DETAIL_OPENERS = frozenset("(<,\n")
# A phrase's last word may be followed by "is"/"was": "the account holder is", "emergency contact was".
_COPULA = frozenset({"is", "was", "are", "were", "be"})
# Words never read as a name when not capitalised as one ("aroha said": "said" is also a family name).
_NOT_UNCASED = PERSON_VERBS | STRONG_AFTER | WEAK_AFTER | CUE_WORDS | frozenset(w for p in STRONG_BEFORE for w in p)


class Word(NamedTuple):
    at: int                     # position in the token list
    start: int
    end: int                    # end of the name word (a possessive 's excluded)
    folded: str
    cap: bool
    possessive: bool
    particle: bool
    kind: str                   # G given, F family, B both, A ambiguous, P place, N never, U unknown
    shouted: bool = False       # written in capitals ("NGATA")


class NamePart(NamedTuple):
    start: int
    end: int
    role: str                   # given | middle | family: which pseudonym domain replaces it


class PersonSpan(NamedTuple):
    start: int
    end: int
    score: float
    cue: str                    # "title", "context", "gazetteer", "repeat": why (never the words themselves)
    parts: tuple[NamePart, ...] = ()


Judged = list[tuple[list[Word], PersonSpan | None]]


_new_part = tuple.__new__


def _groups(words: list[Word]) -> list[list[Word]]:
    """Name words with the particles before them: "Te Aorere Te Whata" → [Te Aorere] [Te Whata]."""
    groups: list[list[Word]] = []
    pending: list[Word] = []
    for w in words:
        pending.append(w)
        if not w.particle:
            groups.append(pending)
            pending = []
    if pending and groups:
        groups[-1].extend(pending)
    return groups


def name_parts(words: list[Word], titled: bool) -> tuple[NamePart, ...]:
    """Given / middle / family parts of a found name; one word alone is a given name unless a title
    precedes it or the gazetteer knows it only as a family name."""
    # Most names: one or two words, no particle.
    if len(words) == 1 and not words[0].particle:
        one = words[0]
        return (_new_part(NamePart, (one.start, one.end, "family" if titled or one.kind == "F" else "given")),)
    if len(words) == 2 and not (words[0].particle or words[1].particle):
        given, family = words
        return (_new_part(NamePart, (given.start, given.end, "given")),
                _new_part(NamePart, (family.start, family.end, "family")))
    groups = _groups(words)
    if not groups:
        return ()
    if len(groups) == 1:
        only = groups[0]
        role = "family" if titled or only[-1].kind == "F" else "given"
        return (NamePart(only[0].start, only[-1].end, role),)
    half = len(groups) // 2
    if len(groups) >= 4 and len(groups) % 2 == 0 and \
            [[w.folded for w in g] for g in groups[:half]] == [[w.folded for w in g] for g in groups[half:]]:
        # "Kiri Walker Kiri Walker": one name written twice, each part with its own pseudonym both times.
        roles = (["given"] + ["middle"] * (half - 2) + ["family"]) * 2
    else:
        roles = ["given"] + ["middle"] * (len(groups) - 2) + ["family"]
    return tuple(NamePart(g[0].start, g[-1].end, r) for g, r in zip(groups, roles, strict=True))


def split_name(text: str, start: int, end: int) -> tuple[NamePart, ...]:
    """Parts of a name another detector found (spaCy): words split on blanks, particles attached."""
    words = []
    for m in re.finditer(r"\S+", text[start:end]):
        core = m.group().rstrip(".,;:")
        words.append(Word(0, start + m.start(), start + m.start() + len(core), fold(core), True, False,
                          core.lower() in PARTICLES, "U"))
    return name_parts([w for w in words if w.end > w.start], titled=False)


def word_kind(folded: str, g: Gazetteer) -> str:
    """One name word's kind: G given, F family, B both, A ambiguous (an everyday word), P place, N never, U unknown."""
    if folded in g.never:
        return "N"
    parts = [folded] if folded in g.given or folded in g.family or "-" not in folded else folded.split("-")
    given = any(p in g.given for p in parts)
    family = any(p in g.family for p in parts)
    if not (given or family):
        return "U"
    if folded in g.ambiguous:
        return "A"
    if folded in g.places:
        return "P"
    return "B" if given and family else "G" if given else "F"


def _is_cap(text: str) -> bool:
    return text[0].isupper() or bool(_PREFIXED.match(text) and text[-1].isalpha())


# Token shapes for title-case lines: a word of three letters or more, capitalised or not; a line break.
_OTHER, _LONG, _LONG_CAP, _BREAK = 0, 1, 2, 3


def _shape(tok: str) -> int:
    if tok == "\n":
        return _BREAK
    if len(tok) >= 3 and tok[0].isalpha():
        return _LONG_CAP if tok[0].isupper() else _LONG
    return _OTHER


def _title_case_lines(shapes: list[int]) -> set[int]:
    """Line numbers where most words of three letters or more are capitalised (titles, catalogue prose);
    ``shapes``: each token's ``_shape``."""
    lines: set[int] = set()
    begin, line, n = 0, 0, len(shapes)
    while begin <= n:
        try:
            end = shapes.index(_BREAK, begin)
        except ValueError:
            end = n
        words = shapes[begin:end]
        caps = words.count(_LONG_CAP)
        long = caps + words.count(_LONG)
        if long >= 6 and caps / long >= 0.7:
            lines.add(line)
        begin, line = end + 1, line + 1
    return lines


# A learned name word: (length without a possessive, can join a run, an opening cue word, possessive,
# particle, capitalised, the Word fields from ``folded`` on). Runs are found on these tuples; Word objects
# are made for runs only.
Learned = tuple[int, bool, bool, bool, bool, bool, tuple[str, bool, bool, bool, str, bool]]
_new_word = tuple.__new__


class PersonFinder:
    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.g = gazetteer or load()
        # What each distinct token is, read once (a function of the token alone) and remembered:
        self._known: dict[str, Learned | tuple[()]] = {}   # token → as a capitalised name word, or ()
        self._lower: dict[str, str] = {}        # lower-case token → its kind as a name (_lower_kind)
        self._lower_names: set[str] = set()     # lower-case tokens whose kind is a name (not "N")
        self._titles: set[str] = set()          # tokens that are a title ("Mrs", "dr")
        self._fold_differs: set[str] = set()    # lower-case tokens not their own fold ("hēmi", "mcKay")
        self._shapes: dict[str, int] = {}       # token → _shape
        self._cue_cache: dict[tuple[tuple[str, ...], str | None], tuple[bool, bool]] = {}   # _cues' answers

    def find(self, text: str) -> list[PersonSpan]:
        # Tokens as three lists (text, start, end): re.split keeps the tokens and the gaps between them,
        # whose running lengths are the offsets, without a Python object per token.
        pieces = (_ASCII_TOKEN_SPLIT if text.isascii() else _TOKEN_SPLIT).split(text)
        offsets = list(accumulate(map(len, pieces)))
        tokens, starts, ends = pieces[1::2], offsets[0::2], offsets[1::2]
        if len(self._known) > _KNOWN_WORDS:
            self._forget()
        distinct = set(tokens)
        for t in distinct.difference(self._known):
            self._learn(t)
        # Most texts hold no lower-case word that is a known name at all: then the lower-case pass is skipped.
        named = self._lower_names.intersection(distinct)
        found = self._capitalised(text, tokens, starts, ends) if _ANY_CAPITAL.search(text) else []
        return self._lower_case(text, tokens, starts, ends, found, named, distinct) if named else found

    def _forget(self) -> None:
        """Bounded memory: everything remembered about tokens is forgotten at once."""
        for remembered in (self._known, self._lower, self._lower_names, self._titles, self._fold_differs,
                            self._shapes, self._cue_cache):
            remembered.clear()

    def _learn(self, t: str) -> None:
        if t[0].isdigit():      # a number: no name word, title or word of a title-case line
            self._known[t], self._shapes[t] = (), _OTHER
            return
        if t.isascii() and t.isalnum() and t.islower() and t not in PARTICLES:
            # Most new tokens: a plain lower-case word ("wong2337" too), its own fold, no name word (only
            # particles are).
            self._known[t], self._shapes[t] = (), _LONG if len(t) >= 3 else _OTHER
            if self._lower_kind(t) != "N":
                self._lower_names.add(t)
            if t in TITLES:
                self._titles.add(t)
            return
        self._shapes[t] = _shape(t)
        word = self._word(t)
        if word:
            _, folded, cap, _, particle, kind, _ = word
            ok = (cap or particle) and folded not in TITLES and (kind != "N" or particle)
            self._known[t] = (word[0], ok, folded in CUE_WORDS and not particle, word[3], particle, cap, word[1:])
        else:
            self._known[t] = ()
        if t[0].islower():
            if self._lower_kind(t) != "N":
                self._lower_names.add(t)
            if not (t.isascii() and t.islower()) and fold(t) != t:
                self._fold_differs.add(t)
        if fold(t.rstrip(".")) in TITLES:
            self._titles.add(t)

    def _capitalised(self, text: str, tokens: list[str], starts: list[int], ends: list[int]) -> list[PersonSpan]:
        """Names in runs of capitalised words (and particles)."""
        # () for a token that is no name word: read only where ``at`` or a truth test lets it through.
        learned = cast("list[Learned]", list(map(self._known.__getitem__, tokens)))
        at = list(compress(range(len(tokens)), learned))     # the name words' token positions
        # A title-case line has five capitalised words or more, and each of them is a name word.
        title_lines = _title_case_lines(list(map(self._shapes.__getitem__, tokens))) if len(at) >= 5 else set()
        runs: Judged = []
        breaks: list[int] | None = None     # the line breaks' token positions, once a title-case line is read
        after = -1
        last = len(tokens) - 1
        for i in at:
            if i <= after or not learned[i][1]:
                continue
            # The run: name words joined by one blank, up to a possessive ("Hemi's") or the first title.
            j = i
            while j < last and not learned[j][3]:
                w = learned[j + 1]
                if not (w and w[1]) or starts[j + 1] - ends[j] != 1 or text[ends[j]] not in " \t":
                    break
                j += 1
            while j >= i and learned[j][4]:      # a run never ends with a particle ("Ngata te ...")
                j -= 1
            # "Hi Aroha", "Customer Aroha Ngata", "Call Hemi": the opening cue word is context, not name.
            k = i
            while k < j and learned[k][2]:
                k += 1
            if k == j:
                w = learned[k]
                if not w[5]:
                    continue
                run = [_new_word(Word, (k, starts[k], starts[k] + w[0], *w[6]))]
            else:
                if j < i or not any(learned[m][5] for m in range(k, j + 1)):
                    continue
                run = [_new_word(Word, (m, starts[m], starts[m] + learned[m][0], *learned[m][6]))
                       for m in range(k, j + 1)]
            if title_lines and breaks is None:
                breaks = [p for p, t in enumerate(tokens) if t == "\n"]
            title_line = breaks is not None and bisect.bisect_left(breaks, k) in title_lines    # k's line
            runs.append((run, self._judge(text, tokens, run, title_line)))
            after = j
        if len(runs) > 1:
            runs = _coordinated(text, runs)
        return [span for _, span in runs if span is not None]

    def _word(self, t: str) -> tuple[int, str, bool, bool, bool, str, bool] | tuple[()]:
        """What a token is as a name word: (length without a possessive, folded, capitalised, possessive,
        particle, kind, in capitals), or () for a token that is never part of a name. A function of the
        token alone."""
        first = t[0]
        if not first.isalpha():
            return ()
        lower = t.lower()
        if not (first.isupper() or lower in PARTICLES or _PREFIXED.match(t)):
            return ()           # lower-case words only end runs; they are never part of a name
        possessive = lower.endswith(("'s", "\u2019s"))
        core = t[:-2] if possessive else t
        folded = fold(core)
        low_core = lower[:-2] if possessive else lower
        # "Lê" is a name, "le" a particle: particles and stop words are matched as written.
        shouted = core.isupper() and len(core) > 1
        if not core.replace("'", "").replace("-", "").replace("\u2019", "").isalpha():
            kind = "N"
        elif shouted:
            kind = self._capitals_kind(folded)
        elif low_core == folded or folded not in self.g.never:
            kind = word_kind(folded, self.g)
        else:
            kind = "U"
        return len(core), folded, _is_cap(core), possessive, low_core in PARTICLES, kind, shouted

    def _capitals_kind(self, folded: str) -> str:
        """A word in capitals ("NGATA") is a name word only as a known name of three letters or more that is
        no cue or verb; else it is an acronym or a shouted word ("IRD", "REFUND")."""
        if len(folded) < 3 or folded in _NOT_UNCASED:
            return "N"
        kind = word_kind(folded, self.g)
        return kind if kind in "GFBA" else "N"

    def _lower_kind(self, token: str) -> str:
        """A lower-case word's kind as a name: "N" unless a known name that no everyday word, cue or verb is."""
        kind = self._lower.get(token)
        if kind is None:
            kind = "N"
            if len(token) >= 3 and token not in _NOT_UNCASED and token not in PARTICLES:
                kind = word_kind(fold(token), self.g)
                kind = kind if kind in "GFB" else "N"
            self._lower[token] = kind
        return kind

    def _lower_case(self, text: str, tokens: list[str], starts: list[int], ends: list[int],
                    found: list[PersonSpan], named: set[str], distinct: set[str]) -> list[PersonSpan]:
        """Names written in lower case ("call aroha ngata", "hi ilona"), added to those already found;
        ``named``: the text's lower-case tokens that are known names."""
        extra: list[PersonSpan] = []
        titles = self._titles
        n = len(tokens)
        i = 0
        # Only where a known name (or a particle) stands; positions in order, as a scan token by token.
        maybe = named.union(PARTICLES.intersection(distinct))
        taken: Spans | None = None      # the names found already, once a span in lower case is to be checked
        for at in compress(range(n), map(maybe.__contains__, tokens)):
            if at < i:
                continue
            i = at
            t = tokens[i]
            if t not in named and not (i + 1 < n and tokens[i + 1] in named):
                continue
            # A given name may open with a particle ("te rangi").
            given = i + 1 if t in PARTICLES and i + 1 < n and text[ends[i]:starts[i + 1]] == " " else i
            word = tokens[given]
            kind = self._lower_kind(word) if word[0].islower() else "N"
            titled = i > 0 and tokens[i - 1] in titles
            if kind not in "GB" and not (kind == "F" and titled):       # "mrs ngata"
                continue
            j = given + 1      # the family name, maybe after particles ("tama del río", "raúl di stefano")
            while j < n and tokens[j] in PARTICLES and text[ends[j - 1]:starts[j]] == " ":
                j += 1
            pair = kind != "F" and j < n and text[ends[j - 1]:starts[j]] == " " and tokens[j][0].islower() and \
                self._lower_kind(tokens[j]) in ("GFB" if j > given + 1 else "FB")
            last = j if pair else given
            span = self._lower_case_span(text, tokens, starts, ends, i, last, pair)
            if span is None:
                continue
            if taken is None:
                taken = Spans((s.start, s.end) for s in found)
            if not taken.overlap(span.start, span.end):
                extra.append(span)
                i = last + 1
        if not extra:
            return found
        # "call aroha ngata ...; aroha said": each part found in lower case, where it stands again.
        roles = {fold(text[p.start:p.end]): p.role for span in extra for p in span.parts
                 if " " not in text[p.start:p.end]}
        # Tokens that fold to a part: the part as written, or one whose fold differs from it ("arōha").
        maybe = distinct.intersection(roles)
        maybe.update(self._fold_differs.intersection(distinct))
        again = {t for t in maybe if t[0].islower() and fold(t) in roles}
        taken = Spans((s.start, s.end) for s in found + extra)
        for k in compress(range(n), map(again.__contains__, tokens)):
            role = roles[fold(tokens[k])]
            if not taken.overlap(starts[k], ends[k]):
                extra.append(PersonSpan(starts[k], ends[k], MEDIUM, "repeat", (NamePart(starts[k], ends[k], role),)))
        return sorted(found + extra)

    def _lower_case_span(self, text: str, tokens: list[str], starts: list[int], ends: list[int], first: int,
                         last: int, pair: bool) -> PersonSpan | None:
        titled = first > 0 and tokens[first - 1] in self._titles
        if not (pair or titled) and _no_strong_cue(tokens, first):
            return None         # a lone name in lower case needs a strong cue ("aroha" in "aroha.ngata@…")
        (strong, weak), _ = self._before(tokens, first)
        strong = strong or titled
        nxt = tokens[last + 1].lower() if last + 1 < len(tokens) else ""
        after = nxt in STRONG_AFTER or _details_after(text, ends[last], nxt)
        if not (strong or (pair and (weak or after))):
            return None
        words = [Word(k, starts[k], ends[k], fold(tokens[k]), False, False, tokens[k] in PARTICLES, "U")
                 for k in range(first, last + 1)]
        return PersonSpan(starts[first], ends[last], STRONG if strong else MEDIUM, "context",
                          name_parts(words, titled))

    def _before(self, tokens: list[str], index: int) -> tuple[tuple[bool, bool], bool]:
        """((strong, weak) cue before token ``index``, initial?): the cue from up to four words before it
        and the punctuation right before (``_cues_before``)."""
        k = index - 1
        while k >= 0 and tokens[k] in _OPENERS:
            k -= 1
        if k < 0:
            return self._cues((), None), True
        before = tokens[k]
        punct = None if before[0].isalnum() or before == "\n" else before
        initial = before == "\n" or (before in _SENTENCE_END and not (k > 0 and tokens[k - 1] in self._titles))
        end = m = k - 1 if punct in (",", ":") else k
        while m >= 0 and end - m < 4 and (tokens[m][0].isalnum() or tokens[m] in ("'", "&")):
            m -= 1
        if m == end and before == "\n":
            # "Regards,\nAroha", "Ship to:\nAroha Ngata": a sign-off or a label ending the line before.
            m = k - 1
            if m >= 0 and tokens[m] in (",", "!", ":"):
                punct = tokens[m]
                m -= 1
            end = m
            while m >= 0 and end - m < 4 and tokens[m][0].isalnum():
                m -= 1
            initial = True
        cues = self._cue_cache.get((back := tuple(tokens[m + 1:end + 1]), punct))
        return cues or self._cues(back, punct), initial

    def _cues(self, back: tuple[str, ...], punct: str | None) -> tuple[bool, bool]:
        """``_cues_before`` of these words as written, remembered: the same few phrases stand before most names."""
        cues = self._cue_cache.get((back, punct))
        if cues is None:
            if len(self._cue_cache) > _KNOWN_WORDS:
                self._cue_cache.clear()
            words = [w.lower() for w in back]
            while len(words) > 1 and words[-1] in _COPULA:
                words.pop()
            cues = self._cue_cache[back, punct] = _cues_before(tuple(words), punct)
        return cues

    def _judge(self, text: str, tokens: list[str], run: list[Word], title_line: bool) -> PersonSpan | None:
        g = self.g
        index = run[0].at
        titled = index > 0 and (tokens[index - 1] in self._titles or (
            tokens[index - 1] == "." and index > 1 and tokens[index - 2] in self._titles))
        last = run[-1]
        after_index = last.at + 1
        nxt = tokens[after_index].lower() if after_index < len(tokens) else ""
        if len(run) == 1:
            names, kinds = run, [last.kind]
            known = [last.kind in "GFB"]
        else:
            names = [w for w in run if not w.particle]
            kinds = [w.kind for w in names]
            known = [k in "GFB" for k in kinds]
        # The cues after the run first: the words before it are read only when those leave it open.
        if nxt in PERSON_VERBS or _details_after(text, last.end, nxt) or (
                last.possessive and nxt not in STRONG_AFTER and any(known)):
            strong, weak, initial = True, False, False
        else:
            (strong, weak), initial = self._before(tokens, index)
            strong = strong or titled
            if nxt in STRONG_AFTER:
                # "Parcel returned", "Confirmation sent": a lone unknown word opening a sentence is no name.
                strong = strong or not (initial and len(names) == 1 and not known[0])
        if strong:
            if len(names) == 1 and (names[0].folded in g.not_after_cue or kinds[0] == "N" or
                                    (names[0].shouted and kinds[0] == "A")):    # "RING, KING SIZE BED"
                return None
            return PersonSpan(run[0].start, run[-1].end, STRONG, "title" if titled else "context",
                              name_parts(run, titled))
        weak_after = nxt in WEAK_AFTER
        if len(names) >= 2:
            first_given = kinds[0] in "GB"
            # "Hemi Walker": a known given name makes a family name that is also a word ("Walker") a name.
            last_ok = kinds[-1] in "GFBUA"
            if first_given and last_ok and (kinds[-1] != "U" or weak or weak_after) and not (
                    title_line and (kinds[-1] == "U")):
                return PersonSpan(run[0].start, run[-1].end, MEDIUM, "gazetteer", name_parts(run, titled))
            if kinds[0] in "GBA" and kinds[-1] in "GFB" and not title_line:
                return PersonSpan(run[0].start, run[-1].end, MEDIUM, "gazetteer", name_parts(run, titled))
            if weak and any(known) and not title_line:
                return PersonSpan(run[0].start, run[-1].end, MEDIUM, "context", name_parts(run, titled))
            if sum(known) >= 2 and not title_line:
                return PersonSpan(run[0].start, run[-1].end, MEDIUM, "gazetteer", name_parts(run, titled))
            return None
        word = names[0]
        if word.kind not in "GFB" or title_line or word.shouted:      # "paid with VISA": a brand, an acronym
            return None
        if initial and not weak_after:
            return None
        return PersonSpan(run[0].start, run[-1].end, MEDIUM if (weak or weak_after) else WEAK, "gazetteer",
                          name_parts(run, titled))


# The last word of a strong cue phrase, or a copula a phrase may stand before ("the account holder is").
_STRONG_ENDS = frozenset(p[-1] for p in STRONG_BEFORE) | _COPULA


def _no_strong_cue(tokens: list[str], index: int) -> bool:
    """Surely no strong cue before token ``index`` (``_before`` would say so): nothing before it but
    openers, or a word or number right before them that ends no strong phrase. Other tokens (punctuation,
    a line break): unsure, False."""
    k = index - 1
    while k >= 0 and tokens[k] in _OPENERS:
        k -= 1
    if k < 0:
        return True
    before = tokens[k]
    return before[0].isalnum() and before.lower() not in _STRONG_ENDS


def _details_after(text: str, end: int, nxt: str) -> bool:
    """Contact details follow at ``end`` (``_DETAILS_AFTER``); ``nxt``: the next token in lower case. Only
    blanks and "_" stand between tokens, so the pattern (blanks first) can match only before a "(", "<" or ","
    token, or a line break (a token, but a blank to the pattern)."""
    return nxt in _DETAIL_OPENERS and _DETAILS_AFTER.match(text, end) is not None


def _cues_before(back: tuple[str, ...], punct: str | None) -> tuple[bool, bool]:
    """(strong, weak): the words and punctuation before a run are a cue that a person follows."""
    strong = punct == ":" and bool(back) and back[-1] in COLON_CUES
    for n in range(min(len(back), 4), 0, -1):
        phrase = back[-n:]
        if phrase in _STRONG_BEFORE:
            return strong or punct in (None, ",", ":", "!"), False
        if phrase in WEAK_BEFORE:
            return strong, punct is None
    return strong, False


_AND = re.compile(r"\s*(?:,|and|&|or|,\s*and)\s*")


_LINE_START = re.compile(r"(?:^|\n)[ \t]*$")
_LIST_END = re.compile(r"[ \t]*(?:$|\n|[—–\-:(;|])")



def _coordinated(text: str, runs: Judged) -> Judged:
    """"Henare Rangitauira and Te Aorere Waaka": a full name joined by "and" / "," to a found one is one too;
    "Ngata, Aroha —" opening a line (family, given) is a name when either word is a known name."""
    out = list(runs)
    for k in range(len(out) - 1):
        (left, a), (right, b) = out[k], out[k + 1]
        if a is None and b is None and len(left) <= 3 and len(right) <= 3 and \
                text[left[-1].end:right[0].start] == ", " and search_tail(_LINE_START, text, left[0].start, 0) and \
                _LIST_END.match(text, right[-1].end) and any(w.kind in "GFB" for w in (*left, *right)):
            # "Ngata, Aroha": family first.
            out[k] = (left, PersonSpan(left[0].start, left[-1].end, MEDIUM, "context",
                                       name_parts(left, titled=True)))
            out[k + 1] = (right, PersonSpan(right[0].start, right[-1].end, MEDIUM, "context",
                                            (NamePart(right[0].start, right[-1].end, "given"),)))
            continue
        if a is None and b is not None and len(left) <= 3 and len(b.parts) == 1 and b.parts[0].role == "given" and \
                text[left[-1].end:right[0].start] == ", " and search_tail(_LINE_START, text, left[0].start, 0) and \
                all(w.cap and w.kind in "FBA" for w in left):
            # "Walker, Kiri prefers email": a found given name after "Word, " opening a line; that word is
            # the family name even when it is also an everyday word.
            out[k] = (left, PersonSpan(left[0].start, left[-1].end, MEDIUM, "context",
                                       name_parts(left, titled=True)))
            continue
        if (a is None) == (b is None) or not _AND.fullmatch(text, left[-1].end, right[0].start):
            continue
        other = left if a is None else right
        if sum(not w.particle for w in other) >= 2 or any(w.kind in "GFB" for w in other):
            span = PersonSpan(other[0].start, other[-1].end, MEDIUM, "context", name_parts(other, titled=False))
            out[k if a is None else k + 1] = (other, span)
    return out
