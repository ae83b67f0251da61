"""Console output, logging modes (normal, --quiet, --json) and the error → exit-code boundary."""

from __future__ import annotations

import errno
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, NoReturn, ParamSpec, TextIO, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from anonymiser.cli import interrupts
from anonymiser.errors import EXIT_DATABASE, EXIT_USAGE, AnonymiserError
from anonymiser.mask.keys import remember_key
from anonymiser.progress import Progress as ProgressUpdate
from anonymiser.redact import scrub

P = ParamSpec("P")
R = TypeVar("R")
EXIT_INTERNAL = 70  # a bug in anonymiser itself (not part of the SPEC's 0-3 contract)
DEBUG_ENV = "ANONYMISER_DEBUG"


class UsageError(AnonymiserError):
    """The command line itself is wrong (unknown option or command, missing argument, bad value): exit 2."""

    reason_code = "usage"


class ScrubbedStream:
    """stdout or stderr (looked up at each write, so test runners can swap them) with every remembered
    secret and URL password removed from what is written: the last line of defence for all output."""

    def __init__(self, stderr: bool) -> None:
        self.stderr = stderr

    @property
    def target(self) -> TextIO:
        stream = sys.stderr if self.stderr else sys.stdout
        # rich's Live (progress bars) may replace sys.stderr by a proxy writing to its console, whose file
        # is this stream: writing through the proxy again would loop forever (a hang on every terminal).
        return getattr(stream, "rich_proxied_file", stream)

    def write(self, text: str) -> int:
        return self.target.write(scrub(text))

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.target, "encoding", None) or "utf-8"


@dataclass
class Output:
    quiet: bool = False
    json: bool = False

    def __post_init__(self) -> None:
        self.stderr, self.stdout = ScrubbedStream(stderr=True), ScrubbedStream(stderr=False)
        self.err = Console(file=self.stderr, highlight=False, soft_wrap=True)  # type: ignore[arg-type]
        self.out = Console(file=self.stdout, highlight=False, soft_wrap=True)  # type: ignore[arg-type]

    def result(self, payload: dict[str, Any]) -> None:
        """The final machine-readable result on stdout (--json)."""
        self.stdout.write(json.dumps(payload) + "\n")

    @property
    def interactive(self) -> bool:
        return not self.quiet and not self.json and self.err.is_terminal

    def event(self, name: str, message: str, *, as_warning: bool = False, **fields: Any) -> None:
        """A progress event: a line for people, a JSON object with --json. Never pass a data value.
        ``as_warning``: shown even with --quiet, marked as a warning (JSON: "level": "warning")."""
        if self.json:
            level = {"level": "warning"} if as_warning else {}
            self.stderr.write(json.dumps({"ts": round(time.time(), 3), "event": name, **level, **fields}) + "\n")
        elif as_warning:
            self.err.print(f"[yellow]warning:[/] {message}")
        elif not self.quiet:
            self.err.print(message)

    def warn(self, message: str, **fields: Any) -> None:
        if self.json:
            self.stderr.write(json.dumps({"ts": round(time.time(), 3), "event": "warning", "message": message,
                                         **fields}) + "\n")
        else:
            self.err.print(f"[yellow]warning:[/] {message}")

    def error(self, err: AnonymiserError) -> None:
        if self.json:
            payload = {"event": "error", "reason": err.reason_code, "exit_code": err.exit_code,
                       "message": err.message, "hint": err.hint, "file": err.file, "line": err.line,
                       "table": err.table, "column": err.column}
            self.stderr.write(json.dumps({k: v for k, v in payload.items() if v is not None}) + "\n")
            return
        where = err.location()
        self.err.print(f"[bold red]error:[/] {where + ': ' if where else ''}{err.message}", markup=True)
        if err.hint:
            self.err.print(err.hint, markup=False)

    @contextmanager
    def progress(self) -> Iterator[ProgressUpdate]:
        """Yields ``update(label, done, total, unit)``; a live bar on a TTY, periodic events otherwise."""
        if not self.interactive:
            last: dict[str, float] = {}

            def log_update(label: str, done: int, total: int | None, unit: str = "rows") -> None:
                # Without a TTY: a line every 10 s per long step; stages report their own completion.
                now = time.monotonic()
                if total is not None and done >= total:
                    return
                if now - last.setdefault(label, now) >= 10:
                    last[label] = now
                    of = f" of {total:,}" if total is not None else ""
                    self.event("progress", f"{label}: {done:,}{of} {unit}", step=label, done=done, total=total,
                               unit=unit)

            yield log_update
            return
        # No redirection of sys.stdout/sys.stderr: our own lines go through self.err, which the bars share.
        bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=self.err, transient=False, redirect_stdout=False, redirect_stderr=False)
        tasks: dict[str, Any] = {}
        with bars:
            def bar_update(label: str, done: int, total: int | None, unit: str = "rows") -> None:
                if label not in tasks:
                    tasks[label] = bars.add_task(label, total=total)
                bars.update(tasks[label], completed=done, total=total)

            yield bar_update


_state = Output()


def output() -> Output:
    return _state


def configure(quiet: bool, json_logs: bool) -> None:
    global _state
    _state = Output(quiet=quiet, json=json_logs)
    remember_key()   # whatever the command, the masking key is never shown


def report_interrupted() -> None:
    """The one 'interrupted' line (a JSON event with --json), however many paths reach it."""
    if not interrupts.report_once():
        return
    if output().json or _json_requested():   # an interrupt before click has read --json is a JSON line too
        output().stderr.write(interrupts.json_event() + "\n")
    else:
        output().err.print(interrupts.MESSAGE, markup=False)


def _json_requested() -> bool:
    """``--json`` is on the command line (before any ``--``), whether or not click has read it yet."""
    args = sys.argv[1:]
    return "--json" in args[:args.index("--") if "--" in args else len(args)]


def _exit_interrupted() -> NoReturn:
    report_interrupted()
    raise typer.Exit(130) from None


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn AnonymiserError into its exit code and a short message; never a traceback or a value."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AnonymiserError as err:
            if interrupts.received() and err.exit_code == EXIT_DATABASE:
                # A driver turned the interrupt into a cancelled statement (psycopg's cancel request).
                _exit_interrupted()
            output().error(err)
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            _exit_interrupted()
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence before the user's terminal
            if interrupts.received():
                # The interrupt landed inside an import or a library and surfaced as another error.
                _exit_interrupted()
            if os.environ.get(DEBUG_ENV):
                raise
            code, what = _classify_unexpected(exc)
            hint = (f"Set {DEBUG_ENV}=1 to see the traceback (it may show data values: do not share it outside "
                    "your organisation).")
            if _disk_full(exc):
                what = "the disk is full (or a file-size limit was reached) while writing: " + what
                hint = ("Free space where the output is written (or raise the limit) and run again; a run's "
                        "partial output was removed and the previous output at --out is unchanged.")
            error = AnonymiserError(what, hint=hint)
            error.exit_code = code      # the --json event states the code the process exits with
            output().error(error)
            raise typer.Exit(code) from None

    return wrapper


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def _disk_full(exc: BaseException) -> bool:
    # Arrow's write errors carry no errno, only the system's text.
    text = str(exc)
    return (isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS) or any(
        reason in text for reason in ("No space left on device", "File too large", "Disk quota exceeded"))


def _classify_unexpected(exc: Exception) -> tuple[int, str]:
    # Driver messages can quote row values (e.g. a duplicate key), so only the type name is shown.
    try:
        import sqlalchemy.exc as sa_exc  # heavy (~0.3 s): imported on first use

        if isinstance(exc, sa_exc.DBAPIError):
            return EXIT_DATABASE, f"database error ({type(exc.orig).__name__ if exc.orig else type(exc).__name__})"
        if isinstance(exc, sa_exc.SQLAlchemyError):
            return EXIT_DATABASE, f"database error ({type(exc).__name__})"
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, OSError):
        return EXIT_USAGE, f"file system error: {exc.strerror or type(exc).__name__} ({exc.filename or ''})"
    return EXIT_INTERNAL, f"internal error ({type(exc).__name__}): this is a bug in anonymiser, please report it"
