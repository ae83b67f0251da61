"""Our model-free finders as Presidio recognizers (Presidio's extension point), so the analyzer, scan and
free text all see the same detections: person names (gazetteer + cues), whole addresses, Luhn cards of
12–19 digits, and phone numbers of any region (libphonenumber's matcher, the source's region first).

Each result carries its parts (name parts with their role; address parts) in ``recognition_metadata``
under ``PARTS_KEY`` so that masking can replace a name part by part and an address line by line.
``spans(text)`` gives the same findings as plain tuples (start, end, entity, score, parts): the span
finder (``analyze.py``) calls it directly, without Presidio's result objects.
"""

from __future__ import annotations

from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult

from anonymiser.detect.addresses import AddressFinder
from anonymiser.detect.model import PARTS_KEY
from anonymiser.detect.numbers import DEFAULT_REGION, find_cards, find_phones
from anonymiser.detect.persons import PersonFinder

PERSON_RECOGNIZER = "PersonGazetteerRecognizer"
ADDRESS_RECOGNIZER = "WholeAddressRecognizer"
CARD_RECOGNIZER = "LuhnCardRecognizer"
PHONE_RECOGNIZER = "PhoneMatcherRecognizer"
NAMES = frozenset({PERSON_RECOGNIZER, ADDRESS_RECOGNIZER, CARD_RECOGNIZER, PHONE_RECOGNIZER})


def _result(recognizer: Any, entity: str, start: int, end: int, score: float,
            parts: tuple[tuple[int, int, str], ...] = ()) -> RecognizerResult:
    metadata: dict[str, Any] = {RecognizerResult.RECOGNIZER_NAME_KEY: str(recognizer.name),
                                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: str(recognizer.id)}
    if parts:
        metadata[PARTS_KEY] = tuple((p[0], p[1], p[2]) for p in parts)
    return RecognizerResult(entity, start, end, score, recognition_metadata=metadata)


Found = tuple[int, int, str, float, tuple[tuple[int, int, str], ...]]


class _Local(EntityRecognizer):
    def load(self) -> None:
        pass

    def spans(self, text: str) -> list[Found]:
        raise NotImplementedError

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        return [_result(self, entity, start, end, score, parts)
                for start, end, entity, score, parts in self.spans(text)]


class PersonGazetteerRecognizer(_Local):
    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name=PERSON_RECOGNIZER, supported_language="en")
        self.finder = PersonFinder()

    def spans(self, text: str) -> list[Found]:
        return [(start, end, "PERSON", score, parts) for start, end, score, _, parts in self.finder.find(text)]


class WholeAddressRecognizer(_Local):
    def __init__(self) -> None:
        super().__init__(supported_entities=["STREET_ADDRESS"], name=ADDRESS_RECOGNIZER, supported_language="en")
        self.finder = AddressFinder()

    def spans(self, text: str) -> list[Found]:
        return [(start, end, "STREET_ADDRESS", score, parts) for start, end, score, parts in self.finder.find(text)]


class LuhnCardRecognizer(_Local):
    def __init__(self) -> None:
        super().__init__(supported_entities=["CREDIT_CARD"], name=CARD_RECOGNIZER, supported_language="en")

    def spans(self, text: str) -> list[Found]:
        return [(s.start, s.end, s.entity, s.score, ()) for s in find_cards(text)]


class PhoneMatcherRecognizer(_Local):
    def __init__(self, region: str = DEFAULT_REGION) -> None:
        super().__init__(supported_entities=["PHONE_NUMBER"], name=PHONE_RECOGNIZER, supported_language="en")
        self.region = region

    def spans(self, text: str) -> list[Found]:
        return [(s.start, s.end, s.entity, s.score, ()) for s in find_phones(text, self.region)]


def model_free_recognizers(region: str = DEFAULT_REGION) -> list[EntityRecognizer]:
    return [PersonGazetteerRecognizer(), WholeAddressRecognizer(), LuhnCardRecognizer(), PhoneMatcherRecognizer(region)]
