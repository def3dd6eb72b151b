"""CircuitExplorer end to end: the toy model's induction circuit in a real kernel, the view in JupyterLab 4.

DOM contract checked here (the view is ``js/src/circuit_explorer.ts``):

- root ``.ilw-circuit-explorer``; the graph ``svg.ilw-circuit-svg`` (``data-edges``: edges drawn) with one
  ``g.ilw-circuit-node[data-node]`` per node and ``path.ilw-circuit-edge`` per drawn edge;
- the size slider ``input.ilw-circuit-size`` and its label ``.ilw-circuit-size-label`` ("N edges · faithfulness F");
- the detail panel ``.ilw-circuit-detail[data-node]``;
- a linked AttentionExplorer's selected head ``.ilw-detail[data-layer][data-head]``.

Kernel traits: ``circuit_size``, ``selected_node``, ``selected_layer``, ``selected_head``, ``_detail``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

CELLS = [
    "import ipywidgets\nfrom interplab_widgets import AttentionExplorer, CircuitExplorer\n"
    "from interplab_widgets.analysis import induction_task",
    "task = induction_task('toy-induction', n_pairs=12, segment_length=8)\n"
    "c = CircuitExplorer(task, steps=3)\n"
    "a = AttentionExplorer('toy-induction', task.clean[0], roles=False)\n"
    "links = [ipywidgets.link((c, n), (a, n)) for n in ('selected_layer', 'selected_head')]\nc",
    "a",
]


def test_circuit_graph_slider_and_a_click_that_a_linked_attention_explorer_follows(jupyter, open_notebook):
    name = "circuit_explorer.ipynb"
    jupyter.write_notebook(name, CELLS)
    nb = open_notebook(name, "lab")
    nb.run_all(timeout=300)
    root = nb.wait_rendered(nb.code_cell(1).locator(".ilw-circuit-explorer"), timeout=120)
    attention = nb.wait_rendered(nb.code_cell(2).locator(".ilw-attention-explorer"), timeout=120)
    expect(root.locator(".ilw-error")).to_be_hidden()

    graph = root.locator("svg.ilw-circuit-svg")
    expect(graph.locator("g.ilw-circuit-node")).to_have_count(12)  # input, 2 x (4 heads + MLP), logits
    size = int(nb.kernel_eval("c.circuit_size"))
    expect(graph.locator("path.ilw-circuit-edge")).to_have_count(size)
    assert graph.get_attribute("data-edges") == str(size)

    label = root.locator(".ilw-circuit-size-label")
    before = label.text_content()
    slider = root.locator("input.ilw-circuit-size")
    slider.focus()
    slider.press("End")  # the whole graph: faithfulness 1 by construction
    expect(label).not_to_have_text(before or "")
    nb.wait_kernel_value("c.circuit_size", "110")
    expect(label).to_contain_text("110 edges")
    assert re.search(r"faithfulness\s+1\.00", label.text_content() or ""), label.text_content()
    expect(graph.locator("path.ilw-circuit-edge")).to_have_count(110)

    graph.locator('g.ilw-circuit-node[data-node="a1.h2"]').click()
    nb.wait_kernel_value("c.selected_node", "a1.h2")
    nb.wait_kernel_value("(a.selected_layer, a.selected_head)", "(1, 2)")
    expect(root.locator('.ilw-circuit-detail[data-node="a1.h2"]')).to_be_visible()
    expect(root.locator(".ilw-circuit-pattern canvas, .ilw-circuit-pattern svg").first).to_be_visible()
    expect(attention.locator('.ilw-detail[data-layer="1"][data-head="2"]')).to_be_visible(timeout=60_000)
    assert nb.kernel_eval("c._detail['direct_effect'] is not None") == "True"
    nb.screenshot("circuit_explorer", root)
    nb.screenshot_dark("circuit_explorer_dark", root)
    assert not nb.problems.unexpected(), nb.problems.unexpected()
