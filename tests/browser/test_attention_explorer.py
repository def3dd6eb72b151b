"""AttentionExplorer end to end: SmolLM2-135M in a real kernel, the view in JupyterLab 4 and Notebook 7.

DOM contract checked here (the view is ``js/src/attention_explorer.ts``):

- root ``.ilw-attention-explorer``; grid cells ``.ilw-head-cell[data-layer][data-head]``, the
  selected one ``.ilw-selected``;
- tokens ``.ilw-token-strip .ilw-token[data-token-index]``, hovered ``.ilw-hover``, pinned ``.ilw-pinned``;
- detail panel ``.ilw-detail`` with ``data-layer``, ``data-head``, ``data-mode`` of what it draws and
  ``data-paint-ms``, the click-to-paint time of the last selection made in the view;
- text editor ``.ilw-text`` + ``.ilw-run``; error banner ``.ilw-error``.

Kernel traits: ``text``, ``selected_layer``, ``selected_head``, ``selected_token``, ``mode``.

Run with ``-s`` to see the click-to-paint times.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, expect

from .test_live import start_and_ping

pytestmark = pytest.mark.slow  # loads SmolLM2-135M in the kernel

N_LAYERS, N_HEADS = 30, 9  # SmolLM2-135M
TEXT = "The cat sat on the mat because it was tired."
NEW_TEXT = "Paris is the capital of France."
HOSTILE = "<img src=x onerror=alert(1)>"
SELECTED = re.compile(r"(^|\s)ilw-selected(\s|$)")
HOVER = re.compile(r"(^|\s)ilw-hover(\s|$)")
PINNED = re.compile(r"(^|\s)ilw-pinned(\s|$)")

IMPORTS = "from interplab_widgets import AttentionExplorer, load_model"

# A text of about 4,096 SmolLM2 tokens (the exact count is read back from the kernel).
LONG_TEXT_CELL = """
model = load_model("smollm2-135m")
sentence = "The quick brown fox jumps over the lazy dog while the cat sat on the mat because it was tired. "
long_text = model.tokenizer.decode(model.tokenizer(sentence * 220)["input_ids"][:4096])
w = AttentionExplorer(model, long_text, selected_layer=3)
w
"""
FIRST_DISPLAY_BYTES = "(lambda s: sum(len(b) for b in s[2]) + len(json.dumps(s[0])))(_remove_buffers(w.get_state()))"

ANSWERED = "w._status.get('request') == w._request and w._status['state'] == 'done'"

# Runs in the page: click a grid cell and resolve with the time from the click event to the moment the
# detail panel says it shows that head (an independent check of the view's own data-paint-ms).
_CLICK_AND_TIME_JS = """
async ([root, layer, head]) => {
  const detail = root.querySelector('.ilw-detail');
  const cell = root.querySelector(`.ilw-head-cell[data-layer="${layer}"][data-head="${head}"]`);
  const shows = () => detail.dataset.layer === String(layer) && detail.dataset.head === String(head)
                      && detail.dataset.paintMs !== undefined;
  delete detail.dataset.paintMs;
  let clickedAt = null;
  cell.addEventListener('click', () => { clickedAt = performance.now(); }, { capture: true, once: true });
  const painted = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      if (clickedAt !== null && shows()) { obs.disconnect(); resolve(performance.now()); }
    });
    obs.observe(detail, { attributes: true });
  });
  cell.scrollIntoView({ block: 'center' });
  cell.click();
  const paintedAt = await painted;
  return { observedMs: paintedAt - clickedAt, paintMs: Number(detail.dataset.paintMs) };
}
"""


def explorer(nb, code_cell: int) -> Locator:
    """The AttentionExplorer root displayed by the ``code_cell``-th code cell."""
    return nb.code_cell(code_cell).locator(".ilw-attention-explorer")


def head_cell(root: Locator, layer: int, head: int) -> Locator:
    return root.locator(f'.ilw-head-cell[data-layer="{layer}"][data-head="{head}"]')


def detail_showing(root: Locator, layer: int, head: int) -> Locator:
    return root.locator(f'.ilw-detail[data-layer="{layer}"][data-head="{head}"]')


def check_grid(root: Locator) -> None:
    """All 30 x 9 heads are there, once each."""
    cells = root.locator(".ilw-head-cell[data-layer][data-head]")
    expect(cells).to_have_count(N_LAYERS * N_HEADS)
    pairs = cells.evaluate_all("els => els.map(e => `${e.dataset.layer},${e.dataset.head}`)")
    assert sorted(pairs) == sorted(f"{layer},{head}" for layer in range(N_LAYERS) for head in range(N_HEADS))


def click_and_time(nb, root: Locator, layer: int, head: int) -> dict[str, float]:
    """Click a head in the grid; return the view's data-paint-ms and the independently observed time."""
    timing = nb.page.evaluate(_CLICK_AND_TIME_JS, [root.element_handle(), layer, head])
    expect(detail_showing(root, layer, head)).to_be_attached()
    return timing


def test_attention_explorer_lab_then_notebook7(jupyter, open_notebook):
    name = "attention_explorer.ipynb"
    jupyter.write_notebook(name, [IMPORTS, f'w = AttentionExplorer(load_model("smollm2-135m"), {TEXT!r})\nw'])
    nb = open_notebook(name, "lab")
    nb.run_all()
    root = nb.wait_rendered(explorer(nb, 1))
    check_grid(root)
    expect(root.locator(".ilw-error")).to_be_hidden()
    expect(root.locator(".ilw-token-strip")).to_have_text(TEXT)

    # View -> kernel: click head (5, 3).
    cell = head_cell(root, 5, 3)
    cell.click()
    expect(cell).to_have_class(SELECTED)
    expect(root.locator(".ilw-head-cell.ilw-selected")).to_have_count(1)
    detail = detail_showing(root, 5, 3)
    expect(detail).to_have_attribute("data-mode", "raw")
    expect(detail).to_have_attribute("data-paint-ms", re.compile(r"^\d+(\.\d+)?$"))
    paint_ms = float(detail.get_attribute("data-paint-ms"))
    print(f"\nclick-to-paint ms: {paint_ms:.1f}  (layer 5 head 3, {len(TEXT)} chars, JupyterLab)")
    nb.wait_kernel_value("(w.selected_layer, w.selected_head)", "(5, 3)")

    # The same once more with an independent clock, and a different head.
    timing = click_and_time(nb, root, 12, 7)
    print(f"click-to-paint ms: {timing['paintMs']:.1f}  (observed {timing['observedMs']:.1f}; layer 12 head 7)")
    assert 0 < timing["paintMs"] <= timing["observedMs"] + 1.0
    nb.wait_kernel_value("(w.selected_layer, w.selected_head)", "(12, 7)")

    # Hover previews a token, in the view only.
    token = root.locator('.ilw-token-strip .ilw-token[data-token-index="2"]')
    expect(token).to_have_text(" sat")
    token.hover()
    expect(token).to_have_class(HOVER)
    expect(root.locator(".ilw-token-strip .ilw-token.ilw-hover")).to_have_count(1)
    # Clicking pins it, in the kernel too.
    token.click()
    expect(token).to_have_class(PINNED)
    nb.wait_kernel_value("w.selected_token", "2")

    # New text typed in the view: the kernel re-traces and the strip shows the new tokens.
    root.locator(".ilw-text").fill(NEW_TEXT)
    root.locator(".ilw-run").click()
    expect(root.locator(".ilw-token-strip")).to_have_text(NEW_TEXT)
    expect(root.locator('.ilw-token[data-token-index="0"]')).to_have_text("Paris")
    nb.wait_kernel_value("w.text", NEW_TEXT)
    expect(root.locator(".ilw-error")).to_be_hidden()

    # Kernel -> view already on screen.
    nb.kernel_exec("w.selected_layer = 7")
    expect(detail_showing(root, 7, 7)).to_be_attached()
    expect(head_cell(root, 7, 7)).to_have_class(SELECTED)
    nb.screenshot("attention_explorer_lab", root)
    nb.screenshot_dark("attention_explorer_dark", root)

    # Role badges from head_roles (L18H6 is SmolLM2's strongest induction head, 0.89).
    expect(head_cell(root, 18, 6).locator(".ilw-role-badge")).to_have_text("induction")
    # Every detail mode, chosen in the view, reaches the kernel and comes back drawn.
    for mode in ("rollout", "flow", "norm", "raw"):
        root.locator("select.ilw-mode").select_option(mode)
        expect(root.locator(f'.ilw-detail[data-mode="{mode}"]')).to_be_attached()
        nb.wait_kernel_value("w.mode", mode)
    # A bad selection shows an error in the widget; the next good one clears it.
    nb.kernel_exec("w.selected_layer = 99")
    expect(root.locator(".ilw-error")).to_contain_text("layer 99 is out of range")
    nb.kernel_exec("w.selected_layer = 3")
    expect(root.locator(".ilw-error")).to_be_hidden()
    expect(detail_showing(root, 3, 7)).to_be_attached()

    # The same notebook in Notebook 7 (same kernel: the session outlives the JupyterLab page).
    nb7 = open_notebook(name, "notebook7")
    nb7.run_all()
    root7 = nb7.wait_rendered(explorer(nb7, 1))
    check_grid(root7)
    expect(root7.locator(".ilw-token-strip")).to_have_text(TEXT)
    head_cell(root7, 2, 1).click()
    expect(detail_showing(root7, 2, 1)).to_be_attached()
    nb7.wait_kernel_value("(w.selected_layer, w.selected_head)", "(2, 1)")
    nb7.screenshot("attention_explorer_nb7", root7)


def test_attention_explorer_hostile_text(jupyter, open_notebook, page_problems):
    name = "attention_explorer_hostile.ipynb"
    jupyter.write_notebook(name, [IMPORTS, f'display(AttentionExplorer(load_model("smollm2-135m"), {HOSTILE!r}))'])
    nb = open_notebook(name, "lab")
    nb.run_all()
    root = nb.wait_rendered(explorer(nb, 1))
    strip = root.locator(".ilw-token-strip")
    expect(strip).to_have_text(HOSTILE)  # spread over several token spans, literally
    expect(root.locator(".ilw-text")).to_have_value(HOSTILE)
    expect(nb.page.locator(".jp-OutputArea img[src='x']")).to_have_count(0)
    nb.let_image_errors_fire()
    assert page_problems.dialogs == []
    nb.screenshot("attention_explorer_hostile", root)


def test_attention_explorer_at_4096_tokens_zooms_pans_and_keeps_the_kernel_free(jupyter, open_notebook):
    """Long inputs (#19): the view renders 4,096 tokens from a small first display, zoom and pan fetch the
    visible window from the kernel (block maxima, then exact), a pinned token's rollout row shows, flow
    refuses with what to cut, and a `1` in the same kernel answers while a long request runs."""
    name = "attention_explorer_long.ipynb"
    jupyter.write_notebook(name, [IMPORTS, LONG_TEXT_CELL])
    nb = open_notebook(name, "lab")
    nb.run_all(timeout=900)  # a 4,096-token forward and 30 layers of chunked scores, on 2 shared cores
    root = nb.wait_rendered(explorer(nb, 1), timeout=300)
    check_grid(root)
    n = int(nb.kernel_eval("w.trace.n_tokens"))
    assert 4000 <= n <= 4100
    nb.kernel_exec(
        "import json\nfrom ipywidgets.widgets.widget import _remove_buffers\n"
        "from interplab_widgets.widgets.wire import from_wire"
    )
    first_display = int(nb.kernel_eval(FIRST_DISPLAY_BYTES))
    print(f"\nfirst display at {n} tokens: {first_display / 1e6:.2f} MB")
    assert first_display < 2 * 2**20
    expect(root.locator(".ilw-token-strip .ilw-token")).to_have_count(512)  # one page of the strip
    expect(root.locator(".ilw-strip-page")).to_have_text(f"tokens 0–511 of {n}")
    heatmap = root.locator(".ilw-heatmap")
    expect(heatmap).to_have_attribute("data-window", f"0,{n},0,{n}")
    expect(heatmap).to_have_attribute("data-exact", "false")

    timing = click_and_time(nb, root, 20, 8)
    print(f"click-to-paint ms ({n} tokens): {timing['paintMs']:.1f} (observed {timing['observedMs']:.1f})")
    nb.wait_kernel_value("(w.selected_layer, w.selected_head)", "(20, 8)")

    canvas = root.locator(".ilw-heatmap-canvas")

    def point_on_canvas() -> tuple[float, float]:
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        return box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6

    def fetched_window(action) -> list[int]:
        """Do ``action`` in the view; wait until the kernel has a new window, has answered it and the panel
        paints it; return it."""
        before = nb.kernel_eval("w.detail_window")
        action()
        nb.wait_kernel_value(f"w.detail_window != {before}", "True", timeout=60)
        nb.wait_kernel_value(f"{ANSWERED} and w._detail['window']['bounds'] == w.detail_window", "True", timeout=120)
        bounds = [int(v) for v in nb.kernel_eval("w.detail_window").strip("[]").split(",")]
        expect(heatmap).to_have_attribute("data-window", ",".join(map(str, bounds)), timeout=30_000)
        return bounds

    def zoom() -> None:
        nb.page.mouse.move(*point_on_canvas())
        nb.page.mouse.wheel(0, -600)

    def pan() -> None:  # drag the matrix left and up: the window moves down and right
        x, y = point_on_canvas()
        nb.page.mouse.move(x, y)
        nb.page.mouse.down()
        nb.page.mouse.move(x - 120, y - 80, steps=8)
        nb.page.mouse.up()

    windows = []
    for _ in range(12):  # zoom in about a point until one cell is one token pair
        windows.append(fetched_window(zoom))
        if heatmap.get_attribute("data-exact") == "true":
            break
    q0, q1, k0, k1 = windows[-1]
    assert heatmap.get_attribute("data-exact") == "true" and q1 - q0 <= 256 and k1 - k0 <= 256
    sides = [w[1] - w[0] for w in windows]
    assert len(windows) >= 2 and sides == sorted(sides, reverse=True) and sides[0] > sides[-1]  # each one smaller
    panned = fetched_window(pan)
    assert panned[0] > q0 and panned[2] > k0
    nb.screenshot("attention_explorer_4096_zoomed", root)

    # A pinned token's rollout through all 30 layers is long: the kernel answers a `1` meanwhile; cancel.
    head_cell(root, 29, 0).click()
    nb.wait_kernel_value("w.selected_layer", "29")
    root.locator('.ilw-token-strip .ilw-token[data-token-index="100"]').click()
    nb.wait_kernel_value("w.selected_token", "100")
    nb.wait_kernel_value(ANSWERED, "True", timeout=300)  # the pin's answer: what a cancel goes back to
    waited, state = start_and_ping(nb, root, "w", "select.ilw-mode", "rollout")
    print(f"a `1` waited {waited:.3f} s while the rollout row ran ({state})")
    assert state == "(1, 'running')"
    root.locator(".ilw-cancel").click()
    nb.wait_kernel_value("(w._status['state'], w.mode, w.selected_token)", "('cancelled', 'raw', 100)", timeout=120)
    # Through layers 0..3 it is quick: the pinned token's row, the other rows not computed.
    head_cell(root, 3, 0).click()
    nb.wait_kernel_value("w.selected_layer", "3")
    root.locator("select.ilw-mode").select_option("rollout")
    nb.wait_kernel_value("w.mode", "rollout")
    nb.wait_kernel_value(ANSWERED, "True", timeout=300)
    shown = "(w._detail['mode'], w._detail['layer'], from_wire(w._detail['rows']).tolist())"
    assert nb.kernel_eval(shown) == "('rollout', 3, [100])"
    expect(root.locator('.ilw-detail[data-mode="rollout"][data-layer="3"]')).to_be_attached()
    root.locator("select.ilw-mode").select_option("flow")
    expect(root.locator(".ilw-error")).to_contain_text(f"Flow through layers 0..3 at {n} tokens", timeout=60_000)
    expect(root.locator(".ilw-error")).to_contain_text("use rollout")
    nb.screenshot("attention_explorer_4096_rollout", root)
