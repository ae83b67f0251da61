"""Subsets through deep self-references (trial F28: a 5,000-deep parent chain took 4 min 35 s, one round
trip per level). Parents through a self-reference now come in one recursive query per batch of keys;
the kept rows are the same: every ancestor, and nothing else, on all three engines, cycles in the data
included."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from tests.adversarial.harness import assert_clean, cli, write_policy
from tests.integration.test_dump import TARGET_FIXTURE

DEPTH = 3000
POLICY = """\
version: 1
tables:
  node:
    columns:
      id: keep
      parent_id: keep
      owner_email: email
  other:
    columns:
      id: keep
      node_id: keep
subset:
  seed: 1
  roots:
    - table: other
      where: "id IN (1, 2)"
"""


@pytest.mark.parametrize("engine", list(TARGET_FIXTURE))
def test_a_deep_parent_chain_and_a_cycle_are_followed_whole(engine: str, tmp_path: Path,
                                                            request: pytest.FixtureRequest) -> None:
    source = request.getfixturevalue(TARGET_FIXTURE[engine])
    db = sa.create_engine(source)
    with db.begin() as conn:
        conn.execute(sa.text("CREATE TABLE node (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES node (id), "
                             "owner_email VARCHAR(40))"))
        conn.execute(sa.text("CREATE TABLE other (id INTEGER PRIMARY KEY, node_id INTEGER REFERENCES node (id))"))
        # A chain 1 <- 2 <- ... <- DEPTH, a side branch that must stay out, and a cycle 9001 -> 9002 -> 9003 -> 9001.
        rows = [{"id": i, "parent": i - 1 if i > 1 else None} for i in range(1, DEPTH + 1)]
        rows += [{"id": 5000 + i, "parent": 10} for i in range(5)]
        rows += [{"id": 9001, "parent": None}, {"id": 9002, "parent": 9001}, {"id": 9003, "parent": 9002}]
        conn.execute(sa.text("INSERT INTO node VALUES (:id, :parent, :id || '@x.nz')" if engine == "sqlite" else
                             "INSERT INTO node VALUES (:id, :parent, CONCAT(:id, '@x.nz'))"), rows)
        conn.execute(sa.text("UPDATE node SET parent_id = 9003 WHERE id = 9001"))
        conn.execute(sa.text("INSERT INTO other VALUES (1, :deep), (2, 9002)"), {"deep": DEPTH})
    db.dispose()
    out = tmp_path / "out"
    assert_clean(cli("run", str(write_policy(tmp_path, POLICY)), "--source", source, "--out", str(out)), 0)
    kept = sorted(pq.read_table(out / "parquet" / "node.parquet").column("id").to_pylist())
    assert kept == [*range(1, DEPTH + 1), 9001, 9002, 9003]
