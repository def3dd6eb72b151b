"""GenerationTracer end to end: SmolLM2-135M generating in a real kernel, the view in JupyterLab 4 and Notebook 7.

DOM contract checked here (the view is ``interplab_widgets/static/generation_tracer.js``):

- root ``.ilw-generation-tracer``; step slider ``input[type=range].ilw-step``, play button ``.ilw-play``,
  the current step's token ``.ilw-step-token``;
- generated tokens ``.ilw-gen-token[data-step]``, the current one ``.ilw-current``;
- lens heatmap ``.ilw-lens-heatmap`` of ``.ilw-lens-cell[data-layer][data-step]`` (31 rows x n_steps),
  the current step's column ``.ilw-current-step``, the selected cell ``.ilw-selected``;
- top-k panel ``.ilw-topk`` with ``data-step``, ``data-layer`` of what it shows and ``.ilw-topk-row`` rows;
- the step's attention grid ``.ilw-head-cell[data-layer][data-head]`` (30 x 9);
- head row panel ``.ilw-head-row`` with ``data-layer``, ``data-head``, ``data-step`` and
  ``.ilw-context-token`` spans; error banner ``.ilw-error``;
- the attribution mode ``.ilw-tracer-attribution`` (``data-step``, ``data-method`` of what it shows): toggle
  ``.ilw-attr-toggle``, method ``select.ilw-attr-method-select``, the strip's ``.ilw-signed-cell[data-score]``.

Kernel traits: ``step``, ``selected_layer`` (lens row, 30 = the model's output), ``selected_attention_layer``,
``selected_head`` (-1 for none), ``metric``, ``show_attribution``, ``attribution_method``.

Run with ``-s`` to see the timings.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Locator, expect

pytestmark = pytest.mark.slow  # loads SmolLM2-135M in the kernel and generates

N_LAYERS, N_HEADS = 30, 9  # SmolLM2-135M
N_LENS_ROWS = N_LAYERS + 1  # every block's output, then the model's output
PROMPT = "The Eiffel Tower is located in the city of"
MAX_NEW_TOKENS = 8
CURRENT = re.compile(r"(^|\s)ilw-current(\s|$)")
CURRENT_STEP = re.compile(r"(^|\s)ilw-current-step(\s|$)")
SELECTED = re.compile(r"(^|\s)ilw-selected(\s|$)")

IMPORTS = "from interplab_widgets import GenerationTracer, load_model"
TRACER_CELL = f'w = GenerationTracer(load_model("smollm2-135m"), {PROMPT!r}, max_new_tokens={MAX_NEW_TOKENS})\nw'


def tracer(nb, code_cell: int) -> Locator:
    """The GenerationTracer root displayed by the ``code_cell``-th code cell."""
    return nb.code_cell(code_cell).locator(".ilw-generation-tracer")


def head_cell(root: Locator, layer: int, head: int) -> Locator:
    return root.locator(f'.ilw-head-cell[data-layer="{layer}"][data-head="{head}"]')


def lens_cell(root: Locator, layer: int, step: int) -> Locator:
    return root.locator(f'.ilw-lens-heatmap .ilw-lens-cell[data-layer="{layer}"][data-step="{step}"]')


def kernel_tokens(nb) -> list[str]:
    """The generated tokens, as the kernel sent them to the view."""
    return json.loads(nb.kernel_eval("__import__('json').dumps(w._tokens)"))


def check_grid(root: Locator) -> None:
    """All 30 x 9 heads of the step's attention are there, once each."""
    cells = root.locator(".ilw-head-cell[data-layer][data-head]")
    expect(cells).to_have_count(N_LAYERS * N_HEADS)
    pairs = cells.evaluate_all("els => els.map(e => `${e.dataset.layer},${e.dataset.head}`)")
    assert sorted(pairs) == sorted(f"{layer},{head}" for layer in range(N_LAYERS) for head in range(N_HEADS))


def check_lens(root: Locator, n_steps: int) -> None:
    """The lens heatmap has one cell per (lens row, step), once each."""
    cells = root.locator(".ilw-lens-heatmap .ilw-lens-cell[data-layer][data-step]")
    expect(cells).to_have_count(N_LENS_ROWS * n_steps)
    pairs = cells.evaluate_all("els => els.map(e => `${e.dataset.layer},${e.dataset.step}`)")
    assert sorted(pairs) == sorted(f"{layer},{step}" for layer in range(N_LENS_ROWS) for step in range(n_steps))


def check_shows_step(root: Locator, step: int, tokens: list[str]) -> None:
    """Slider, token list, step token and lens column all say ``step``."""
    expect(root.locator("input[type=range].ilw-step")).to_have_value(str(step))
    current = root.locator(f'.ilw-gen-token[data-step="{step}"]')
    expect(current).to_have_class(CURRENT)
    expect(root.locator(".ilw-gen-token.ilw-current")).to_have_count(1)
    expect(root.locator(".ilw-step-token")).to_contain_text(tokens[step].strip())
    expect(root.locator(f'.ilw-lens-cell[data-step="{step}"].ilw-current-step')).to_have_count(N_LENS_ROWS)
    expect(root.locator(".ilw-lens-cell.ilw-current-step")).to_have_count(N_LENS_ROWS)


def check_strip(nb, root: Locator, step: int, method: str) -> None:
    """The attribution strip shows the kernel's scores for ``step`` and ``method``, one cell per context token."""
    panel = root.locator(f'.ilw-tracer-attribution[data-step="{step}"][data-method="{method}"]')
    expect(panel).to_be_attached(timeout=180_000)  # a backward pass (or a few dozen forwards) on a busy machine
    expect(panel.locator(".ilw-attr-body")).not_to_have_class(re.compile("ilw-stale"))
    nb.kernel_exec("import json\nfrom interplab_widgets.widgets.wire import from_wire")
    a = "w._attribution"
    kernel = json.loads(
        nb.kernel_eval(
            f"json.dumps({{'step': {a}['step'], 'method': {a}['method'], 'n': len(w._prompt_tokens) + w.step, "
            f"'scores': from_wire({a}['scores']).tolist()}})"
        )
    )
    assert (kernel["step"], kernel["method"]) == (step, method)
    cells = panel.locator(".ilw-signed-cell")
    expect(cells).to_have_count(kernel["n"])
    shown = [float(s) for s in cells.evaluate_all("els => els.map(e => e.dataset.score)")]
    assert shown == pytest.approx(kernel["scores"], rel=1e-6, abs=1e-12)
    assert any(s != 0 for s in shown)


def test_generation_tracer_lab_then_notebook7(jupyter, open_notebook):
    name = "generation_tracer.ipynb"
    jupyter.write_notebook(name, [IMPORTS, TRACER_CELL])
    nb = open_notebook(name, "lab")
    started = time.monotonic()
    nb.run_all()
    root = nb.wait_rendered(tracer(nb, 1))
    print(f"\nrun all + render s: {time.monotonic() - started:.1f}  (JupyterLab)")
    expect(root.locator(".ilw-error")).to_be_hidden()
    tokens = kernel_tokens(nb)
    n_steps = len(tokens)
    # Greedy: " Paris", ",", " France", ".", then the end-of-sequence token stops it after 5 steps.
    assert tokens[0] == " Paris" and 3 < n_steps <= MAX_NEW_TOKENS
    check_grid(root)
    check_lens(root, n_steps)
    expect(root.locator(".ilw-gen-token[data-step]")).to_have_count(n_steps)
    expect(root.locator(".ilw-play")).to_be_visible()
    check_shows_step(root, 0, tokens)

    # View -> kernel: the slider to step 3.
    slider = root.locator("input[type=range].ilw-step")
    started = time.monotonic()
    slider.fill("3")  # sets the value and fires input + change, as a user's drag would
    check_shows_step(root, 3, tokens)
    print(f"slider-to-view s: {time.monotonic() - started:.2f}  (step 3, incl. Playwright polling)")
    nb.wait_kernel_value("w.step", "3")

    # A lens cell: its step and row reach the kernel, and the top-k of that cell comes back.
    cell = lens_cell(root, 28, 0)
    cell.click()
    expect(cell).to_have_class(SELECTED)
    expect(root.locator(".ilw-lens-cell.ilw-selected")).to_have_count(1)
    topk = root.locator('.ilw-topk[data-layer="28"][data-step="0"]')
    expect(topk.locator(".ilw-topk-row").first).to_contain_text("Paris")  # ' Paris' is top-1 from row 28 on
    nb.wait_kernel_value("(w.step, w.selected_layer)", "(0, 28)")
    check_shows_step(root, 0, tokens)

    # A head of the step's attention: its full row over the context.
    head_cell(root, 18, 6).click()
    row = root.locator('.ilw-head-row[data-layer="18"][data-head="6"][data-step="0"]')
    expect(row).to_be_attached()
    context = int(nb.kernel_eval("w.record.step_attention(0).shape[-1]"))
    expect(row.locator(".ilw-context-token")).to_have_count(context)
    nb.wait_kernel_value("w.selected_head", "6")
    nb.wait_kernel_value("(w.selected_attention_layer, w.selected_head)", "(18, 6)")

    # Kernel -> view already on screen: the step moves (to the last), the top-k and the head row follow it.
    last = n_steps - 1
    nb.kernel_exec(f"w.step = {last}")
    check_shows_step(root, last, tokens)
    expect(root.locator(f'.ilw-topk[data-layer="28"][data-step="{last}"]')).to_be_attached()
    expect(root.locator(f'.ilw-head-row[data-layer="18"][data-head="6"][data-step="{last}"]')).to_be_attached()
    check_grid(root)
    expect(root.locator(".ilw-error")).to_be_hidden()
    # A step past the end shows an error in the widget; the next good one clears it.
    nb.kernel_exec(f"w.step = {n_steps}")
    expect(root.locator(".ilw-error")).to_contain_text(f"step {n_steps} is out of range")
    nb.kernel_exec(f"w.step = {last}")
    expect(root.locator(".ilw-error")).to_be_hidden()
    check_shows_step(root, last, tokens)

    # The attribution mode: gradient x input (one backward pass), switched on, then a step, then another method.
    attribution = root.locator(".ilw-tracer-attribution")
    attribution.locator("select.ilw-attr-method-select").select_option("gradient_x_input")
    nb.wait_kernel_value("w.attribution_method", "gradient_x_input")
    attribution.locator(".ilw-attr-toggle").check()
    check_strip(nb, root, last, "gradient_x_input")
    nb.wait_kernel_value("w.show_attribution", "True")
    slider.fill("1")
    check_shows_step(root, 1, tokens)
    check_strip(nb, root, 1, "gradient_x_input")
    attribution.locator("select.ilw-attr-method-select").select_option("occlusion")
    check_strip(nb, root, 1, "occlusion")
    expect(attribution.locator(".ilw-attr-method")).to_have_text("occlusion")
    nb.wait_kernel_value("(w.step, w.attribution_method)", "(1, 'occlusion')")
    expect(root.locator(".ilw-error")).to_be_hidden()
    nb.screenshot("generation_tracer_lab", root)
    nb.screenshot_dark("generation_tracer_dark", root)

    # The same notebook in Notebook 7 (same kernel: the session outlives the JupyterLab page).
    nb7 = open_notebook(name, "notebook7")
    started = time.monotonic()
    nb7.run_all()
    root7 = nb7.wait_rendered(tracer(nb7, 1))
    print(f"run all + render s: {time.monotonic() - started:.1f}  (Notebook 7, same kernel)")
    check_grid(root7)
    check_lens(root7, n_steps)
    expect(root7.locator(".ilw-error")).to_be_hidden()
    check_shows_step(root7, 0, tokens)
    nb7.screenshot("generation_tracer_nb7", root7)
