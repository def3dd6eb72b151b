"""The tour notebook in JupyterLab 4 and in Notebook 7: every cell runs and every view renders, with no
console errors (the ``page`` fixture fails the test on any)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

TOUR = Path(__file__).resolve().parents[2] / "notebooks" / "00_tour.ipynb"
VIEWS = [  # in the order the tour shows them
    ".ilw-attention-explorer",
    ".ilw-generation-tracer",
    ".ilw-patching-explorer",
    ".ilw-projection-explorer",
    ".ilw-failure-explorer",
]


@pytest.mark.parametrize("frontend", ["lab", "notebook"])
def test_the_tour_runs_and_every_view_renders(jupyter, open_notebook, frontend):
    shutil.copy(TOUR, jupyter.root_dir / TOUR.name)
    nb = open_notebook(TOUR.name, frontend)
    nb.run_all(timeout=900)
    for selector in VIEWS:
        view = nb.wait_rendered(nb.page.locator(selector), timeout=120)
        expect(view).to_have_count(1)
        expect(view.locator(".ilw-error")).to_be_hidden()
        expect(view.locator(".ilw-help-toggle")).to_be_visible()
    nb.screenshot(f"tour_{frontend}", show=nb.page.locator(VIEWS[0]))
