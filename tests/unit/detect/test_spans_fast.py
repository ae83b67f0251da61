"""The span finder's shortcuts for free text (issue 14) give the answers of the plain reading they replace.

- ``with_name_parts`` reads a one-word part of a name without scanning its words, and finds a name word
  again in an ASCII text with ``str.find`` instead of reading every word;
- ``AddressFinder`` skips its word-then-number scan in a text with no blank before a digit or no compound
  street type, starts its scans with a look-ahead for their first characters, and lowers an
  ASCII text at once to find street words;
- ``PersonFinder`` learns a lower-case ASCII token with digits ("wong2337") on its short path;
- the pre-screens that start at their rarest character match where their plain forms match, and the
  schemeless-URL runs start only where a run can start.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from anonymiser.detect import addresses, analyze, gazetteer, persons
from anonymiser.detect.analyze import _TRIGGERS, Hit, _ascii_repeats, _DottedRuns, _name_words, _plain_word
from anonymiser.detect.anchored import runs_from_dots
from anonymiser.detect.engine import get_engine
from anonymiser.detect.longtext import Spans
from anonymiser.detect.persons import NamePart, PersonFinder
from tests.eval.generate import load

_ALPHABET = "aArRoOhHeEsS ēó'\u2019-_09 \t\n.,:;()<>@&"
_WORDS = ["Aroha", "aroha", "AROHA", "Aroha's", "aroha's", "o'aroha", "Aroha-Jane", "aroha_1", "aroha2337", "Ngata",
          "ngata", "te", "Te", "Mark", "mark", "Hēmi", "hemi", "(aroha.ngata12@x.nz)", "x-aroha", "'aroha", "Street",
          "12", "Queen", "St.", "Rd", "Flat 2", "PO Box 4411", "Avenida", "avenida", "Av.", "Ave", "gasse", "\n", ".",
          ",", "said", "call", "Hi"]
_TEXTS = st.text(alphabet=_ALPHABET, max_size=60) | st.lists(st.sampled_from(_WORDS), max_size=14).map(" ".join)


def _plain_repeats(text: str, roles: dict[str, str], taken: list[tuple[int, int]]) -> list[Hit]:
    """with_name_parts' scan of every word, as it was."""
    g = gazetteer.load()
    extra = []
    for ws, we, word, capitalised in _name_words(text, 0):
        key = word.lower() if word.isascii() else gazetteer.fold(word)
        found = roles.get(key)
        if found is None or (not capitalised and (key in g.never or key in g.ambiguous)):
            continue
        if not any(a < we and ws < b for a, b in taken):
            extra.append(Hit(ws, we, "PERSON", 0.6, "NameRepeat", (NamePart(ws, we, found),)))
    return extra


@settings(max_examples=400, deadline=None)
@given(_TEXTS, st.lists(st.sampled_from(["aroha", "ngata", "mark", "hemi", "te", "a", "o"]), min_size=1, max_size=3),
       st.lists(st.tuples(st.integers(0, 60), st.integers(0, 8)), max_size=2))
@example("Aroha said aroha's o'aroha x-aroha 'aroha aroha_1", ["aroha"], [])
def test_name_words_found_again_as_by_reading_every_word(text: str, keys: list[str],
                                                          taken: list[tuple[int, int]]) -> None:
    text = text.encode("ascii", "ignore").decode()
    roles = {k: "given" for k in keys}
    spans = [(start, start + width) for start, width in taken]
    fast = _ascii_repeats(text, text.lower(), roles, Spans(spans), gazetteer.load())
    if fast is not None:            # None: the plain reading runs
        assert fast == _plain_repeats(text, roles, spans)


@settings(max_examples=600, deadline=None)
@given(_TEXTS, st.lists(st.sampled_from(["aroha", "ngata", "mark", "hemi", "te", "a", "o"]), min_size=1, max_size=3),
       st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12)), max_size=4))
@example("Aroha Ngata (aroha.ngata@x.nz)", ["aroha", "ngata"], [(0, 11), (13, 29)])
@example("aroha", ["aroha"], [(2, 2)])
def test_name_words_standing_only_inside_spans_are_found_nowhere(text: str, keys: list[str],
                                                                  taken: list[tuple[int, int]]) -> None:
    text = text.encode("ascii", "ignore").decode()
    roles = {k: "given" for k in keys}
    spans = [(start, start + width) for start, width in taken]
    hits = [Hit(a, b, "URL", 0.5, "test") for a, b in spans]
    if not any(key in analyze._outside(text.lower(), hits) for key in roles):
        assert _plain_repeats(text, roles, spans) == []


@settings(max_examples=400, deadline=None)
@given(_TEXTS, st.integers(0, 60), st.integers(0, 12))
def test_a_plain_part_is_the_word_the_scan_finds_there(text: str, start: int, width: int) -> None:
    start = min(start, len(text))
    end = min(start + width, len(text))
    word = _plain_word(text, start, end)
    if word is None:
        return
    first = next(_name_words(text, text.rfind(" ", 0, start) + 1))
    assert first == (start, end, word, word[0].isupper())
    assert next(_name_words(text, end), (end,))[0] >= end
    assert analyze._folded_part(word) == " ".join(gazetteer.fold(analyze._POSSESSIVE.sub("", w)) for w in word.split())


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
@example("12 Queen St. aroha Av. 7")
def test_address_shortcuts_read_as_before(text: str) -> None:
    if addresses._WORD_THEN_NUMBER.search(text):
        assert addresses._BLANK_DIGIT.search(text)
    ascii_text = text.encode("ascii", "ignore").decode()
    assert addresses._ASCII_LOWER_WORD.findall(ascii_text.lower()) == \
        [w.lower() for w in addresses._LOWER_WORD.findall(ascii_text)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abmrs0129_-'.A", min_size=1, max_size=10))
@example("wong2337")
@example("mrs2")
@example("te1")
def test_a_lower_case_token_with_digits_is_learned_as_on_the_long_path(token: str) -> None:
    if not token[0].isalpha():
        return
    short = PersonFinder()
    short._learn(token)
    long = PersonFinder()
    word = long._word(token)
    assert short._shapes[token] == persons._shape(token)
    if word:
        _, folded, cap, _, particle, kind, _ = word
        ok = (cap or particle) and folded not in persons.TITLES and (kind != "N" or particle)
        assert short._known[token] == (word[0], ok, folded in persons.CUE_WORDS and not particle, word[3], particle,
                                       cap, word[1:])
    else:
        assert short._known[token] == ()
    assert (token in short._lower_names) == (token[0].islower() and long._lower_kind(token) != "N")
    assert (token in short._titles) == (gazetteer.fold(token.rstrip(".")) in persons.TITLES)


def test_the_evaluation_set_finds_the_same_names_again() -> None:
    # Every cell of the evaluation set through both readings, with the names the finder found there.
    finder = PersonFinder()
    for record in load():
        text = record["text"]
        if not text.isascii():
            continue
        roles = {text[p.start:p.end].lower(): p.role for s in finder.find(text) for p in s.parts
                 if text[p.start:p.end].isalpha()}
        if roles:
            fast = _ascii_repeats(text, text.lower(), roles, Spans(()), gazetteer.load())
            assert fast is None or fast == _plain_repeats(text, roles, [])


# The screens as first written: each plain form and the rewritten one must match the same texts.
_PLAIN_SCREENS = {
    "CREDIT_CARD": r"\d(?:[ \-]?\d){11}",
    "US_SSN": r"(?<!\d)\d{3}[- .]?\d{2}[- .]?\d{4}(?!\d)",
    "IBAN_CODE": r"[A-Za-z]{2}\d{2}[A-Za-z0-9 \-]{10,}",
    "NZ_NHI": r"(?i)\b[a-z]{3}\s?\d{2}",
    "NZ_DRIVER_LICENCE": r"[A-Za-z]\d{6}",
    "URL": r"(?i)www\.|\w\.[a-z]{2,}\b",
}
_SCREEN_TEXT = st.text(alphabet="aZkqwK\u212a\u017f\u0130\u0131 \t\n-.:/+()0129\u0663\u00a0_", max_size=40)


@pytest.mark.parametrize("entity", sorted(_PLAIN_SCREENS))
@settings(max_examples=800, deadline=None)
@given(text=_SCREEN_TEXT)
@example(text="abc12")
@example(text="abc 12")
@example(text="xabc12")
@example(text="GB82WEST12345698765432")
@example(text="ab123456")
@example(text="123-45-6789")
@example(text="1123-45-6789")
@example(text="www.x")
@example(text="1 2-3 4-5-6 7 8 9 0 1 2")
@example(text="12 3-4 5-6 7 8 9 0 1 2")
@example(text="a.nz")
def test_a_screen_matches_where_its_plain_form_does(entity: str, text: str) -> None:
    plain = re.compile(_PLAIN_SCREENS[entity])
    (fast,) = [p for p, entities, _, _ in _TRIGGERS if entity in entities and p is not None and
               p.pattern != "(?i)https?://"]
    assert bool(fast.search(text)) == bool(plain.search(text))


@pytest.mark.parametrize("entity", ["NZ_IRD", "NZ_BANK_ACCOUNT", "NZBN", "PHONE_NUMBER"])
@settings(max_examples=600, deadline=None)
@given(text=st.text(alphabet="0124569 -().+/\t\na\u0663", max_size=40) |
       st.lists(st.sampled_from(["9429", "94290446", "50421", "01", "0902", "0068389", "00", "049", "091", "850",
                                 "136410132", "-", " ", "a", "021 555 0199", "+64"]), max_size=10).map("".join))
@example(text="049-091-850")
@example(text="01-0902-0068389-00")
@example(text="9429044650421")
def test_a_number_its_recognizer_finds_is_a_candidate(entity: str, text: str) -> None:
    # The NZ numbers' screens are the phone screen and their least count of digits (and NZBN's prefix).
    engine = get_engine("blank")
    (recognizer,) = [r for r, _ in engine.recognizers_for([entity])]
    if recognizer.spans(text):
        assert entity in analyze.candidate_entities(text, None, has_ner=False)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="019 -a\u0663", min_size=12, max_size=40))
@example("a1 2-3 4-5-6 7 8 9 0 1 2")
def test_the_card_screen_matches_digit_chains_where_its_plain_form_does(text: str) -> None:
    (fast,) = [p for p, entities, _, _ in _TRIGGERS if "CREDIT_CARD" in entities]
    assert bool(fast.search(text)) == bool(re.search(_PLAIN_SCREENS["CREDIT_CARD"], text))


def test_the_digit_screen_is_the_digit_count() -> None:
    (needs,) = [n for p, entities, n, char in _TRIGGERS if p is None and not char]
    assert needs == 1           # a text holds a digit (\d) exactly when its count of digits is one or more


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="abK\u212a\u017f\u01300-.. x@\u00e9/", max_size=50))
@example("susan.wong2337@gmail.com a-b.c.d")
def test_url_runs_are_found_as_by_trying_every_position(text: str) -> None:
    plain = re.compile(r"[a-z0-9\-]*\.[a-z0-9.\-]*", re.IGNORECASE)
    runs = _DottedRuns(re.compile("x"), 0).runs
    assert [m.span() for m in runs.finditer(text)] == [m.span() for m in plain.finditer(text)]


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="abK\u212a\u017f\u01300-.. \n\tx@\u00e9/", max_size=50))
@example("susan.wong2337@gmail.com a-b.c.d")
@example("a .b\n.c d.")
def test_url_runs_searched_from_before_each_dot_are_the_runs(text: str) -> None:
    runs = _DottedRuns(re.compile("x"), 0).runs
    assert [m.span() for m in runs_from_dots(runs, text)] == [m.span() for m in runs.finditer(text)]


_ADDRESS_TEXT = st.text(alphabet="FUASLRPGCflatuniBoxX 0129/,-.\t\nStreetRoadAve", max_size=50) | \
    st.lists(st.sampled_from(["Flat 2", "Unit 4", "Apt. 841", "Suite", "Studio 3", "12", "87A", "3/18", "Queen",
                              "Street", "Road", "Avenue", "PO Box 4411", "P.O. Box 12", "Private Bag 3",
                              "PSC 1234, Box 5678", "USS Nimitz", "Locked Bag 9", "GPO Box 1", "Rm 4", ",",
                              "\n", "Level 3", "Lvl 2", "Shop 1", "Room 5", "Ste 2"]), max_size=10).map(" ".join)


_FINDER = addresses.AddressFinder()


@pytest.mark.parametrize("name", ["english", "unit_first", "box", "_UNIT_WORD", "_BOX_WORD"])
@settings(max_examples=500, deadline=None)
@given(text=_ADDRESS_TEXT)
@example(text="Parcel for Joseph Weston left at 814 Frost Avenue, McKayburgh.")
@example(text="Unit 4, 87A Waipokiwi Corner")
@example(text="Flat 9, Roberts Flat")
def test_an_address_scan_with_its_look_ahead_finds_what_it_found_without(name: str, text: str) -> None:
    fast = getattr(_FINDER, name, None) or getattr(addresses, name)
    look_ahead = re.match(r"\(\?=\[[^\]]*\]\)", fast.pattern)
    assert look_ahead is not None
    plain = re.compile(fast.pattern[look_ahead.end():], fast.flags)
    assert [(m.span(), m.groupdict()) for m in fast.finditer(text)] == \
        [(m.span(), m.groupdict()) for m in plain.finditer(text)]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["Hauptstraße", "HAUPTSTRASSE", "Kerkstraat", "Rosenowstr.", "Torget", "İgasse",
                                 "ΣHOF", "Damm", "12", "7", "\t", ",", "x", "Str", "."]), max_size=8).map(" ".join) |
       _ADDRESS_TEXT)
@example("Rosenowstr. 8")
@example("Hauptstraße 12")
def test_a_compound_street_needs_its_type_in_the_lowered_text(text: str) -> None:
    compounds = _FINDER.compounds
    lowered = text.lower()
    for m in addresses._WORD_THEN_NUMBER.finditer(text):
        word = m.group(1)
        if word.lower().endswith(compounds) or text[m.end(1):m.end(1) + 1] == "." and \
                (word + ".").lower().endswith(compounds):
            assert addresses._BLANK_DIGIT.search(text)
            assert any(c in lowered for c in compounds)


def _plain_context_score(text: str, start: int, score: float, context: frozenset[str]) -> float:
    if not context or score >= 1.0:
        return score
    before = analyze._CONTEXT_WORD.findall(text, max(0, start - 60), start)[-analyze.CONTEXT_WORDS_BEFORE:]
    if any(w.lower() in context or w.lower().rstrip("s") in context for w in before):
        return max(min(score + analyze.CONTEXT_BOOST, 1.0), analyze.CONTEXT_MIN)
    return score


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["Phone", "phones", "IRD", "ird", "tax", "Taxes", "x", "ΟΔΟΣ", "ΟΔΟΣ'Α", "οδος",
                                 "İrd", "K", "\u212aey", "12", ":", "'", "s", "ss", "a" * 30]),
                max_size=12).map(" ".join),
       st.sampled_from([frozenset({"phone", "tax", "ird"}), frozenset({"οδος"}), frozenset({"key", "s"}),
                        frozenset()]),
       st.integers(0, 200), st.sampled_from([0.1, 0.5, 0.7, 1.0]))
def test_context_words_are_read_as_before(text: str, context: frozenset[str], start: int, score: float) -> None:
    start = min(start, len(text))
    assert analyze._context_score(text, start, score, context) == _plain_context_score(text, start, score, context)


_CUE_TEXTS = st.lists(st.sampled_from([
    "aroha", "Aroha", "ngata", "email", "Email", "call", "name", "is", "was", "my", "spoke", "with", "to", "from",
    "(", "\"", "'", "—", ",", ":", ".", "!", "\n", "12", "I'm", "i'm", "&", "Regards", "Customer", "mrs", "Mrs",
    "account", "holder", "according", "x.y@z.nz", "wong2337", "Hi", "hi", "cc",
]), max_size=12).map(" ".join)


@settings(max_examples=1000, deadline=None)
@given(_CUE_TEXTS)
@example("Customer Susan Wong (susan.wong2337@gmail.com)")
@example("the account holder is aroha")
def test_no_strong_cue_only_where_none_is_read(text: str) -> None:
    finder = PersonFinder()
    tokens = persons._TOKEN_SPLIT.split(text)[1::2]
    for index in range(len(tokens) + 1):
        if persons._no_strong_cue(tokens, index):
            (strong, _), _ = finder._before(tokens, index)
            assert not strong


@settings(max_examples=500, deadline=None)
@given(_CUE_TEXTS)
def test_lower_case_names_are_found_as_without_the_cue_shortcut(text: str) -> None:
    plain = PersonFinder()
    plain_no_cue = persons._no_strong_cue
    try:
        persons._no_strong_cue = lambda tokens, index: False     # type: ignore[assignment]
        expected = plain.find(text)
    finally:
        persons._no_strong_cue = plain_no_cue
    assert PersonFinder().find(text) == expected


def _text_by_text(engine: analyze.Engine, texts: list[str],
                  todo: list[tuple[int, frozenset[str]]]) -> list[tuple[int, list[Hit]]]:
    """``_analyze_batch``'s reading without a model, as it was: every finder on one text, then the next text."""
    out = []
    for i, cands in todo:
        hits: list[Hit] = []
        for find in analyze._finders(engine, cands, frozenset()):
            hits += find(texts[i], None)
        out.append((i, hits))
    return out


@pytest.mark.parametrize("jumbled", [False, True])
def test_finder_by_finder_finds_what_text_by_text_found(jumbled: bool) -> None:
    """One finder over every text, then the next (``_found``): each text's hits are those a reading text by text
    gives, in the same order, on the evaluation set's texts (names, addresses, numbers of every kind), in its order
    and with texts repeated and shuffled (a finder remembers tokens across texts)."""
    engine = get_engine("blank")
    texts = [record["text"] for record in load()]
    if jumbled:
        texts = texts[::-1] + texts[: len(texts) // 2]
    screens, always, capital = analyze._screens(None, False)
    todo = [(i, c) for i, t in enumerate(texts) if (c := analyze._candidates(t, screens, always, capital))]
    assert len({c for _, c in todo}) > 5, "the texts open several sets of finders"
    expected = _text_by_text(engine, texts, todo)
    assert sum(len(h) for _, h in expected) > len(texts)
    assert analyze._found(engine, texts, todo, frozenset()) == expected
