"""The command's entry point: SIGINT and SIGTERM are handled from the first moment, not only once the
application (typer, rich, ~0.3 s of imports) is loaded. A signal during those imports is the same one
'interrupted' line and exit 130 as later, never Python's traceback or a bare kill by SIGTERM."""

from __future__ import annotations

import sys

from anonymiser.cli import interrupts


def main() -> None:
    interrupts.install()
    try:
        from anonymiser.cli.app import main as run_command  # after the handlers: see the module docstring
    except KeyboardInterrupt:
        interrupts.finish()
        sys.stderr.write((interrupts.json_event() if "--json" in sys.argv[1:] else interrupts.MESSAGE) + "\n")
        raise SystemExit(130) from None
    run_command()
