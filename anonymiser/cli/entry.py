"""The command's entry point: SIGINT and SIGTERM are handled from the first moment, not only once the
application (typer, rich, ~0.3 s of imports) is loaded. A signal during those imports is the same one
'interrupted' line and exit 130 as later, never Python's traceback or a bare kill by SIGTERM."""

from __future__ import annotations

import json
import sys
import time

from anonymiser.cli import interrupts


def main() -> None:
    interrupts.install()
    try:
        from anonymiser.cli.app import main as run_command  # after the handlers: see the module docstring
    except KeyboardInterrupt:
        interrupts.finish()
        if "--json" in sys.argv[1:]:
            line = json.dumps({"ts": round(time.time(), 3), "event": "interrupted", "exit_code": 130,
                               "message": interrupts.MESSAGE})
        else:
            line = interrupts.MESSAGE
        sys.stderr.write(line + "\n")
        raise SystemExit(130) from None
    run_command()
