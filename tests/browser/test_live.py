"""The live core end to end: five views of one SmolLM2 in one JupyterLab kernel, none of them freezes it.

For each view the slowest request it has is started from the browser; the view must show it works in
the same tick (``.ilw-busy``, root ``ilw-is-busy``), and a ``1`` evaluated in the same kernel meanwhile
must come back while the request still runs (the kernel's main thread only routes). Then: a cancel in
the view stops a patching grid and puts the view back on its last answer; a burst of 20 head clicks
computes at most two answers and ends on the last click. One notebook and one model for all of it
(``load_model`` returns one handle per name). Run with ``-s`` to see the timings.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, expect

pytestmark = pytest.mark.slow

SENTENCES = [
    "The old lighthouse keeper climbed the stairs every evening to light the lamp.",
    "Ships passing the rocky coast relied on its beam to find the harbour.",
    "One stormy night the lamp went dark, and the keeper had to repair it by hand.",
    "By morning the sea was calm again, and the fishermen returned safely.",
]
LONG_TEXT = " ".join(SENTENCES * 4)  # about 300 tokens: flow at the last layer reads all 30 patterns
CLEAN = "The Eiffel Tower is located in the city of"
CORRUPTED = "The Colosseum is located in the city of"
CELLS = [
    "from interplab_widgets import AttentionExplorer, FailureExplorer, GenerationTracer, PatchingExplorer, "
    "ProjectionExplorer",
    f"a = AttentionExplorer('smollm2-135m', {LONG_TEXT!r}, selected_layer=29)\na",
    f"p = PatchingExplorer('smollm2-135m', {CLEAN!r}, {CORRUPTED!r})\np",
    "g = GenerationTracer('smollm2-135m', 'The capital of France is', max_new_tokens=12)\ng",
    "f = FailureExplorer('smollm2-135m', 'negation')\nf",
    "x = ProjectionExplorer('smollm2-135m', 'negation', layers=[4, 8])\nx",
]
RUN_ALL_TIMEOUT = 600.0

# Starts a request the way a user does (a change on a <select>, a click, a slider step) and reports,
# in the same tick, whether the view already shows that it works.
_START_JS = """
([root, selector, value]) => {
  const el = root.querySelector(selector);
  if (value === null) el.click();
  else {
    el.value = value;
    el.dispatchEvent(new Event(el.tagName === 'INPUT' ? 'input' : 'change', { bubbles: true }));
  }
  const busy = root.querySelector('.ilw-busy');
  return { rootBusy: root.classList.contains('ilw-is-busy'), indicator: busy !== null && !busy.hidden };
}
"""


def view(nb, cell: int, name: str) -> Locator:
    return nb.wait_rendered(nb.code_cell(cell).locator(f".ilw-{name}"), timeout=180)


def settled(nb, widget: str, after: int, *, timeout: float = 300.0) -> None:
    """Wait until the kernel has a request newer than ``after`` from the view, and has answered its latest."""
    nb.wait_kernel_value(
        f"{widget}._request > {after} and {widget}._status.get('request') == {widget}._request "
        f"and {widget}._status.get('state') != 'running'",
        "True",
        timeout=timeout,
    )


def start_and_ping(nb, root: Locator, widget: str, selector: str, value: str | None) -> tuple[float, str]:
    """Start a request from the view; seconds a ``1`` in the same kernel waited, and the request's state then."""
    after = int(nb.kernel_eval(f"{widget}._request"))
    shown = nb.page.evaluate(_START_JS, [root.element_handle(), selector, value])
    assert shown == {"rootBusy": True, "indicator": True}, f"{widget}: no busy indicator in the same tick: {shown}"
    nb.wait_kernel_value(f"{widget}._request > {after}", "True", timeout=60)
    started = time.monotonic()
    state = nb.kernel_eval(f"(1, {widget}._status['state'])")
    return time.monotonic() - started, state


def test_no_view_freezes_the_kernel(jupyter, open_notebook):
    jupyter.write_notebook("live.ipynb", CELLS)
    nb = open_notebook("live.ipynb", "lab")
    nb.run_all(timeout=RUN_ALL_TIMEOUT)
    roots = {
        "a": view(nb, 1, "attention-explorer"),
        "p": view(nb, 2, "patching-explorer"),
        "g": view(nb, 3, "generation-tracer"),
        "f": view(nb, 4, "failure-explorer"),
        "x": view(nb, 5, "projection-explorer"),
    }
    assert nb.kernel_eval("len({id(w.handle) for w in (a, p, g, f, x)})") == "1"  # one model for five views

    # The slowest request of each view, started in the browser; meanwhile the kernel answers at once.
    slow = {
        "a": ("select.ilw-mode", "flow"),  # flow from the last token through all 30 layers, patterns cold
        "p": ("select.ilw-component", "attn"),  # a new 30 x 10 patching grid
        "g": (".ilw-attr-toggle", None),  # the step's input attribution: integrated gradients (a step is a lookup)
        "f": ('tr.ilw-case[data-case="3"] td', None),  # both prompts of a case traced side by side
        "x": ("select.ilw-method", "umap"),  # UMAP of 2 layers' points, numba compiling on first use
    }
    waits = {}
    for widget, (selector, value) in slow.items():
        before = nb.kernel_eval(f"{widget}.computations")
        after = int(nb.kernel_eval(f"{widget}._request"))
        waits[widget] = start_and_ping(nb, roots[widget], widget, selector, value)
        settled(nb, widget, after)
        assert nb.kernel_eval(f"({widget}._error, {widget}._status['state'])") == "('', 'done')"
        assert int(nb.kernel_eval(f"{widget}.computations")) == int(before) + 1
        expect(roots[widget].locator(".ilw-busy")).to_be_hidden()
    print("\nseconds a `1` waited while each view's slowest request ran:")
    for widget, (seconds, state) in waits.items():
        print(f"  {widget}: {seconds:.3f} s (request {state.split(',')[1].strip(' )')} when it answered)")
    for widget in ("a", "p", "x"):  # seconds of work each: the kernel answered before it was done
        assert waits[widget][1] == "(1, 'running')", (widget, waits[widget])

    # Cancel: the patching grid of another component stops, the view shows its last answer again.
    p = roots["p"]
    nb.page.evaluate(_START_JS, [p.element_handle(), "select.ilw-component", "mlp"])
    nb.wait_kernel_value("p._status.get('fraction') is not None and p._status['state'] == 'running'", "True")
    p.locator(".ilw-cancel").click()
    nb.wait_kernel_value("(p._status['state'], p.component, p._grid['component'])", "('cancelled', 'attn', 'attn')")
    expect(p.locator("select.ilw-component")).to_have_value("attn")
    expect(p.locator(".ilw-busy")).to_be_hidden()
    expect(p.locator(".ilw-patching-grid")).not_to_have_class(re.compile(r"(^|\s)ilw-stale(\s|$)"))
    nb.wait_kernel_value("p._latest.finished.is_set()", "True")  # it stops at its next batch boundary
    assert nb.kernel_eval("('mlp', 'denoise') in p.results") == "False"
    assert nb.kernel_eval(
        "sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + ('forward' in m.__dict__) "
        "for m in p.handle.model.modules())"
    ) == "1"  # fmt: skip  # the one replaced forward is the handle's lock (models/handle.py)
    assert nb.kernel_eval("p.handle.model.forward.interplab_lock is p.handle.lock") == "True"

    # A burst of 20 head clicks: at most the running answer and the last are computed.
    a = roots["a"]
    after = int(nb.kernel_eval("a._request"))
    nb.page.evaluate(_START_JS, [a.element_handle(), "select.ilw-mode", "norm"])
    settled(nb, "a", after)
    before = int(nb.kernel_eval("a.computations"))
    after = int(nb.kernel_eval("a._request"))
    clicks = [(10 + i % 20, i % 9) for i in range(20)]
    nb.page.evaluate(
        """([root, clicks]) => { for (const [l, h] of clicks)
             root.querySelector(`.ilw-head-cell[data-layer="${l}"][data-head="${h}"]`).click(); }""",
        [a.element_handle(), clicks],
    )
    settled(nb, "a", after + len(clicks) - 1)  # every click carried an id of its own
    computed = int(nb.kernel_eval("a.computations")) - before
    print(f"20 head clicks computed {computed} answers")
    assert computed <= 2
    last = clicks[-1]
    assert (
        nb.kernel_eval("(a._detail['layer'], a._detail['head'], a._detail['mode'])")
        == f"({last[0]}, {last[1]}, 'norm')"
    )
    expect(a.locator(f'.ilw-detail[data-layer="{last[0]}"][data-head="{last[1]}"]')).to_be_attached()
    expect(a.locator(".ilw-busy")).to_be_hidden()
    expect(a.locator(".ilw-error")).to_be_hidden()
