"""One exception root for the whole tool.

Every error carries the context a user needs (file, line, table, column) and a hint naming the
next thing to do. Only ``anonymiser.cli`` turns these into exit codes (SPEC.md):
0 success, 1 a verification gate failed, 2 usage/policy/configuration, 3 source/target database.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_VERIFICATION_FAILED = 1
EXIT_USAGE = 2
EXIT_DATABASE = 3


class AnonymiserError(Exception):
    """Root of every error the tool raises on purpose."""

    exit_code: int = EXIT_USAGE
    reason_code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str | None = None,
        line: int | None = None,
        table: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.file = file
        self.line = line
        self.table = table
        self.column = column

    def location(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.table:
            parts.append(f"table {self.table!r}" + (f", column {self.column!r}" if self.column else ""))
        return "; ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n{self.hint}"
        return text


class ConfigError(AnonymiserError):
    """Missing key, bad option, bad environment: exit 2."""

    reason_code = "config"


class PolicyError(AnonymiserError):
    """The policy file is malformed or does not fit the source: exit 2."""

    reason_code = "policy"


class PolicyOptionError(PolicyError):
    """A strategy's options are wrong. ``option_path`` is where, below the column's rule (e.g.
    ``("json_paths", "$.contact.email")``), so the message can give that option's own line."""

    def __init__(self, message: str, *, option_path: tuple[str | int, ...] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.option_path = option_path


class PolicyDriftError(PolicyError):
    """The source has columns or tables the policy does not cover (or the reverse): exit 2."""

    reason_code = "drift"

    def __init__(self, message: str, *, problems: list[str], hint: str | None = None, file: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(message, hint=hint, file=file, line=line)
        self.problems = problems


class MissingDependencyError(ConfigError):
    """An optional dependency is not installed; the message gives the pip line."""

    reason_code = "missing_dependency"


class SourceError(AnonymiserError):
    """The source database cannot be reached or read: exit 3."""

    exit_code = EXIT_DATABASE
    reason_code = "source"


class TargetError(AnonymiserError):
    """The target database cannot be reached or written: exit 3."""

    exit_code = EXIT_DATABASE
    reason_code = "target"


class MaskError(AnonymiserError):
    """A strategy cannot mask a column as configured: exit 2."""

    reason_code = "mask"


class SubsetError(AnonymiserError):
    """The subset rules cannot be satisfied: exit 2."""

    reason_code = "subset"


class DetectError(AnonymiserError):
    """PII detection cannot run (e.g. a configured spaCy model is missing): exit 2."""

    reason_code = "detect"


class OutputError(AnonymiserError):
    """The output directory cannot be written or read: exit 2."""

    reason_code = "output"


class VerificationFailed(AnonymiserError):
    """A verification gate failed; the output and the report are still written: exit 1."""

    exit_code = EXIT_VERIFICATION_FAILED
    reason_code = "verification"


class OutputTampered(VerificationFailed):
    """An output's signed files differ from what the run signed (manifest.sig): exit 1."""

    reason_code = "manifest_tampered"
