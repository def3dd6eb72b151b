"""Attention flow (Abnar & Zuidema, 2020): exact maximum flow through the layers' attention graph.

The graph has ``layers + 1`` rows of ``n`` nodes; node ``i`` of row ``l + 1`` sends to
node ``j`` of row ``l`` with capacity ``A_l[i, j]`` (the residual-mixed, head-fused,
row-normalised attention of layer ``l``). ``flow[i, j]`` is the maximum flow from output
position ``i`` on the top row to input token ``j`` on the bottom row.

Each pair is one max-flow problem. The reference implementation builds a networkx
graph and runs Edmonds-Karp per pair (23 s at 16 tokens, 14 min at 32 on these
machines). Here a Dinic solver is compiled with numba over the dense layered
structure: arcs are array cells, not objects, the bottom row is cut down to the one
sink, and pairs run in parallel. Same problem, same float64 capacities, no approximation.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numba
import numpy as np

from ..progress import checkpoint, steps
from .rollout import mixed_attention

EPSILON = 1e-12


def flow_capacities(attentions: Any, residual: bool = True, head_fusion: str = "mean") -> np.ndarray:
    """Edge capacities ``[layers, n, n]`` float64: head-fused, residual-mixed, rows renormalised."""
    layers = [mixed.numpy() for mixed in mixed_attention(attentions, residual, head_fusion)]
    return np.ascontiguousarray(np.stack(layers))


def attention_flow(
    attentions: Any,
    residual: bool = True,
    head_fusion: str = "mean",
    positions: Sequence[int] | None = None,
) -> np.ndarray:
    """Attention flow ``[len(positions), n]`` (``[n, n]`` by default): row i is the maximum flow
    from output position i at the top layer to each input token.

    Args:
        attentions: a Trace, or patterns ``[layers, heads, n, n]``.
        residual: model the skip connection as ``0.5 * A + 0.5 * I`` (rows renormalised).
        head_fusion: ``"mean"``, ``"max"`` or ``"min"`` over heads.
        positions: output positions to compute (default: all).
    """
    capacities = flow_capacities(attentions, residual, head_fusion)
    n = capacities.shape[-1]
    rows = np.arange(n) if positions is None else np.asarray(positions, dtype=np.int64)
    if rows.ndim != 1 or (len(rows) and (rows.min() < 0 or rows.max() >= n)):
        raise ValueError(f"positions must be token indices in 0..{n - 1}, got {positions!r}.")
    result = np.zeros((len(rows), n))
    _compile_elsewhere()
    batches = [np.arange(start, min(n, start + SINKS_PER_BATCH)) for start in range(0, n, SINKS_PER_BATCH)]
    for sinks in steps(batches, disable=True):  # each batch a checkpoint: a long flow shows progress, can stop
        result[:, sinks] = _flow_pairs(capacities, rows.astype(np.int64), sinks)
    return result


SINKS_PER_BATCH = 32
"""Input tokens solved per compiled call (in parallel) between two checkpoints of the request."""


def _compile_elsewhere() -> None:
    """Compile the solver in a child process the first time, then load it from numba's cache.

    The compiled solver releases the GIL (``nogil=True``), but compiling it does not: numba's first
    call held the kernel's main thread for up to 1.2 s at a time over ~20 s. A child process compiles
    and writes numba's on-disk cache; this process then loads it (longest pause ~30 ms). Waiting on
    the child is a checkpoint loop, so a cancelled request stops here too. Where the cache cannot be
    written, this process compiles as before.
    """
    if _SOLVER[0].signatures or _cached_on_disk():
        return
    child = subprocess.Popen(
        [sys.executable, "-c", "from interplab_widgets.analysis.flow import _warm; _warm()"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while child.poll() is None:
            checkpoint()
            time.sleep(0.05)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _cached_on_disk() -> bool:
    """Whether numba's cache holds every solver function (numba's private layout: if it moves, compile in a child)."""
    try:
        return all(Path(f._cache._cache_file._index_path).exists() for f in _SOLVER)
    except AttributeError:
        return False


def _warm() -> None:
    """Compile (or load) the solver on a tiny graph: what the child process of _compile_elsewhere runs."""
    capacities = np.full((1, 2, 2), 0.5)
    _flow_pairs(capacities, np.arange(2, dtype=np.int64), np.arange(2, dtype=np.int64))


@numba.njit(parallel=True, cache=True, nogil=True)
def _flow_pairs(capacities: np.ndarray, sources: np.ndarray, sinks: np.ndarray) -> np.ndarray:  # pragma: no cover
    result = np.zeros((len(sources), len(sinks)))
    for pair in numba.prange(len(sources) * len(sinks)):
        row, column = pair // len(sinks), pair % len(sinks)
        result[row, column] = _max_flow(capacities, sources[row], sinks[column])
    return result


@numba.njit(cache=True, nogil=True)
def _residual(capacities, flows, layer, node, arc, sink):  # pragma: no cover - compiled
    """Residual capacity of ``arc`` out of ``(layer, node)`` and the node it reaches.

    Arcs ``0..n-1`` go down to row ``layer - 1`` (only to ``sink`` on the bottom row);
    arcs ``n..2n-1`` go back up along flow already sent down from row ``layer + 1``.
    """
    n = capacities.shape[-1]
    top = capacities.shape[0]
    if arc < n:
        if layer == 0 or (layer == 1 and arc != sink):
            return 0.0, -1, -1
        return capacities[layer - 1, node, arc] - flows[layer - 1, node, arc], layer - 1, arc
    up = arc - n
    if layer >= top:
        return 0.0, -1, -1
    return flows[layer, up, node], layer + 1, up


@numba.njit(cache=True, nogil=True)
def _max_flow(capacities, source, sink):  # pragma: no cover - compiled
    """Dinic's algorithm from ``(top, source)`` to ``(0, sink)`` on the dense layered graph."""
    top, n = capacities.shape[0], capacities.shape[-1]
    flows = np.zeros_like(capacities)
    level = np.empty((top + 1, n), dtype=np.int64)
    pointer = np.empty((top + 1, n), dtype=np.int64)
    queue_layer = np.empty((top + 1) * n, dtype=np.int64)
    queue_node = np.empty((top + 1) * n, dtype=np.int64)
    path_layer = np.empty(2 * (top + 1) * n + 1, dtype=np.int64)
    path_node = np.empty(2 * (top + 1) * n + 1, dtype=np.int64)
    path_arc = np.empty(2 * (top + 1) * n + 1, dtype=np.int64)
    total = 0.0
    while True:
        # breadth-first levels from the source over arcs with residual capacity
        level[:] = -1
        level[top, source] = 0
        queue_layer[0], queue_node[0] = top, source
        head, tail = 0, 1
        while head < tail:
            layer, node = queue_layer[head], queue_node[head]
            head += 1
            for arc in range(2 * n):
                residual, next_layer, next_node = _residual(capacities, flows, layer, node, arc, sink)
                if residual > EPSILON and level[next_layer, next_node] < 0:
                    level[next_layer, next_node] = level[layer, node] + 1
                    queue_layer[tail], queue_node[tail] = next_layer, next_node
                    tail += 1
        if level[0, sink] < 0:
            return total
        # blocking flow: depth-first along increasing levels, advancing each node's arc pointer
        pointer[:] = 0
        while True:
            depth = 0
            path_layer[0], path_node[0] = top, source
            found = False
            while depth >= 0:
                layer, node = path_layer[depth], path_node[depth]
                if layer == 0 and node == sink:
                    found = True
                    break
                advanced = False
                while pointer[layer, node] < 2 * n:
                    arc = pointer[layer, node]
                    residual, next_layer, next_node = _residual(capacities, flows, layer, node, arc, sink)
                    if residual > EPSILON and level[next_layer, next_node] == level[layer, node] + 1:
                        path_arc[depth] = arc
                        depth += 1
                        path_layer[depth], path_node[depth] = next_layer, next_node
                        advanced = True
                        break
                    pointer[layer, node] += 1
                if not advanced:
                    level[layer, node] = -1  # dead end for the rest of this phase
                    depth -= 1
                    if depth >= 0:
                        pointer[path_layer[depth], path_node[depth]] += 1
            if not found:
                break
            bottleneck = np.inf
            for d in range(depth):
                residual, _, _ = _residual(capacities, flows, path_layer[d], path_node[d], path_arc[d], sink)
                bottleneck = min(bottleneck, residual)
            for d in range(depth):
                layer, node, arc = path_layer[d], path_node[d], path_arc[d]
                if arc < n:
                    flows[layer - 1, node, arc] += bottleneck
                else:
                    flows[layer, arc - n, node] -= bottleneck
            total += bottleneck


_SOLVER = (_flow_pairs, _max_flow, _residual)
