"""Circuits: the edge graph, edge runs that reproduce the model, EAP gradients equal to the derivative of edge
patching, the toy model's known induction circuit, and EAP-IG ranked against exact edge patching."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from test_families import tiny_handle
from tiny_models import TINY_CONFIGS

from interplab_widgets import InputError, load_model
from interplab_widgets.analysis import CircuitGraph, CircuitTask, edge_effects, edge_scores, find_circuit
from interplab_widgets.analysis.circuit_tasks import induction_task, ioi_task, logit_difference
from interplab_widgets.analysis.circuits import MAX_STEPS, _Passes, circuit_order
from interplab_widgets.progress import Cancelled, Job, running

ADDITIVE_FAMILIES = [t for t in TINY_CONFIGS if t not in ("bert", "roberta", "gemma2")]


@pytest.fixture(scope="module")
def toy():
    return load_model("toy-induction")


@pytest.fixture(scope="module")
def induction(toy):
    """32 pairs: clean = s + s[:-1], corrupted = t + t[:-1] (8-token segments), and the EAP-IG result."""
    task = induction_task(toy, n_pairs=32, segment_length=8, seed=0)
    return task, find_circuit(task, "eap-ig", steps=5, progress=False)


def edge_metrics(task, fractions):
    """Mean metric of the clean prompts with each edge's contribution moved ``fractions`` of the way to corrupted."""
    passes = _Passes(task, 2**30)
    clean, corrupted, answers, contrasts = task.stack(list(range(len(task))))
    corrupted_acts, _ = passes.upstream(corrupted)
    corrupt = torch.as_tensor(fractions, dtype=torch.float32)
    return float(passes.patched(clean, corrupted_acts, corrupt, answers, contrasts).mean())


def test_the_graph_counts_smollm2_edges_and_names_its_nodes():
    graph = CircuitGraph(n_layers=30, n_heads=9, n_kv_heads=3)  # SmolLM2-135M
    assert (graph.n_upstream, graph.n_downstream) == (301, 481)
    assert graph.n_edges == 70_651 == int(graph.valid().sum())
    toy = CircuitGraph(2, 4, 4)
    assert toy.n_edges == 110
    assert toy.upstream_names[:3] == ["input", "a0.h0", "a0.h1"] and toy.downstream_names[-1] == "logits"
    assert toy.downstream_names[:13][-5:] == ["a0.g3<k>", "a0.g0<v>", "a0.g1<v>", "a0.g2<v>", "a0.g3<v>", "m0"][1:]
    gqa = CircuitGraph(1, 4, 2)  # heads 0-1 share key/value group 0
    assert [gqa.downstream_names[v] for v in gqa.inputs_of(gqa.head_node(0, 1))] == ["a0.h1<q>", "a0.g0<k>", "a0.g0<v>"]
    parallel = CircuitGraph(2, 4, 4, parallel_mlp=True)  # the MLP reads the block's input, not its heads
    assert not parallel.valid()[parallel.head_node(0, 0), parallel.mlp_input(0)]
    assert CircuitGraph(2, 4, 4).valid()[toy.head_node(0, 0), toy.mlp_input(0)]


@pytest.mark.parametrize("model_type", ADDITIVE_FAMILIES)
def test_edge_runs_reproduce_the_model_in_every_family(model_type, smollm2):
    """Recomputing every head's query, key and value from its own residual copy gives the model's logits, and
    corrupting every edge gives the corrupted run: the projections' column layouts and the node sums are right."""
    handle, _ = tiny_handle(model_type, {"causal": smollm2.tokenizer})
    rng = np.random.default_rng(0)
    clean = [rng.integers(100, 5000, size=9).tolist() for _ in range(3)]
    corrupted = [rng.integers(100, 5000, size=9).tolist() for _ in range(3)]
    task = CircuitTask(handle, clean, corrupted)
    valid = task.graph.valid()
    assert edge_metrics(task, np.zeros_like(valid, dtype=np.float32)) == pytest.approx(task.clean_metric, abs=1e-4)
    assert edge_metrics(task, valid.astype(np.float32)) == pytest.approx(task.corrupted_metric, abs=1e-4)
    scores = edge_scores(task, "eap", progress=False)  # the gradient path runs in every layout
    assert np.isfinite(scores).all() and np.abs(scores).sum() > 0


def test_eap_scores_are_the_derivative_of_edge_patching(toy):
    """EAP's score of an edge is d/dε of the metric drop when the edge moves ε towards corrupted (a finite
    difference of exact edge patching), for query, key, value, MLP and logits inputs."""
    task = induction_task(toy, n_pairs=8, segment_length=8, seed=1)
    scores = edge_scores(task, "eap", progress=False)
    graph, eps = task.graph, 1e-3
    base = edge_metrics(task, np.zeros((graph.n_upstream, graph.n_downstream), dtype=np.float32))
    up, down = graph.upstream_names, graph.downstream_names
    for u_name, v_name in [("input", "a0.g2<v>"), ("a0.h2", "a1.g2<k>"), ("a1.h1", "logits"), ("input", "a1.h1<q>"),
                           ("m0", "m1"), ("a0.h1", "m0")]:  # fmt: skip
        u, v = up.index(u_name), down.index(v_name)
        fractions = np.zeros((graph.n_upstream, graph.n_downstream), dtype=np.float32)
        fractions[u, v] = eps
        derivative = (base - edge_metrics(task, fractions)) / eps
        assert scores[u, v] == pytest.approx(derivative, rel=0.05, abs=2e-3), (u_name, v_name)


def test_the_toy_models_induction_circuit_is_found(induction, toy):
    """The previous-token head of layer 0 (L0H2, 0.97 in the model card) feeds the induction heads' keys, the
    layer-1 heads write to the logits, and a circuit of a few dozen edges is faithful."""
    task, result = induction
    ranked = [(e.upstream, e.downstream) for e in result.edges(25)]
    assert any(u == "a0.h2" and d.startswith("a1.") and d.endswith("<k>") for u, d in ranked)
    assert sum(u.startswith("a1.h") and d == "logits" for u, d in ranked) >= 3
    assert result.size_for(0.8) is not None and result.size_for(0.8) <= 48
    assert result.faithfulness[0] == pytest.approx(0.0, abs=1e-5)  # no edge: the corrupted run
    assert result.sizes[-1] == task.graph.n_edges and result.faithfulness[-1] == pytest.approx(1.0, abs=1e-5)


def test_eap_ig_ranks_edges_like_exact_patching_better_than_eap(induction):
    """The oracle: the 50 top edges by EAP-IG and 50 random others, each patched alone."""
    task, result = induction
    order = result.order()
    rng = np.random.default_rng(0)
    edges = [tuple(e) for e in order[:50]] + [
        tuple(e) for e in order[50:][rng.choice(len(order) - 50, 50, replace=False)]
    ]
    exact = edge_effects(task, edges, progress=False)
    eap = edge_scores(task, "eap", progress=False)
    ig_scores = np.array([result.scores[e] for e in edges])
    eap_scores = np.array([eap[e] for e in edges])
    ig_top = spearmanr(ig_scores[:50], exact[:50]).statistic
    eap_top = spearmanr(eap_scores[:50], exact[:50]).statistic
    assert ig_top > 0.5 and ig_top > eap_top
    assert spearmanr(ig_scores, exact).statistic > 0.4
    assert np.corrcoef(ig_scores, exact)[0, 1] > 0.7


def test_greedy_circuits_are_connected_to_the_logits(induction):
    task, result = induction
    graph = task.graph
    order = circuit_order(result.scores, graph, "greedy")
    assert len(order) == graph.n_edges and len({tuple(e) for e in order}) == graph.n_edges
    for n in (5, 20, 60):
        mask = np.zeros((graph.n_upstream, graph.n_downstream), dtype=bool)
        mask[order[:n, 0], order[:n, 1]] = True
        in_circuit = set(np.flatnonzero(mask.any(axis=1)).tolist())
        for v in np.flatnonzero(mask.any(axis=0)):
            owners = [u for u in range(1, graph.n_upstream) if v in graph.inputs_of(u)]
            assert v == graph.logits_input or in_circuit & set(owners), graph.downstream_names[v]


def test_the_model_is_put_back_whatever_raises(toy):
    task = induction_task(toy, n_pairs=4, segment_length=6, seed=2)

    def broken(logits, answers, contrasts):
        if torch.is_grad_enabled():
            raise RuntimeError("metric failed")
        return logits[:, 0]

    needs_grad = [p.requires_grad for p in toy.model.parameters()]
    task.metric = broken
    with pytest.raises(RuntimeError, match="metric failed"):
        edge_scores(task, "eap", progress=False)
    assert [p.requires_grad for p in toy.model.parameters()] == needs_grad
    for module in toy.model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks, module


def test_bad_input_gets_one_clear_error(toy, minilm, smollm2):
    with pytest.raises(InputError, match="same number of tokens"):
        CircuitTask(toy, ["ba be bi"], ["ba be"])
    with pytest.raises(InputError, match="one corrupted prompt per clean"):
        CircuitTask(toy, ["ba be bi", "bo bu da"], ["ba be bi"])
    with pytest.raises(InputError, match="lists of prompts"):
        CircuitTask(toy, "ba be bi", "bo bu da")
    with pytest.raises(InputError, match="one token per pair"):
        CircuitTask(toy, ["ba be bi"], ["bo bu da"], answers=["ba", "be"])
    with pytest.raises(InputError, match="encoder"):
        CircuitTask(minilm, ["a b"], ["c d"])
    with pytest.raises(InputError, match="token ids in"):
        CircuitTask(toy, [[1, 2, 999]], [[1, 2, 3]])
    gemma2, _ = tiny_handle("gemma2", {"causal": smollm2.tokenizer})
    with pytest.raises(InputError, match="not an edge"):
        CircuitTask(gemma2, [[5, 6, 7]], [[8, 9, 10]])
    task = induction_task(toy, n_pairs=2, segment_length=4, seed=3)
    with pytest.raises(InputError, match="method must be"):
        edge_scores(task, "acdc")
    with pytest.raises(InputError, match="steps must be"):
        edge_scores(task, "eap-ig", steps=0)
    with pytest.raises(InputError, match=f"from 1 to {MAX_STEPS}.*grows linearly"):
        edge_scores(task, "eap-ig", steps=10**6)  # the bound says itself and why, before any pass
    with pytest.raises(InputError, match="selection must be"):
        find_circuit(task, "eap", selection="best", progress=False)
    with pytest.raises(InputError, match="sizes must lie"):
        find_circuit(task, "eap", sizes=[0, 10_000], progress=False)
    with pytest.raises(InputError, match="is not an edge"):
        edge_effects(task, [(task.graph.n_upstream - 1, 0)])
    with pytest.raises(InputError, match="max_bytes"):
        edge_scores(task, "eap", max_bytes=1000)


def test_smollm2_indirect_object_edges_agree_with_exact_patching(smollm2):
    """A handful of SmolLM2 edges on indirect-object identification: EAP-IG's strongest edges have the sign and
    the order of their exact effects."""
    task = ioi_task(smollm2, n_pairs=2, seed=0)  # two templates of one token length: one batch
    assert task.clean_metric > 2 and task.corrupted_metric < -2  # the model does the task, both ways
    scores = edge_scores(task, "eap-ig", steps=5, progress=False)
    order = circuit_order(scores, task.graph, "topn")
    rng = np.random.default_rng(0)
    edges = [tuple(e) for e in order[:6]] + [tuple(e) for e in order[rng.choice(np.arange(6, 2000), 4, replace=False)]]
    exact = edge_effects(task, edges, progress=False)
    ig = np.array([scores[e] for e in edges])
    assert np.sign(ig[:6]).tolist() == np.sign(exact[:6]).tolist()
    assert spearmanr(ig, exact).statistic > 0.6


def lock_is_free(handle) -> bool:
    """Whether another thread (a user's cell, another view's worker) can take the model's lock right now."""
    got = []

    def probe() -> None:
        got.append(handle.lock.acquire(blocking=False))
        if got[0]:
            handle.lock.release()  # an RLock is released by the thread that took it

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return got[0]


def test_a_cancel_inside_eap_ig_stops_at_the_next_path_point(toy):
    """A request cancelled while EAP-IG walks its path (one batch, MAX_STEPS points) stops at the next point,
    not at the end of the batch, and leaves the model's lock free and no hook behind; progress comes point by
    point."""
    task = induction_task(toy, n_pairs=4, segment_length=6, seed=4)
    points, fractions = [], []

    def metric(logits, answers, contrasts):
        if torch.is_grad_enabled():  # one call per path point (the plain forwards run without gradients)
            points.append(len(points))
        return logit_difference(logits, answers, contrasts)

    task.metric = metric
    assert len(_Passes(task, 2 * 2**30).batches(gradients=True)) == 1  # the old code only stopped between batches
    job = Job(on_progress=lambda fraction: fractions.append(fraction) or (points and job.cancel()))
    with running(job), pytest.raises(Cancelled):
        find_circuit(task, "eap-ig", steps=MAX_STEPS, progress=False)
    assert len(points) == 1  # cancelled in the progress report after the first point: no second point ran
    assert 0 < fractions[-1] < 0.5 and fractions == sorted(fractions)  # the scores are the first half of the work
    assert lock_is_free(toy)
    for module in toy.model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks, module
