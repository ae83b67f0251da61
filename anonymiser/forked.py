"""Pools of forked worker processes: how a worker starts, and how a pool is stopped at once.

Workers are forked (never spawned) so they inherit their parent's read-only state (a run's plan and
span finder, a leak scan's index) without pickling or building it again.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

PR_SET_PDEATHSIG = 1     # linux/prctl.h
SIGNALS = {signal.SIGINT, signal.SIGTERM}
T = TypeVar("T")


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def pool(jobs: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()) \
        -> ProcessPoolExecutor:
    """``jobs`` forked workers, started now (before the caller opens a cursor or a file they must not share)."""
    executor = ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker,
                                   initargs=(os.getpid(), initializer, initargs),
                                   mp_context=multiprocessing.get_context("fork"))
    # The workers fork with SIGINT and SIGTERM blocked, until _start_worker has set their own handlers: one landing
    # earlier ran this process's handler in the worker (a KeyboardInterrupt traceback on the user's terminal when
    # stop() terminated a worker still starting, or Ctrl-C reached the group).
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        try:
            started = executor.submit(int)     # forks the workers, here in this thread
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        started.result()
    except BaseException:     # interrupted while the workers start: stopped, not left for the exit to wait on
        stop(executor)
        raise
    return executor


_INHERITED: Callable[[], Any] | None = None    # what the process forked by ``beside`` runs


def _run_inherited() -> Any:
    assert _INHERITED is not None, "a process forked by beside() runs the function it inherited"
    return _INHERITED()


@contextlib.contextmanager
def beside(function: Callable[[], T]) -> Iterator[Callable[[], T]]:
    """``function`` run by one forked process while the block runs (it inherits this process's state, so it may
    be a closure; only its result is pickled back). The block gets a callable that waits for that result (or
    raises what the process raised). A block that raises (Ctrl-C, a failure) stops the process at once."""
    global _INHERITED
    _INHERITED = function
    try:
        executor = pool(1)      # forks now: the process inherits _INHERITED
    finally:
        _INHERITED = None
    try:
        yield executor.submit(_run_inherited).result
    except BaseException:
        stop(executor)
        raise
    executor.shutdown(wait=True)


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C reaches the whole group: the parent stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)    # and terminates its workers
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)   # blocked by pool() until now
    if initializer is not None:
        initializer(*initargs)
    _die_with(parent)


def _die_with(parent: int) -> None:
    """A parent killed with SIGKILL (OOM killer, a CI time-out's kill -9) cannot stop its pool: on Linux the
    kernel then kills each worker (PR_SET_PDEATHSIG), instead of leaving them waiting forever."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent:       # the parent died before the line above took effect
        os._exit(1)


def stop(executor: ProcessPoolExecutor) -> None:
    """Interrupted or failed: drop the queued work and stop the workers now rather than let them finish it."""
    # shutdown() lets go of the executor's workers, queues and manager thread: taken first (no public way to stop
    # them). The manager keeps the same dict of workers, and may yet start a replacement for one stopped.
    internals: Any = executor
    workers = internals._processes or {}  # noqa: SLF001
    processes = list(workers.values())
    calls, results = internals._call_queue, internals._result_queue  # noqa: SLF001
    manager = internals._executor_manager_thread  # noqa: SLF001
    executor.shutdown(wait=False, cancel_futures=True)
    # A call the pipe could not take whole leaves the queue's feeder thread blocked writing it; the exit must not
    # wait for that thread (nothing queued is wanted any more).
    if calls is not None:
        calls.cancel_join_thread()
    _terminate(processes)
    # A worker stopped half-way through sending a result leaves the manager thread reading the rest for ever, and
    # the interpreter's exit joins that thread (a failed run hung at exit). With the workers gone, closing this
    # process's write end of the result pipe ends that read with EOF: the thread sees a broken pool and ends.
    if results is not None:
        with contextlib.suppress(OSError):
            results._writer.close()  # noqa: SLF001
    if manager is not None:
        manager.join(timeout=5)
    _terminate([p for p in workers.values() if p not in processes])


def _terminate(processes: list[Any]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
