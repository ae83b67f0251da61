"""The CLI on a real terminal (a pseudo-terminal), where the live progress bars run.

Every other test runs the CLI with pipes, where there are no bars. On a terminal, rich's Live replaced
sys.stderr by a proxy writing to the console whose file was our scrubbing stream, which looked
sys.stderr up again: every command with progress hung forever, the README's first command included
(trial F29)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli_runner import TEST_KEY

DEADLINE_S = 240


def run_on_a_terminal(*args: str, cwd: Path) -> tuple[int, str]:
    """Run ``anonymiser ARGS`` with stdin, stdout and stderr on a pseudo-terminal; (exit code, screen)."""
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANONYMISER_")}
    env.update(ANONYMISER_KEY=TEST_KEY, TERM="xterm-256color", COLUMNS="120", LINES="40")
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "anonymiser", *args], cwd=cwd, env=env, stdin=slave,
                               stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    screen = bytearray()
    deadline = time.monotonic() + DEADLINE_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:          # EIO: the terminal's other end closed (the process ended)
                    break
                if not chunk:
                    break
                screen += chunk
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        shown = screen.decode(errors="replace")
        raise AssertionError(f"still running after {DEADLINE_S} s on a terminal:\n{shown}") from None
    finally:
        os.close(master)
    return code, screen.decode(errors="replace")


def test_the_demo_finishes_on_a_terminal_with_its_progress_bars(tmp_path: Path) -> None:
    code, screen = run_on_a_terminal("demo", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert code == 0, screen
    assert "Verification:" in screen and "PASS" in screen, screen
    assert (tmp_path / "out" / "report" / "report.html").is_file()
