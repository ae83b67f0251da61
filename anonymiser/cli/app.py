"""``anonymiser``: the typer application. Each command lives in its own module.

A command module imports the whole pipeline (Arrow, SQLAlchemy, pandas: about a second), so the
application lists the commands from ``COMMANDS`` and imports a command's module only when that
command runs or shows its own help: ``anonymiser --help`` and ``--version`` stay instant.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer
import typer.core
import typer.main
from typer import _click as click  # typer vendors click: TyperGroup's own types
from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError

from anonymiser import __version__
from anonymiser.cli import interrupts
from anonymiser.cli.common import UsageError, configure, output, report_interrupted
from anonymiser.mask.keys import remember_key
from anonymiser.redact import scrub, scrub_db_message

# name → the summary ``anonymiser --help`` lists (the first line of the module's HELP; a test checks).
COMMANDS: dict[str, str] = {
    "demo": 'Build a small NZ "production" database in SQLite, then scan, run, verify and report on it.',
    "keygen": "Print a new random masking key for ANONYMISER_KEY.",
    "scan": "Scan a source database and write a draft policy: every column of every table gets a rule.",
    "check": "Validate a policy and, against a live source, report drift.",
    "run": "Subset, mask, write, verify and report: the monthly masked refresh.",
    "verify": "Re-run the output checks on DIR and rewrite its compliance report.",
    "report": "Re-render the compliance report (HTML, Markdown) from DIR/report/report.json.",
    "load": "Load a masked dataset (the Parquet output of 'anonymiser run') into a database.",
}

EXIT_CODES = """\
Exit codes: 0 success · 1 a verification gate failed (output and report written, verdict FAIL) ·
2 usage, policy or configuration error · 3 source or target database error ·
70 internal error (a bug: please report it) · 130 interrupted.
"""


def load_command(name: str) -> click.Command:
    """The click command of ``anonymiser.cli.<name>``, built from its module on first use."""
    module = importlib.import_module(f"anonymiser.cli.{name}")   # on demand: see the module docstring
    single = typer.Typer(rich_markup_mode="rich", add_completion=False)
    single.command(name, help=module.HELP, epilog=EXIT_CODES)(module.command)
    return typer.main.get_command(single)


class LazyCommands(typer.core.TyperGroup):
    """Lists ``COMMANDS`` from their summaries; loads a command when it is resolved to run. With --json, a
    usage error (unknown option or command, missing argument, bad value) is a JSON error event too."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, summary in COMMANDS.items():
            self.commands.setdefault(name, typer.core.TyperCommand(name, help=summary, short_help=summary))

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        # The global flags are not parsed yet: a usage error here is JSON when --json is among them.
        wants_json = "--json" in (args[:args.index("--")] if "--" in args else args)
        with _usage_errors_as_json(wants_json):
            ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta[JSON_META] = wants_json
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        # A missing or unknown command fails before the global flags' callback has configured the output.
        with _usage_errors_as_json(bool(ctx.meta.get(JSON_META))):
            return super().invoke(ctx)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                             list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name in COMMANDS and command is not None and command.callback is None:   # still the listing stub
            command = self.commands[name] = load_command(name)
        return name, command, rest


JSON_META = "anonymiser.json"


@contextmanager
def _usage_errors_as_json(wants_json: bool) -> Iterator[None]:
    try:
        yield
    except NoArgsIsHelpError:   # a bare command: its help, as asked
        raise
    except ClickUsageError as exc:
        # The command line can hold a secret (a key pasted as an argument): typer prints this message itself.
        exc.message = scrub(exc.message)
        if not (wants_json or output().json):
            raise
        if not output().json:
            configure(quiet=False, json_logs=True)
        command = exc.ctx.command_path if exc.ctx is not None else "anonymiser"
        output().error(UsageError(exc.format_message(), hint=f"Try '{command} --help' for help."))
        raise typer.Exit(exc.exit_code) from None


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
    cls=LazyCommands,
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


def _unraisable(hook: Any) -> None:
    """Python drops an exception it cannot raise (e.g. a signal landing in an import-lock callback) after
    printing a traceback: an interrupt is delivered again instead, anything else becomes one warning line."""
    try:
        if hook.exc_type is not None and issubclass(hook.exc_type, KeyboardInterrupt):
            interrupts.lost()
            return
        output().warn(f"ignored {getattr(hook.exc_type, '__name__', 'error')} in a library callback")
    except KeyboardInterrupt:   # the signal landed in this hook: lost like the others
        interrupts.lost()


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
    remember_key()   # before click parses anything: a bad option's value could be the key
    sys.unraisablehook = _unraisable
    warnings.showwarning = _show_warning
    logging.lastResort = _LogToOutput(logging.WARNING)
    code: int | str | None = None
    try:
        interrupts.install()
        try:
            app(args=hoist_global_flags(sys.argv[1:]), prog_name="anonymiser")
        except SystemExit as exit_:
            code = exit_.code
        except KeyboardInterrupt:   # delivered outside a command's error boundary (e.g. in click's own code)
            code = 130
        interrupts.finish()
    except KeyboardInterrupt:   # the one interrupt landed after the command ended: the command's code stands
        interrupts.finish()
        code = 130 if code is None else code
    if code == 130:   # typer turns a KeyboardInterrupt it catches into exit 130 without a word
        report_interrupted()
    raise SystemExit(code)
