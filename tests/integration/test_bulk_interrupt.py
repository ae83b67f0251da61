"""Ctrl-C while the bulk reader (ADBC) waits on PostgreSQL is a KeyboardInterrupt, as anywhere else.

ADBC's driver manager swaps Python's SIGINT handler for its own during each blocking call and only
cancels the query: without the bulk reader's hand-over, the read failed with a driver error (exit 3) or,
when the statement had already finished, the Ctrl-C was lost and the run went on to exit 0/1."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from anonymiser.source import bulk
from anonymiser.source.connect import connect

pytest.importorskip("adbc_driver_postgresql")


def test_ctrl_c_during_a_driver_call_is_a_keyboard_interrupt(pg_url: str) -> None:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with connect(pg_url) as conn, bulk.BulkReader(conn) as reader:
            adbc = reader._connection()
            timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
            started = time.monotonic()
            timer.start()
            with pytest.raises(KeyboardInterrupt), adbc.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(10)")
                cursor.fetchall()
                time.sleep(1)      # a pending interrupt is raised here at the latest
            timer.join()
            assert time.monotonic() - started < 5      # the query was cancelled, not waited for
    finally:
        signal.signal(signal.SIGINT, previous)
