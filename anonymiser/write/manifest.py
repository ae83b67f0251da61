"""``manifest.json``: what a run produced, enough to load, verify and report on it later.

It holds structure, counts and hashes only, never a value from the source and never the key.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from anonymiser.errors import OutputError
from anonymiser.schema import SchemaInfo

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileEntry(_Model):
    path: str                       # relative to the output directory, '/' separated
    sha256: str
    bytes: int


class ColumnMasking(_Model):
    strategy: str
    technique: str
    deterministic: bool
    format_preserving: bool
    domain: str | None = None       # entity domain of the pseudonym, shared across tables
    unique: bool = False
    reason: str | None = None       # why a personal column is kept, from the policy
    collisions_resolved: int = 0


class TableEntry(_Model):
    rows: int
    source_rows: int | None = None  # rows in the source before subsetting
    files: list[FileEntry] = Field(default_factory=list)
    masking: dict[str, ColumnMasking] = Field(default_factory=dict)


class SourceFingerprint(_Model):
    dialect: str
    database: str | None = None
    schema_hash: str


class Manifest(_Model):
    manifest_version: int = MANIFEST_VERSION
    run_id: str
    started_at: str
    finished_at: str | None = None
    run_by: str | None = None           # OS user
    host: str | None = None
    tool_versions: dict[str, str] = Field(default_factory=dict)
    detection: dict[str, Any] = Field(default_factory=dict)    # e.g. spaCy model used
    policy_path: str | None = None
    policy_sha256: str | None = None
    policy: dict[str, Any] = Field(default_factory=dict)         # the parsed policy (no credentials)
    key_id: str
    demo_key: bool = False
    source: SourceFingerprint
    subset: dict[str, Any] = Field(default_factory=dict)
    schema_: SchemaInfo = Field(alias="schema")                  # of the output (masked types)
    load_order: list[str]
    tables: dict[str, TableEntry]
    formats: list[str]
    sql_files: dict[str, FileEntry] = Field(default_factory=dict)  # dialect -> dump

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

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
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise OutputError(f"{path} is not a valid manifest: {exc}") from None


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
