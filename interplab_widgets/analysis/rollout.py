"""Attention rollout (Abnar & Zuidema, 2020): attention composed through the layers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch

from ..progress import steps

HEAD_FUSIONS = ("mean", "max", "min")


def fuse_heads(pattern: torch.Tensor, head_fusion: str = "mean") -> torch.Tensor:
    """One ``[n, n]`` matrix from a layer's ``[heads, n, n]`` patterns."""
    if head_fusion == "mean":
        return pattern.mean(0)
    if head_fusion == "max":
        return pattern.max(0).values
    if head_fusion == "min":
        return pattern.min(0).values
    raise ValueError(f"head_fusion must be one of {HEAD_FUSIONS}, got {head_fusion!r}.")


def layer_patterns(attentions: Any, start_layer: int, end_layer: int | None) -> Iterable[torch.Tensor]:
    """``[heads, n, n]`` float64 tensors from a Trace (one layer at a time) or a ``[layers, heads, n, n]`` array."""
    if hasattr(attentions, "attentions") and hasattr(attentions, "n_layers"):  # a Trace
        last = attentions.n_layers - 1 if end_layer is None else end_layer
        return (p.double() for _, p in attentions.attentions(range(start_layer, last + 1)))
    stack = torch.as_tensor(np.asarray(attentions) if not torch.is_tensor(attentions) else attentions)
    if stack.dim() != 4 or stack.shape[-1] != stack.shape[-2]:
        raise ValueError(f"attentions must be [layers, heads, n, n]; got shape {tuple(stack.shape)}.")
    last = stack.shape[0] - 1 if end_layer is None else end_layer
    return (stack[layer].double() for layer in range(start_layer, last + 1))


def mixed_attention(
    attentions: Any, residual: bool, head_fusion: str, start_layer: int = 0, end_layer: int | None = None
) -> Iterator[torch.Tensor]:
    """Per layer, the ``[n, n]`` float64 matrix rollout and flow work on: heads fused, then
    ``0.5 * A + 0.5 * I`` for the residual, rows renormalised."""
    for pattern in layer_patterns(attentions, start_layer, end_layer):
        fused = fuse_heads(pattern, head_fusion)
        if residual:
            fused = 0.5 * fused + 0.5 * torch.eye(fused.shape[-1], dtype=fused.dtype)
        yield fused / fused.sum(-1, keepdim=True)


def attention_rollout(
    attentions: Any,
    residual: bool = True,
    head_fusion: str = "mean",
    start_layer: int = 0,
    end_layer: int | None = None,
) -> np.ndarray:
    """Rollout ``[n, n]``: row i is how much position i at the output of ``end_layer`` draws from each input token.

    Args:
        attentions: a Trace, or patterns ``[layers, heads, n, n]``.
        residual: model the skip connection as ``0.5 * A + 0.5 * I`` (rows renormalised).
        head_fusion: how heads combine within a layer: ``"mean"``, ``"max"`` or ``"min"``.
        start_layer: the first layer composed (default: 0).
        end_layer: the last layer composed, inclusive (default: the last one).
    """
    rollout = None
    for mixed in mixed_attention(attentions, residual, head_fusion, start_layer, end_layer):
        rollout = mixed if rollout is None else mixed @ rollout
    if rollout is None:
        raise ValueError(f"No layers between start_layer={start_layer} and end_layer={end_layer}.")
    return rollout.float().numpy()


class RolloutRow:
    """Row ``token`` of :func:`attention_rollout`, composed from the top layer down out of query chunks that the
    caller feeds in, layer by layer: :meth:`begin_layer`, :meth:`add` for each chunk ``(start, [heads, rows,
    width])`` of that layer's pattern (in any order; rows at or past :attr:`reached` may be left out), then
    :meth:`end_layer`. So a pass over a layer's chunks that is made anyway (the grid's thumbnails) serves it too."""

    def __init__(self, n: int, token: int, residual: bool = True, head_fusion: str = "mean") -> None:
        if not 0 <= token < n:
            raise ValueError(f"token must be in 0..{n - 1}, got {token}.")
        self.residual, self.head_fusion = residual, head_fusion
        self.vector = torch.zeros(n, dtype=torch.float64)
        self.vector[token] = 1.0
        self._out: torch.Tensor | None = None

    @property
    def reached(self) -> int:
        """The query rows the next layer needs (a causal model's: those up to the token)."""
        return int(self.vector.nonzero().max()) + 1

    def begin_layer(self) -> None:
        self._out = torch.zeros_like(self.vector)

    def add(self, start: int, chunk: torch.Tensor) -> None:
        """Multiply the vector's entries ``start..start + rows`` by those rows of the layer's mixed matrix."""
        stop, width = start + chunk.shape[1], chunk.shape[2]
        weights = self.vector[start:stop]
        if not weights.any():
            return
        fused = fuse_heads(chunk, self.head_fusion).double().cpu()  # [rows, width]
        if self.residual:  # rows of 0.5 * A + 0.5 * I, renormalised
            weights = 0.5 * weights / (0.5 * fused.sum(-1) + 0.5)
            self._out[start:stop] += weights
        else:
            weights = weights / fused.sum(-1)
        self._out[:width] += weights @ fused

    def end_layer(self) -> None:
        self.vector, self._out = self._out, None

    @property
    def row(self) -> np.ndarray:
        """``[n]`` float32: the row after the layers composed so far."""
        return self.vector.float().numpy()


def rollout_row(
    trace: Any, token: int, residual: bool = True, head_fusion: str = "mean", start_layer: int = 0,
    end_layer: int | None = None,
) -> np.ndarray:  # fmt: skip
    """Row ``token`` of :func:`attention_rollout` (``[n]``): a vector times each layer's matrix from the top
    layer down, read from the pattern's query chunks (:meth:`Trace.pattern_chunks`, through :class:`RolloutRow`),
    so ``n²`` work per layer instead of ``n³`` and never a whole pattern in memory. Only rows the vector reaches
    are computed (a causal model's: those up to ``token``). Each layer is a checkpoint and a share of the
    request's progress."""
    n = trace.n_tokens
    composed = RolloutRow(n, token, residual, head_fusion)
    last = trace.n_layers - 1 if end_layer is None else end_layer
    for layer in steps(range(last, start_layer - 1, -1), disable=n < 1024, desc="rollout row", leave=False):
        composed.begin_layer()
        for start, chunk in trace.pattern_chunks(layer, queries=composed.reached):
            composed.add(start, chunk)
        composed.end_layer()
    return composed.row
