"""The pytest plugin (entry point ``pytest11``): per-worker masked databases, rolled-back connections,
factories. Inactive until ``--anonymiser-dataset`` or the ini key ``anonymiser_dataset`` is set.

pytest imports every installed plugin in every run of every project on the machine, so this module
imports only pytest and the standard library at the top; the database machinery (SQLAlchemy, pandas,
pyarrow, the masking strategies) is imported when a run uses the plugin.
"""

from __future__ import annotations

import secrets
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import sqlalchemy as sa

    from anonymiser.testing.factories import FactorySession, RowFactory
    from anonymiser.testing.provision import Controller, RunPlan, WorkerDatabase

PLAN_KEY = "anonymiser_plan"           # in xdist's workerinput
READY_KEY = "anonymiser_ready_seconds"  # in xdist's workeroutput: (database seconds, driver import seconds)
NOT_CONFIGURED = ("the anonymiser plugin is not configured: pass --anonymiser-dataset DIR (the output of "
                  "'anonymiser run') or set anonymiser_dataset in pytest.ini / [tool.pytest.ini_options]")


@dataclass(frozen=True)
class Settings:
    dataset: Path
    url: str | None
    allow_failed: bool


_SETTINGS: pytest.StashKey[Settings] = pytest.StashKey()
_READY: pytest.StashKey[dict[str, tuple[float, float]]] = pytest.StashKey()   # worker id -> READY_KEY's pair
_CONTROLLER: pytest.StashKey[Controller] = pytest.StashKey()
_PLAN: pytest.StashKey[RunPlan] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("anonymiser", "anonymiser: a masked database per xdist worker")
    group.addoption("--anonymiser-dataset", metavar="DIR", default=None,
                    help="output directory of 'anonymiser run' to load into every worker's database "
                         "(activates the plugin; ini: anonymiser_dataset)")
    group.addoption("--anonymiser-url", metavar="URL", default=None,
                    help="server URL without a database name, e.g. postgresql://postgres@127.0.0.1:5432 or "
                         "mysql://root@127.0.0.1:3306 (default: SQLite files under pytest's tmp; ini: anonymiser_url)")
    group.addoption("--anonymiser-allow-failed", action="store_true", default=None,
                    help="load the dataset even though its verification verdict is FAIL "
                         "(ini: anonymiser_allow_failed)")
    parser.addini("anonymiser_dataset", "output directory of 'anonymiser run' (relative to this ini file)",
                  default=None)
    parser.addini("anonymiser_url", "server URL without a database name (default: SQLite files)", default=None)
    parser.addini("anonymiser_allow_failed", "load a dataset whose verification verdict is FAIL", type="bool",
                  default=False)


def _settings(config: pytest.Config) -> Settings | None:
    option_dir = config.getoption("anonymiser_dataset")
    ini_dir = config.getini("anonymiser_dataset")
    url = config.getoption("anonymiser_url") or config.getini("anonymiser_url") or None
    if not option_dir and not ini_dir:
        if url:
            raise pytest.UsageError("--anonymiser-url is set but no dataset: add --anonymiser-dataset DIR "
                                    "(or anonymiser_dataset in the ini file)")
        return None
    if option_dir:
        dataset = Path(option_dir)
    else:   # an ini path is relative to the ini file, as pytest's own paths are
        base = config.inipath.parent if config.inipath else config.rootpath
        dataset = base / str(ini_dir)
    allow = config.getoption("anonymiser_allow_failed")
    return Settings(dataset=dataset.resolve(), url=url,
                    allow_failed=bool(allow if allow is not None else config.getini("anonymiser_allow_failed")))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    settings = _settings(config)
    if settings is None:
        return
    config.stash[_SETTINGS] = settings
    if not _is_worker(config) and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        # CI systems stop jobs with SIGTERM: turn it into Ctrl-C, so the session ends and drops its databases.
        signal.signal(signal.SIGTERM, _terminate)
        config.add_cleanup(_default_sigterm)


def _default_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _terminate(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise KeyboardInterrupt


def _scratch(config: pytest.Config) -> Path:
    """Where SQLite files go (created only when used): under pytest's base temporary directory."""
    factory = getattr(config, "_tmp_path_factory", None)       # pytest's tmp_path_factory, as xdist uses it
    base = factory.getbasetemp() if factory is not None else Path(tempfile.gettempdir())
    return base / f"anonymiser-{secrets.token_hex(4)}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """The controller (or the only process) checks the dataset and the server once, and loads the template."""
    config = session.config
    if _SETTINGS not in config.stash or _is_worker(config) or config.option.collectonly:
        return
    # The database machinery is imported only by runs that use the plugin (see the module docstring).
    from anonymiser.errors import AnonymiserError
    from anonymiser.testing.provision import Controller

    settings = config.stash[_SETTINGS]
    controller = Controller(settings.dataset, settings.url, _scratch(config), allow_failed=settings.allow_failed)
    config.stash[_CONTROLLER] = controller
    try:
        config.stash[_PLAN] = controller.start()
    except AnonymiserError as exc:
        raise pytest.UsageError(f"anonymiser: {exc}") from None
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and controller.swept:
        reporter.write_line(f"anonymiser: dropped {len(controller.swept)} database(s) left by killed runs on this "
                            f"host: {', '.join(controller.swept)}")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: hand the controller's plan to each worker."""
    plan = node.config.stash.get(_PLAN, None)
    if plan is not None:
        node.workerinput[PLAN_KEY] = plan.to_dict()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """After the workers are gone (xdist tears them down first): drop everything this run created."""
    _finish(session.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    _finish(config)     # also when the session never finished (an error at start-up)


def _finish(config: pytest.Config) -> None:
    controller = config.stash.get(_CONTROLLER, None)
    if controller is None:
        return
    problems = controller.finish()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    for problem in problems:
        if reporter is not None:
            reporter.write_line(f"anonymiser: {problem}", yellow=True)


def _record_ready(config: pytest.Config, worker: str, seconds: tuple[float, float]) -> None:
    if _is_worker(config):     # xdist sends workeroutput to the controller when the worker ends
        config.workeroutput[READY_KEY] = list(seconds)  # type: ignore[attr-defined]
    else:
        config.stash.setdefault(_READY, {})[worker] = seconds


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    seconds = getattr(node, "workeroutput", {}).get(READY_KEY)
    if seconds is not None:
        node.config.stash.setdefault(_READY, {})[node.gateway.id] = (float(seconds[0]), float(seconds[1]))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    ready = config.stash.get(_READY, {})
    plan = config.stash.get(_PLAN, None)
    if ready and plan is not None:
        times = ", ".join(f"{worker} {seconds:.2f} s" for worker, (seconds, _) in sorted(ready.items()))
        how = "template clone" if plan.template and plan.url else "file copy" if plan.template else "load"
        driver = max(d for _, d in ready.values())
        note = f" (after importing the database driver: up to {driver:.2f} s)" if driver >= 0.01 else ""
        terminalreporter.write_line(f"anonymiser: worker databases ready ({how}): {times}{note}")


def _plan(config: pytest.Config) -> RunPlan:
    if _SETTINGS not in config.stash:
        raise pytest.UsageError(NOT_CONFIGURED)
    from anonymiser.testing.provision import RunPlan

    if _is_worker(config):
        data = config.workerinput.get(PLAN_KEY)  # type: ignore[attr-defined]
        if data is None:
            raise pytest.UsageError("anonymiser: the xdist controller sent no plan (is the plugin disabled there?)")
        return RunPlan.from_dict(data)
    if _PLAN not in config.stash:
        raise pytest.UsageError("anonymiser: the session did not prepare a dataset (see the error above)")
    return config.stash[_PLAN]


def _worker_id(config: pytest.Config) -> tuple[str, int, int]:
    """(worker id, index, count): ``gw2`` of 4 is ("gw2", 2, 4); without xdist ("master", 0, 1)."""
    if _is_worker(config):
        workerinput = config.workerinput  # type: ignore[attr-defined]
        worker = str(workerinput["workerid"])
        digits = "".join(ch for ch in worker if ch.isdigit())
        return worker, int(digits or 0), int(workerinput.get("workercount", 1))
    return "master", 0, 1


@dataclass
class _Worker:
    database: WorkerDatabase
    factories: FactorySession


@pytest.fixture(scope="session")
def _anonymiser_worker(request: pytest.FixtureRequest) -> Iterator[_Worker]:
    plan = _plan(request.config)
    from anonymiser.testing.factories import FactorySession
    from anonymiser.testing.provision import WorkerDatabase
    from anonymiser.testing.values import Tokens
    from anonymiser.write.manifest import Manifest

    worker, index, count = _worker_id(request.config)
    database = WorkerDatabase(plan, worker)
    engine = database.open()
    _record_ready(request.config, worker, (database.seconds, database.driver_seconds))
    try:
        tokens = Tokens(run=plan.run_number, worker=index, workers=max(count, index + 1))
        factories = FactorySession(engine, Manifest.read(Path(plan.dataset)), tokens)
        yield _Worker(database=database, factories=factories)
    finally:
        database.close()


@pytest.fixture(scope="session")
def anonymiser_engine(_anonymiser_worker: _Worker) -> sa.Engine:
    """SQLAlchemy Engine on this worker's own database holding the masked dataset (dropped at session end)."""
    engine = _anonymiser_worker.database.engine
    assert engine is not None
    return engine


@pytest.fixture
def anonymiser_conn(anonymiser_engine: sa.Engine) -> Iterator[sa.Connection]:
    """A Connection in a transaction rolled back after the test; commits inside become SAVEPOINTs."""
    from anonymiser.testing.connection import rolled_back

    with rolled_back(anonymiser_engine) as conn:
        yield conn


@pytest.fixture
def anonymiser_factory(_anonymiser_worker: _Worker, anonymiser_conn: sa.Connection) -> Iterator[RowFactory]:
    """``anonymiser_factory(table, **overrides)`` inserts one valid row through anonymiser_conn and returns it;
    ``anonymiser_factory.factory_for(table)`` is the generated factory_boy Factory."""
    with _anonymiser_worker.factories.bound(anonymiser_conn) as factory:
        yield factory
