"""PersonFinder's shortcuts (issue 14) give the answers of the plain reading they replace."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from anonymiser.detect import persons
from anonymiser.detect.gazetteer import fold
from anonymiser.detect.persons import TITLES, PersonFinder, _cues_before
from tests.eval.generate import load

# The tokeniser before its look-behind form: a word ends in an optional group ending with [^\W_].
_PLAIN_TOKEN = re.compile(r"([^\W\d_](?:[\w'\u2019\-]*[^\W_])?|\d+|\n|[^\w\s])")
# Characters the shortcuts care about: cased letters, diacritics, apostrophes, hyphens, "_", digits,
# blanks (also the ASCII separators \x1c-\x1f, blanks to Unicode only), line breaks, brackets, commas, "@",
# a compatibility symbol ("㎳" folds to "ms", a title).
_ALPHABET = "aArRoOhHeE ēĒó\u0301ʻ'\u2019-_09 \t\n\r\x0b\x1c\x1f\x7f.,:;()<>@&!?㎳²"
_TEXTS = st.text(alphabet=_ALPHABET, max_size=60) | st.lists(st.sampled_from([
    "Aroha", "aroha", "AROHA", "Ngata", "ngata", "Hēmi", "hemi", "te", "Te", "van", "der", "Mrs", "mrs", "Dr", ".",
    ",", ":", "said", "asked", "call", "Hi", "hi", "with", "(", "<", "aroha@x.nz", "021 555 0199", "\n", "Mark",
    "Walker", "Kiri", "O'Brien", "Jean-Luc", "Street", "and", "is", "Regards", "PAID", "VISA", "ring", "Nelson",
    "(aroha@x.nz)", ", aroha@x.nz", ", IRD", ",+64 21 555 0199", "<a@b.nz>", "_(a@b)",
]), max_size=14).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_the_tokeniser_splits_as_before(text: str) -> None:
    assert persons._TOKEN_SPLIT.split(text) == _PLAIN_TOKEN.split(text)
    ascii_text = text.encode("ascii", "ignore").decode()
    assert persons._ASCII_TOKEN_SPLIT.split(ascii_text) == _PLAIN_TOKEN.split(ascii_text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXTS, min_size=1, max_size=4))
def test_what_a_finder_remembers_never_changes_its_answers(texts: list[str]) -> None:
    shared = PersonFinder()
    for text in texts:
        assert shared.find(text) == PersonFinder().find(text)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
@example("Aroha Ngata (aroha@x.nz)")
@example("Aroha Ngata, +64 21 555 0199")
@example("Aroha Ngata , IRD 049-091-850")
@example("Aroha Ngata\t<aroha@x.nz>")
@example("Aroha Ngata_ (aroha@x.nz)")
@example("Hemi's (hemi@x.nz)")
@example("Aroha \n (aroha@x.nz)")
def test_contact_details_are_tried_only_before_their_opening_token(text: str) -> None:
    # Only blanks and "_" stand between tokens: the pattern can match after a token only before "(", "<", ","
    # or a line break.
    pieces = persons._TOKEN_SPLIT.split(text)
    tokens = pieces[1::2]
    end = 0
    for k, gap in enumerate(pieces[:-1]):
        end += len(gap)
        if k % 2 == 1:          # ``end`` is the end of token k // 2
            after = k // 2 + 1
            nxt = tokens[after].lower() if after < len(tokens) else ""
            assert persons._details_after(text, end, nxt) == bool(persons._DETAILS_AFTER.match(text, end))


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_titles_and_cues_are_remembered_as_read(text: str) -> None:
    finder = PersonFinder()
    finder.find(text)
    tokens = persons._TOKEN_SPLIT.split(text)[1::2]
    for t in set(tokens):
        assert (t in finder._titles) == (fold(t) in TITLES) == (fold(t.rstrip(".")) in TITLES)
        assert (t in finder._lower_names) == (t[0].islower() and finder._lower_kind(t) != "N")
    for back, punct in finder._cue_cache:
        words = [w.lower() for w in back]
        while len(words) > 1 and words[-1] in persons._COPULA:
            words.pop()
        assert finder._cue_cache[back, punct] == _cues_before(tuple(words), punct)


def test_the_evaluation_set_reads_the_same_with_a_fresh_or_a_used_finder() -> None:
    texts = [r["text"] for r in load()]
    shared = PersonFinder()
    used = [shared.find(t) for t in texts]
    assert used == [PersonFinder().find(t) for t in texts]
    shared._forget()
    assert [shared.find(t) for t in texts] == used
