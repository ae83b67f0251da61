"""The plugin's machinery in process, on real databases: factories on a hostile schema, the rolled-back
connection, keyed fakes, and provisioning (template, worker databases, sweeping killed runs)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from contextlib import ExitStack
from pathlib import Path

import phonenumbers
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from anonymiser.errors import ConfigError, TargetError
from anonymiser.identifiers import nz
from anonymiser.load import load_dataset
from anonymiser.load.checksum import parquet_checksums
from anonymiser.mask import registry
from anonymiser.schema import ForeignKey, TableInfo
from anonymiser.testing.connection import rolled_back, worker_engine
from anonymiser.testing.factories import FactorySession
from anonymiser.testing.provision import PREFIX, Controller, WorkerDatabase, host_tag
from anonymiser.testing.values import FactoryError, Tokens
from anonymiser.write.manifest import ColumnMasking, Manifest
from tests import dbs
from tests.integration.test_dump import TARGET_FIXTURE, checksums_of
from tests.types import catalogue
from tests.unit.write_sql import dataset
from tests.unit.write_sql.dataset import col

ENGINES = list(TARGET_FIXTURE)
RESERVED_EMAIL = re.compile(r"^[^@\s]+@example\.(com|net|org)$")


def loaded(tmp_path: Path, url: str, manifest: Manifest) -> sa.Engine:
    load_dataset(tmp_path, url)
    return worker_engine(url)


@pytest.mark.parametrize("dialect", ENGINES)
def test_every_table_of_a_hostile_schema_gets_valid_rows_and_nothing_stays(
        dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Reserved words, spaces and macrons in names, a cycle, a self-reference, a composite FK, a virtual
    FK, an empty table, every column type: each table gets new rows, new parents or reused ones."""
    url = request.getfixturevalue(TARGET_FIXTURE[dialect])
    manifest = dataset.nasty(tmp_path)
    engine = loaded(tmp_path, url, manifest)
    try:
        session = FactorySession(engine, manifest, Tokens(run=0xA1B2C3, worker=1, workers=2))
        with rolled_back(engine) as conn, session.bound(conn) as factory:
            for table in factory.tables:
                for reuse in (False, True):
                    row = factory(table, reuse_parents=reuse)
                    assert set(row) == set(manifest.schema_.tables[table].column_names)
            employee = factory("employee ā")            # NOT NULL dept inside the Dept <-> employee cycle
            dept = sa.table("Dept", sa.column("code"))
            assert conn.execute(sa.select(sa.func.count()).select_from(dept)
                                .where(dept.c.code == employee["dept"])).scalar_one() == 1
            assert employee["mentor"] is None            # a nullable self-reference ends the chain
        assert checksums_of(url, tmp_path, manifest) == parquet_checksums(tmp_path, manifest)   # all rolled back
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", ENGINES)
def test_a_cycle_of_not_null_foreign_keys_reuses_a_row_to_close_it(dialect: str, tmp_path: Path,
                                                                  request: pytest.FixtureRequest) -> None:
    """Pagila's and Sakila's staff.store_id <-> store.manager_staff_id, both NOT NULL, the manager UNIQUE and
    every staff member already a manager (trial F23): a new row gets an existing row for the edge that closes
    the cycle, a new manager where the existing ones are all taken, instead of parents nesting forever."""
    url = request.getfixturevalue(TARGET_FIXTURE[dialect])
    store = TableInfo(name="store", columns=(col("store_id", "integer", "integer", nullable=False, bits=32),
                                             col("manager_staff_id", "integer", "integer", nullable=False, bits=32)),
                      primary_key=("store_id",), unique=(("manager_staff_id",),), foreign_keys=(
                          ForeignKey(columns=("manager_staff_id",), ref_table="staff", ref_columns=("staff_id",)),))
    staff = TableInfo(name="staff", columns=(col("staff_id", "integer", "integer", nullable=False, bits=32),
                                             col("store_id", "integer", "integer", nullable=False, bits=32)),
                      primary_key=("staff_id",), foreign_keys=(
                          ForeignKey(columns=("store_id",), ref_table="store", ref_columns=("store_id",)),))
    manifest = dataset.build(tmp_path, {"store": (store, {"store_id": [1, 2], "manager_staff_id": [1, 2]}),
                                        "staff": (staff, {"staff_id": [1, 2], "store_id": [1, 2]})})
    engine = loaded(tmp_path, url, manifest)
    try:
        session = FactorySession(engine, manifest, Tokens(run=0xC1C, worker=0, workers=1))
        with rolled_back(engine) as conn, session.bound(conn) as factory:
            for table in ("staff", "store"):
                for reuse in (False, True):
                    row = factory(table, reuse_parents=reuse)
                    parent = "store" if table == "staff" else "staff"
                    key = f"{parent}_id"
                    ref = row["store_id" if table == "staff" else "manager_staff_id"]
                    found = conn.execute(sa.select(sa.func.count()).select_from(sa.table(parent, sa.column(key)))
                                         .where(sa.column(key) == ref)).scalar_one()
                    assert found == 1, (table, reuse)
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_new_key_fits_the_narrower_columns_that_reference_it(dialect: str, tmp_path: Path,
                                                                request: pytest.FixtureRequest) -> None:
    """Pagila: store.store_id is an integer, staff.store_id and inventory.store_id are smallints (trial F23:
    'smallint out of range' on every factory call that made a store)."""
    url = request.getfixturevalue(TARGET_FIXTURE[dialect])
    store = TableInfo(name="store", columns=(col("store_id", "integer", "integer", nullable=False, bits=32),),
                      primary_key=("store_id",))
    inventory = TableInfo(name="inventory", columns=(
        col("inventory_id", "integer", "integer", nullable=False, bits=32),
        col("store_id", "integer", "smallint", nullable=False, bits=16)), primary_key=("inventory_id",),
        foreign_keys=(ForeignKey(columns=("store_id",), ref_table="store", ref_columns=("store_id",)),))
    manifest = dataset.build(tmp_path, {"store": (store, {"store_id": [1, 2]}),
                                        "inventory": (inventory, {"inventory_id": [1, 2], "store_id": [1, 2]})})
    engine = loaded(tmp_path, url, manifest)
    try:
        session = FactorySession(engine, manifest, Tokens(run=0xFFFFFF, worker=3, workers=4))
        with rolled_back(engine) as conn, session.bound(conn) as factory:
            for _ in range(3):
                row = factory("inventory")
                assert 2 < row["store_id"] < 1 << 15
    finally:
        engine.dispose()


CATALOGUE = {"postgresql": (dbs.postgres_database, catalogue.build_postgres, catalogue.PG_SCHEMA),
             "mysql": (dbs.mariadb_database, catalogue.build_mariadb, None)}


@pytest.mark.parametrize("dialect", ENGINES)
def test_every_table_of_the_type_catalogue_gets_rows(dialect: str, tmp_path: Path) -> None:
    """Every type each engine offers (enums, sets, arrays, ranges, domains, generated and identity columns,
    PostgreSQL 'infinity' dates, SQLite values that do not fit their declared type): new rows insert."""
    with ExitStack() as stack:
        if dialect == "sqlite":
            source, target = f"sqlite:///{catalogue.build_sqlite(tmp_path)}", f"sqlite:///{tmp_path / 'copy.sqlite'}"
            schema = None
        else:
            database, build, schema = CATALOGUE[dialect]
            source, target = stack.enter_context(database()), stack.enter_context(database())
            build(source)
        manifest = dataset.from_database(source, tmp_path, schema)
        engine = loaded(tmp_path, target, manifest)
        stack.callback(engine.dispose)
        session = FactorySession(engine, manifest, Tokens(run=0xBEE, worker=0, workers=1))
        with rolled_back(engine) as conn, session.bound(conn) as factory:
            for table in factory.tables:
                for reuse in (False, True):
                    assert factory(table, reuse_parents=reuse)
        with engine.connect() as conn:     # all rolled back (the checksums cannot read 'infinity' dates)
            counts = {t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one()
                      for t in manifest.tables}
        assert counts == {t: entry.rows for t, entry in manifest.tables.items()}


def test_unique_values_never_meet_across_workers_and_runs(tmp_path: Path) -> None:
    """Four sessions (two runs of two workers) insert into one database: no unique value repeats."""
    manifest = dataset.nasty(tmp_path)
    engine = loaded(tmp_path, f"sqlite:///{tmp_path / 'one.sqlite'}", manifest)
    try:
        sessions = [FactorySession(engine, manifest, Tokens(run=run, worker=w, workers=2))
                    for run in (0x1F00D, 0x2BEEF) for w in range(2)]
        made: list[tuple[object, ...]] = []
        with rolled_back(engine) as conn:
            for session in sessions:
                with session.bound(conn) as factory:
                    made += [(u["id"], u["Email"]) for u in factory.create_batch("user", 25)]
                    made += [(o["order id"],) for o in factory.create_batch("order", 25, reuse_parents=True)]
        for position in (0, 1):
            values = [m[position] for m in made if len(m) > position]
            assert len(values) == len(set(values))
    finally:
        engine.dispose()


PERSON_RULES = {"id": "keep", "email": "email", "mobile": "phone", "ird": "nz_ird", "nhi": "nz_nhi",
                "bank": "nz_bank_account", "born": "date_shift", "tier": "keep"}


def _masked_people(directory: Path) -> Manifest:
    """A masked-looking dataset whose policy fakes each personal column (as 'anonymiser run' writes it)."""
    person = TableInfo(name="person", columns=(
        col("id", "integer", "integer", nullable=False, bits=32),
        col("email", "string", "varchar(60)", nullable=False, length=60),
        col("mobile", "string", "varchar(20)", length=20), col("ird", "string", "varchar(11)", length=11),
        col("nhi", "string", "char(7)", length=7), col("bank", "string", "varchar(20)", length=20),
        col("born", "date", "date"), col("tier", "string", "varchar(10)", nullable=False, length=10),
    ), primary_key=("id",), unique=(("email",),))
    rows = {"id": [1, 2], "email": ["mere.tipene41@example.org", "sione.fonoti7@example.net"],
            "mobile": ["021 555 0199", "+64 27 123 4567"], "ird": ["049-091-850", "136410132"],
            "nhi": ["ZZZ0016", "ZAC5361"], "bank": ["01-0902-0068389-00", "26-2600-0320871-032"],
            "born": [dt.date(1980, 5, 17), dt.date(1999, 12, 31)], "tier": ["gold", "silver"]}
    manifest = dataset.build(directory, {"person": (person, rows)})
    options = {c: {"max_days": 30} if s == "date_shift" else {} for c, s in PERSON_RULES.items()}
    manifest.tables["person"].masking = {
        c: ColumnMasking.of(registry.build(s, options[c]), options=options[c]) for c, s in PERSON_RULES.items()}
    manifest.write(directory)
    return manifest


def test_personal_columns_are_valid_keyed_fakes_in_the_columns_layout(tmp_path: Path) -> None:
    manifest = _masked_people(tmp_path)
    engine = loaded(tmp_path, f"sqlite:///{tmp_path / 'people.sqlite'}", manifest)
    try:
        session = FactorySession(engine, manifest, Tokens(run=0xC0FFEE, worker=0, workers=1))
        with rolled_back(engine) as conn, session.bound(conn) as factory:
            people = factory.create_batch("person", 30)
    finally:
        engine.dispose()
    for person in people:
        assert RESERVED_EMAIL.match(person["email"]) and "+" in person["email"]      # unique: run token in a tag
        assert phonenumbers.is_valid_number(phonenumbers.parse(person["mobile"], "NZ"))
        assert nz.is_valid_ird(person["ird"])
        assert nz.is_valid_nhi(person["nhi"]) and person["nhi"].startswith("Z")         # the NHI test range
        assert nz.is_valid_nz_bank_account(person["bank"], known_branch=True)
        assert person["tier"] in ("gold", "silver")                                      # kept: sampled
        assert dt.date(1980, 4, 1) <= person["born"] <= dt.date(2000, 2, 1)               # shifted ≤ 30 days
    for column in ("email", "ird", "nhi", "bank"):
        values = [p[column] for p in people]
        assert len(set(values)) == len(values), column
        assert not set(values) & {"mere.tipene41@example.org", "049-091-850", "ZZZ0016", "01-0902-0068389-00"}


@pytest.mark.parametrize("dialect", ENGINES)
def test_the_code_under_test_commits_into_savepoints_only(dialect: str, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(TARGET_FIXTURE[dialect])
    manifest = _masked_people(tmp_path)
    engine = loaded(tmp_path, url, manifest)
    count = sa.text("SELECT COUNT(*) FROM person")
    try:
        with rolled_back(engine) as conn:
            conn.execute(sa.text("DELETE FROM person WHERE id = 1"))
            conn.commit()                                     # RELEASE SAVEPOINT, and a new one
            conn.execute(sa.text("DELETE FROM person"))
            conn.rollback()                                   # back to that savepoint
            assert conn.execute(count).scalar_one() == 1
            with pytest.raises(sa.exc.IntegrityError), conn.begin():     # begin(): a nested savepoint
                conn.execute(sa.text("INSERT INTO person (id, email, tier) VALUES (2, 'x@example.org', 'gold')"))
            with Session(bind=conn) as orm:                   # the ORM joins through a savepoint
                orm.execute(sa.text("UPDATE person SET tier = 'bronze'"))
                orm.commit()
            conn.close()                                      # the fixture's to close, not the code's
            assert conn.execute(sa.text("SELECT tier FROM person")).scalar_one() == "bronze"
        with engine.connect() as fresh:
            assert fresh.execute(count).scalar_one() == 2
            assert set(fresh.execute(sa.text("SELECT tier FROM person")).scalars()) == {"gold", "silver"}
    finally:
        engine.dispose()


def test_factory_errors_name_the_problem(tmp_path: Path) -> None:
    manifest = dataset.nasty(tmp_path)
    engine = loaded(tmp_path, f"sqlite:///{tmp_path / 'e.sqlite'}", manifest)
    try:
        session = FactorySession(engine, manifest, Tokens(run=1, worker=0, workers=1))
        with pytest.raises(FactoryError, match="no test connection"):
            session.factory_for("user").create()
        with rolled_back(engine) as conn, session.bound(conn) as factory:
            with pytest.raises(FactoryError, match=r"(?s)no table .usr.*Did you mean .user."):
                factory("usr")
            with pytest.raises(FactoryError, match=r"(?s)no column .emial.*Did you mean .Email."):
                factory("user", emial="x")
            with pytest.raises(sa.exc.IntegrityError):      # an override the database refuses …
                factory("order", user=-5)
            assert factory("order")["user"] is not None     # … leaves the test's transaction usable
    finally:
        engine.dispose()


# -- provisioning -----------------------------------------------------------------------------------

def _pg_names(prefix: str) -> list[str]:
    out = subprocess.run(["psql", "-X", "-tA", "-h", dbs.PG_HOST, "-U", dbs.PG_USER, "-d", "postgres", "-c",
                          f"SELECT datname FROM pg_database WHERE starts_with(datname, '{prefix}')"],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_postgres_template_clone_and_cleanup(tmp_path: Path, pg_url: str) -> None:
    dataset.nasty(tmp_path)
    server = pg_url.rsplit("/", 1)[0]
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"{PREFIX}{host_tag()}_{dead.pid}_abcdef_gw0"          # left by a killed run on this host
    alive = f"{PREFIX}{host_tag()}_1_abcdef_gw0"                    # pid 1 never dies: a run still going
    for name in (stale, alive):
        dbs.run_psql(pg_url, f'CREATE DATABASE "{name}"')
    try:
        controller = Controller(tmp_path, server, tmp_path / "scratch", allow_failed=True)
        plan = controller.start()
        assert stale in controller.swept and alive not in controller.swept
        assert plan.template and _pg_names(controller.prefix) == [plan.template]
        worker = WorkerDatabase(plan, "gw3")
        engine = worker.open()
        assert "gw3" in str(engine.url.database) and worker.seconds > 0
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(sa.table("user"))).scalar_one() == 4
        worker.close()
        assert _pg_names(controller.prefix) == [plan.template]
        WorkerDatabase(plan, "gw0").open()                          # as if this worker crashed: never closed
        assert controller.finish() == []
        assert _pg_names(controller.prefix) == []
    finally:
        dbs.run_psql(pg_url, f'DROP DATABASE IF EXISTS "{alive}"')
        dbs.run_psql(pg_url, f'DROP DATABASE IF EXISTS "{stale}"')


def test_start_refuses_a_missing_server_and_a_failed_dataset(tmp_path: Path) -> None:
    dataset.nasty(tmp_path)
    with pytest.raises(TargetError, match=r"cannot connect to postgresql at postgresql\+psycopg://u:\*\*\*@127"):
        Controller(tmp_path, "postgresql://u:secret@127.0.0.1:1", tmp_path / "s", allow_failed=True).start()
    (tmp_path / "report" / "report.json").unlink()     # a dataset whose run never verified it
    with pytest.raises(ConfigError, match="no verification verdict"):
        Controller(tmp_path, None, tmp_path / "s", allow_failed=False).start()
