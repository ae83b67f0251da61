"""New Zealand recognizers Presidio lacks: pattern + context words + check-digit validation.

Patterns and context words are data (Presidio's own style); the check digits come from
``anonymiser.identifiers.nz``, the same functions the fakes are generated with. Scores are chosen
so that a shape alone (no checksum, no context) stays below the free-text threshold only where the
shape is too common to mean anything (driver licence and passport: two letters and six digits).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from anonymiser.identifiers import nz

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

# entity → (recognizer name, [(pattern name, regex, score)], context words). Patterns run with
# Presidio's global flags (IGNORECASE), so the validators normalise case themselves.
NZ_PATTERNS: dict[str, tuple[str, list[tuple[str, str, float]], list[str]]] = {
    "NZ_IRD": ("NzIrdRecognizer", [
        ("IRD (separated)", r"\b\d{2,3}[- ]\d{3}[- ]\d{3}\b", 0.6),
        ("IRD (digits)", r"\b\d{8,9}\b", 0.4),
    ], ["ird", "tax", "inland", "revenue", "gst", "taxpayer"]),
    "NZ_NHI": ("NzNhiRecognizer", [
        # Capitals as written (Presidio matches case-insensitively: "Ref 1833" passed the checksum by
        # chance), one token; with an inner space only near a cue word ("NHI ZZZ 0016"), below threshold alone.
        ("NHI (old)", r"\b(?-i:[A-HJ-NP-Z]{3})\d{4}\b", 0.5),
        ("NHI (new)", r"\b(?-i:[A-HJ-NP-Z]{3})\d{2}(?-i:[A-HJ-NP-Z]{2})\b", 0.5),
        ("NHI (old, spaced)", r"\b(?-i:[A-HJ-NP-Z]{3})\s\d{4}\b", 0.3),
        ("NHI (any case)", r"\b[A-HJ-NP-Z]{3}\d{2}(?:\d{2}|[A-HJ-NP-Z]{2})\b", 0.3),
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

# The same matches, found faster: a pattern opening with ``\b`` and a digit is tried at every position of
# the text; opening with the digit (a look-behind then asks for the word boundary before it) it is tried
# only at digits. The match starts where it did (tests/unit/detect/test_nz_recognizers.py).
FAST_FORMS = {
    r"\b\d{2,3}[- ]\d{3}[- ]\d{3}\b": r"\d(?<=\b\d)\d{1,2}[- ]\d{3}[- ]\d{3}\b",
    r"\b\d{8,9}\b": r"\d(?<=\b\d)\d{7,8}\b",
    r"\b\d{2}[- ]\d{4}[- ]\d{7,8}[- ]\d{2,4}\b": r"\d(?<=\b\d)\d[- ]\d{4}[- ]\d{7,8}[- ]\d{2,4}\b",
    r"\b\d{15,18}\b": r"\d(?<=\b\d)\d{14,17}\b",
    r"\b9429\s?\d{4}\s?\d{5}\b": r"9(?<=\b9)429\s?\d{4}\s?\d{5}\b",
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

RECOGNIZER_NAMES = frozenset(name for name, _, _ in NZ_PATTERNS.values())


def nz_recognizers() -> list[EntityRecognizer]:
    """One Presidio recognizer per NZ identifier (pattern, context words, check-digit validation)."""
    from presidio_analyzer import (  # heavy (Presidio, spaCy): imported on first use
        Pattern,
        PatternRecognizer,
        RecognizerResult,
    )

    recognizers: list[EntityRecognizer] = []
    for entity, (name, patterns, context) in NZ_PATTERNS.items():
        validator = VALIDATORS.get(entity)
        compiled = [(re.compile(FAST_FORMS.get(regex, regex), re.IGNORECASE), score) for _, regex, score in patterns]

        class _Recognizer(PatternRecognizer):  # one class per entity, so results name their recognizer
            def validate_result(self, pattern_text: str, _check: Any = validator) -> bool | None:
                return _check(pattern_text) if _check is not None else None

            def spans(self, text: str, _compiled: Any = compiled,
                      _entity: str = entity) -> list[tuple[int, int, str, float, tuple[()]]]:
                # Presidio's loop builds an explanation object per match and runs the third-party
                # ``regex`` engine with a timeout; these simple patterns need neither (~10x faster).
                found = []
                seen: set[tuple[int, int]] = set()
                for pattern, score in _compiled:
                    for m in pattern.finditer(text):
                        if m.span() in seen:
                            continue
                        valid = self.validate_result(m.group())
                        if valid is False:
                            continue
                        seen.add(m.span())
                        found.append((m.start(), m.end(), _entity, 1.0 if valid else score, ()))
                return found

            def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None,
                        regex_flags: int | None = None, _name: str = name) -> list[Any]:
                metadata = {RecognizerResult.RECOGNIZER_NAME_KEY: _name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: str(self.id)}
                return [RecognizerResult(found, start, end, score, recognition_metadata=dict(metadata))
                        for start, end, found, score, _ in self.spans(text)]

        _Recognizer.__name__ = name
        recognizers.append(_Recognizer(
            supported_entity=entity,
            name=name,
            patterns=[Pattern(pname, regex, score) for pname, regex, score in patterns],
            context=context,
            supported_language="en",
        ))
    return recognizers
