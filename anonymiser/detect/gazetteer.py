"""The word lists of free-text detection (``data/gazetteer.json``, built by ``data/generate_gazetteer.py``).

``VERSION`` (format + content hash) is recorded with the detection engine in every manifest, as the
pseudonym dictionaries' version is, so a changed list shows up in the report's provenance.
"""

from __future__ import annotations

import functools
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from importlib import resources

_RAW = resources.files("anonymiser.detect").joinpath("data/gazetteer.json").read_bytes()
VERSION = f"{json.loads(_RAW)['format']}+{hashlib.sha256(_RAW).hexdigest()[:12]}"


def fold(word: str) -> str:
    """Lower case without diacritics or the ʻokina: "Hēmi" → "hemi" (macrons are often dropped, or added)."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.replace("\u02bb", "").replace("\u2018", ""))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(frozen=True)
class Gazetteer:
    given: frozenset[str]
    family: frozenset[str]
    ambiguous: frozenset[str]       # names that are also everyday words: need a stronger cue
    never: frozenset[str]           # stop words, particles, titles: never a name on their own
    not_after_cue: frozenset[str]   # "Hi Team", "Dear Customer"
    places: frozenset[str]          # towns and countries that are also names
    street_suffixes: frozenset[str]     # "Street", "Crescent" (as written)
    street_compounds: tuple[str, ...]   # "straße", "straat" (folded), longest first
    street_prefixes: frozenset[str]     # "rue", "calle" (folded)

    def is_name(self, folded: str) -> bool:
        return folded in self.given or folded in self.family


@functools.cache
def load() -> Gazetteer:
    data = json.loads(_RAW)

    def words(key: str) -> frozenset[str]:
        return frozenset(data[key])

    return Gazetteer(
        given=words("given"), family=words("family"), ambiguous=words("ambiguous"), never=words("never"),
        not_after_cue=words("not_after_cue"), places=words("places"),
        street_suffixes=words("street_suffixes"),
        street_compounds=tuple(sorted(data["street_compounds"], key=len, reverse=True)),
        street_prefixes=words("street_prefixes"),
    )
