"""Attention flow equals a straightforward networkx max-flow, on random stacks and on minilm-l6."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from interplab_widgets.analysis import attention_flow, attention_rollout
from interplab_widgets.analysis.flow import flow_capacities


def networkx_flow(capacities: np.ndarray) -> np.ndarray:
    """The reference definition: one networkx max-flow per (output position, input token) pair."""
    layers, n, _ = capacities.shape
    graph = nx.DiGraph()
    for layer in range(layers):
        for i in range(n):
            for j in range(n):
                if capacities[layer, i, j] > 0:
                    graph.add_edge((layer + 1, i), (layer, j), capacity=float(capacities[layer, i, j]))
    return np.array([[nx.maximum_flow_value(graph, (layers, i), (0, j)) for j in range(n)] for i in range(n)])


def random_stack(layers, heads, n, causal, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(layers, heads, n, n)) * 3
    if causal:
        logits = np.where(np.tril(np.ones((n, n))) > 0, logits, -np.inf)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    return p / p.sum(-1, keepdims=True)


@pytest.mark.parametrize(("layers", "n", "causal", "seed"), [(1, 4, False, 0), (3, 6, False, 1), (4, 7, True, 2)])
@pytest.mark.parametrize("residual", [True, False])
def test_flow_equals_networkx_on_random_stacks(layers, n, causal, seed, residual):
    stack = random_stack(layers, 3, n, causal, seed)
    expected = networkx_flow(flow_capacities(stack, residual=residual))
    np.testing.assert_allclose(attention_flow(stack, residual=residual), expected, atol=1e-6)


def test_single_layer_flow_is_the_attention_itself():
    stack = random_stack(1, 2, 5, False, 3)
    np.testing.assert_allclose(attention_flow(stack, residual=False), stack[0].mean(0), atol=1e-12)


def test_positions_select_rows_and_bad_positions_are_refused():
    stack = random_stack(3, 2, 6, False, 4)
    np.testing.assert_allclose(attention_flow(stack, positions=[4, 1]), attention_flow(stack)[[4, 1]])
    with pytest.raises(ValueError, match="positions"):
        attention_flow(stack, positions=[6])


@pytest.mark.slow
def test_flow_equals_networkx_on_minilm_real_attention(minilm):
    trace = minilm.run("The quick brown fox jumps over the lazy dog near a quiet river.")
    assert trace.n_tokens == 16
    flow = attention_flow(trace)
    np.testing.assert_allclose(flow, networkx_flow(flow_capacities(trace)), atol=1e-6)
    # flow out of a position is at most what rollout spreads (1 in total), and differs from rollout
    assert flow.max() <= 1 + 1e-9
    assert np.abs(flow - attention_rollout(trace)).max() > 0.01
