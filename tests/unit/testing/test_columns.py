"""How a factory fills each column: one role per column, from the manifest's schema and the policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from anonymiser.mask import registry
from anonymiser.schema import ForeignKey, TableInfo
from anonymiser.testing.columns import table_specs
from anonymiser.write.manifest import ColumnMasking, Manifest
from tests.unit.write_sql import dataset
from tests.unit.write_sql.dataset import col

RULES: dict[str, tuple[str, dict[str, Any]]] = {  # column -> (strategy, options)
    "id": ("keep", {}), "email": ("email", {}), "nhi": ("nz_nhi", {}), "postcode": ("generalise", {"to": "region"}),
    "notes": ("free_text", {}), "born": ("date_shift", {"max_days": 30}), "tier": ("keep", {}),
    "code": ("keep", {}), "fax": ("null", {}), "ref": ("keep", {}), "token": ("keep", {}),
}


def _manifest(tmp_path: Path) -> Manifest:
    person = TableInfo(name="person", columns=(
        col("id", "integer", "integer", nullable=False, bits=32), col("email", "string", "varchar(80)", length=80),
        col("nhi", "string", "char(7)", length=7), col("postcode", "string", "varchar(20)", length=20),
        col("notes", "text", "text"), col("born", "date", "date"), col("tier", "string", "varchar(10)", length=10),
        col("code", "string", "varchar(12)", length=12), col("fax", "string", "varchar(20)", length=20),
        col("ref", "integer", "integer", bits=32), col("token", "uuid", "uuid"),
    ), primary_key=("id",), unique=(("email",), ("code",)),
        foreign_keys=(ForeignKey(columns=("ref",), ref_table="person", ref_columns=("id",)),))
    manifest = dataset.build(tmp_path, {"person": (person, {c.name: [] for c in person.columns})})
    manifest.tables["person"].masking = {
        name: ColumnMasking.of(registry.build(rule, options), options=options)
        for name, (rule, options) in RULES.items()}
    return manifest


@pytest.mark.parametrize(("column", "role", "unique"), [
    ("id", "unique_int", True),
    ("email", "fake", True),            # the policy's email strategy, with a run-unique plus tag
    ("nhi", "fake", False),
    ("postcode", "sample", False),      # generalised: a region of a region is no use; sample the masked regions
    ("notes", "sample", False),         # free text: sample the already rewritten texts
    ("born", "fake", False),            # date_shift applied anew to a masked date
    ("tier", "sample", False),          # kept: the dataset's own values keep enums and CHECKs valid
    ("code", "unique_text", True),
    ("fax", "null", False),
    ("ref", "parent", False),
    ("token", "uuid", False),
])
def test_roles_of_a_policy_table(tmp_path: Path, column: str, role: str, unique: bool) -> None:
    spec = table_specs(_manifest(tmp_path))["person"].columns[column]
    assert (spec.role, spec.unique) == (role, unique)
    assert spec.options == RULES[column][1]


def test_self_reference_is_cyclic_and_optional(tmp_path: Path) -> None:
    (link,) = table_specs(_manifest(tmp_path))["person"].parents
    assert (link.columns, link.cyclic, link.required) == (("ref",), True, False)


@pytest.mark.parametrize(("table", "column", "role", "scope"), [
    ("pair", "b", "next_in_parent", ("a",)),       # composite key: one more than the largest beside the same a
    ("pair", "a", "sample", ()),
    ("pair child", "pb", "parent", ()),            # in a real composite FK and a virtual one: the real one wins
    ("user", "Email", "unique_text", ()),
    ("order", "order id", "unique_int", ()),
    ("employee ā", "dept", "parent", ()),
])
def test_roles_in_the_nasty_schema(tmp_path: Path, table: str, column: str, role: str, scope: tuple[str, ...]) -> None:
    spec = table_specs(dataset.nasty(tmp_path))[table].columns[column]
    assert (spec.role, spec.scope) == (role, scope)


def test_links_of_the_nasty_schema(tmp_path: Path) -> None:
    specs = table_specs(dataset.nasty(tmp_path))
    assert [link.fk.ref_table for link in specs["pair child"].parents] == ["pair"]   # the overlapping virtual one: no
    employee = {link.fk.ref_table: (link.cyclic, link.required) for link in specs["employee ā"].parents}
    assert employee == {"Dept": (True, True), "employee ā": (True, False)}          # Dept <-> employee is a cycle


def test_two_integer_key_columns_and_a_partial_unique_index(tmp_path: Path) -> None:
    """A UNIQUE (x, y) of two plain integers counts in the last one only (both counting would wait on each
    other: factory_boy's CyclicDefinitionError), and a column alone under a partial unique index gets new values."""
    from anonymiser.schema import IndexInfo
    table = TableInfo(name="t", columns=(
        col("id", "integer", "integer", nullable=False, bits=32), col("x", "integer", "integer", bits=32),
        col("y", "integer", "bigint", bits=64), col("label", "string", "varchar(40)", length=40),
    ), primary_key=("id",), unique=(("x", "y"),), indexes=(
        IndexInfo(name="t_live_label", columns=("label", "id"),
                  definition="CREATE UNIQUE INDEX t_live_label ON public.t USING btree (label) WHERE (id > 0)"),))
    manifest = dataset.build(tmp_path, {"t": (table, {c.name: [] for c in table.columns})})
    manifest.tables["t"].masking = {name: ColumnMasking.of(registry.build("keep", {}), options={})
                                    for name in ("id", "x", "y", "label")}
    columns = table_specs(manifest)["t"].columns
    assert (columns["y"].role, columns["y"].scope) == ("next_in_parent", ("x",))
    assert columns["x"].role == "sample"
    assert (columns["label"].role, columns["label"].unique) == ("unique_text", True)
