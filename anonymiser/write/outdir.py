"""The atomic output directory: build in a hidden sibling, publish by rename when complete.

A crashed or killed run leaves only ``.NAME.partial-<run id>`` (never something that looks like a
finished output); the next run removes partial directories whose process is gone. An existing
output is replaced only when it is an anonymiser output (it holds manifest.json): nothing else
the user keeps at that path is ever deleted.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from anonymiser.errors import OutputError
from anonymiser.write.manifest import MANIFEST_NAME

PARTIAL_MARK = "PARTIAL-RUN-IN-PROGRESS"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutputDir:
    def __init__(self, final: Path, run_id: str) -> None:
        self.final = final.resolve()
        self.work = self.final.parent / f".{self.final.name}.partial-{run_id}"
        self._previous = self.final.parent / f".{self.final.name}.previous-{run_id}"

    def prepare(self) -> Path:
        if self.final.exists() and not self.final.is_dir():
            raise OutputError(f"--out {self.final} exists and is a file", hint="Choose a directory path.")
        if self.final.is_dir() and any(self.final.iterdir()) and not (self.final / MANIFEST_NAME).is_file():
            raise OutputError(
                f"--out {self.final} exists, is not empty and is not an anonymiser output",
                hint="Choose a new or empty directory; anonymiser only replaces its own earlier outputs.",
            )
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._remove_stale_partials()
            self.work.mkdir()
            (self.work / PARTIAL_MARK).write_text(f"pid {os.getpid()}\n")
        except OSError as exc:
            raise OutputError(f"cannot create the output directory next to {self.final}: {exc.strerror}",
                              hint="Check the path and its permissions.") from None
        return self.work

    def _remove_stale_partials(self) -> None:
        for candidate in self.final.parent.glob(f".{self.final.name}.partial-*"):
            mark = candidate / PARTIAL_MARK
            try:
                pid = int(mark.read_text().split()[1])
            except (OSError, ValueError, IndexError):
                pid = -1
            if pid < 0 or not _pid_alive(pid):
                shutil.rmtree(candidate, ignore_errors=True)

    def publish(self) -> Path:
        (self.work / PARTIAL_MARK).unlink(missing_ok=True)
        if self.final.exists():
            os.rename(self.final, self._previous)
        os.rename(self.work, self.final)
        shutil.rmtree(self._previous, ignore_errors=True)
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)
