"""``forked.beside``: a function run by a forked process while the caller goes on."""

from __future__ import annotations

import os
import time

import pytest

from anonymiser import forked
from anonymiser.errors import SourceError

# Everywhere CI runs (Linux) fork exists: there the tests must run, never be skipped.
pytestmark = pytest.mark.skipif(not forked.can_fork() and not os.environ.get("CI"), reason="needs fork")


def test_the_process_inherits_a_closure_and_hands_back_its_result() -> None:
    parent, held = os.getpid(), {"rows": 3}     # never pickled: the process inherits them
    with forked.beside(lambda: (os.getpid(), held["rows"] * 2)) as result:
        pid, rows = result()
    assert pid != parent and rows == 6


def test_what_the_process_raised_is_raised_by_its_result() -> None:
    def fails() -> None:
        raise SourceError("reading failed (OperationalError)", table="customer")

    with forked.beside(fails) as result, pytest.raises(SourceError) as raised:
        result()
    assert raised.value.table == "customer"


def test_a_block_that_raises_stops_the_process_at_once() -> None:
    """Ctrl-C (or a failure) in the caller: the process is stopped, not waited for."""
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), forked.beside(lambda: time.sleep(60)):
        raise KeyboardInterrupt
    assert time.monotonic() - started < 15
