"""SIGINT and SIGTERM: one interruption, raised once as KeyboardInterrupt, always exit 130, no traceback.

cron and CI time-outs send SIGTERM, a terminal sends SIGINT: both unwind the command like Ctrl-C so its
clean-up runs (a run's partial output removed, a load rolled back). The exit code must not depend on when
the signal lands, so:

- only the first signal raises; later ones are ignored while its clean-up runs (a second Ctrl-C must not
  cut the clean-up short, nor escape past the handlers as a bare KeyboardInterrupt);
- a KeyboardInterrupt Python could not raise (the signal landed in an import-lock or ``__del__`` callback)
  is delivered again, from a helper thread, until it lands in the main flow;
- once the exit code is decided, signals are ignored until the process ends, and CPython's "unhandled
  KeyboardInterrupt" flag is cleared: CPython sets it when the interrupt passes through code run by
  ``exec`` of a string (a dataclass being created, say) even though we catch it later, and at exit then kills
  the process with SIGINT (exit -2 instead of 130).
"""

from __future__ import annotations

import _thread
import ctypes
import json
import signal
import threading
import time
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
MESSAGE = ("interrupted: stopped before finishing; nothing half-done was left behind (a run's partial output "
           "removed, a load rolled back)")

_received = False    # a signal came: an error that follows is the interruption's doing
_delivered = False   # its KeyboardInterrupt is unwinding the command
_finished = False    # the exit code is decided
_reported = False    # the 'interrupted' line was printed
_redelivery: threading.Thread | None = None
REDELIVERY_SECONDS = 0.05


def received() -> bool:
    return _received


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _received, _delivered
    _received = True
    if _delivered or _finished:
        return
    _delivered = True
    raise KeyboardInterrupt


def install() -> None:
    """Route SIGINT and SIGTERM through the single-delivery handler (main thread, at start-up)."""
    for signum in SIGNALS:
        signal.signal(signum, _on_signal)


def lost() -> None:
    """A KeyboardInterrupt was dropped as unraisable (the signal landed in a callback): raise it again in the
    main flow. Not from here: a signal tripped now would be handled in this same callback and lost again."""
    global _delivered, _redelivery
    if _finished:
        return
    _delivered = False
    if _redelivery is None:
        _redelivery = threading.Thread(target=_redeliver, name="anonymiser-interrupt", daemon=True)
        _redelivery.start()


def _redeliver() -> None:
    # Until the exit code is decided: whenever the interrupt is lost again, trip it again shortly after.
    while not _finished:
        if not _delivered:
            _thread.interrupt_main(signal.SIGINT)
        time.sleep(REDELIVERY_SECONDS)


def json_event() -> str:
    """The 'interrupted' line as a JSON event (--json)."""
    return json.dumps({"ts": round(time.time(), 3), "event": "interrupted", "exit_code": 130, "message": MESSAGE})


def report_once() -> bool:
    """True the first time (the caller prints the 'interrupted' line), False after."""
    global _reported
    first = not _reported
    _reported = True
    return first


def finish() -> None:
    """The exit code is decided: a signal from here on, even during interpreter shutdown, changes nothing."""
    global _finished
    _finished = True
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    if _received:
        _clear_unhandled_interrupt_flag()


def _clear_unhandled_interrupt_flag() -> None:
    try:
        flag = ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt")
    except (AttributeError, ValueError):   # not CPython, or a version without the flag
        return
    flag.value = 0
