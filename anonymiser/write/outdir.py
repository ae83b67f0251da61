"""The atomic output directory: build in a hidden sibling, publish by rename when complete.

A crashed or killed run leaves only ``.NAME.partial-<run id>`` (never something that looks like a
finished output); the next run removes partial directories whose process is gone.

An existing directory at ``--out`` is replaced only when it *proves* to be an anonymiser output:
its ``manifest.json`` validates against our schema with a run id, and it holds no file other than
the ones that manifest lists (plus the fixed names every output has). Anything else is refused
before anything is read or written, and checked again just before the swap. A symlink at ``--out``
is resolved and its target held to the same rule. Everything is created owner-only (0700/0600),
whatever the umask: the masked copy is still personal information.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from anonymiser.errors import OutputError
from anonymiser.write.manifest import MANIFEST_NAME, Manifest

PARTIAL_MARK = "PARTIAL-RUN-IN-PROGRESS"
PRIVATE_UMASK = 0o077
DIR_MODE, FILE_MODE = 0o700, 0o600
RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")
# Written by every run (or re-written by verify/report) besides the files the manifest lists.
FIXED_FILES = frozenset({MANIFEST_NAME, "manifest.sig", "policy.yaml", "report/report.json", "report/report.md",
                         "report/report.html"})
_REPORT_TEMP = re.compile(r"^report/\.report\.(json|md|html)\.[^/]+$")   # a killed atomic report write
_HINT = ("Choose a new or empty directory for --out: anonymiser only replaces a directory that holds one of its "
         "own outputs and nothing else.")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def private_files() -> Iterator[None]:
    """Files and directories created inside are owner-only, whatever the caller's umask."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def make_private(directory: Path) -> None:
    """0700 on every directory and 0600 on every file under ``directory`` (symlinks are not followed)."""
    os.chmod(directory, DIR_MODE)
    for root, dirs, files in os.walk(directory):
        for name in dirs:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, DIR_MODE)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, FILE_MODE)


def _contents(directory: Path) -> Iterator[str]:
    """Relative '/'-separated paths of every non-directory entry (symlinks listed, never followed)."""
    for root, dirs, files in os.walk(directory, followlinks=False):
        rel_root = Path(root).relative_to(directory)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            yield (rel_root / name).as_posix()


def foreign_files(directory: Path) -> list[str] | None:
    """Files in ``directory`` that its manifest does not account for; None when it is not an output at all
    (no manifest, or one that does not validate, or one without a run id)."""
    path = directory / MANIFEST_NAME
    if path.is_symlink() or not path.is_file():
        return None
    try:
        manifest = Manifest.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not RUN_ID.match(manifest.run_id):
        return None
    listed = set(FIXED_FILES)
    listed.update(f.path for entry in manifest.tables.values() for f in entry.files)
    listed.update(f.path for f in manifest.sql_files.values())
    return sorted(p for p in _contents(directory) if p not in listed and not _REPORT_TEMP.match(p))


class OutputDir:
    def __init__(self, final: Path, run_id: str) -> None:
        self.requested = Path(final)
        self.final = Path(os.path.realpath(final))   # a symlink at --out: its target is what we would replace
        self.work = self.final.parent / f".{self.final.name}.partial-{run_id}"

    def check(self) -> None:
        """Refuse (OutputError, exit 2) unless ``--out`` is absent, an empty directory, or our own output."""
        final, shown = self.final, self._shown()
        if final == Path(final.anchor) or final.name in ("", ".", ".."):
            raise OutputError(f"--out {shown} is the root of a file system", hint=_HINT)
        if os.path.lexists(final) and not final.is_dir():
            raise OutputError(f"--out {shown} exists and is not a directory", hint=_HINT)
        if not final.is_dir():
            return
        cwd = Path(os.path.realpath(os.getcwd()))
        if cwd == final or final in cwd.parents:
            raise OutputError(f"--out {shown} is the current directory or one of its parents, which a run "
                              "would replace", hint=_HINT)
        try:
            empty = not any(final.iterdir())
        except OSError as exc:
            raise OutputError(f"cannot read --out {shown}: {exc.strerror}", hint=_HINT) from None
        if empty:
            return
        foreign = foreign_files(final)
        if foreign is None:
            raise OutputError(f"--out {shown} exists, is not empty and is not an anonymiser output "
                              f"(no valid {MANIFEST_NAME}): nothing was changed", hint=_HINT)
        if foreign:
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise OutputError(
                f"--out {shown} holds an anonymiser output but also files it did not write "
                f"({', '.join(map(repr, foreign[:3]))}{more}): nothing was changed",
                hint="Move those files elsewhere, or choose another --out directory.")

    def previous_key_id(self) -> str | None:
        """The key id of the anonymiser output now at ``--out`` (None when there is none)."""
        try:
            return Manifest.model_validate_json((self.final / MANIFEST_NAME).read_bytes()).key_id
        except (OSError, ValueError):
            return None

    def _shown(self) -> str:
        if self.requested.is_symlink():
            return f"{self.requested} (a symlink to {self.final})"
        return str(self.requested)

    def prepare(self) -> Path:
        self.check()
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._remove_stale_partials()
            self.work.mkdir(mode=DIR_MODE)
            os.chmod(self.work, DIR_MODE)
            (self.work / PARTIAL_MARK).write_text(f"pid {os.getpid()}\n")
        except OSError as exc:
            raise OutputError(f"cannot create the output directory next to {self.final}: {exc.strerror}",
                              hint="Check the path and its permissions.") from None
        return self.work

    def _remove_stale_partials(self) -> None:
        """Only what we can prove is ours: a partial with our mark and a dead process, an empty one (killed
        right after mkdir), or a complete output left by a swap that was killed before its clean-up."""
        for candidate in self.final.parent.glob(f".{self.final.name}.partial-*"):
            if candidate.is_symlink() or not candidate.is_dir():
                continue
            mark = candidate / PARTIAL_MARK
            try:
                pid = int(mark.read_text().split()[1]) if mark.is_file() and not mark.is_symlink() else None
            except (OSError, ValueError, IndexError):
                pid = None
            if pid is not None:
                stale = not _pid_alive(pid)
            else:
                stale = not any(candidate.iterdir()) or foreign_files(candidate) == []
            if stale:
                shutil.rmtree(candidate, ignore_errors=True)

    def publish(self) -> Path:
        """Swap the finished output into place (atomically where the kernel allows); the old one is removed."""
        try:
            self.check()   # again: the directory may have changed while the run was reading the source
        except OutputError:
            self.discard()
            raise
        (self.work / PARTIAL_MARK).unlink(missing_ok=True)
        make_private(self.work)
        if self.final.is_dir():
            if not _exchange(self.work, self.final):
                previous = self.work.with_name(self.work.name + ".old")
                os.rename(self.final, previous)
                os.rename(self.work, self.final)
                os.rename(previous, self.work)
            shutil.rmtree(self.work, ignore_errors=True)   # now the previous output (or an empty dir)
        else:
            os.rename(self.work, self.final)
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(RENAME_EXCHANGE): swap two directories in one step, so --out never disappears."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)
