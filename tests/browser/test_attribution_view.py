"""AttributionView end to end: SmolLM2-135M attributing a prediction in a real kernel, the view in JupyterLab 4.

DOM contract checked here (the view is ``js/src/attribution_view.ts``):

- root ``.ilw-attribution-view``, ``ilw-is-busy`` while Python computes; error banner ``.ilw-error``;
- one ``.ilw-attr-row[data-method]`` per chosen method (``ilw-attr-pending`` until Python sent it), with
  ``.ilw-attr-method``, ``.ilw-attr-target``, ``.ilw-attr-details`` (completeness error and steps),
  ``.ilw-signed-cell[data-token-index]`` spans coloured by score (``ilw-hover`` on the hovered token in
  every row), ``svg.ilw-attr-chart path.ilw-curve[data-curve]`` and ``.ilw-attr-area`` lines;
- the hovered token's scores ``.ilw-attr-detail`` (``data-token-index``) with ``.ilw-attr-detail-score[data-method]``;
- method checkboxes ``.ilw-attr-methods input[data-method]``.

Kernel traits: ``methods``, ``_rows``, ``_tokens``.

Run with ``-s`` to see the timings.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Locator, expect

pytestmark = pytest.mark.slow  # loads SmolLM2-135M in the kernel and attributes with faithfulness curves

PROMPT = "The Eiffel Tower is located in the city of"
N_TOKENS = 10  # SmolLM2's tokenizer
HOVERED = 3  # " Tower"
# Few integration steps: the test is about the loop, not about completeness (the row says how complete).
VIEW_CELL = (
    "import time\nstarted = time.perf_counter()\n"
    f"w = AttributionView('smollm2-135m', {PROMPT!r}, ' Paris', methods=['integrated_gradients', 'occlusion'], "
    "steps=8, max_steps=8)\n"
    "first_paint_s = time.perf_counter() - started\nw"
)
ADD_TIMEOUT_MS = 300_000  # gradient x input and its curves, from a comm message, on a busy machine
PENDING = re.compile(r"(^|\s)ilw-attr-pending(\s|$)")
HOVER = re.compile(r"(^|\s)ilw-hover(\s|$)")


def check_row(root: Locator, method: str, tokens: list[str]) -> Locator:
    """The row of ``method``: sent by Python, the prompt's tokens as text, some coloured, four curves."""
    row = root.locator(f'.ilw-attr-row[data-method="{method}"]')
    expect(row).not_to_have_class(PENDING)
    expect(row.locator(".ilw-attr-target")).to_contain_text("log p(' Paris')")
    spans = row.locator(".ilw-signed-cell")
    expect(spans).to_have_count(N_TOKENS)
    # textContent, not Playwright's whitespace-normalised text: the leading space is part of the token.
    assert spans.evaluate_all("els => els.map(e => e.textContent)") == tokens
    colours = spans.evaluate_all("els => els.map(e => getComputedStyle(e).backgroundColor)")
    white = {"rgb(255, 255, 255)", "rgba(0, 0, 0, 0)", "transparent", ""}
    assert len(set(colours) - white) > 3, f"{method}: too few coloured tokens {colours}"
    curves = row.locator("svg.ilw-attr-chart path.ilw-curve")
    expect(curves).to_have_count(4)
    paths = curves.evaluate_all("els => els.map(e => [e.dataset.curve, e.getAttribute('d')])")
    assert sorted(c for c, _ in paths) == ["deletion", "insertion", "random_deletion", "random_insertion"]
    assert all(re.fullmatch(r"M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){10}", d) for _, d in paths), paths
    areas = row.locator(".ilw-attr-area").evaluate_all("els => els.map(e => e.textContent)")
    assert [a.split()[0] for a in areas] == ["deletion", "insertion"] and all("random" in a for a in areas), areas
    return row


def test_attribution_view_rows_curves_hover_and_a_method_from_the_browser(jupyter, open_notebook):
    name = "attribution_view.ipynb"
    jupyter.write_notebook(name, ["from interplab_widgets import AttributionView", VIEW_CELL])
    nb = open_notebook(name, "lab")
    started = time.monotonic()
    nb.run_all(timeout=600)
    root = nb.wait_rendered(nb.code_cell(1).locator(".ilw-attribution-view"), timeout=120)
    print(f"\nrun all + render s: {time.monotonic() - started:.1f}  (model load + 2 methods with curves, JupyterLab)")
    print(f"constructor s: {float(nb.kernel_eval('first_paint_s')):.1f}  (in the kernel: both rows and curves)")

    tokens = json.loads(nb.kernel_eval("__import__('json').dumps(w._tokens)"))
    assert len(tokens) == N_TOKENS and tokens[HOVERED] == " Tower"
    expect(root.locator(".ilw-error")).to_be_hidden()
    expect(root.locator(".ilw-attr-row")).to_have_count(2)
    ig = check_row(root, "integrated_gradients", tokens)
    expect(ig.locator(".ilw-attr-details")).to_contain_text("completeness error")
    expect(ig.locator(".ilw-attr-details")).to_contain_text("8 steps")
    occlusion = check_row(root, "occlusion", tokens)
    expect(occlusion.locator(".ilw-attr-details")).to_be_hidden()

    # Hover linking, in the page only: one token lit in every row, its scores listed.
    occlusion.locator(f'.ilw-signed-cell[data-token-index="{HOVERED}"]').hover()
    lit = root.locator(".ilw-signed-cell.ilw-hover")
    expect(lit).to_have_count(2)
    assert lit.evaluate_all("els => els.map(e => e.dataset.tokenIndex)") == [str(HOVERED)] * 2
    detail = root.locator(".ilw-attr-detail")
    expect(detail).to_have_attribute("data-token-index", str(HOVERED))
    assert detail.locator(".ilw-attr-detail-token").evaluate("e => e.textContent") == " Tower"
    scored = detail.locator(".ilw-attr-detail-score")
    assert scored.evaluate_all("els => els.map(e => e.dataset.method)") == ["integrated_gradients", "occlusion"]
    assert nb.kernel_eval("w._request") == "0"  # hovering sent nothing to the kernel
    nb.screenshot("attribution_view", root)
    nb.screenshot_dark("attribution_view_dark", root)

    # A method ticked in the view: the kernel computes that row alone and the view shows it.
    computations = int(nb.kernel_eval("w.computations"))
    started = time.monotonic()
    root.locator('.ilw-attr-methods input[data-method="gradient_x_input"]').check()
    added = root.locator('.ilw-attr-row[data-method="gradient_x_input"]')
    expect(added).to_have_class(PENDING)
    expect(added).not_to_have_class(PENDING, timeout=ADD_TIMEOUT_MS)
    print(f"method added s: {time.monotonic() - started:.1f}  (gradient x input + curves, incl. Playwright polling)")
    nb.wait_kernel_value("w.methods", "['integrated_gradients', 'occlusion', 'gradient_x_input']")
    nb.wait_kernel_value("[r['method'] for r in w._rows]", "['integrated_gradients', 'occlusion', 'gradient_x_input']")
    assert int(nb.kernel_eval("w.computations")) == computations + 1
    assert nb.kernel_eval("sorted({k[0] for k in w.results})") == str(
        sorted(["integrated_gradients", "occlusion", "gradient_x_input"])
    )
    check_row(root, "gradient_x_input", tokens)
    expect(root.locator(".ilw-attr-row")).to_have_count(3)
    expect(root).not_to_have_class(re.compile(r"(^|\s)ilw-is-busy(\s|$)"))
    expect(root.locator(".ilw-error")).to_be_hidden()
    # The new row is linked too.
    added.locator(f'.ilw-signed-cell[data-token-index="{HOVERED - 1}"]').hover()
    expect(root.locator(".ilw-signed-cell.ilw-hover")).to_have_count(3)
    expect(detail.locator(".ilw-attr-detail-score")).to_have_count(3)
    nb.screenshot("attribution_view_added", root)
    assert not HOVER.search(ig.locator(f'.ilw-signed-cell[data-token-index="{HOVERED}"]').get_attribute("class") or "")
