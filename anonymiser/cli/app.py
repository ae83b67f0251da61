"""``anonymiser``: the typer application. Each command lives in its own module."""

from __future__ import annotations

import logging
import signal
import sys
import warnings
from collections.abc import Sequence

import typer

from anonymiser import __version__
from anonymiser.cli import check, demo, keygen, load, report, run, scan, verify
from anonymiser.cli.common import configure, output
from anonymiser.redact import scrub_db_message

EXIT_CODES = """\
Exit codes: 0 success · 1 a verification gate failed (output and report written, verdict FAIL) ·
2 usage, policy or configuration error · 3 source or target database error ·
70 internal error (a bug: please report it) · 130 interrupted.
"""

app = typer.Typer(
    name="anonymiser",
    help=(
        "Masked, sampled, referentially intact copies of production databases, with a compliance report.\n\n"
        "Start with:  anonymiser demo\n\n"
        "Typical monthly refresh:\n\n"
        "  export ANONYMISER_KEY=...            (from 'anonymiser keygen', kept in your secret store)\n\n"
        "  anonymiser scan postgresql://app@db/prod --out policy.yaml\n\n"
        "  anonymiser check policy.yaml --source postgresql://app@db/prod\n\n"
        "  anonymiser run policy.yaml --source postgresql://app@db/prod --out masked/\n\n"
        "--quiet and --json may be given before or after the command."
    ),
    epilog=EXIT_CODES,
    no_args_is_help=True,
    # Rich tracebacks print local variables, which can hold data values: never show them.
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"anonymiser {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only warnings, errors and the final result."),
    json_logs: bool = typer.Option(False, "--json", help="Machine-readable JSON lines on stderr (for cron/CI)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    configure(quiet=quiet, json_logs=json_logs)


for _module in (demo, keygen, scan, check, run, verify, report, load):
    app.command(_module.NAME, help=_module.HELP, epilog=EXIT_CODES)(_module.command)


def _terminate(signum: int, frame: object) -> None:
    # cron and CI time-outs send SIGTERM: unwind like Ctrl-C so the partial output is removed.
    raise KeyboardInterrupt


GLOBAL_FLAGS = frozenset({"--quiet", "-q", "--json"})


def hoist_global_flags(argv: Sequence[str]) -> list[str]:
    """Accept ``--quiet``/``--json`` after the command too (``anonymiser run p.yaml --quiet``), as cron
    lines are usually written: move them before the command, where the application reads them."""
    end = argv.index("--") if "--" in argv else len(argv)
    head, tail = argv[:end], argv[end:]
    return [a for a in head if a in GLOBAL_FLAGS] + [a for a in head if a not in GLOBAL_FLAGS] + list(tail)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    # Library warnings can quote a value or a URL: shown as one line, literals masked, never the source line.
    output().warn(f"{category.__name__}: {scrub_db_message(str(message))}")


class _LogToOutput(logging.Handler):
    """Python's last-resort handler (records of libraries that set up no handler of their own, e.g.
    SQLAlchemy's pool): one scrubbed warning line instead of a message with a traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            output().warn(f"{record.name}: {scrub_db_message(record.getMessage())}")


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    warnings.showwarning = _show_warning
    logging.lastResort = _LogToOutput(logging.WARNING)
    app(args=hoist_global_flags(sys.argv[1:]), prog_name="anonymiser")
