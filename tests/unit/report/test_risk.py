"""Residual-risk figures against an independent implementation (pycanon) on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pycanon import anonymity
from pycanon.anonymity.utils.aux_anonymity import get_equiv_class

from anonymiser.report.risk import measure


def _frame(seed: int, rows: int, spread: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "birth_year": rng.integers(1950, 1950 + spread, rows),
        "postcode": rng.choice(["1010", "6011", "8011", "3204", "9016"], rows),
        "gender": rng.choice(["F", "M", "X"], rows, p=[0.49, 0.49, 0.02]),
        "diagnosis": rng.choice(["a", "b", "c", "d"], rows),
    })


pytestmark = pytest.mark.filterwarnings("ignore:In a future version, the keys of `groups`")

CASES = [
    (1, 200, 5, ["postcode"], ["diagnosis"]),
    (2, 500, 30, ["birth_year", "postcode"], ["diagnosis"]),
    (3, 300, 60, ["birth_year", "postcode", "gender"], ["diagnosis"]),
    (4, 50, 3, ["gender"], ["diagnosis", "postcode"]),
    (5, 1000, 10, ["birth_year", "gender"], []),
]


@pytest.mark.parametrize(("seed", "rows", "spread", "quasi", "sensitive"), CASES,
                         ids=[f"{'+'.join(c[3])}-n{c[1]}" for c in CASES])
def test_matches_pycanon(seed: int, rows: int, spread: int, quasi: list[str], sensitive: list[str]) -> None:
    data = _frame(seed, rows, spread)
    ours = measure(data, "t", quasi, sensitive, k_target=5)
    classes = get_equiv_class(data, quasi)
    sizes = np.array([len(c) for c in classes])
    assert ours.k == anonymity.k_anonymity(data, quasi)
    assert ours.classes == len(classes)
    assert ours.unique_records == int(np.sum(sizes[sizes == 1]))
    assert ours.uniqueness == pytest.approx(np.sum(sizes == 1) / rows, abs=1e-6)
    assert ours.records_below_k_target == int(np.sum(sizes[sizes < 5]))
    assert ours.prosecutor_risk_max == pytest.approx(1 / anonymity.k_anonymity(data, quasi), abs=1e-6)
    assert ours.prosecutor_risk_avg == pytest.approx(len(classes) / rows, abs=1e-6)
    for attr in sensitive:
        assert ours.l_diversity[attr] == anonymity.l_diversity(data, quasi, [attr])
    assert sum(b.records for b in ours.buckets) == rows


def test_null_is_its_own_class() -> None:
    data = pd.DataFrame({"postcode": ["1010", None, None, "1010"]})
    risk = measure(data, "t", ["postcode"], [], k_target=2)
    assert (risk.k, risk.classes, risk.unique_records) == (2, 2, 0)


@pytest.mark.parametrize(("values", "k_target", "phrase"), [
    (["a"] * 6 + ["b"] * 5, 5, "meets the target"),
    (["a"] * 6 + ["b"], 5, "are unique"),
], ids=["meets", "below"])
def test_sentence(values: list[str], k_target: int, phrase: str) -> None:
    risk = measure(pd.DataFrame({"q": values}), "people", ["q"], [], k_target=k_target)
    assert phrase in risk.sentence and "people" in risk.sentence
