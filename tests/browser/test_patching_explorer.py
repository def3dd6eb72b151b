"""PatchingExplorer end to end: SmolLM2-135M patching a prompt pair in a real kernel, the view in JupyterLab 4.

DOM contract checked here (the view is ``js/src/patching_explorer.ts``):

- root ``.ilw-patching-explorer``, ``ilw-is-busy`` while Python computes; ``select.ilw-component``;
  error banner ``.ilw-error``;
- grid box ``.ilw-patching-grid`` with ``data-rows``/``data-cols``, ``ilw-stale`` while it shows another
  component than the one asked for; one ``.ilw-patch-cell[data-layer][data-position]`` per (row, position),
  the selected one ``.ilw-selected``; token labels of positions where the prompts differ ``.ilw-token-diff``;
- cell panel ``.ilw-patch-cell-panel`` (``ilw-stale`` while it shows another cell than the selected one)
  with ``.ilw-head-bar[data-head]`` per head and ``ol.ilw-patch-top[data-run=clean|corrupted|patched] li``.

Kernel traits: ``component``, ``selected_layer``, ``selected_position``, ``_grid``, ``_cell``.

Run with ``-s`` to see the timings.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Locator, expect

pytestmark = pytest.mark.slow  # loads SmolLM2-135M in the kernel and patches every (layer, position)

N_HEADS = 9  # SmolLM2-135M
N_RESID_ROWS = 31  # the embeddings, then the residual after each of the 30 blocks
N_ATTN_ROWS = 30
CLEAN = "The Eiffel Tower is located in the city of"
CORRUPTED = "The Colosseum is located in the city of"
N_TOKENS = 10  # both prompts, SmolLM2's tokenizer
# Positions 1-3 differ: ' E' 'iffel' ' Tower' against ' Col' 'osse' 'um'.
DIFF_TOKENS = [" E", "iffel", " Tower", " Col", "osse", "um"]
LAYER, POSITION = 24, 9  # the residual after block 24 at the last token: patching it restores ' Paris'

# Python computes the whole resid grid in the constructor: minutes on a busy 2-core machine.
RUN_ALL_TIMEOUT = 480.0
SWITCH_TIMEOUT_MS = 300_000  # the attn grid and the cell again, from a comm message

STALE = re.compile(r"(^|\s)ilw-stale(\s|$)")
SELECTED = re.compile(r"(^|\s)ilw-selected(\s|$)")

IMPORTS = "from interplab_widgets import PatchingExplorer"
EXPLORER_CELL = f'w = PatchingExplorer("smollm2-135m", {CLEAN!r}, {CORRUPTED!r})\nw'

# Runs in the page, before the click: records when the cell is clicked (capture phase, so before the
# view's own handler) and when the panel first shows that cell's breakdown (not stale, one bar per head,
# the patched run's top tokens). Before the click the panel has no bars at all (nothing selected yet).
_ARM_TIMING_JS = """
([root, layer, position, nHeads]) => {
  const panel = root.querySelector('.ilw-patch-cell-panel');
  const cell = root.querySelector(`.ilw-patch-cell[data-layer="${layer}"][data-position="${position}"]`);
  const timing = { clickedAt: null, shownAt: null };
  root.__ilwTiming = timing;
  const shows = () => !panel.classList.contains('ilw-stale')
    && cell.classList.contains('ilw-selected')
    && panel.querySelectorAll('.ilw-head-bar').length === nHeads
    && panel.querySelectorAll('ol.ilw-patch-top[data-run="patched"] li').length > 0;
  cell.addEventListener('click', () => { timing.clickedAt = performance.now(); }, { capture: true, once: true });
  const obs = new MutationObserver(() => {
    if (timing.clickedAt !== null && shows()) { timing.shownAt = performance.now(); obs.disconnect(); }
  });
  obs.observe(root, { attributes: true, childList: true, subtree: true, characterData: true });
}
"""


def explorer(nb, code_cell: int) -> Locator:
    """The PatchingExplorer root displayed by the ``code_cell``-th code cell."""
    return nb.code_cell(code_cell).locator(".ilw-patching-explorer")


def patch_cell(root: Locator, layer: int, position: int) -> Locator:
    return root.locator(f'.ilw-patch-cell[data-layer="{layer}"][data-position="{position}"]')


def check_grid(root: Locator, n_rows: int) -> None:
    """``n_rows`` x 10 cells, once each, and some of them coloured (not all white: effects are not all 0)."""
    grid = root.locator(".ilw-patching-grid")
    expect(grid).to_have_attribute("data-rows", str(n_rows))
    expect(grid).to_have_attribute("data-cols", str(N_TOKENS))
    cells = grid.locator(".ilw-patch-cell[data-layer][data-position]")
    expect(cells).to_have_count(n_rows * N_TOKENS)
    pairs = cells.evaluate_all("els => els.map(e => `${e.dataset.layer},${e.dataset.position}`)")
    assert sorted(pairs) == sorted(f"{row},{p}" for row in range(n_rows) for p in range(N_TOKENS))
    colours = cells.evaluate_all("els => els.map(e => getComputedStyle(e).backgroundColor)")
    white = {"rgb(255, 255, 255)", "rgba(0, 0, 0, 0)", "transparent", ""}
    coloured = [c for c in colours if c not in white]
    assert len(coloured) >= N_TOKENS, f"only {len(coloured)} of {len(colours)} cells coloured: {set(colours)}"
    assert len(set(coloured)) > 1, f"every coloured cell has the same colour {set(coloured)}"


def check_panel(root: Locator) -> Locator:
    """The panel shows one bar per head and the top tokens of all three runs, not dimmed; returns it."""
    panel = root.locator(".ilw-patch-cell-panel")
    expect(panel).not_to_have_class(STALE)
    bars = panel.locator(".ilw-head-bars .ilw-head-bar[data-head]")
    expect(bars).to_have_count(N_HEADS)
    heads = bars.evaluate_all("els => els.map(e => e.dataset.head)")
    assert heads == [str(h) for h in range(N_HEADS)]
    for run in ("clean", "corrupted", "patched"):
        expect(panel.locator(f'ol.ilw-patch-top[data-run="{run}"] li').first).to_be_visible()
    return panel


def top_tokens(nb, run: str) -> list[str]:
    """The top tokens of ``run`` in the selected cell, as the kernel sent them to the view."""
    return json.loads(nb.kernel_eval(f"__import__('json').dumps([t for t, _ in w._cell['top'][{run!r}]])"))


def test_patching_explorer_heatmap_and_cell_breakdown(jupyter, open_notebook):
    name = "patching_explorer.ipynb"
    jupyter.write_notebook(name, [IMPORTS, EXPLORER_CELL])
    nb = open_notebook(name, "lab")
    started = time.monotonic()
    nb.run_all(timeout=RUN_ALL_TIMEOUT)
    root = nb.wait_rendered(explorer(nb, 1), timeout=120)
    print(f"\nrun all + render s: {time.monotonic() - started:.1f}  (model load + resid grid, JupyterLab)")

    # The heatmap: 31 x 10 coloured cells under the two prompts' tokens, no error.
    expect(root.locator(".ilw-error")).to_be_hidden()
    check_grid(root, N_RESID_ROWS)
    expect(root.locator(".ilw-patching-grid")).not_to_have_class(STALE)
    expect(root.locator("select.ilw-component")).to_have_value("resid")
    diff = root.locator(".ilw-patching-grid .ilw-token-diff")
    expect(diff).to_have_count(len(DIFF_TOKENS))
    # textContent, not Playwright's whitespace-normalised text: the leading space is part of the token.
    assert diff.evaluate_all("els => els.map(e => e.textContent)") == DIFF_TOKENS
    for token in (" Tower", "um"):
        expect(diff.nth(DIFF_TOKENS.index(token))).to_be_visible()
    expect(root.locator(".ilw-patch-cell.ilw-selected")).to_have_count(0)
    expect(root.locator(".ilw-patch-cell-panel .ilw-head-bar")).to_have_count(0)

    # View -> kernel -> view: a click on a cell brings its per-head breakdown from the kernel.
    cell = patch_cell(root, LAYER, POSITION)
    cell.scroll_into_view_if_needed()
    nb.page.evaluate(_ARM_TIMING_JS, [root.element_handle(), LAYER, POSITION, N_HEADS])
    cell.click()
    expect(cell).to_have_class(SELECTED)
    expect(root.locator(".ilw-patch-cell.ilw-selected")).to_have_count(1)
    nb.page.wait_for_function(
        "root => root.__ilwTiming.shownAt !== null", arg=root.element_handle(), timeout=120_000, polling=100
    )
    timing = root.evaluate("root => root.__ilwTiming")
    click_ms = timing["shownAt"] - timing["clickedAt"]
    print(f"click-to-panel ms: {click_ms:.1f}  (resid row {LAYER}, position {POSITION}; kernel round trip)")
    panel = check_panel(root)
    nb.wait_kernel_value("(w.selected_layer, w.selected_position, w._cell['layer'])", f"({LAYER}, {POSITION}, {LAYER})")
    nb.wait_kernel_value(
        "(w._cell['component'], w._cell['position'], w._cell['head_layer'])", f"('resid', {POSITION}, {LAYER - 1})"
    )
    patched = top_tokens(nb, "patched")
    assert patched[0] == " Paris", patched  # the clean answer is back: the corrupted run alone says ' Rome'
    assert top_tokens(nb, "corrupted")[0] == " Rome"
    shown = panel.locator('ol.ilw-patch-top[data-run="patched"] li').evaluate_all("els => els.map(e => e.textContent)")
    assert len(shown) == len(patched)
    assert shown[0].startswith(" Paris") and re.search(r"\d+(\.\d+)?%$", shown[0]), shown[0]
    assert all(text.startswith(token) for text, token in zip(shown, patched, strict=True)), (shown, patched)
    expect(root.locator(".ilw-error")).to_be_hidden()
    nb.screenshot("patching_explorer", root)
    nb.screenshot_dark("patching_explorer_dark", root)

    # Another component, chosen in the view: the kernel computes the attn grid, the same cell follows.
    started = time.monotonic()
    root.locator("select.ilw-component").select_option("attn")
    grid = root.locator(".ilw-patching-grid")
    expect(grid).to_have_class(STALE)  # the resid grid, dimmed, until Python sends the attn one
    expect(grid).not_to_have_class(STALE, timeout=SWITCH_TIMEOUT_MS)
    print(f"component switch s: {time.monotonic() - started:.1f}  (attn grid + cell, incl. Playwright polling)")
    nb.wait_kernel_value("(w.component, w._grid['component'])", "('attn', 'attn')")
    nb.wait_kernel_value(
        "(w._cell['component'], w._cell['layer'], w._cell['head_layer'])", f"('attn', {LAYER}, {LAYER})"
    )
    expect(root.locator("select.ilw-component")).to_have_value("attn")
    check_grid(root, N_ATTN_ROWS)
    expect(cell).to_have_class(SELECTED)
    check_panel(root)
    expect(root.locator(".ilw-error")).to_be_hidden()
    nb.screenshot("patching_explorer_attn", root)
