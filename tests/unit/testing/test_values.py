"""Run-unique values of the factories: tokens and integer keys never meet across workers or runs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymiser.testing.values import FactoryError, Tokens, _email_with_token, base36, upper_bound

RUNS = st.integers(min_value=0, max_value=(1 << 40) - 1)


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(RUNS, min_size=1, max_size=3, unique=True), workers=st.integers(1, 8),
       rows=st.integers(1, 300))
def test_text_tokens_are_unique_across_workers_runs_and_rows(runs: list[int], workers: int, rows: int) -> None:
    tokens = [Tokens(run, w, workers).text(seq) for run in runs for w in range(workers) for seq in range(rows)]
    assert len(set(tokens)) == len(tokens)


@settings(max_examples=60, deadline=None)
@given(run=RUNS, workers=st.integers(1, 16), rows=st.integers(1, 200), floor=st.integers(0, 10**6),
       bits=st.sampled_from([16, 32, 64]))
def test_integer_keys_of_one_run_never_meet_and_stay_in_range(run: int, workers: int, rows: int, floor: int,
                                                              bits: int) -> None:
    upper = upper_bound(bits, "postgresql")
    if upper - floor < workers * 16:
        with pytest.raises(FactoryError, match="no room"):
            Tokens(run, 0, workers).integer(0, floor, upper)
        return
    keys = [Tokens(run, w, workers).integer(seq, floor, upper) for w in range(workers) for seq in range(rows)]
    assert len(set(keys)) == len(keys)
    assert all(floor < k <= upper for k in keys)


def test_integer_keys_of_two_runs_fall_in_different_blocks() -> None:
    floor, upper = 1_000_600, upper_bound(32, "postgresql")
    first = {Tokens(0x12345, w, 4).integer(s, floor, upper) for w in range(4) for s in range(1000)}
    second = {Tokens(0x9ABCD, w, 4).integer(s, floor, upper) for w in range(4) for s in range(1000)}
    assert not first & second


def test_a_worker_past_its_stripe_moves_to_the_next_block_not_onto_another_worker() -> None:
    floor, upper = 0, upper_bound(32, "mysql")
    stripe = 1 << 16
    keys = {w: [Tokens(7, w, 2).integer(s, floor, upper) for s in range(stripe - 2, stripe + 2)] for w in (0, 1)}
    assert not set(keys[0]) & set(keys[1])
    assert keys[0][2] - keys[0][1] > stripe            # jumped to the next block


@pytest.mark.parametrize(("value", "length", "expected"), [
    ("aroha.ngata4821@example.net", None, "aroha.ngata4821+tok@example.net"),
    ("aroha.ngata4821@example.net", 26, "aroha.ngat+tok@example.net"),
])
def test_unique_email_carries_the_token_in_a_plus_tag(value: str, length: int | None, expected: str) -> None:
    made = _email_with_token(value, "tok", length)
    assert made == expected and (length is None or len(made) <= length)


@pytest.mark.parametrize(("number", "width", "text"), [(0, 0, "0"), (35, 0, "z"), (36, 3, "010"), (10**6, 0, "lfls")])
def test_base36(number: int, width: int, text: str) -> None:
    assert base36(number, width) == text
