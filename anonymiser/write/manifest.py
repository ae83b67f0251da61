"""``manifest.json``: what a run produced, enough to load, verify and report on it later.

It holds structure, counts and hashes only, never a value from the source and never the key.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from anonymiser.detect.model import DetectionResult
from anonymiser.errors import OutputError
from anonymiser.mask import registry
from anonymiser.mask.base import LeakClass, Strategy, Technique
from anonymiser.policy.model import Policy
from anonymiser.schema import SchemaInfo
from anonymiser.subset.result import SubsetRecord

# Raised on every change that older readers or this reader cannot read across (2: typed policy, detection
# and subset; ColumnMasking.kept and leak_class).
MANIFEST_VERSION = 2
MANIFEST_NAME = "manifest.json"



def timestamp() -> str:
    """Now, as the manifest records times (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileEntry(_Model):
    path: str                       # relative to the output directory, '/' separated
    sha256: str
    bytes: int


class ColumnMasking(_Model):
    """How one output column was masked: the strategy's own description, as planned for this column."""

    strategy: str
    options: dict[str, Any] = Field(default_factory=dict)   # the effective rule's options (policy text)
    technique: Technique
    deterministic: bool
    format_preserving: bool
    kept: bool                      # source values copied unchanged
    leak_class: LeakClass           # how the leak scan judges this column's source values (registry.leak_class)
    domain: str | None = None       # entity domain of the pseudonym, shared across tables
    unique: bool = False
    reason: str | None = None       # why a personal column is kept, from the policy
    collisions_resolved: int = 0

    @classmethod
    def of(cls, strategy: Strategy, *, options: dict[str, Any] | None = None, entity: str | None = None,
           in_key: bool = False, unique: bool = False, reason: str | None = None) -> ColumnMasking:
        """``strategy`` on a column where detection found ``entity`` (``in_key``: part of a primary or
        foreign key)."""
        return cls(
            strategy=strategy.name, options=dict(options or {}), technique=strategy.technique,
            deterministic=strategy.deterministic, format_preserving=strategy.format_preserving,
            kept=strategy.keeps_values, leak_class=registry.leak_class(strategy, entity, in_key),
            domain=getattr(strategy, "domain", None), unique=unique, reason=reason,
            collisions_resolved=strategy.stats.collisions_resolved,
        )

    @property
    def kept_unjustified(self) -> bool:
        """Copied unchanged and the policy gives no reason."""
        return self.kept and not (self.reason or "").strip()


class TableEntry(_Model):
    rows: int
    source_rows: int | None = None  # rows in the source before subsetting
    files: list[FileEntry] = Field(default_factory=list)
    masking: dict[str, ColumnMasking] = Field(default_factory=dict)
    # MySQL zero dates (0000-00-00, a zero month or day: no calendar has them) written as NULL: cells by column.
    dates_nulled: dict[str, int] = Field(default_factory=dict)


class SourceFingerprint(_Model):
    dialect: str
    database: str | None = None
    schema_hash: str
    # A digest of where the source database lives (source.connect.database_identity): `load` refuses to
    # write into it. No host name or path in clear.
    identity: str | None = None


class Manifest(_Model):
    manifest_version: int = MANIFEST_VERSION
    run_id: str
    started_at: str
    finished_at: str | None = None
    run_by: str | None = None           # OS user
    host: str | None = None
    tool_versions: dict[str, str] = Field(default_factory=dict)
    detection: DetectionResult = Field(default_factory=DetectionResult)  # findings and the engine used
    policy_path: str | None = None
    policy_sha256: str | None = None
    policy: Policy = Field(default_factory=Policy)               # the parsed policy, without its source URL
    key_id: str
    demo_key: bool = False
    source: SourceFingerprint
    subset: SubsetRecord = Field(default_factory=SubsetRecord)
    schema_: SchemaInfo = Field(alias="schema")                  # of the output (masked types)
    load_order: list[str]
    tables: dict[str, TableEntry]
    formats: list[str]
    sql_files: dict[str, FileEntry] = Field(default_factory=dict)  # dialect -> dump

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("policy")
    @classmethod
    def _without_source(cls, policy: Policy) -> Policy:
        return policy.model_copy(update={"source": None}) if policy.source is not None else policy

    def write(self, directory: Path) -> Path:
        path = directory / MANIFEST_NAME
        text = json.dumps(self.model_dump(mode="json", by_alias=True), indent=2, sort_keys=False)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_NAME
        if not path.is_file():
            raise OutputError(
                f"no {MANIFEST_NAME} in {directory}",
                hint="Point at a directory written by 'anonymiser run' (it holds manifest.json).",
            )
        text = path.read_text(encoding="utf-8")
        try:
            version = json.loads(text).get("manifest_version")
        except (ValueError, AttributeError):
            version = None
        if isinstance(version, int) and version != MANIFEST_VERSION:
            made_by = "an older" if version < MANIFEST_VERSION else "a newer"
            raise OutputError(
                f"{path} was written by {made_by} anonymiser (manifest version {version}; this one reads "
                f"version {MANIFEST_VERSION})",
                hint="Run 'anonymiser run' again with this version to make the dataset anew (same key: same "
                     "pseudonyms), or use the anonymiser version that wrote it.")
        try:
            return cls.model_validate_json(text)
        except ValueError as exc:
            count = exc.error_count() if isinstance(exc, ValidationError) else 1
            first = exc.errors()[0] if isinstance(exc, ValidationError) else None
            where = ".".join(str(p) for p in first["loc"]) if first else ""
            raise OutputError(
                f"{path} is not a valid manifest ({count} problem(s)"
                + (f", the first at '{where}': {first['msg']}" if first else "") + ")",
                hint="Was the file edited? Run 'anonymiser run' again to write the dataset anew.") from None


_ZERO_DATE_DEFAULT = re.compile(r"^'?\d{4}-(00-\d{2}|\d{2}-00)")


def without_zero_dates(schema: SchemaInfo, tables: dict[str, TableEntry]) -> tuple[SchemaInfo, list[str]]:
    """The output schema without what MySQL's zero dates would break (docs/types.md): NOT NULL dropped from
    a column that had such dates (now NULL), and a zero-date default dropped (no engine in strict mode, and
    no other engine, accepts it). With a warning each, by table.column."""
    notes: list[str] = []
    changed = {}
    for name, table in schema.tables.items():
        nulled = tables[name].dates_nulled if name in tables else {}
        columns = []
        for column in table.columns:
            update: dict[str, object] = {}
            if nulled.get(column.name) and not column.nullable:
                update["nullable"] = True
                notes.append(f"{name}.{column.name}: NOT NULL dropped in the copy, which holds NULL for "
                             f"{nulled[column.name]:,} zero date(s)")
            if column.kind in ("date", "datetime") and column.default and _ZERO_DATE_DEFAULT.match(column.default):
                update["default"] = None
                notes.append(f"{name}.{column.name}: zero-date default dropped (no engine in strict mode accepts it)")
            columns.append(column.model_copy(update=update) if update else column)
        if columns != list(table.columns):
            changed[name] = table.model_copy(update={"columns": tuple(columns)})
    return (schema.model_copy(update={"tables": {**schema.tables, **changed}}) if changed else schema), notes


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_entry(directory: Path, path: Path) -> FileEntry:
    return FileEntry(
        path=path.relative_to(directory).as_posix(), sha256=sha256_file(path), bytes=path.stat().st_size
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9 _.\-]")


def safe_file_stem(table: str) -> str:
    """A file name for a table: kept readable, with anything unsafe percent-encoded."""
    stem = _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), table)
    return stem if stem not in ("", ".", "..") else f"%{stem}"
