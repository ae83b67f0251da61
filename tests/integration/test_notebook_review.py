"""notebooks/review.ipynb runs top to bottom against a fresh output (so it never rots)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from nbclient import NotebookClient

from anonymiser.report import build_report, write_report
from anonymiser.verify import verify_output
from tests.unit.verify.builder import build_output

pytestmark = pytest.mark.slow  # starts a Jupyter kernel
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "review.ipynb"


@pytest.mark.parametrize("fault", [None, "drop_parent"], ids=["pass", "fail"])
def test_review_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str | None) -> None:
    built = build_output(tmp_path, **({fault: True} if fault else {}))
    engine = sa.create_engine(built.source_url)
    with engine.connect() as conn:
        result = verify_output(built.directory, built.manifest, source=conn)
    engine.dispose()
    write_report(built.directory, build_report(built.directory, built.manifest, result))
    monkeypatch.setenv("ANONYMISER_REVIEW_DIR", str(built.directory))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 2  # coverage + one class-size chart for the declared quasi-identifiers
    text = "".join(o.get("text", "") for o in outputs)
    assert "report and manifest agree" in text
    shown = "".join(str(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    assert f"**{result.verdict}**" in shown
