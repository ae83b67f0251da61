"""One masked database per worker: the controller prepares the run, each worker makes its own copy.

Names: ``anonymiser_<host>_<pid>_<nonce>_<worker>`` (``<worker>`` is ``gw0``, ``gw1``, … or
``master`` without xdist; the template ends in ``template``). The host tag and the controller's
process id let a later run on the same host drop what a killed run (SIGKILL, power loss) left behind,
without touching databases of runs still alive or of other hosts sharing the server; the nonce keeps
two runs apart even when a process id is reused.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

from anonymiser.errors import AnonymiserError
from anonymiser.load import load_dataset
from anonymiser.testing.connection import worker_engine
from anonymiser.testing.dataset import open_dataset
from anonymiser.testing.servers import PostgresServer, Server, SQLiteFiles, open_server
from anonymiser.write.manifest import Manifest

PREFIX = "anonymiser_"
TEMPLATE = "template"
_NAME = re.compile(r"^anonymiser_([0-9a-f]{8})_(\d+)_([0-9a-f]{6})_([a-z0-9]+)$")


def host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def worker_suffix(worker: str) -> str:
    """``gw3`` stays ``gw3``; anything else is reduced to letters and digits."""
    cleaned = re.sub(r"[^a-z0-9]", "", worker.lower())
    return cleaned or "master"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM      # it exists, owned by another user
    return True


@dataclass(frozen=True)
class RunPlan:
    """What the controller decided; sent to xdist workers as plain data (``workerinput``)."""

    dataset: str                  # the dataset directory, absolute
    url: str | None               # the server URL (None: SQLite files)
    scratch: str                  # directory for SQLite files
    prefix: str                   # every database of this run starts with it
    template: str | None          # the loaded template (PostgreSQL database, SQLite file), if any
    allow_failed: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RunPlan:
        return cls(**data)  # type: ignore[arg-type]

    @property
    def run_number(self) -> int:
        """40 bits that differ between runs (host, process, nonce): the seed of run-unique factory values."""
        return int(hashlib.sha256(self.prefix.encode()).hexdigest()[:10], 16)

    def server(self) -> Server:
        return open_server(self.url, Path(self.scratch))


class Controller:
    """The session's one-time work (xdist controller, or the only process): check, sweep, template."""

    def __init__(self, dataset: Path, url: str | None, scratch: Path, *, allow_failed: bool) -> None:
        self.dataset = dataset.resolve()
        self.allow_failed = allow_failed
        self.server = open_server(url, scratch)
        self.url = url
        self.scratch = scratch
        self.prefix = f"{PREFIX}{host_tag()}_{os.getpid()}_{secrets.token_hex(3)}_"
        self.plan: RunPlan | None = None
        self.swept: list[str] = []
        self._finished = False
        self._reached = False           # the server answered: from here on there may be something to drop

    def start(self) -> RunPlan:
        """Check the dataset and the server, drop leftovers of dead runs, load the template."""
        manifest = open_dataset(self.dataset, allow_failed=self.allow_failed)
        self.server.check()
        self._reached = True
        self.swept = self.sweep_dead_runs()
        template = None
        if isinstance(self.server, PostgresServer | SQLiteFiles):
            template = self.prefix + TEMPLATE
            try:
                load_into(self.server, template, self.dataset, manifest)
                if isinstance(self.server, PostgresServer):
                    self.server.seal_template(template)
            except BaseException:
                self.finish()
                raise
        self.plan = RunPlan(dataset=str(self.dataset), url=self.url, scratch=str(self.scratch), prefix=self.prefix,
                            template=template, allow_failed=self.allow_failed)
        return self.plan

    def sweep_dead_runs(self) -> list[str]:
        """Drop databases of earlier runs on this host whose controller process is gone."""
        dropped = []
        for name in self.server.names(f"{PREFIX}{host_tag()}_"):
            match = _NAME.match(name)
            if match and not _alive(int(match.group(2))):
                self.server.drop(name)
                dropped.append(name)
        return dropped

    def finish(self) -> list[str]:
        """Drop everything this run created (template, workers' databases a crash left). Returns what
        could not be dropped, with the reason; safe to call twice."""
        if isinstance(self.server, SQLiteFiles):
            shutil.rmtree(self.scratch, ignore_errors=True)
        if self._finished or not self._reached:
            self._finished = True
            return []
        self._finished = True
        problems = []
        try:
            names = self.server.names(self.prefix)
        except AnonymiserError as exc:
            return [f"cannot list this run's databases ({exc.message}); drop those named {self.prefix}* by hand"]
        for name in names:
            try:
                self.server.drop(name)
            except (AnonymiserError, sa.exc.SQLAlchemyError, OSError) as exc:
                problems.append(f"cannot drop {name}: {type(exc).__name__}")
        self.server.close()
        return problems


def load_into(server: Server, name: str, dataset: Path, manifest: Manifest) -> None:
    """Create database ``name`` and load the dataset with ``anonymiser load`` (dropped again on failure)."""
    url = server.create(name)
    try:
        load_dataset(dataset, url, allow_failed=True)   # the verdict was checked by open_dataset (honouring
                                                        # --anonymiser-allow-failed) before any load
    except BaseException:
        server.drop(name)
        raise


@dataclass
class WorkerDatabase:
    """This worker's own database, holding the masked dataset."""

    plan: RunPlan
    worker: str
    engine: sa.Engine | None = None
    seconds: float = 0.0          # creating (cloning, loading, copying) the database and a first connection
    driver_seconds: float = 0.0   # before that: the first import of the database driver in this process

    @property
    def name(self) -> str:
        return self.plan.prefix + worker_suffix(self.worker)

    def open(self) -> sa.Engine:
        started = time.perf_counter()
        server = self.plan.server()
        server.prepare()
        self.driver_seconds = time.perf_counter() - started
        started += self.driver_seconds
        try:
            if self.plan.template is not None:
                url = server.clone(self.plan.template, self.name)
            else:   # MariaDB/MySQL have no template databases: each worker loads its own copy
                load_into(server, self.name, Path(self.plan.dataset), Manifest.read(Path(self.plan.dataset)))
                url = server.url_for(self.name)
            self.engine = worker_engine(url)
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except BaseException:
            self.close()
            raise
        finally:
            server.close()
        self.seconds = time.perf_counter() - started
        return self.engine

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        server = self.plan.server()
        try:
            server.drop(self.name)
        finally:
            server.close()
