"""The ``subset:`` section against the live source, before any row is read (``check`` and ``run``).

Every problem is collected with the policy path it comes from, so the caller can name the file and
line: roots, child rules and virtual foreign keys naming tables or columns the source lacks, a root
without a row identity, and ``where:`` clauses the source rejects (each is compiled by the source
with ``LIMIT 0``: the database itself checks the columns and the syntax, and no row is read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from anonymiser.errors import SubsetError
from anonymiser.lazy import lazy_import
from anonymiser.policy.subset import SubsetPolicy
from anonymiser.redact import db_error_text, scrub_db_message, words_of_sql
from anonymiser.schema import SchemaInfo
from anonymiser.subset.graph import SubsetGraph, identity, resolve_table, virtual_foreign_keys
from anonymiser.subset.sample import where_clause
from anonymiser.subset.sql import table_clause

if TYPE_CHECKING:
    import sqlalchemy as sa
else:
    sa = lazy_import("sqlalchemy")     # heavy: loaded on first use (see anonymiser/lazy.py)

PolicyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: PolicyPath        # where in the policy, e.g. ("subset", "roots", 0, "where")
    message: str
    hint: str | None = None


def subset_problems(conn: sa.Connection, schema: SchemaInfo, policy: SubsetPolicy | None) -> list[Problem]:
    if policy is None:
        return []
    problems: list[Problem] = []
    for i, vfk in enumerate(policy.virtual_foreign_keys):
        try:
            virtual_foreign_keys(policy.model_copy(update={"virtual_foreign_keys": [vfk]}), schema)
        except SubsetError as err:
            problems.append(Problem(("subset", "virtual_foreign_keys", i), err.message, err.hint))
    for i, spec in enumerate(policy.roots):
        try:
            table = resolve_table(schema, spec.table, "subset.roots")
        except SubsetError as err:
            problems.append(Problem(("subset", "roots", i, "table"), err.message, err.hint))
            continue
        info = schema.tables[table]
        if not identity(info):
            problems.append(Problem(("subset", "roots", i, "table"),
                                    f"root table {table!r} has no primary key or NOT NULL unique key to sample by",
                                    "Choose a table with a primary key as the root; this one then follows its "
                                    "relations."))
        if spec.where:
            problem = _where_problem(conn, schema, table, spec.where)
            if problem:
                problems.append(Problem(("subset", "roots", i, "where"), *problem))
    if not problems:
        try:
            SubsetGraph(schema, policy)
        except SubsetError as err:
            problems.append(Problem(("subset", "children"), err.message, err.hint))
    return problems


def _where_problem(conn: sa.Connection, schema: SchemaInfo, table: str, where: str) -> tuple[str, str] | None:
    """The source's own verdict on ``where`` (compiled, never run: LIMIT 0), its message scrubbed of literals."""
    stmt = sa.select(sa.literal(1)).select_from(table_clause(schema.tables[table])).where(where_clause(where))
    try:
        conn.execute(stmt.limit(0)).fetchall()
    except sa.exc.DBAPIError as exc:
        conn.rollback()
        names = {n for t in schema.tables.values() for n in (t.name, *t.column_names)} | words_of_sql(where)
        return (f"the source rejects this where clause ({type(exc.orig).__name__}): "
                f"{scrub_db_message(db_error_text(exc), names)}",
                f"It is SQL for the source's dialect, used as WHERE (<where>) on {table!r}; check its column names "
                "and syntax.")
    return None
