"""Value rendering per dialect, statement batching, identifier quoting and type mapping."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from anonymiser.errors import ConfigError, OutputError
from anonymiser.schema import ColumnInfo
from anonymiser.write.sql import get_dialect, render
from anonymiser.write.sql.core import ColumnPlan, group_bounds
from anonymiser.write.sql.postgresql import copy_escape
from anonymiser.write.sql.render import _FIRST_US, _LAST_US, timestamp_text


def plan(kind: str, arrow: pa.DataType, **facets: object) -> ColumnPlan:
    info = ColumnInfo(name="c", kind=kind, sql_type=kind, **facets)  # type: ignore[arg-type]
    return ColumnPlan(info=info, kind=info.kind, arrow=arrow, type_info=info, type_table="t", key=False)


@pytest.mark.parametrize(("values", "expected"), [
    pytest.param([b"", b"\x00\xff", None, b"'\\"], ["", "00ff", None, "275c"], id="bytes"),
    pytest.param([bytes(range(256))], [bytes(range(256)).hex()], id="every-byte"),
])
def test_hex_text(values: list[bytes | None], expected: list[str | None]) -> None:
    array = pa.array(values, pa.binary())
    assert render.hex_text(array).to_pylist() == expected
    assert render.hex_text(array.slice(1)).to_pylist() == expected[1:]   # sliced arrays keep their offset


@pytest.mark.parametrize(("dialect", "values", "expected"), [
    pytest.param("postgresql", ["it's", "a\\b", "x\ny\rz\tw", "\\.", None, ""],
                 ["it's", "a\\\\b", "x\\ny\\rz\\tw", "\\\\.", "\\N", ""], id="pg-copy"),
    pytest.param("mysql", ["it's", "a\\b", "x\ny", "cr\r", None, "", "n\x00"],
                 ["'it''s'", "'a\\b'", "'x\ny'", "_utf8mb4 X'63720d'", "NULL", "''", "_utf8mb4 X'6e00'"],
                 id="mysql"),
    pytest.param("sqlite", ["it's", "cr\r", "ā", None],
                 ["'it''s'", "CAST(X'63720d' AS TEXT)", "'ā'", "NULL"], id="sqlite"),
])
def test_string_literals(dialect: str, values: list[str | None], expected: list[str]) -> None:
    rendered = get_dialect(dialect).literals(plan("text", pa.string()), pa.array(values), "t")
    assert rendered.to_pylist() == expected


@pytest.mark.parametrize(("dialect", "kind", "arrow", "values", "expected"), [
    pytest.param("postgresql", "float", pa.float64(), [0.1, float("inf"), float("-inf"), float("nan"), None],
                 ["0.1", "Infinity", "-Infinity", "NaN", "\\N"], id="pg-float"),
    pytest.param("sqlite", "float", pa.float64(), [1e308, float("-inf")], ["1e+308", "-9e999"], id="sqlite-inf"),
    pytest.param("mysql", "decimal", pa.decimal128(30, 10),
                 [decimal.Decimal("0.0000000001"), decimal.Decimal("-1.5")],
                 ["'0.0000000001'", "'-1.5000000000'"], id="mysql-tiny-decimal-not-E-notation"),
    pytest.param("postgresql", "boolean", pa.bool_(), [True, False, None], ["t", "f", "\\N"], id="pg-bool"),
    pytest.param("sqlite", "boolean", pa.bool_(), [True, False], ["1", "0"], id="sqlite-bool"),
    pytest.param("postgresql", "datetime", pa.timestamp("us", tz="UTC"),
                 [dt.datetime(2024, 4, 7, 2, 30, tzinfo=dt.UTC)], ["2024-04-07 02:30:00.000000+00"],
                 id="pg-timestamptz"),
    pytest.param("mysql", "datetime", pa.timestamp("ns", tz="Pacific/Auckland"),
                 [dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)], ["'2024-01-01 12:00:00.000000'"],
                 id="mysql-aware-to-utc"),
    pytest.param("postgresql", "interval", pa.duration("us"), [dt.timedelta(days=1, microseconds=-1)],
                 ["86399999999 microseconds"], id="pg-interval"),
    pytest.param("postgresql", "binary", pa.binary(), [b"\x01", b""], ["\\\\x01", "\\\\x"], id="pg-bytea"),
    pytest.param("mysql", "binary", pa.binary(), [b"\x01", None], ["X'01'", "NULL"], id="mysql-blob"),
    pytest.param("sqlite", "uuid", pa.binary(16), [bytes(range(16))],
                 ["'00010203-0405-0607-0809-0a0b0c0d0e0f'"], id="uuid-from-bytes"),
])
def test_value_literals(dialect: str, kind: str, arrow: pa.DataType, values: list[object],
                        expected: list[str]) -> None:
    assert get_dialect(dialect).literals(plan(kind, arrow), pa.array(values, arrow), "t").to_pylist() == expected


def test_postgresql_refuses_nul_by_column() -> None:
    with pytest.raises(OutputError, match="NUL") as caught:
        get_dialect("postgresql").literals(plan("text", pa.string()), pa.array(["a\x00b"]), "people")
    assert caught.value.table == "people" and caught.value.column == "c"


def test_copy_escape_doubles_backslash_before_adding_escapes() -> None:
    assert copy_escape(pa.array(["\\n", "\n"])).to_pylist() == ["\\\\n", "\\n"]


@pytest.mark.parametrize(("dialect", "name", "expected"), [
    pytest.param("postgresql", 'we"ird order', '"we""ird order"', id="pg"),
    pytest.param("mysql", "a`b", "`a``b`", id="mysql"),
    pytest.param("sqlite", "user", '"user"', id="sqlite"),
])
def test_identifier_quoting(dialect: str, name: str, expected: str) -> None:
    assert get_dialect(dialect).quote(name) == expected


@pytest.mark.parametrize(("kind", "arrow", "facets", "expected"), [
    pytest.param("integer", pa.int16(), {"bits": 16}, ("smallint", "SMALLINT", "INTEGER"), id="int16"),
    # SQLite INTEGER stops at 2^63-1 and would store a rounded REAL above it: exact digits as TEXT.
    pytest.param("integer", pa.uint64(), {}, ("numeric(20, 0)", "BIGINT UNSIGNED", "TEXT"), id="uint64"),
    pytest.param("decimal", pa.decimal128(38, 10), {"precision": 30, "scale": 10},
                 ("numeric(30, 10)", "DECIMAL(30, 10)", "TEXT"), id="wide-decimal"),
    pytest.param("decimal", pa.decimal128(10, 2), {"precision": 10, "scale": 2},
                 ("numeric(10, 2)", "DECIMAL(10, 2)", "NUMERIC(10, 2)"), id="money"),
    pytest.param("string", pa.string(), {"length": 40}, ("varchar(40)", "VARCHAR(40)", "VARCHAR(40)"), id="varchar"),
    pytest.param("text", pa.string(), {}, ("text", "LONGTEXT", "TEXT"), id="text"),
    pytest.param("datetime", pa.timestamp("us", tz="UTC"), {"timezone": True},
                 ("timestamp(6) with time zone", "DATETIME(6)", "DATETIME"), id="timestamptz"),
    pytest.param("json", pa.string(), {"sql_type": "jsonb"}, ("jsonb", "JSON", "TEXT"), id="jsonb"),
    pytest.param("uuid", pa.string(), {}, ("uuid", "CHAR(36)", "CHAR(36)"), id="uuid"),
    pytest.param("integer", pa.string(), {"bits": 32}, ("text", "LONGTEXT", "TEXT"), id="masked-to-token"),
])
def test_type_mapping(kind: str, arrow: pa.DataType, facets: dict[str, object], expected: tuple[str, ...]) -> None:
    from anonymiser.write.sql.core import effective_kind

    sql_type = str(facets.pop("sql_type", kind))
    info = ColumnInfo(name="c", kind=kind, sql_type=sql_type, **facets)  # type: ignore[arg-type]
    effective = effective_kind(info, arrow)
    type_info = info if effective == kind else ColumnInfo(name="c", kind=effective, sql_type=sql_type)
    column = ColumnPlan(info=info, kind=effective, arrow=arrow, type_info=type_info, type_table="t", key=False)
    got = tuple(get_dialect(d).column_type(column, lambda t, c: 0, "t") for d in ("postgresql", "mysql", "sqlite"))
    assert got == expected


def test_mysql_key_string_without_length_is_sized_from_the_data() -> None:
    info = ColumnInfo(name="c", kind="text", sql_type="text")
    column = ColumnPlan(info=info, kind="text", arrow=pa.string(), type_info=info, type_table="t", key=True)
    assert get_dialect("mysql").column_type(column, lambda t, c: 37, "t") == "VARCHAR(37)"


@pytest.mark.parametrize("limit", [10, 100, 1 << 20])
def test_statement_groups_stay_near_the_byte_limit(limit: int) -> None:
    rows = pa.array([f"({i},'{'x' * (i % 17)}')" for i in range(1000)], render.TEXT)
    bounds = group_bounds(rows, limit)
    assert bounds[0] == 0 and bounds[-1] == len(rows) and np.all(np.diff(bounds) > 0)
    lengths = np.array([len(r) + 2 for r in rows.to_pylist()])
    sizes = [lengths[a:b].sum() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    assert all(size <= limit + lengths.max() for size in sizes)


def test_unknown_dialect_suggests_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="postgresql, mysql, sqlite"):
        get_dialect("oracle")


def test_timestamp_text_is_arrows_strftime() -> None:
    """Timestamps are written digit by digit in numpy, exactly as Arrow's strftime writes them (years 1 to
    9999; others, and NULLs, as Arrow does)."""
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.integers(_FIRST_US, _LAST_US, 20_000), rng.integers(-10**15, 10**15, 20_000),
                             [_FIRST_US, _LAST_US, 0, -1, 1, 951_782_400_000_000, 951_868_799_999_999]])
    for tz in (None, "UTC"):
        stamps = pa.array(values, pa.timestamp("us", tz=tz))
        with_nulls = pa.array([None if i % 3 == 0 else int(v) for i, v in enumerate(values[:3000])],
                              pa.timestamp("us", tz=tz))
        for array in (stamps, stamps.slice(7, 1000), with_nulls.slice(1), stamps.slice(0, 0),
                      pa.array([_FIRST_US - 1, None, 0], pa.timestamp("us", tz=tz))):
            assert timestamp_text(array).equals(pc.strftime(array, format="%Y-%m-%d %H:%M:%S"))
