"""ProjectionExplorer end to end: the scatter, selections answered by the kernel, a linked ProbeView, and the
frame times of panning 100 000 points, in a real JupyterLab 4.

DOM contract checked here (the view is ``js/src/projection_explorer.ts``; /tmp/contracts/projection_view.md):

- root ``.ilw-projection-explorer``; mode buttons ``button.ilw-mode[data-mode=pan|box|lasso]`` (``ilw-active``);
  layer slider ``input.ilw-layer-slider``; error banner ``.ilw-error``;
- scatter box ``.ilw-scatter`` with ``data-points``, ``data-layer``, ``data-method``, ``data-renderer``
  (``webgl`` | ``canvas2d``), holding one ``canvas``;
- selection panel ``.ilw-selection-count`` ("N points selected"), ``li.ilw-context[data-point]`` per context
  the kernel sent (the point's token in a ``<mark>``), ``button.ilw-probe-selection`` and ``.ilw-probe-result``.

The ProbeView is a bqplot Figure with class ``ilw-probe-view``; its clickable Scatter mark draws one
``g.object_grp`` (holding a ``path.dot``) per layer, in layer order.

Kernel traits: ``selected_layer``, ``selected_points``, ``_selection``, ``_probe``; ProbeView ``selected_layer``.

Run with ``-s`` to see the timings (selection round trip, chart click to new layer, pan/zoom frame intervals).
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, expect

pytestmark = pytest.mark.slow  # loads SmolLM2-135M in the kernel and harvests a dataset

N_NEGATION = 576  # sentences in the "negation" dataset, one point each
FIRST_LAYER, CLICKED_LAYER = 16, 4
N_BIG = 100_000
ACTIVE = re.compile(r"(^|\s)ilw-active(\s|$)")
STALE = re.compile(r"(^|\s)ilw-stale(\s|$)")
ACCURACY = re.compile(r"accuracy \d+(\.\d+)?%")

# Harvest + probes of the negation dataset at every layer: about a minute on a busy 2-core machine
# (the harvest is cached on disk, so the ProjectionExplorer reuses it).
RUN_ALL_TIMEOUT = 480.0

LINKED_CELL = """
import ipywidgets
from interplab_widgets import ProbeView, ProjectionExplorer, load_dataset, load_model

model = load_model("smollm2-135m")
ds = load_dataset("negation")
chart = ProbeView(model, ds)
w = ProjectionExplorer(model, ds, layer=16)
ipywidgets.link((w, "selected_layer"), (chart, "selected_layer"))
ipywidgets.VBox([chart, w])
"""

# 100 000 token points from 2 000 short texts, 2 layers of 8 random features in 5 clusters: a real
# ProjectionExplorer with a Harvest built by hand, so the only cost is PCA on 100k x 8 (instant).
BIG_CELL = f"""
import numpy as np
from interplab_widgets import ProjectionExplorer, load_model
from interplab_widgets.capture.harvest import Harvest

rng = np.random.default_rng(0)
n_texts, per_text, d, n_clusters = 2_000, 50, 8, 5
vocab = ["red", "green", "blue", "cat", "dog", "runs", "sleeps", "the", "a", "big", "small", "and", "not"]
texts, starts, ends, tokens = [], [], [], []
for i in range(n_texts):
    words = [vocab[(i + 5 * j) % len(vocab)] for j in range(per_text)]
    at = 0
    for word in words:
        starts.append(at)
        ends.append(at + len(word))
        tokens.append(word)
        at += len(word) + 1
    texts.append(" ".join(words))
n = n_texts * per_text
assert n == {N_BIG}
cluster = rng.integers(0, n_clusters, n)
centres = rng.normal(0.0, 4.0, (n_clusters, d))
activations = {{
    layer: (centres[cluster] * (1 + layer) + rng.normal(0.0, 1.0, (n, d))).astype(np.float32) for layer in (0, 1)
}}
big = Harvest(
    model_name="smollm2-135m",
    texts=texts,
    layers=[0, 1],
    unit="token",
    pooling="mean",
    activations=activations,
    text_index=np.repeat(np.arange(n_texts), per_text).astype(np.int32),
    token_index=np.tile(np.arange(per_text), n_texts).astype(np.int32),
    start=np.array(starts, dtype=np.int32),
    end=np.array(ends, dtype=np.int32),
    tokens=tokens,
)
labels = [f"cluster {{c}}" for c in cluster]
w = ProjectionExplorer(load_model("smollm2-135m"), big, method="pca", layer=1, labels=labels)
w
"""

# Runs in the page: how many canvas pixels differ from the top-left one (the background), and a hash of
# the picture (to tell that a pan changed it). Reads the WebGL canvas through drawImage, which needs
# preserveDrawingBuffer: true (else it comes back blank).
_CANVAS_PIXELS_JS = """
canvas => {
  const c = document.createElement('canvas');
  c.width = canvas.width; c.height = canvas.height;
  const ctx = c.getContext('2d');
  ctx.drawImage(canvas, 0, 0);
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  let painted = 0, hash = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2] || data[i + 3] !== data[3]) {
      painted++;
    }
    hash = (hash * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2] + 17 * data[i + 3]) | 0;
  }
  return { width: c.width, height: c.height, painted, hash };
}
"""

# Runs in the page before a box selection: records when the pointer is released on the scatter and when
# the panel first shows the count and (not stale) the kernel's contexts for a non-empty selection.
_ARM_SELECTION_JS = """
root => {
  const scatter = root.querySelector('.ilw-scatter');
  const timing = { releasedAt: null, countAt: null, contextsAt: null };
  root.__ilwSelection = timing;
  const count = () => Number((root.querySelector('.ilw-selection-count')?.textContent || '').replace(/[^0-9]/g, ''));
  const released = () => { timing.releasedAt = performance.now(); };
  scatter.addEventListener('pointerup', released, { capture: true, once: true });
  const obs = new MutationObserver(() => {
    if (timing.releasedAt === null) return;
    if (timing.countAt === null && count() > 0) timing.countAt = performance.now();
    const list = root.querySelector('ol.ilw-contexts');
    if (timing.contextsAt === null && list && !list.classList.contains('ilw-stale')
        && list.querySelectorAll('li.ilw-context').length > 0) {
      timing.contextsAt = performance.now();
    }
    if (timing.countAt !== null && timing.contextsAt !== null) obs.disconnect();
  });
  obs.observe(root, { attributes: true, childList: true, subtree: true, characterData: true });
}
"""

# Runs in the page before the chart click: when the click happens (capture phase on the figure) and when
# the scatter first shows the points of `layer`.
_ARM_LAYER_JS = """
([figure, root, layer]) => {
  const scatter = root.querySelector('.ilw-scatter');
  const timing = { clickedAt: null, shownAt: null };
  root.__ilwLayer = timing;
  figure.addEventListener('click', () => { timing.clickedAt = performance.now(); }, { capture: true, once: true });
  const obs = new MutationObserver(() => {
    const shows = scatter.dataset.layer === String(layer) && !scatter.classList.contains('ilw-stale');
    if (timing.clickedAt !== null && shows) {
      timing.shownAt = performance.now();
      obs.disconnect();
    }
  });
  obs.observe(scatter, { attributes: true });
}
"""

# The WebGL implementation behind the scatter (headless Chromium with --disable-gpu: SwiftShader).
_GL_RENDERER_JS = """
() => {
  const gl = document.createElement('canvas').getContext('webgl');
  if (!gl) return 'no WebGL';
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
}
"""

# requestAnimationFrame timestamps from start() until stop(), and when the scatter redrew: WebGL drawArrays
# (one per paint) or Canvas2D clearRect (once per paint), wrapped on the prototypes while recording.
_FRAMES_START_JS = """
() => {
  const rec = { frames: [], draws: [], running: true, restore: [] };
  window.__ilwFrames = rec;
  const wrap = (proto, name) => {
    if (!proto || !proto[name]) return;
    const original = proto[name];
    proto[name] = function (...args) { rec.draws.push(performance.now()); return original.apply(this, args); };
    rec.restore.push(() => { proto[name] = original; });
  };
  wrap(window.WebGLRenderingContext?.prototype, 'drawArrays');
  wrap(window.WebGL2RenderingContext?.prototype, 'drawArrays');
  wrap(window.CanvasRenderingContext2D?.prototype, 'clearRect');
  const loop = t => { rec.frames.push(t); if (rec.running) requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
}
"""
_FRAMES_STOP_JS = """
() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
  const rec = window.__ilwFrames;
  rec.running = false;
  rec.restore.forEach(f => f());
  resolve({ frames: rec.frames, draws: rec.draws });
})))
"""


def explorer(nb, code_cell: int) -> Locator:
    """The ProjectionExplorer root displayed by the ``code_cell``-th code cell."""
    return nb.code_cell(code_cell).locator(".ilw-projection-explorer")


def selection_count(root: Locator) -> int:
    text = root.locator(".ilw-selection-count").text_content() or ""
    match = re.search(r"([\d,]+) points? selected", text)
    assert match, f"unexpected selection count text {text!r}"
    return int(match.group(1).replace(",", ""))


def check_scatter(root: Locator, n_points: int, layer: int) -> tuple[Locator, dict]:
    """The scatter box draws ``n_points`` of ``layer`` on one canvas of nonzero size; returns it and its pixels."""
    scatter = root.locator(".ilw-scatter")
    expect(scatter).to_have_attribute("data-points", str(n_points))
    expect(scatter).to_have_attribute("data-layer", str(layer))
    expect(scatter).to_have_attribute("data-method", "pca")
    expect(scatter).to_have_attribute("data-renderer", re.compile(r"^(webgl|canvas2d)$"))
    expect(scatter).not_to_have_class(STALE)
    expect(scatter.locator("canvas")).to_have_count(1)
    canvas = scatter.locator("canvas")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100, box
    outer = scatter.bounding_box()
    assert abs(box["width"] - outer["width"]) <= 4 and abs(box["height"] - outer["height"]) <= 4, (box, outer)
    backing = canvas.evaluate("c => [c.width, c.height, devicePixelRatio]")
    assert abs(backing[0] - box["width"] * backing[2]) <= 2, (backing, box)  # devicePixelRatio-aware
    # Painting happens on the next animation frame after the points arrive.
    root.page.wait_for_function(
        f"c => ({_CANVAS_PIXELS_JS})(c).painted > 0", arg=canvas.element_handle(), timeout=30_000, polling=100
    )
    pixels = canvas.evaluate(_CANVAS_PIXELS_JS)
    return scatter, {"box": box, **pixels}


def record_frames(page, action: Callable[[], None]) -> dict[str, float]:
    """Run ``action`` (mouse input) while recording animation frames; see `frame_stats`."""
    page.evaluate(_FRAMES_START_JS)
    action()
    recorded = page.evaluate(_FRAMES_STOP_JS)
    stats = frame_stats(recorded["frames"], recorded["draws"])
    assert stats["frames"] >= 2, stats
    return stats


def describe_frames(what: str, s: dict[str, float]) -> str:
    text = (
        f"{what}: {s['frames']} frames over {s['span']:.0f} ms, frame interval median {s['median']:.1f} ms, "
        f"p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms; {s['draws']} redraws"
    )
    if s["draws"]:
        text += f", frames with a redraw: median {s['redraw_median']:.1f} ms, p95 {s['redraw_p95']:.1f} ms"
    return text


def hover_some_point(page, canvas: Locator, tooltip: Locator) -> tuple[float, float]:
    """Move the mouse over a grid of positions on ``canvas`` until the tooltip shows; returns where."""
    b = canvas.bounding_box()
    for fy in (0.5, 0.3, 0.7, 0.15, 0.85):
        for i in range(1, 16):
            x, y = b["x"] + b["width"] * i / 16, b["y"] + b["height"] * fy
            page.mouse.move(x, y)
            if tooltip.is_visible():
                return x, y
    raise AssertionError("no tooltip anywhere on a 15 x 5 grid over the scatter")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def frame_stats(frames: list[float], draws: list[float]) -> dict[str, float]:
    """Intervals between animation frames (ms): all of them, and those of frames in which the scatter redrew
    (the interval from the frame whose callbacks drew to the next one, which includes the paint)."""
    intervals = [b - a for a, b in itertools.pairwise(frames)]
    redraw = [b - a for a, b in itertools.pairwise(frames) if any(a <= t < b for t in draws)]
    return {
        "frames": len(frames),
        "span": frames[-1] - frames[0],
        "median": statistics.median(intervals),
        "p95": percentile(intervals, 0.95),
        "max": max(intervals),
        "draws": len(draws),
        "redraw_median": statistics.median(redraw) if redraw else float("nan"),
        "redraw_p95": percentile(redraw, 0.95) if redraw else float("nan"),
    }


def test_projection_explorer_selection_probe_and_linked_chart(jupyter, open_notebook):
    name = "projection_explorer.ipynb"
    jupyter.write_notebook(name, [LINKED_CELL])
    nb = open_notebook(name, "lab")
    nb.run_all(timeout=RUN_ALL_TIMEOUT)
    root = nb.wait_rendered(explorer(nb, 0), timeout=120)
    page = nb.page

    # Linking copies the explorer's layer to the chart: both on layer 16, no error.
    state = nb.kernel_eval("(w.selected_layer, w._error, chart.selected_layer)")
    assert state.startswith(f"({FIRST_LAYER}, '', "), (
        f"after ipywidgets.link: (w.selected_layer, w._error, ...) = {state}"
    )

    # The scatter: 576 sentence points of layer 16, painted.
    expect(root.locator(".ilw-error")).to_be_hidden()
    scatter, pixels = check_scatter(root, N_NEGATION, FIRST_LAYER)
    renderer = scatter.get_attribute("data-renderer")
    print(
        f"\nscatter: {N_NEGATION} points, renderer {renderer}, canvas {pixels['width']}x{pixels['height']} px, "
        f"{pixels['painted']} painted pixels"
    )
    expect(root).to_have_attribute("data-lm-suppress-shortcuts", "true")
    expect(root.locator("input.ilw-layer-slider")).to_have_value(str(FIRST_LAYER))  # _layers is 0..30
    expect(root.locator('button.ilw-mode[data-mode="pan"]')).to_have_class(ACTIVE)
    expect(root.locator(".ilw-selection-count")).to_have_text(re.compile(r"^0 points selected"))
    expect(root.locator("button.ilw-probe-selection")).to_be_disabled()

    # Box selection over the left half of the canvas: the ids reach the kernel, its contexts come back.
    box_button = root.locator('button.ilw-mode[data-mode="box"]')
    box_button.click()
    expect(box_button).to_have_class(ACTIVE)
    expect(scatter).to_have_attribute("data-mode", "box")
    canvas = scatter.locator("canvas")
    canvas.scroll_into_view_if_needed()
    b = canvas.bounding_box()
    x0, y0, x1, y1 = b["x"] + 4, b["y"] + 4, b["x"] + b["width"] / 2, b["y"] + b["height"] - 4
    page.evaluate(_ARM_SELECTION_JS, root.element_handle())
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=12)
    page.mouse.up()
    page.wait_for_function(
        "root => root.__ilwSelection.contextsAt !== null", arg=root.element_handle(), timeout=60_000, polling=100
    )
    timing = root.evaluate("root => root.__ilwSelection")
    n_selected = int(nb.kernel_eval("len(w.selected_points)"))
    assert 0 < n_selected < N_NEGATION, n_selected
    assert selection_count(root) == n_selected
    assert int(nb.kernel_eval("w._selection['count']")) == n_selected
    print(
        f"box selection: {n_selected} points; release-to-count ms {timing['countAt'] - timing['releasedAt']:.1f}, "
        f"release-to-contexts ms {timing['contextsAt'] - timing['releasedAt']:.1f} (kernel round trip)"
    )

    # The contexts shown are the kernel's, in its order: sentence points, so the whole sentence is the span.
    expected = json.loads(
        nb.kernel_eval(
            "__import__('json').dumps([[c['point'], ds.texts[c['text']]] for c in w._selection['contexts']])"
        )
    )
    assert 0 < len(expected) <= min(50, n_selected)
    contexts = root.locator("ol.ilw-contexts li.ilw-context")
    expect(contexts).to_have_count(len(expected))
    shown = contexts.evaluate_all(
        "els => els.map(e => [Number(e.dataset.point), e.querySelector('mark')?.textContent ?? null,"
        " e.querySelector('.ilw-context-text')?.textContent ?? null])"
    )
    sentences = set(json.loads(nb.kernel_eval("__import__('json').dumps(ds.texts)")))
    for (point, mark, text), (kernel_point, sentence) in zip(shown, expected, strict=True):
        assert point == kernel_point
        assert mark == sentence and sentence in sentences, (mark, sentence)
        assert text is not None and sentence in text
    # The view wrote ascending, distinct, in-range ids (one save_changes for the whole box).
    ids = json.loads(nb.kernel_eval("__import__('json').dumps(w.selected_points)"))
    assert ids == sorted(set(ids)) and all(0 <= i < N_NEGATION for i in ids)
    nb.screenshot("projection_explorer_selection", root)
    nb.screenshot_dark("projection_explorer_dark", root)

    # Probe of the selection vs the rest, asked for in the view, answered by the kernel.
    probe = root.locator("button.ilw-probe-selection")
    expect(probe).to_be_enabled()
    probe.click()
    result = root.locator(".ilw-probe-result")
    expect(result).to_have_text(ACCURACY, timeout=120_000)
    nb.wait_kernel_value("w._probe['status']", "done")
    print(f"probe: {(result.text_content() or '').splitlines()[0]}")
    expect(root.locator(".ilw-error")).to_be_hidden()

    # A click on layer 4's point of the bqplot chart moves the linked scatter to layer 4.
    figure = nb.code_cell(0).locator(".ilw-probe-view")
    expect(figure).to_be_visible()
    groups = figure.locator("g.object_grp")
    expect(groups).to_have_count(31)  # one per layer 0..30
    dot = groups.nth(CLICKED_LAYER).locator("path.dot")
    dot.scroll_into_view_if_needed()
    page.evaluate(_ARM_LAYER_JS, [figure.element_handle(), root.element_handle(), CLICKED_LAYER])
    dot.click()
    nb.wait_kernel_value("(chart.selected_layer, w.selected_layer)", f"({CLICKED_LAYER}, {CLICKED_LAYER})")
    expect(root.locator(f'.ilw-scatter[data-layer="{CLICKED_LAYER}"]')).to_be_attached()
    page.wait_for_function(
        "root => root.__ilwLayer.shownAt !== null", arg=root.element_handle(), timeout=60_000, polling=100
    )
    timing = root.evaluate("root => root.__ilwLayer")
    print(f"chart click to layer {CLICKED_LAYER} points ms: {timing['shownAt'] - timing['clickedAt']:.1f}")
    nb.wait_kernel_value("w._points['layer']", str(CLICKED_LAYER))
    check_scatter(root, N_NEGATION, CLICKED_LAYER)
    expect(root.locator("input.ilw-layer-slider")).to_have_value(str(CLICKED_LAYER))
    nb.wait_kernel_value("w._probe", "{}")  # a probe answers for one layer: the new layer clears it
    expect(result).to_have_text("")
    expect(root.locator(".ilw-error")).to_be_hidden()
    nb.screenshot("projection_explorer_linked", figure)

    # Escape in the scatter clears the selection, in the kernel too.
    scatter.press("Escape")
    expect(root.locator(".ilw-selection-count")).to_have_text(re.compile(r"^0 points selected"))
    nb.wait_kernel_value("(len(w.selected_points), w._selection)", "(0, {})")
    expect(root.locator("li.ilw-context")).to_have_count(0)


def test_projection_explorer_pan_100k_frame_times(jupyter, open_notebook):
    name = "projection_explorer_100k.ipynb"
    jupyter.write_notebook(name, [BIG_CELL])
    nb = open_notebook(name, "lab")
    nb.run_all()
    root = nb.wait_rendered(explorer(nb, 0), timeout=120)
    page = nb.page
    expect(root.locator(".ilw-error")).to_be_hidden()
    scatter, before = check_scatter(root, N_BIG, 1)
    renderer = scatter.get_attribute("data-renderer")
    expect(root.locator(".ilw-legend .ilw-legend-item")).to_have_count(5)
    canvas = scatter.locator("canvas")
    canvas.scroll_into_view_if_needed()
    b = canvas.bounding_box()
    cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2

    gl = page.evaluate(_GL_RENDERER_JS)
    print(f"\nscatter: {N_BIG} points, renderer {renderer} ({gl})")

    # Hover: the tooltip shows the point's token, marked in its text, and its label.
    tooltip = scatter.locator(".ilw-scatter-tooltip")
    hover_some_point(page, canvas, tooltip)
    head = tooltip.locator(".ilw-context-id").text_content() or ""
    assert re.fullmatch(r"#\d+", head), head
    point = int(head[1:])
    token, label = json.loads(nb.kernel_eval(f"__import__('json').dumps([big.tokens[{point}], labels[{point}]])"))
    expect(tooltip.locator("mark")).to_have_text(token)
    expect(tooltip.locator(".ilw-context-label")).to_have_text(label)
    expect(tooltip).to_be_visible()
    nb.screenshot("projection_explorer_100k_hover")  # not scrolled: that would move the point from under the mouse
    page.mouse.move(b["x"] + b["width"] + 50, cy)  # off the scatter
    expect(tooltip).to_be_hidden()

    # For comparison: animation frames with nothing to do.
    idle = record_frames(page, lambda: page.wait_for_timeout(1000))
    print(describe_frames("idle", idle))

    # Drag-pan (pan mode is the default) in 60 small steps while recording animation frames.
    expect(root.locator('button.ilw-mode[data-mode="pan"]')).to_have_class(ACTIVE)
    page.mouse.move(cx, cy)

    def pan() -> None:
        page.mouse.down()
        for i in range(1, 61):
            page.mouse.move(cx + 3 * i, cy + 1.5 * i)
        page.mouse.up()

    panned = record_frames(page, pan)
    print(describe_frames(f"pan {N_BIG} points ({renderer})", panned))
    after = canvas.evaluate(_CANVAS_PIXELS_JS)
    assert after["hash"] != before["hash"], "the picture did not change while panning"
    assert selection_count(root) == 0  # a pan selects nothing
    nb.wait_kernel_value("len(w.selected_points)", "0")

    # Wheel zoom about the centre: in, then half way out again.
    page.mouse.move(cx, cy)

    def zoom() -> None:
        for delta in [-120] * 10 + [120] * 5:
            page.mouse.wheel(0, delta)

    zoomed = record_frames(page, zoom)
    print(describe_frames(f"wheel zoom {N_BIG} points ({renderer})", zoomed))
    assert canvas.evaluate(_CANVAS_PIXELS_JS)["hash"] != after["hash"], "the picture did not change while zooming"
    expect(scatter).to_have_attribute("data-points", str(N_BIG))
    expect(root.locator(".ilw-error")).to_be_hidden()
    nb.screenshot("projection_explorer_100k", root)
