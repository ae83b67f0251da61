"""The verification reads a PostgreSQL source through one bulk (ADBC) connection, however many tables it reads
(one a table read cost ~50 ms each), and finds the same as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import adbc_driver_postgresql.dbapi as adbc
import pytest
import sqlalchemy as sa

from anonymiser.source.connect import normalise_url
from anonymiser.verify import verify_output
from anonymiser.write.manifest import Manifest
from tests.cli_runner import anonymiser

pytestmark = pytest.mark.slow   # a real run through the CLI


def test_one_bulk_connection_for_every_source_read(chinook_pg: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    policy = tmp_path / "policy.yaml"
    assert anonymiser("scan", chinook_pg, "--out", str(policy)).returncode == 0
    run = anonymiser("--json", "run", str(policy), "--source", chinook_pg, "--out", str(out), "--jobs", "1")
    assert run.returncode in (0, 1), run.stderr
    manifest = Manifest.read(out)
    opened: list[str] = []
    connect = adbc.connect

    def counted(*args: Any, **kwargs: Any) -> Any:
        opened.append("adbc")
        return connect(*args, **kwargs)

    monkeypatch.setattr(adbc, "connect", counted)
    engine = sa.create_engine(normalise_url(chinook_pg))
    try:
        with engine.connect() as conn:
            result = verify_output(out, manifest, source=conn, jobs=1)
    finally:
        engine.dispose()
    scan = result.leak_scan
    assert len({c.table for c in scan.columns}) > 1 and scan.source_rows_read > 0
    assert opened == ["adbc"]
    # the same findings as the run's own verification
    reported = json.loads((out / "report" / "report.json").read_text(encoding="utf-8"))["verification"]["leak_scan"]
    figures = ("source_rows_read", "values_checked", "leaks", "coincidences", "unchanged")
    assert {k: getattr(scan, k) for k in figures} == {k: reported[k] for k in figures}
