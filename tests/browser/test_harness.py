"""Proves the browser harness with tiny anywidgets defined inside the notebook, in JupyterLab 4 and Notebook 7.

- JS → Python: clicking a button increments a synced ``count``; the kernel sees it.
- Python → JS: setting ``count`` from the kernel updates a view already on screen.
- Hostile text: a label whose text is an HTML payload shows it literally, and nothing runs.
- ``windowingMode: none``: a widget below 40 other cells is still in the DOM.
- Controls: a widget whose render() throws, and one that puts the payload in innerHTML, are caught.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

FRONTENDS = ["lab", "notebook7"]
HOSTILE = "<img src=x onerror=alert(1)>"
FILLER_CELLS = 40
_CODE_CELL = "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-CodeCell ')][1]"

WIDGETS_CELL = '''
import anywidget
import traitlets


class Counter(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const button = document.createElement("button");
      button.dataset.testid = "ilw-harness-counter";
      const update = () => { button.textContent = `count: ${model.get("count")}`; };
      button.addEventListener("click", () => {
        model.set("count", model.get("count") + 1);
        model.save_changes();
      });
      model.on("change:count", update);
      update();
      el.appendChild(button);
      return () => model.off("change:count", update);
    }
    export default { render };
    """
    count = traitlets.Int(0).tag(sync=True)


class Label(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const span = document.createElement("span");
      span.dataset.testid = "ilw-harness-label";
      const update = () => { span.textContent = model.get("text"); };
      model.on("change:text", update);
      update();
      el.appendChild(span);
      return () => model.off("change:text", update);
    }
    export default { render };
    """
    text = traitlets.Unicode("").tag(sync=True)
'''


# Controls: what the harness must catch.
BROKEN_WIDGETS_CELL = '''
import anywidget
import traitlets


class Boom(anywidget.AnyWidget):
    _esm = "export default { render() { throw new Error('boom in render'); } };"


class Unsafe(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        const span = document.createElement("span");
        span.dataset.testid = "ilw-harness-unsafe";
        span.innerHTML = model.get("text");  // the mistake the hostile-text checks exist for
        el.appendChild(span);
      },
    };
    """
    text = traitlets.Unicode("").tag(sync=True)


display(Boom(), Unsafe(text="<img src=x onerror=alert(1)>"))
'''


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_counter_round_trip(jupyter, open_notebook, frontend):
    name = f"harness_counter_{frontend}.ipynb"
    jupyter.write_notebook(name, [WIDGETS_CELL, "counter = Counter()\ncounter"])
    nb = open_notebook(name, frontend)
    nb.run_all()

    button = nb.wait_rendered(nb.page.get_by_test_id("ilw-harness-counter"))
    expect(button).to_have_text("count: 0")
    button.click()
    expect(button).to_have_text("count: 1")
    button.click()
    expect(button).to_have_text("count: 2")
    nb.wait_kernel_value("counter.count", "2")

    # Python -> JS: a trait set from the kernel reaches the view already on screen.
    nb.kernel_exec("counter.count = 41")
    expect(button).to_have_text("count: 41")
    # ... and the view keeps working after it.
    button.click()
    nb.wait_kernel_value("counter.count", "42")
    nb.screenshot(f"harness_{frontend}")


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_hostile_text_is_inert(jupyter, open_notebook, page_problems, frontend):
    name = f"harness_hostile_{frontend}.ipynb"
    fillers = [("markdown", f"Filler cell {i}.") for i in range(FILLER_CELLS)]
    # The label sits below 40 cells: it is only in the DOM if windowingMode "none" took effect.
    jupyter.write_notebook(name, [WIDGETS_CELL, *fillers, f"display(Label(text={HOSTILE!r}))"])
    nb = open_notebook(name, frontend)
    expect(nb.page.locator(".jp-Notebook .jp-Cell")).to_have_count(FILLER_CELLS + 2)
    nb.run_all()

    label = nb.wait_rendered(nb.page.get_by_test_id("ilw-harness-label"))
    expect(label).to_have_text(HOSTILE)
    label.scroll_into_view_if_needed()
    expect(label).to_be_visible()
    # The payload stayed text: no element was made from it.
    expect(nb.page.locator(".jp-OutputArea img[src='x']")).to_have_count(0)
    nb.let_image_errors_fire()
    assert page_problems.dialogs == []
    nb.screenshot(f"harness_hostile_{frontend}", label.locator(_CODE_CELL))


def test_harness_sees_render_errors_and_dialogs(jupyter, open_notebook, page_problems):
    """The checks above can fail: a throwing render() and an innerHTML payload are both caught."""
    name = "harness_controls.ipynb"
    jupyter.write_notebook(name, [BROKEN_WIDGETS_CELL])
    nb = open_notebook(name, "lab")
    nb.run_all()
    # A throwing render() leaves an empty output; only the console and the page error say why.
    nb.page.wait_for_function("() => document.querySelector('[data-testid=ilw-harness-unsafe]') !== null")
    expect(nb.page.locator(".jp-OutputArea img[src='x']")).to_have_count(1)
    deadline = time.monotonic() + 30
    while not (
        any("boom in render" in p.text for p in page_problems.problems)
        and any(p.text == "alert: 1" for p in page_problems.dialogs)
    ):
        assert time.monotonic() < deadline, f"harness missed them: {[str(p) for p in page_problems.events]}"
        nb.page.wait_for_timeout(100)  # lets Playwright deliver page events (time.sleep would not)
    assert {p.kind for p in page_problems.unexpected()} == {"console", "pageerror", "dialog"}
    page_problems.events.clear()  # expected here: do not fail this test for them
