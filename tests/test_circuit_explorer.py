"""CircuitExplorer from Python: what it sends, what a click recomputes, linking, cancel, and its exports."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ElementTree

import ipywidgets
import numpy as np
import pytest
import torch

from interplab_widgets import AttentionExplorer, CircuitExplorer, InputError, load_model, save_html
from interplab_widgets.analysis import edge_effects
from interplab_widgets.analysis.circuit_tasks import induction_task, logit_difference
from interplab_widgets.analysis.circuits import MAX_STEPS
from interplab_widgets.widgets.wire import from_wire


@pytest.fixture(scope="module")
def explorer():
    task = induction_task(load_model("toy-induction"), n_pairs=12, segment_length=8, seed=0)
    return CircuitExplorer(task, "eap-ig", steps=3)


def test_the_first_display_holds_the_graph_edges_and_curve(explorer):
    graph, edges, curve = explorer._graph, explorer._edges, explorer._curve
    assert (
        len(graph["nodes"]) == explorer.graph.n_upstream + 1 and len(graph["downstream"]) == explorer.graph.n_downstream
    )
    assert edges["n_edges"] == edges["sent"] == 110
    up, down, score = (from_wire(edges[k]) for k in ("upstream", "downstream", "score"))
    result = explorer.result()
    assert np.array_equal(np.stack([up, down], 1), result.order())
    assert np.allclose(score, result.scores[up, down])
    assert curve["sizes"] == result.sizes.tolist() and curve["target_size"] == result.size_for(0.8)
    assert explorer.circuit_size == result.size_for(0.8)
    ys = [node["y"] for node in graph["nodes"]]
    assert ys[0] == min(ys) and ys[-1] == max(ys)  # embeddings at the bottom, logits on top
    assert explorer._task["n_pairs"] == 12 and explorer._detail == {}


def test_a_node_click_sends_its_detail_and_publishes_the_head(explorer):
    explorer.selected_node = "a1.h2"
    explorer.wait()
    detail = explorer._detail
    assert (detail["kind"], detail["layer"], detail["head"]) == ("head", 1, 2)
    assert (explorer.selected_layer, explorer.selected_head) == (1, 2)
    u = explorer.graph.head_node(1, 2)
    exact = edge_effects(explorer.task, [(u, explorer.graph.logits_input)], progress=False)[0]
    assert detail["direct_effect"] == pytest.approx(float(exact), abs=1e-5)
    pattern = from_wire(detail["pattern"])
    assert pattern.shape == (len(detail["tokens"]),) * 2 and pattern.dtype == np.uint8
    assert np.triu(pattern.astype(int), 1).sum() == 0  # causal: no query reads a later key
    assert [e["upstream"] for e in detail["outgoing"]][:1] and len(detail["incoming"]) == 5
    explorer.selected_node = "m1"
    explorer.wait()
    assert explorer._detail["kind"] == "mlp" and explorer._detail["pattern"] is None
    assert (explorer.selected_layer, explorer.selected_head) == (1, 2)  # the last head stays published
    explorer.selected_node = ""
    explorer.wait()
    assert explorer._detail == {}


def test_a_linked_attention_explorer_follows_the_clicked_head(explorer):
    attention = AttentionExplorer(explorer.handle, explorer.task.clean[0], roles=False)
    links = [ipywidgets.link((explorer, name), (attention, name)) for name in ("selected_layer", "selected_head")]
    try:
        explorer.selected_node = "a0.h2"
        explorer.wait()
        attention.wait()
        assert (attention.selected_layer, attention.selected_head) == (0, 2)
        attention.selected_head = 1  # and back: the circuit view selects that head
        explorer.wait()
        assert explorer.selected_node == "a0.h1"
    finally:
        for link in links:
            link.unlink()


def test_another_method_is_computed_on_the_worker_and_cancel_puts_it_back(explorer):
    before = from_wire(explorer._edges["score"]).copy()
    explorer.method = "eap"
    explorer.wait()
    assert explorer._status["state"] == "done" and ("eap", 3, "topn") in explorer.results
    assert not np.allclose(from_wire(explorer._edges["score"]), before)
    assert explorer.circuit_size in explorer._curve["sizes"]
    explorer.selection = "greedy"
    explorer.cancel()
    explorer.wait()
    assert explorer.selection == "topn" and explorer._status["state"] == "cancelled"


def test_exports_json_svg_and_html(explorer, tmp_path):
    data = explorer.to_json(tmp_path / "circuit.json")
    assert json.loads((tmp_path / "circuit.json").read_text())["edges"][0] == data["edges"][0]
    assert len(data["edges"]) == 110 and data["prompts"]["clean"][0] == explorer.task.clean[0]
    svg = ElementTree.fromstring(explorer.to_svg(tmp_path / "circuit.svg", size=12))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f"{ns}path")) == 12
    assert len(svg.findall(f"{ns}g")) == explorer.graph.n_upstream + 1
    page = save_html(tmp_path / "circuit.html", explorer).read_text()
    assert "ilw-circuit-explorer" in page and '"a1.h2"' in page  # the view's code and its saved graph


def test_hostile_prompts_stay_data(tmp_path):
    toy = load_model("toy-induction")
    hostile = "<img src=x onerror=alert(1)>"
    task = induction_task(toy, n_pairs=2, segment_length=4, seed=5)
    task.clean[0] = hostile  # the label shown for the pair; the ids stay the model's input
    view = CircuitExplorer(task, "eap")
    page = save_html(tmp_path / "hostile.html", view).read_text()
    assert hostile not in page
    with pytest.raises(InputError, match="CircuitTask"):
        CircuitExplorer(toy)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="selected_node"):
        CircuitExplorer(task, "eap", selected_node="a9.h9")


@pytest.fixture
def small_view():
    task = induction_task(load_model("toy-induction"), n_pairs=4, segment_length=6, seed=4)
    return CircuitExplorer(task, "eap")


def test_a_cancel_from_the_view_stops_eap_ig_at_the_next_path_point(small_view):
    """The view asks for EAP-IG with the most steps allowed and cancels while its first path point runs: the
    request ends cancelled before a second point, the inputs are those of the last answer again, and the model's
    lock is free (the user's cell and other views can run it)."""
    view, points = small_view, []
    entered, carry_on = threading.Event(), threading.Event()

    def metric(logits, answers, contrasts):
        if torch.is_grad_enabled():  # one call per path point, on the worker
            points.append(len(points))
            if len(points) == 1:
                entered.set()
                carry_on.wait(600)
        return logit_difference(logits, answers, contrasts)

    view.task.metric = metric
    view.set_state({"method": "eap-ig", "steps": MAX_STEPS, "_request": view._request + 1})
    assert entered.wait(600), "the first path point never ran"
    view._on_live_message(view, {"type": "cancel"}, [])  # what the view's cancel button sends
    carry_on.set()
    view.wait()
    assert len(points) == 1, f"{len(points)} path points ran after the cancel"
    assert view._status["state"] == "cancelled" and (view.method, view.steps) == ("eap", 5)
    assert ("eap-ig", MAX_STEPS, "topn") not in view.results
    got = view.handle.lock.acquire(blocking=False)  # from this thread, while the worker is idle
    assert got, "the worker kept the model's lock after the cancel"
    view.handle.lock.release()


def test_out_of_bound_numbers_from_the_view_get_one_clear_error(small_view):
    """steps beyond MAX_STEPS and a pair the task lacks are answered with an error that says the bound (and for
    steps why: its cost grows linearly), before any pass; the slider's circuit size is refused outside the
    graph's edges."""
    view = small_view
    before = (view.computations, dict(view.results))
    view.set_state({"method": "eap-ig", "steps": MAX_STEPS + 1, "_request": view._request + 1})
    view.wait()
    assert view._status["state"] == "error" and view._status["request"] == view._request
    assert f"from 1 to {MAX_STEPS}" in view._error and "grows linearly" in view._error
    assert view.results == before[1]  # nothing was scored
    view.set_state({"method": "eap", "steps": 5, "selected_node": "a0.h1", "selected_pair": 4,
                    "_request": view._request + 1})  # fmt: skip
    view.wait()
    assert view._status["state"] == "error" and "selected_pair 4 is out of range" in view._error
    view.set_state({"selected_pair": 3, "_request": view._request + 1})
    view.wait()
    assert view._status["state"] == "done" and view._detail["pair"] == 3 and view._error == ""
    n_edges = view.graph.n_edges
    with pytest.raises(InputError, match=f"circuit_size must be in 0..{n_edges}"):
        view.circuit_size = n_edges + 1
    size = view.circuit_size  # the slider's value from the browser: refused and answered, nothing changes
    view.set_state({"circuit_size": -1, "_request": view._request + 1})
    assert view._status["state"] == "error" and f"circuit_size must be in 0..{n_edges}" in view._error
    assert view.circuit_size == size
    with pytest.raises(InputError, match=f"from 1 to {MAX_STEPS}"):
        CircuitExplorer(view.task, "eap-ig", steps=10**6)  # in the user's cell: raised before any pass
