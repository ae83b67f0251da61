"""date_shift, generalise, noise, remap: types kept, NULLs kept, bounds respected, keyed."""

from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pytest

from anonymiser.errors import MaskError, PolicyError
from anonymiser.mask import registry
from tests.unit.mask.helpers import OTHER_KEY, arrow, ctx, is_unique, run

DATES = [dt.date(1987, 6, 15), None, dt.date(2000, 1, 1), dt.date(1987, 6, 15)]


@pytest.mark.parametrize(
    ("type_", "values"),
    [
        (pa.date32(), DATES),
        (pa.timestamp("us"), [dt.datetime(2020, 5, 1, 10, 30), None]),
        (pa.timestamp("us", tz="Pacific/Auckland"), [dt.datetime(2020, 5, 1, 10, 30, tzinfo=dt.UTC), None]),
    ],
    ids=["date", "timestamp", "timestamptz"],
)
def test_date_shift_bounded_nonzero_and_typed(type_: pa.DataType, values: list[object]) -> None:
    src = arrow(values, type_)
    out = run("date_shift", src, {"max_days": 10})
    assert out.type == src.type and out.is_null().to_pylist() == src.is_null().to_pylist()
    for a, b in zip(src.drop_null().to_pylist(), out.drop_null().to_pylist(), strict=True):
        days = (b - a).total_seconds() / 86_400 if isinstance(a, dt.datetime) else (b - a).days
        assert 1 <= abs(days) <= 10


def test_date_shift_by_entity_keeps_intervals() -> None:
    src = arrow([dt.date(2020, 1, 1), dt.date(2020, 3, 1), dt.date(2020, 1, 1)], pa.date32())
    batch = pa.record_batch({"cid": [1, 1, 2], "d": src})
    strategy = registry.build("date_shift", {"max_days": 200, "by": "cid"})
    assert strategy.referenced_columns() == ["cid"]
    out = strategy.mask(src, ctx(batch=batch)).to_pylist()
    assert (out[1] - out[0]) == (src[1].as_py() - src[0].as_py())


def test_date_shift_text_dates_keep_layout() -> None:
    out = run("date_shift", arrow(["2020-01-02", "2020-01-02 03:04:05", "2020-01-02T03:04:05", None, ""])).to_pylist()
    assert [len(v) if isinstance(v, str) else None for v in out] == [10, 19, 19, None, 0]
    assert "T" in out[2] and out[0] != "2020-01-02"


@pytest.mark.parametrize(
    ("options", "values", "message"),
    [({"max_days": 5}, ["not a date"], "no date in a known layout"), ({"by": "missing"}, ["2020-01-01"], "missing")],
    ids=["bad-text", "bad-by"],
)
def test_date_shift_errors(options: dict[str, object], values: list[str], message: str) -> None:
    with pytest.raises(MaskError, match=message):
        run("date_shift", arrow(values), options, batch=pa.record_batch({"x": [1]}))


@pytest.mark.parametrize(
    ("to", "expected"),
    [("year", dt.date(1987, 1, 1)), ("month", dt.date(1987, 6, 1)), ("decade", dt.date(1980, 1, 1))],
    ids=["year", "month", "decade"],
)
def test_generalise_dates(to: str, expected: dt.date) -> None:
    out = run("generalise", arrow(DATES, pa.date32()), {"to": to}).to_pylist()
    assert out[0] == expected and out[1] is None


def test_generalise_region_changes_output_column() -> None:
    strategy = registry.build("generalise", {"to": "region"})
    out = strategy.mask(arrow(["1010", "0110", "9810", None, "x"]), ctx()).to_pylist()
    assert out[:3] == ["Auckland", "Northland", "Southland"] and out[3] is None and out[4] == "Unknown"
    col = strategy.output_column(ctx(length=4).column)
    assert col.kind == "string" and col.length is not None and col.length >= len("Manawatū-Whanganui")


@pytest.mark.parametrize(
    ("type_", "values", "width", "expected"),
    [(pa.int64(), [37, None, -3], 10, [30, None, -10]), (pa.float64(), [2.5, 7.9], 5.0, [0.0, 5.0])],
    ids=["int", "float"],
)
def test_generalise_band(type_: pa.DataType, values: list[object], width: float, expected: list[object]) -> None:
    out = run("generalise", arrow(values, type_), {"to": "band", "width": width})
    assert out.to_pylist() == expected and out.type == type_


def test_generalise_options_validated() -> None:
    with pytest.raises(PolicyError):
        registry.build("generalise", {"to": "band"})


@pytest.mark.parametrize(
    ("type_", "values", "options"),
    [
        (pa.int64(), [100, None, 1000, 2**62], {"relative": 0.1}),
        (pa.float64(), [1.5, None], {"absolute": 2.0}),
        (pa.decimal128(10, 2), [decimal.Decimal("10.25"), None], {"absolute": 1.0}),
    ],
    ids=["int", "float", "decimal"],
)
def test_noise_bounded_and_typed(type_: pa.DataType, values: list[object], options: dict[str, float]) -> None:
    src = arrow(values, type_)
    out = run("noise", src, options)
    assert out.type == src.type and out.is_null().to_pylist() == src.is_null().to_pylist()
    for a, b in zip(src.drop_null().to_pylist(), out.drop_null().to_pylist(), strict=True):
        bound = options.get("absolute") or abs(float(a)) * options["relative"]
        assert abs(float(b) - float(a)) <= bound + 1


@pytest.mark.parametrize(
    ("type_", "values", "options"),
    [
        (pa.int16(), list(range(-20, 21)), {"relative": 0.1}),
        (pa.int64(), [0, 1, 5, 7, 9] * 3, {"relative": 0.05}),
        (pa.int8(), [127, -128, 126, 0], {"absolute": 1}),
        (pa.decimal128(6, 2), [decimal.Decimal("0.00"), decimal.Decimal("0.05"), decimal.Decimal("1.00")],
         {"relative": 0.01}),
        (pa.float64(), [0.0, -0.0, 1e-300, 3.5], {"relative": 0.1}),
    ],
    ids=["small-ints", "zero-and-counts", "int8-bounds", "decimal", "float-zero"],
)
def test_noise_always_changes_the_value(type_: pa.DataType, values: list[object], options: dict[str, float]) -> None:
    """An unchanged noised number is still the real one (verification fails it as unchanged_value)."""
    src = arrow(values, type_)
    out = run("noise", src, options)
    assert out.type == src.type
    unchanged = [a for a, b in zip(src.to_pylist(), out.to_pylist(), strict=True) if a == b]
    assert unchanged == []


def test_noise_needs_exactly_one_bound() -> None:
    with pytest.raises(PolicyError):
        registry.build("noise", {"relative": 0.1, "absolute": 1})


@pytest.mark.parametrize(
    ("type_", "values"),
    [(pa.int32(), [1, 2, 3, 0, -5, 99, 100, 2_147_483_647, None]), (pa.int64(), list(range(1, 2001)))],
    ids=["int32", "int64-range"],
)
def test_remap_integers_bijective_same_digits(type_: pa.DataType, values: list[int | None]) -> None:
    src = arrow(values, type_)
    out = run("remap", src, kind="integer")
    assert out.type == src.type and is_unique(out)
    for a, b in zip(src.drop_null().to_pylist(), out.drop_null().to_pylist(), strict=True):
        assert len(str(abs(int(a)))) == len(str(abs(int(b)))) and (a < 0) == (b < 0)
        assert b <= 2_147_483_647


def test_remap_strings_keep_classes_and_separators() -> None:
    values = ["AB-1234", "ab-1234", "x", "CUST-000123-abcdefghijklmnopq", "Zoë-12", None, ""]
    out = run("remap", arrow(values)).to_pylist()
    for a, b in zip(values, out, strict=True):
        if a is None:
            assert b is None
            continue
        assert len(a) == len(b)
        for ca, cb in zip(a, b, strict=True):
            assert (ca.isdigit(), ca.isupper(), ca.islower() and ca.isascii()) == \
                (cb.isdigit(), cb.isupper(), cb.islower() and cb.isascii()) or not ca.isascii()
            if not ca.isalnum():
                assert ca == cb


def test_remap_strings_injective_and_keyed() -> None:
    values = [f"AB{i:04d}" for i in range(5000)]
    out = run("remap", arrow(values))
    assert is_unique(out)
    assert out.to_pylist() != run("remap", arrow(values), key=OTHER_KEY).to_pylist()


def test_remap_rejects_other_types() -> None:
    with pytest.raises(MaskError):
        run("remap", arrow([1.5], pa.float64()))


MESSY_DATES = ["1975-03-12", "12/03/1975", "3/7/1975", "unknown", "", None, "1975-03-12T10:11:12", "1700000000"]


def test_date_shift_text_in_nz_and_iso_layouts() -> None:
    out = run("date_shift", arrow(MESSY_DATES[:3] + MESSY_DATES[4:7]), {"max_days": 180}).to_pylist()
    iso = dt.date.fromisoformat(out[0])
    nz = [dt.datetime.strptime(v, "%d/%m/%Y").date() for v in out[1:3]]
    assert 0 < abs((iso - dt.date(1975, 3, 12)).days) <= 180
    assert 0 < abs((nz[0] - dt.date(1975, 3, 12)).days) <= 180 and 0 < abs((nz[1] - dt.date(1975, 7, 3)).days) <= 180
    assert out[3:5] == ["", None] and "T" in out[5]


def test_date_shift_text_that_is_no_date_fails_or_is_blanked_on_request() -> None:
    with pytest.raises(MaskError, match="2 text value"):
        run("date_shift", arrow(MESSY_DATES), {"max_days": 30})
    strategy = registry.build("date_shift", {"max_days": 30, "invalid": "null"})
    out = strategy.mask(arrow(MESSY_DATES), ctx()).to_pylist()
    assert out[3] is None and out[7] is None and out[0] is not None
    assert strategy.stats.extra["invalid_nulled"] == 2
