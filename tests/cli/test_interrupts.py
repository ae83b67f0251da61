"""Interrupts exit 130 with one message and no traceback, wherever the signal lands (the real process).

Each case swaps the ``keygen`` command for one that signals itself at an awkward moment: inside code run
by ``exec`` of a string (CPython then marks the interrupt unhandled and, at exit, kills itself with SIGINT),
inside a ``__del__`` (the KeyboardInterrupt is dropped as unraisable), and again during the clean-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from anonymiser.cli.interrupts import MESSAGE

PRELUDE = """
import os, signal, sys, time
from pathlib import Path
import anonymiser.cli.keygen as keygen
from anonymiser.cli.common import handles_errors
from anonymiser.cli.app import main

def signal_me():
    os.kill(os.getpid(), signal.SIGTERM)
"""

CASES = {
    "inside-exec-of-a-string": """
@handles_errors
def command() -> None:
    exec("signal_me()\\nfor _ in range(10 ** 8): pass", {"signal_me": signal_me})
    Path(os.environ["MARKER"]).write_text("finished")
""",
    "inside-a-del-callback": """
class Dropper:
    def __del__(self) -> None:
        signal_me()
        for _ in range(10 ** 6):
            pass

@handles_errors
def command() -> None:
    dropper = Dropper()
    del dropper
    time.sleep(10)
    Path(os.environ["MARKER"]).write_text("finished")
""",
    "repeated-during-clean-up": """
@handles_errors
def command() -> None:
    try:
        signal_me()
        time.sleep(10)
    finally:
        for _ in range(3):
            signal_me()
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        Path(os.environ["MARKER"]).write_text("cleaned up")
""",
    # psycopg turns Ctrl-C into a cancel request; one that reaches the server as the next statement starts
    # cancels that one, and the load reported 'constraints failed (QueryCanceled 57014)', exit 3 (trial2).
    "database-error-after-the-signal": """
import contextlib
from anonymiser.errors import TargetError

@handles_errors
def command() -> None:
    with contextlib.suppress(KeyboardInterrupt):   # the driver's own handling of the interrupt
        signal_me(); time.sleep(10)
    raise TargetError("constraints failed (QueryCanceled 57014)")
""",
}
RUN = """
keygen.command = command
sys.argv = ["anonymiser", "keygen"]
main()
"""


@pytest.mark.parametrize("name", list(CASES))
def test_an_interrupt_exits_130_wherever_it_lands(name: str, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")} | {"MARKER": str(marker)}
    result = subprocess.run([sys.executable, "-c", PRELUDE + CASES[name] + RUN], env=env, capture_output=True,
                            text=True, timeout=60)
    text = result.stdout + result.stderr
    assert result.returncode == 130, (result.returncode, text)
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert text.count(MESSAGE) == 1, text
    if name == "repeated-during-clean-up":
        assert marker.read_text() == "cleaned up"   # the repeated signals did not cut the clean-up short
    else:
        assert not marker.exists()                  # the command stopped


def test_a_signal_after_the_command_finished_keeps_its_exit_code(tmp_path: Path) -> None:
    script = PRELUDE + """
@handles_errors
def command() -> None:
    print("done")

import anonymiser.cli.interrupts as interrupts
finish = interrupts.finish

def finish_after_a_signal() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    finish()

interrupts.finish = finish_after_a_signal
""" + RUN
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "done" in result.stdout and "Traceback" not in result.stderr, result.stderr



SIGNAL_DURING_IMPORTS = """
import os, signal, sys

class SignalWhileImportingTheApplication:
    def find_spec(self, name, path=None, target=None):
        if name == "typer":            # the application's imports (~0.3 s of typer, rich ...) have begun
            os.kill(os.getpid(), signal.{signum})
        return None

sys.meta_path.insert(0, SignalWhileImportingTheApplication())
sys.argv = ["anonymiser", *{args!r}]
from anonymiser.cli.entry import main
main()
"""


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("args", [["keygen"], ["--json", "keygen"]], ids=["text", "json"])
def test_an_interrupt_while_the_application_loads_exits_130(signum: str, args: list[str]) -> None:
    """Before the entry module, a signal in the first ~0.3 s (typer and rich loading) got Python's default:
    a KeyboardInterrupt traceback, or a bare kill by SIGTERM (exit -15)."""
    script = SIGNAL_DURING_IMPORTS.format(signum=signum, args=args)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    text = result.stdout + result.stderr
    assert result.returncode == 130, (result.returncode, text)
    assert "Traceback" not in text and text.count(MESSAGE) == 1, text
    if "--json" in args:
        assert all(line.startswith("{") for line in result.stderr.splitlines()), result.stderr


SIGNAL_WHILE_CLICK_PARSES = """
import os, signal, sys
import anonymiser.cli.app as app

configure = app.configure

def configure_after_a_signal(**kwargs):     # the --json callback: click is still parsing the command line
    os.kill(os.getpid(), signal.{signum})
    configure(**kwargs)

app.configure = configure_after_a_signal
sys.argv = ["anonymiser", "--json", "keygen"]
app.main()
"""


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_an_interrupt_before_click_reads_json_is_a_json_line(signum: str) -> None:
    """The 'interrupted' line was plain text when the signal landed before click had called the --json
    option's callback (seen with cron-like runs interrupted in their first second)."""
    script = SIGNAL_WHILE_CLICK_PARSES.format(signum=signum)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 130, (result.returncode, result.stderr)
    assert result.stderr.count(MESSAGE) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(line.startswith("{") for line in result.stderr.splitlines()), result.stderr
