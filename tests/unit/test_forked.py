"""``forked.beside``: a function run by a forked process while the caller goes on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

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


# A process that stops a pool in the states a failed run can leave it in, then exits: it must not hang at exit.
_STOPPED_POOL = '''
import os, struct, sys, time
from anonymiser import forked

def half_a_result():
    frame = sys._getframe(1)
    while "result_queue" not in frame.f_locals:    # the worker loop's result queue
        frame = frame.f_back
    frame.f_locals["result_queue"]._writer._send(struct.pack("!i", 1_000_000) + b"x" * 10)   # a header, no more
    time.sleep(3600)

executor = forked.pool(1)
if sys.argv[1] == "half-sent result":
    executor.submit(half_a_result)
else:   # a call too big for the pipe, queued behind a busy worker: the queue's feeder thread blocks writing it
    if os.fork() == 0:      # another process holds the pipe's read end, as a later fork does
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)   # (not the test's stdout and stderr)
        os.dup2(1, 2)
        time.sleep(60)
        os._exit(0)
    executor.submit(time.sleep, 3600)
    executor.submit(len, b"x" * 8_000_000)
time.sleep(1)
forked.stop(executor)
print("stopped", flush=True)
'''


@pytest.mark.parametrize("state", ["half-sent result", "call blocked in the pipe"])
def test_a_stopped_pool_never_holds_up_the_exit(state: str) -> None:
    """A worker stopped half-way through sending a result, or a call the feeder thread could not finish
    writing: stop() leaves no thread for the interpreter's exit to wait on (a failed run hung at exit)."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", _STOPPED_POOL, state], capture_output=True, text=True, timeout=30,
                            env=os.environ | {"PYTHONPATH": str(Path(forked.__file__).parents[1])})
    assert (result.returncode, result.stdout) == (0, "stopped\n"), result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 20
