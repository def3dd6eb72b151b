"""The teaching notebooks run top to bottom on the embedded models and leave no errors or warnings."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_clean(path, tmp_path, record_property):
    """Each notebook's wall time (kernel start to last cell) is printed at the end of the run (conftest)."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    record_property("wall_s", time.perf_counter() - started)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{path.name}: {output.get('ename')}: {output.get('evalue')}"
            if output.get("name") == "stderr":
                assert "warning" not in output["text"].lower(), f"{path.name} printed a warning: {output['text']}"


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6
