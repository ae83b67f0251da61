"""New Zealand recognizers Presidio lacks: pattern + context words + check-digit validation.

Patterns and context words are data (Presidio's own style); the check digits come from
``anonymiser.identifiers.nz``, the same functions the fakes are generated with. Scores are chosen
so that a shape alone (no checksum, no context) stays below the free-text threshold only where the
shape is too common to mean anything (driver licence and passport: two letters and six digits).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib import resources
from typing import TYPE_CHECKING, Any

from anonymiser.identifiers import nz

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

# Regions tried by the phone recognizer: NZ first (the users' country), then Presidio's defaults.
PHONE_REGIONS = ("NZ", "AU", "GB", "US", "CA", "DE", "FR", "IN", "BR", "IL")
PHONE_CONTEXT = ["phone", "ph", "tel", "telephone", "mobile", "mob", "cell", "call", "fax", "contact", "number"]

# entity → (recognizer name, [(pattern name, regex, score)], context words). Patterns run with
# Presidio's global flags (IGNORECASE), so the validators normalise case themselves.
NZ_PATTERNS: dict[str, tuple[str, list[tuple[str, str, float]], list[str]]] = {
    "NZ_IRD": ("NzIrdRecognizer", [
        ("IRD (separated)", r"\b\d{2,3}[- ]\d{3}[- ]\d{3}\b", 0.6),
        ("IRD (digits)", r"\b\d{8,9}\b", 0.4),
    ], ["ird", "tax", "inland", "revenue", "gst", "taxpayer"]),
    "NZ_NHI": ("NzNhiRecognizer", [
        ("NHI (old)", r"\b[A-HJ-NP-Z]{3}\s?\d{4}\b", 0.5),
        ("NHI (new)", r"\b[A-HJ-NP-Z]{3}\s?\d{2}[A-HJ-NP-Z]{2}\b", 0.5),
    ], ["nhi", "health", "patient", "hospital", "index"]),
    "NZ_BANK_ACCOUNT": ("NzBankAccountRecognizer", [
        ("NZ bank account (separated)", r"\b\d{2}[- ]\d{4}[- ]\d{7,8}[- ]\d{2,4}\b", 0.6),
        ("NZ bank account (digits)", r"\b\d{15,18}\b", 0.3),
    ], ["bank", "account", "acct", "acc", "deposit", "payment", "refund"]),
    "NZBN": ("NzbnRecognizer", [
        ("NZBN", r"\b9429\s?\d{4}\s?\d{5}\b", 0.5),
    ], ["nzbn", "business", "company", "gln"]),
    "NZ_DRIVER_LICENCE": ("NzDriverLicenceRecognizer", [
        ("NZ driver licence", r"\b[A-Z]{2}\d{6}\b", 0.1),
    ], ["licence", "license", "driver", "driving"]),
    "NZ_PASSPORT": ("NzPassportRecognizer", [
        ("NZ passport", r"\b(?:[A-Z]{2}|N)\d{6}\b", 0.1),
    ], ["passport", "travel"]),
}

_SEPARATED = frozenset(" -")


def _ird(text: str) -> bool | None:
    # A valid checksum keeps the pattern score (1 in 11 random numbers passes); invalid drops it.
    return None if nz.is_valid_ird(text) else False


def _nhi(text: str) -> bool | None:
    return None if nz.is_valid_nhi(text) else False


def _bank(text: str) -> bool | None:
    if not nz.is_valid_nz_bank_account(text):
        return False
    # The separated BB-bbbb-AAAAAAA-SSS form with a passing checksum is unmistakable.
    return True if any(c in _SEPARATED for c in text) else None


def _nzbn(text: str) -> bool | None:
    return bool(nz.is_valid_nzbn(text))


def _shape(check: Any) -> Any:
    def validate(text: str) -> bool | None:
        return None if check(text) else False
    return validate


VALIDATORS = {
    "NZ_IRD": _ird,
    "NZ_NHI": _nhi,
    "NZ_BANK_ACCOUNT": _bank,
    "NZBN": _nzbn,
    "NZ_DRIVER_LICENCE": _shape(nz.is_nz_driver_licence_shape),
    "NZ_PASSPORT": _shape(nz.is_nz_passport_shape),
}

RECOGNIZER_NAMES = frozenset(name for name, _, _ in NZ_PATTERNS.values()) | {
    "NzPhoneRecognizer", "NameListRecognizer", "StreetAddressRecognizer"}
ADDRESS_CONTEXT = ["address", "street", "live", "lives", "living", "deliver", "delivery", "postal", "moved", "left"]
_STREET_TYPES = ("Street", "St", "Road", "Rd", "Avenue", "Ave", "Drive", "Dr", "Lane", "Place", "Pl", "Terrace",
                 "Tce", "Crescent", "Cres", "Way", "Highway", "Hwy", "Boulevard", "Court", "Parade", "Close",
                 "Grove", "Quay", "Square", "Rise", "Esplanade", "Mews")
NAME_SCORE = 0.5
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "mx", "sir", "dame", "prof"})
_CAPITALISED = r"[A-Z\u00C0-\u024F\u0100-\u017F][\w'\u2019\-]+"


def nz_recognizers() -> list[EntityRecognizer]:
    """One Presidio recognizer per NZ entity, plus a phone recognizer that knows NZ numbers."""
    from presidio_analyzer import Pattern, PatternRecognizer

    recognizers: list[EntityRecognizer] = []
    for entity, (name, patterns, context) in NZ_PATTERNS.items():
        validator = VALIDATORS.get(entity)

        class _Recognizer(PatternRecognizer):  # one class per entity, so results name their recognizer
            def validate_result(self, pattern_text: str, _check: Any = validator) -> bool | None:
                return _check(pattern_text) if _check is not None else None

        _Recognizer.__name__ = name
        recognizers.append(_Recognizer(
            supported_entity=entity,
            name=name,
            patterns=[Pattern(pname, regex, score) for pname, regex, score in patterns],
            context=context,
            supported_language="en",
        ))
    recognizers.append(street_address_recognizer())
    recognizers.append(nz_phone_recognizer())
    recognizers.append(name_list_recognizer())
    return recognizers


def street_address_recognizer() -> EntityRecognizer:
    """Street lines ("12 Queen Street", "Unit 4\n87 Waipokiwi Corner"), PO boxes, private bags, RD numbers.

    Street types come from the pseudonym dictionaries too, so every fake street this tool writes is
    also one it finds. Case-sensitive on purpose (``(?-i:…)``): "3 items on the way" is not an address.
    """
    from presidio_analyzer import Pattern, PatternRecognizer

    from anonymiser.mask.dictionaries import load

    types = set(_STREET_TYPES) | {street.split()[-1] for street in load().streets.to_pylist()}
    alternatives = "|".join(sorted((re.escape(t) for t in types), key=len, reverse=True))
    unit = r"(?:(?:Unit|Flat|Suite|Apartment|Apt|Level)\s+\d{1,5}[A-Z]?,?\s+)?"
    street = (rf"(?-i:\b{unit}\d{{1,5}}[A-Z]?(?:/\d{{1,5}})?,?\s+(?:[A-Z][\w'\u2019\-]+\s+){{1,3}}"
              rf"(?:{alternatives})\b\.?)")
    patterns = [
        Pattern("street address", street, 0.5),
        Pattern("PO box / private bag", r"(?-i:\b(?:P\.?\s?O\.?\s?Box|Private\s+Bag)\s+\d{1,6}\b)", 0.5),
        Pattern("rural delivery", r"(?-i:\bRD\s+\d{1,2}\b)", 0.4),
        Pattern("unit", r"(?-i:\b(?:Unit|Flat|Suite|Apartment)\s+\d{1,5}[A-Z]?\b)", 0.4),
    ]
    return PatternRecognizer(supported_entity="STREET_ADDRESS", name="StreetAddressRecognizer", patterns=patterns,
                             context=ADDRESS_CONTEXT, supported_language="en")


def fold(word: str) -> str:
    """Without diacritics: "Hēmi" and "Hemi" are one name (macrons are often dropped, or added)."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1)
def known_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, family names) of the pseudonym dictionaries, diacritics folded (compare with ``fold``)."""
    from anonymiser.mask.dictionaries import load

    words = load()
    extra = json.loads(resources.files("anonymiser.detect").joinpath("data/nz_names.json").read_text("utf-8"))
    given = [*words.given_names.to_pylist(), *extra["given"]]
    family = [*words.family_names.to_pylist(), *extra["family"]]
    # Multi-word names ("Te Rangi") match word by word: the recognizer joins capitalised runs.
    return (frozenset(fold(p) for w in given for p in w.split() if p not in _PARTICLES),
            frozenset(fold(w.split()[-1]) for w in family))


_WORD = re.compile(_CAPITALISED)
_TITLES_CAP = frozenset(t.capitalize() for t in _TITLES)
# Words inside multi-word names ("Te Ariki", "Van Dyke") that are ordinary words on their own.
_PARTICLES = frozenset({"Te", "Ta", "Le", "La", "De", "Da", "Di", "Du", "Van", "Von", "Der", "Den", "Mac", "St"})


def mentions_known_name(text: str) -> bool:
    """Cheap pre-check for the name-list recognizer: a capitalised word that is a known name."""
    given, family = known_names()
    return any(fold(w) in given or fold(w) in family for w in map(str, _WORD.findall(text)))


def name_list_recognizer() -> EntityRecognizer:
    """PERSON from the pseudonym dictionaries' given/family names (NZ, Māori, Pasifika, English).

    A capitalised known given name, with the capitalised word after it, or a title followed by a
    known family name. It gives the blank pipeline names at all, and a small NER model the NZ
    names it misses; in free text a false hit only masks a word too many.
    """
    from presidio_analyzer import LocalRecognizer, RecognizerResult

    given, family = known_names()
    sequence = re.compile(rf"\b{_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{0,2}}")
    token = re.compile(_CAPITALISED)

    class NameListRecognizer(LocalRecognizer):
        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            results = []
            for match in sequence.finditer(text):
                tokens = [(m.start(), m.end(), fold(m.group()))
                          for m in token.finditer(text, match.start(), match.end())]
                for i, (begin, end, word) in enumerate(tokens):
                    titled = i > 0 and tokens[i - 1][2].lower().rstrip(".") in _TITLES and word in family
                    # An unknown given name before a known family name ("Mānia Waaka") is a name too.
                    before_family = i + 1 < len(tokens) and tokens[i + 1][2] in family and word not in _TITLES_CAP
                    if word in given or titled or before_family:
                        # The given name and the capitalised words after it ("Hine Te Rangi").
                        stop = tokens[-1][1] if i + 1 < len(tokens) else end
                        results.append(RecognizerResult("PERSON", begin, stop, NAME_SCORE, recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: "NameListRecognizer",
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: str(getattr(self, "id", ""))}))
                        break
            return results

    return NameListRecognizer(supported_entities=["PERSON"], supported_language="en", name="NameListRecognizer")


def nz_phone_recognizer() -> EntityRecognizer:
    """Presidio's phonenumbers-based recognizer with NZ in its regions and a cheap digit pre-check."""
    import re

    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    enough_digits = re.compile(r"\d(?:[\s().\-/+]{0,3}\d){6}")

    class NzPhoneRecognizer(PhoneRecognizer):
        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            # phonenumbers scans the text once per region: skip texts that cannot hold a number.
            if not enough_digits.search(text):
                return []
            return list(super().analyze(text, entities, nlp_artifacts))

    return NzPhoneRecognizer(context=PHONE_CONTEXT, supported_regions=PHONE_REGIONS, name="NzPhoneRecognizer")
