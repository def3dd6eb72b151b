"""Oracle tests for rollout, thumbnails and head statistics: slow obvious loops vs the vectorised code."""

from __future__ import annotations

import numpy as np
import pytest

from interplab_widgets.analysis import attention_rollout, downsample, head_statistics, thumbnail_bins

rng = np.random.default_rng(0)


def random_patterns(layers, heads, n, causal=True):
    logits = rng.normal(size=(layers, heads, n, n)) * 2
    if causal:
        logits = np.where(np.tril(np.ones((n, n))) > 0, logits, -np.inf)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    return p / p.sum(-1, keepdims=True)


def rollout_by_loops(att, residual=True):
    layers, heads, n, _ = att.shape
    result = np.eye(n)
    for layer in range(layers):
        fused = np.zeros((n, n))
        for h in range(heads):
            fused += att[layer, h] / heads
        if residual:
            fused = 0.5 * fused + 0.5 * np.eye(n)
        for i in range(n):
            fused[i] /= fused[i].sum()
        new = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                new[i, j] = sum(fused[i, k] * result[k, j] for k in range(n))
        result = new
    return result


@pytest.mark.parametrize("residual", [True, False])
def test_rollout_equals_the_loop_definition(residual):
    att = random_patterns(4, 3, 7)
    np.testing.assert_allclose(attention_rollout(att, residual=residual), rollout_by_loops(att, residual), atol=1e-5)


def test_rollout_rows_sum_to_one_and_respect_causality():
    rollout = attention_rollout(random_patterns(5, 2, 9))
    np.testing.assert_allclose(rollout.sum(-1), 1, atol=1e-5)
    assert np.abs(np.triu(rollout, 1)).max() == 0


def test_rollout_of_a_layer_range():
    att = random_patterns(4, 2, 6)
    np.testing.assert_allclose(attention_rollout(att, end_layer=1), rollout_by_loops(att[:2]), atol=1e-5)
    np.testing.assert_allclose(attention_rollout(att, start_layer=2), rollout_by_loops(att[2:]), atol=1e-5)


def test_rollout_rejects_bad_shapes_and_fusions():
    with pytest.raises(ValueError, match="layers, heads, n, n"):
        attention_rollout(np.ones((3, 4, 4)))
    with pytest.raises(ValueError, match="head_fusion"):
        attention_rollout(random_patterns(1, 1, 3), head_fusion="median")


@pytest.mark.parametrize(("n", "size"), [(7, 32), (64, 32), (100, 32), (33, 8)])
def test_downsample_is_the_block_mean(n, size):
    patterns = rng.random((2, n, n))
    thumb = downsample(patterns, size)
    t = min(n, size)
    assert thumb.shape == (2, t, t)
    bins = np.array([i * t // n for i in range(n)])
    np.testing.assert_array_equal(thumbnail_bins(n, size), [np.flatnonzero(bins == b)[0] for b in range(t)])
    for a in range(t):
        for b in range(t):
            block = patterns[:, bins == a][:, :, bins == b]
            np.testing.assert_allclose(thumb[:, a, b], block.mean(axis=(1, 2)), rtol=1e-5)


def test_head_statistics_by_loops():
    patterns = random_patterns(1, 3, 6)[0]
    stats = head_statistics(patterns)
    for h in range(3):
        entropy = np.mean([-sum(p * np.log2(p) for p in row if p > 0) for row in patterns[h]])
        previous = np.mean([patterns[h, i, i - 1] for i in range(1, 6)])
        np.testing.assert_allclose(stats[h], [entropy, patterns[h, :, 0].mean(), previous], atol=1e-5)


@pytest.mark.parametrize(
    ("model", "residual", "head_fusion"),
    [("smollm2", True, "mean"), ("smollm2", False, "max"), ("minilm", True, "min")],
)
def test_a_rollout_row_equals_that_row_of_the_full_rollout(model, residual, head_fusion, request):
    """The pinned token's row from query chunks, top layer down, equals the full matrix's row; an encoder's too."""
    from interplab_widgets.analysis import rollout_row

    handle = request.getfixturevalue(model)
    trace = handle.run("The lighthouse keeper climbed the stairs to light the lamp, and the ships saw it. " * 3)
    full = attention_rollout(trace, residual=residual, head_fusion=head_fusion, end_layer=4)
    for token in (0, trace.n_tokens // 2, trace.n_tokens - 1):
        row = rollout_row(trace, token, residual=residual, head_fusion=head_fusion, end_layer=4)
        np.testing.assert_allclose(row, full[token], atol=1e-6)
