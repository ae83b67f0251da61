"""Progress without a TTY: every line says what it counts."""

from __future__ import annotations

import json

import pytest

from anonymiser.cli import common
from anonymiser.cli.common import Output


@pytest.mark.parametrize("json_logs", [False, True])
def test_progress_lines_name_their_unit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                        json_logs: bool) -> None:
    clock = iter([0.0, 11.0, 30.0, 45.0])
    monkeypatch.setattr(common.time, "monotonic", lambda: next(clock))
    with Output(json=json_logs).progress() as progress:
        progress("scan", 0, 10, "tables")
        progress("scan", 4, 10, "tables")
        progress("customer", 5000, None)
        progress("customer", 9000, None)
    lines = capsys.readouterr().err.splitlines()
    if json_logs:
        events = [json.loads(line) for line in lines]
        assert [(e["step"], e["done"], e["total"], e["unit"]) for e in events] == [
            ("scan", 4, 10, "tables"), ("customer", 9000, None, "rows")]
    else:
        assert lines == ["scan: 4 of 10 tables", "customer: 9,000 rows"]
