"""The tour notebook in JupyterLab 4, in Notebook 7 and as a Voilà page: every cell runs and every view
renders, with no console errors (the ``page`` fixture fails the test on any)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .notebook_ui import SCREENSHOT_DIR

pytestmark = pytest.mark.slow

TOUR = Path(__file__).resolve().parents[2] / "notebooks" / "00_tour.ipynb"
VIEWS = [  # in the order the tour shows them
    ".ilw-attention-explorer",
    ".ilw-generation-tracer",
    ".ilw-patching-explorer",
    ".ilw-projection-explorer",
    ".ilw-failure-explorer",
]


def expect_banner(view, selector: str) -> None:
    """No error in any view; the projection opens on layer 0, where every sentence is one vector: it says so."""
    if selector == ".ilw-projection-explorer":
        expect(view.locator(".ilw-error")).to_contain_text("points are the same vector")
    else:
        expect(view.locator(".ilw-error")).to_be_hidden()


# Notebook 7 only: every view has its own end-to-end test in JupyterLab, and the tour itself runs top to bottom
# in tests/test_notebooks.py and in binder/check.sh.
@pytest.mark.parametrize("frontend", ["notebook"])
def test_the_tour_runs_and_every_view_renders(jupyter, open_notebook, frontend):
    shutil.copy(TOUR, jupyter.root_dir / TOUR.name)
    nb = open_notebook(TOUR.name, frontend)
    nb.run_all(timeout=900)
    for selector in VIEWS:
        view = nb.wait_rendered(nb.page.locator(selector), timeout=120)
        expect(view).to_have_count(1)
        expect_banner(view, selector)
        expect(view.locator(".ilw-help-toggle")).to_be_visible()
    nb.screenshot(f"tour_{frontend}", show=nb.page.locator(VIEWS[0]))


STALE = re.compile(r"(^|\s)ilw-stale(\s|$)")
VOILA_TIMEOUT_MS = 900_000  # Voilà runs every cell before the page settles: the tour's patching grid is minutes
ANSWER_TIMEOUT_MS = 180_000


def test_the_tour_as_a_voila_page_renders_every_view_and_answers_clicks(jupyter, page):
    """The classroom page: Voilà (the server extension of the test's Jupyter server, the same renderer as the
    ``voila`` command) runs the tour and shows only its outputs; a click in each view reaches the kernel."""
    shutil.copy(TOUR, jupyter.root_dir / TOUR.name)
    page.goto(f"{jupyter.url}/voila/render/{TOUR.name}?token={jupyter.token}", timeout=VOILA_TIMEOUT_MS)
    views = {selector: page.locator(selector) for selector in VIEWS}
    for view in views.values():
        expect(view).to_be_visible(timeout=VOILA_TIMEOUT_MS)
    for selector, view in views.items():
        expect_banner(view, selector)
    expect(page.get_by_text('model = load_model("smollm2-135m")')).to_have_count(0)  # outputs only, no code

    attention = views[".ilw-attention-explorer"]
    attention.locator('.ilw-head-cell[data-layer="9"][data-head="6"]').click()
    expect(attention.locator(".ilw-detail")).to_have_attribute("data-head", "6", timeout=ANSWER_TIMEOUT_MS)
    expect(attention.locator(".ilw-detail")).to_have_attribute("data-layer", "9")

    tracer = views[".ilw-generation-tracer"]
    tracer.locator('.ilw-gen-token[data-step="2"]').click()
    expect(tracer.locator(".ilw-topk")).to_have_attribute("data-step", "2", timeout=ANSWER_TIMEOUT_MS)

    patching = views[".ilw-patching-explorer"]
    patching.locator('.ilw-patch-cell[data-layer="24"][data-position="9"]').click()
    panel = patching.locator(".ilw-patch-cell-panel")
    expect(panel.locator(".ilw-head-bar")).to_have_count(9, timeout=ANSWER_TIMEOUT_MS)  # SmolLM2's heads
    expect(panel).not_to_have_class(STALE)

    projection = views[".ilw-projection-explorer"]
    projection.locator("input.ilw-layer-slider").fill("6")
    expect(projection.locator(".ilw-scatter")).to_have_attribute("data-layer", "6", timeout=ANSWER_TIMEOUT_MS)
    expect(projection.locator(".ilw-scatter")).not_to_have_class(STALE, timeout=ANSWER_TIMEOUT_MS)

    failures = views[".ilw-failure-explorer"]
    row = failures.locator("tr.ilw-case").nth(1)
    case = row.get_attribute("data-case")
    row.locator("td.ilw-case-id").click()
    side = failures.locator(".ilw-side-by-side")
    expect(side).to_have_attribute("data-case", case, timeout=ANSWER_TIMEOUT_MS)
    expect(side).not_to_have_class(STALE, timeout=ANSWER_TIMEOUT_MS)

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    attention.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT_DIR / "voila_tour.png"))
