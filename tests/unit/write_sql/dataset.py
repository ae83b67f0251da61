"""Hand-built output directories (Parquet + manifest) for the dump and load tests.

``nasty`` holds the values and identifiers that break naive dumps: reserved words, spaces, mixed
case and macrons in names; quotes, backslashes, newlines, carriage returns, NUL-free control
characters, COPY's end marker, '' versus NULL, extremes of every type; a two-table cycle, a
self-reference, a composite key, case-only-different UNIQUE values and an empty table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from pathlib import Path

import pyarrow as pa

from anonymiser.schema import ColumnInfo, ForeignKey, SchemaInfo, TableInfo
from anonymiser.source.read import arrow_schema
from anonymiser.write.manifest import Manifest, SourceFingerprint, TableEntry, file_entry
from anonymiser.write.parquet import TableWriter

D = decimal.Decimal
UTC = dt.UTC


def col(name: str, kind: str, sql_type: str = "", **facets: object) -> ColumnInfo:
    return ColumnInfo(name=name, kind=kind, sql_type=sql_type or kind, **facets)  # type: ignore[arg-type]


def write_pass_report(directory: Path) -> None:
    """The verdict ``load`` requires: these datasets stand for outputs of runs whose verification passed."""
    (directory / "report").mkdir(exist_ok=True)
    (directory / "report" / "report.json").write_text('{"verdict": "PASS"}\n', encoding="utf-8")


def build(directory: Path, tables: dict[str, tuple[TableInfo, dict[str, list[object]]]],
          dialect: str = "postgresql") -> Manifest:
    """Write each table's rows (column lists) to Parquet as the pipeline does, and a manifest."""
    schema = SchemaInfo(dialect=dialect, tables={name: info for name, (info, _) in tables.items()})
    entries = {}
    for name, (info, columns) in tables.items():
        arrow = arrow_schema(info)
        batch = pa.RecordBatch.from_pydict({c.name: columns[c.name] for c in info.columns}, schema=arrow)
        with TableWriter(directory, name, arrow) as writer:
            writer.write(batch)
        entries[name] = TableEntry(rows=batch.num_rows, files=[file_entry(directory, writer.path)])
    manifest = Manifest(
        run_id="test-run", started_at="2025-01-01T00:00:00Z", key_id="deadbeef",
        source=SourceFingerprint(dialect=dialect, schema_hash=schema.fingerprint()), schema=schema,
        load_order=schema.load_order(), tables=entries, formats=["parquet"],
    )
    manifest.write(directory)
    write_pass_report(directory)
    return manifest


NASTY_STRINGS: list[object] = [
    "plain", "", None, "NULL", "\\N", "it's", "''", "back\\slash\\", "\\", "ends with backslash\\",
    "line1\nline2", "crlf\r\nline", "lone\rcr", "tab\there", "\\.", "\n\\.\n", "semi;colon -- not a comment",
    "/* not a comment */", "# hash", "$$ dollar $$", "Māori: Tāmaki Makaurau, Whanganui-a-Tara", "emoji 🐑🥝",
    "ctrl \x01\x02\x1f\x7f", "`backtick` \"double\"", "%s %(x)s :name ?", "  padded  ", "ends with space ",
]


def _nasty_values() -> tuple[TableInfo, dict[str, list[object]]]:
    n = len(NASTY_STRINGS)

    def cycle(values: list[object]) -> list[object]:
        return [values[i % len(values)] for i in range(n)]

    info = TableInfo(name="nasty values", columns=(
        col("id", "integer", "integer", nullable=False, bits=32),
        col("Text Value", "text", "text"),
        col("short", "string", "varchar(40)", length=40),
        col("small", "integer", "smallint", bits=16),
        col("big", "integer", "bigint", bits=64),
        col("ratio", "float", "double precision"),
        col("money", "decimal", "numeric(10,2)", precision=10, scale=2),
        col("precise", "decimal", "numeric(30,10)", precision=30, scale=10),
        col("flag", "boolean", "boolean"),
        col("day", "date", "date"),
        col("at", "datetime", "timestamp"),
        col("at_tz", "datetime", "timestamptz", timezone=True),
        col("clock", "time", "time"),
        col("span", "interval", "interval"),
        col("blob", "binary", "bytea"),
        col("doc", "json", "jsonb"),
        col("token", "uuid", "uuid"),
    ), primary_key=("id",))
    return info, {
        "id": list(range(1, n + 1)),
        "Text Value": NASTY_STRINGS,
        "short": cycle(["ā", "", None, "O'Brien", "x" * 40, "\\"]),
        "small": cycle([-32768, 32767, 0, None]),
        "big": cycle([-(2**63), 2**63 - 1, 0, None, 1]),
        "ratio": cycle([0.1, -0.0, 1e308, -1e-300, None, 123456789.123456789, 2.5]),
        "money": cycle([D("0.00"), D("-0.01"), D("99999999.99"), None, D("12.30")]),
        "precise": cycle([D("0.0000000001"), D("-12345678901234567890.1234567890"), None, D("0.0000001")]),
        "flag": cycle([True, False, None]),
        "day": cycle([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29), None]),
        "at": cycle([dt.datetime(2024, 4, 7, 2, 30, 0, 123456), dt.datetime(1000, 1, 1), None,
                     dt.datetime(9999, 12, 31, 23, 59, 59, 999999)]),
        "at_tz": cycle([dt.datetime(2024, 4, 6, 13, 30, tzinfo=UTC), None,
                        dt.datetime(2023, 9, 24, 1, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=13)))]),
        "clock": cycle([dt.time(0, 0), dt.time(23, 59, 59, 999999), None, dt.time(12, 0, 0, 1)]),
        "span": cycle([dt.timedelta(days=400, microseconds=7), dt.timedelta(0), None, dt.timedelta(seconds=-5)]),
        "blob": cycle([b"", b"\x00", b"\xff\xfe\x00'\\", None, bytes(range(256))]),
        "doc": cycle(['{"a": 1, "b": [true, null, "x\'y\\\\z"]}', '"Māori \\n"', "[]", None, '{"n": 1.5}']),
        "token": cycle([str(uuid.UUID(int=0)), str(uuid.UUID(int=2**128 - 1)), None,
                        "6F9619FF-8B86-D011-B42D-00C04FC964FF".lower()]),
    }


def nasty_tables() -> dict[str, tuple[TableInfo, dict[str, list[object]]]]:
    user = TableInfo(name="user", columns=(
        col("id", "integer", "integer", nullable=False, bits=32, autoincrement=True),
        col("Email", "string", "varchar(100)", nullable=False, length=100),
        col("select", "string", "varchar(20)", length=20),
    ), primary_key=("id",), unique=(("Email",),))
    order = TableInfo(name="order", columns=(
        col("order id", "integer", "bigint", nullable=False, bits=64),
        col("user", "integer", "integer", nullable=False, bits=32),
        col("Group", "string", "text"),
    ), primary_key=("order id",), foreign_keys=(ForeignKey(columns=("user",), ref_table="user", ref_columns=("id",)),))
    dept = TableInfo(name="Dept", columns=(
        col("code", "string", "varchar(10)", nullable=False, length=10),
        col("manager", "integer", "integer", bits=32),
    ), primary_key=("code",), foreign_keys=(
        ForeignKey(columns=("manager",), ref_table="employee ā", ref_columns=("id",)),))
    employee = TableInfo(name="employee ā", columns=(
        col("id", "integer", "integer", nullable=False, bits=32),
        col("dept", "string", "varchar(10)", nullable=False, length=10),
        col("mentor", "integer", "integer", bits=32),
    ), primary_key=("id",), foreign_keys=(
        ForeignKey(columns=("dept",), ref_table="Dept", ref_columns=("code",)),
        ForeignKey(columns=("mentor",), ref_table="employee ā", ref_columns=("id",)),
    ))
    pair = TableInfo(name="pair", columns=(
        col("a", "string", "text", nullable=False), col("b", "integer", "integer", nullable=False, bits=32),
        col("note", "text", "text"),
    ), primary_key=("a", "b"))
    pair_child = TableInfo(name="pair child", columns=(
        col("id", "integer", "integer", nullable=False, bits=32),
        col("pa", "string", "text"), col("pb", "integer", "integer", bits=32),
    ), primary_key=("id",), foreign_keys=(
        ForeignKey(columns=("pa", "pb"), ref_table="pair", ref_columns=("a", "b")),
        ForeignKey(columns=("pb",), ref_table="user", ref_columns=("id",), virtual=True),
    ))
    empty = TableInfo(name="empty", columns=(col("id", "integer", "integer", nullable=False, bits=32),),
                      primary_key=("id",))
    values_info, values = _nasty_values()
    return {
        "user": (user, {"id": [0, 1, 2, 3], "Email": ["a@x.nz", "A@x.nz", "māori@x.nz", "maori@x.nz"],
                        "select": ["from", None, "", "where"]}),
        "order": (order, {"order id": [1, 2, 3], "user": [0, 0, 3], "Group": ["g", None, "Ā"]}),
        "Dept": (dept, {"code": ["HR", "IT", "hr"], "manager": [10, 11, None]}),
        "employee ā": (employee, {"id": [10, 11, 12], "dept": ["HR", "IT", "IT"], "mentor": [None, 10, 11]}),
        "pair": (pair, {"a": ["x", "x", "y'"], "b": [1, 2, 1], "note": [None, "", "n"]}),
        "pair child": (pair_child, {"id": [1, 2, 3], "pa": ["x", "y'", None], "pb": [2, 1, None]}),
        "empty": (empty, {"id": []}),
        "nasty values": (values_info, values),
    }


def nasty(directory: Path) -> Manifest:
    return build(directory, nasty_tables())


def special_floats(directory: Path) -> Manifest:
    """Infinities and NaN: PostgreSQL keeps them; MySQL cannot, SQLite cannot keep NaN."""
    info = TableInfo(name="floats", columns=(col("id", "integer", "integer", nullable=False, bits=32),
                                            col("x", "float", "double precision")), primary_key=("id",))
    return build(directory, {"floats": (info, {"id": [1, 2, 3, 4], "x": [float("inf"), float("-inf"),
                                                                         float("nan"), 1.0]})})


def from_database(url: str, directory: Path, schema: str | None = None) -> Manifest:
    """An unmasked copy of a sample database as an output directory (introspect → read → Parquet)."""
    import sqlalchemy as sa

    from anonymiser.source.introspect import introspect
    from anonymiser.source.read import read_table

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            schema_info = introspect(conn, schema)
            entries = {}
            for name, info in schema_info.tables.items():
                with TableWriter(directory, name, arrow_schema(info)) as writer:
                    for batch in read_table(conn, info):
                        writer.write(batch)
                entries[name] = TableEntry(rows=writer.rows, files=[file_entry(directory, writer.path)])
    finally:
        engine.dispose()
    manifest = Manifest(
        run_id="test-run", started_at="2025-01-01T00:00:00Z", key_id="deadbeef",
        source=SourceFingerprint(dialect=schema_info.dialect, schema_hash=schema_info.fingerprint()),
        schema=schema_info, load_order=schema_info.load_order(), tables=entries, formats=["parquet"],
    )
    manifest.write(directory)
    write_pass_report(directory)
    return manifest


_NORTHWIND_CACHE: dict[str, Path] = {}


def northwind_sqlite(directory: Path) -> str:
    """A copy of Northwind on SQLite, built once per test process: the script's 3,000 autocommitted
    INSERTs take close to a minute on a busy disk, one transaction without fsync takes well under a second."""
    import shutil
    import sqlite3
    import tempfile

    from tests.dbs import sample_file

    if "db" not in _NORTHWIND_CACHE:
        built = Path(tempfile.mkdtemp(prefix="northwind_")) / "northwind.sqlite"
        conn = sqlite3.connect(built)
        try:
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA journal_mode = MEMORY")
            conn.executescript("BEGIN;\n" + sample_file("northwind", "northwind_sqlite.sql").read_text("utf-8")
                               + "\nCOMMIT;")
        finally:
            conn.close()
        _NORTHWIND_CACHE["db"] = built
    target = directory / "northwind.sqlite"
    shutil.copyfile(_NORTHWIND_CACHE["db"], target)
    return f"sqlite:///{target}"
