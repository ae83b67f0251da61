"""A run's SQL dumps, recorded in its manifest: written here, or by a forked process while the output is
verified (``--jobs`` > 1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from anonymiser.forked import beside, can_fork
from anonymiser.progress import Event, Progress, silent
from anonymiser.write.manifest import FileEntry, Manifest, file_entry, timestamp
from anonymiser.write.sql import write_dump

Dumped = tuple[str, FileEntry, list[str]]    # dialect, its file, what does not carry over


def _dump(work: Path, manifest: Manifest, dialect: str, progress: Progress) -> Dumped:
    notes: list[str] = []
    path = write_dump(work, manifest, dialect, progress=progress, warnings=notes)
    return dialect, file_entry(work, path), notes


def _dumped(manifest: Manifest, dumped: Dumped, event: Event) -> None:
    dialect, entry, notes = dumped
    manifest.sql_files[dialect] = entry
    event("dump_written", f"SQL dump for {dialect} written", dialect=dialect)
    if notes:   # one line: the list (table.column each) heads the script
        event("dump_warnings", f"SQL dump for {dialect}: {len(notes)} warning(s) about what does not carry over "
                               f"(types, defaults, views), listed at the top of sql/{dialect}.sql; the first: "
                               f"{notes[0]}", as_warning=True, dialect=dialect, warnings=notes)


def _finished(work: Path, manifest: Manifest, finished_at: str) -> None:
    manifest.finished_at = finished_at
    manifest.write(work)


@contextmanager
def sql_dumps(work: Path, manifest: Manifest, dialects: tuple[str, ...], jobs: int, progress: Progress,
              event: Event) -> Iterator[Callable[[], None] | None]:
    """The SQL dumps, recorded in the manifest (then written with the time the output was finished). With
    ``--jobs`` > 1, written by a forked process while the block verifies the output (it reads only the Parquet
    files): the block gets the wait for them, which records them. Else written here, before the block."""
    if jobs < 2 or not can_fork() or not dialects:
        for dialect in dialects:
            _dumped(manifest, _dump(work, manifest, dialect, progress), event)
        _finished(work, manifest, timestamp())
        yield None
        return

    def dump_all() -> tuple[list[Dumped], str]:
        return [_dump(work, manifest, dialect, silent) for dialect in dialects], timestamp()

    with beside(dump_all) as written:
        def record() -> None:
            dumped, finished_at = written()
            for one in dumped:
                _dumped(manifest, one, event)
            _finished(work, manifest, finished_at)

        yield record
