"""Detail-panel modes of AttentionExplorer: what matrix ``[query, key]`` a head selection shows.

A mode is one function; ``register_attention_mode`` makes it a choice in every new view,
so flow or norm-based attention plug in without changing the view. A mode may also read its
matrix from the query chunks of the pass over every layer that the grid's thumbnails make
(``from_chunks``), so a new text's first detail costs no second pass over the layers it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..analysis.flow import attention_flow
from ..analysis.norm_attention import norm_attention
from ..analysis.rollout import RolloutRow, attention_rollout, rollout_row
from ..capture.attention import ChunkVisitor
from ..capture.trace import Trace
from ..errors import InputError
from .attention_viewport import Rows


class ChunkReader:
    """A mode's matrix read from the query chunks of a pass over the layers that is made anyway (the grid's
    thumbnails): that pass calls :meth:`visitor` before each layer of :attr:`layers`, in that order, hands the
    visitor every chunk ``(start, p)`` of the layer's pattern, calls :meth:`end_layer`, and finally
    :meth:`result`, which equals the mode's ``compute``."""

    layers: tuple[int, ...] = ()

    def visitor(self, layer: int) -> ChunkVisitor:
        raise NotImplementedError

    def end_layer(self, layer: int) -> None:
        """Called after the last chunk of ``layer``."""

    def result(self) -> np.ndarray | Rows:
        raise NotImplementedError


class HeadRows(ChunkReader):
    """One head's pattern ``[n, n]`` (what ``raw`` shows), kept from its layer's chunks."""

    def __init__(self, trace: Trace, layer: int, head: int) -> None:
        self.layers, self.head = (layer,), head
        self.rows = torch.zeros(trace.n_tokens, trace.n_tokens)

    def visitor(self, layer: int) -> ChunkVisitor:
        def keep(start: int, p: torch.Tensor) -> None:
            self.rows[start : start + p.shape[1], : p.shape[2]] = p[self.head].cpu()

        return keep

    def result(self) -> np.ndarray:
        return self.rows.numpy()


class RolloutOfToken(ChunkReader):
    """The pinned token's rollout row through layers ``layer..0`` (top down), from the layers' chunks."""

    def __init__(self, trace: Trace, layer: int, token: int) -> None:
        self.layers = tuple(range(layer, -1, -1))
        self.position = token if token >= 0 else trace.n_tokens - 1  # as _one_row: the last token when none
        self.composed = RolloutRow(trace.n_tokens, self.position)

    def visitor(self, layer: int) -> ChunkVisitor:
        self.composed.begin_layer()
        return self.composed.add

    def end_layer(self, layer: int) -> None:
        self.composed.end_layer()

    def result(self) -> Rows:
        return Rows(np.array([self.position]), self.composed.row[None])


@dataclass(frozen=True)
class AttentionMode:
    """``compute(trace, layer, head, token) -> [n, n]`` (or :class:`Rows` of it); ``per_head`` / ``per_token``
    say what it depends on (``per_token_from``: the pinned token, from this many tokens on). ``from_chunks``
    (same arguments): a :class:`ChunkReader` that gives ``compute``'s answer from the layers' query chunks, or
    ``None`` where that does not apply."""

    name: str
    compute: Callable[[Trace, int, int, int], np.ndarray | Rows]
    per_head: bool
    per_token: bool = False
    description: str = ""
    per_token_from: int | None = None
    from_chunks: Callable[[Trace, int, int, int], ChunkReader | None] | None = None

    def depends_on_token(self, n_tokens: int) -> bool:
        return self.per_token or (self.per_token_from is not None and n_tokens >= self.per_token_from)


ROW_ONLY_FROM = 1024
"""From this many tokens on, rollout computes only the pinned token's row: ``n²`` per layer instead of ``n³``."""
FLOW_MAX_BYTES = 2 * 2**30
"""Flow holds every layer's fused pattern up to the selected one; beyond this it refuses, saying what to cut."""
FLOW_MAX_WORK = 4 * 10**10
"""A flow row's max-flow work grows as ``(layers)² · n³`` (measured on 2 cores: 7 s at 256 tokens through 8 layers,
101 s at 512, 70-150 s at 300 through all 30, 630 s at 2,048 through 2 beside other work): beyond this it refuses
rather than hold the worker for hours (2,048 tokens through 30 layers: a day or more)."""


ATTENTION_MODES: dict[str, AttentionMode] = {}


def register_attention_mode(mode: AttentionMode) -> AttentionMode:
    ATTENTION_MODES[mode.name] = mode
    return mode


register_attention_mode(
    AttentionMode(
        name="raw",
        compute=lambda trace, layer, head, token: trace.head_attention(layer, head).numpy(),
        per_head=True,
        description="the head's attention weights",
        from_chunks=lambda trace, layer, head, token: HeadRows(trace, layer, head),
    )
)


def _one_row(trace: Trace, token: int, row: np.ndarray) -> Rows:
    """The pinned token's row (the last token's when none is pinned): the other rows are not computed."""
    return Rows(np.array([token if token >= 0 else trace.n_tokens - 1]), row[None])


def _rollout(trace: Trace, layer: int, head: int, token: int) -> np.ndarray | Rows:
    """The whole rollout matrix on short inputs; from :data:`ROW_ONLY_FROM` tokens the pinned token's row."""
    if trace.n_tokens < ROW_ONLY_FROM:
        return attention_rollout(trace, end_layer=layer)
    position = token if token >= 0 else trace.n_tokens - 1
    return _one_row(trace, token, rollout_row(trace, position, end_layer=layer))


register_attention_mode(
    AttentionMode(
        name="rollout",
        compute=_rollout,
        per_head=False,
        description="attention rollout through layers 0..layer (heads averaged, residual added)",
        per_token_from=ROW_ONLY_FROM,
        from_chunks=lambda trace, layer, head, token: (
            RolloutOfToken(trace, layer, token) if trace.n_tokens >= ROW_ONLY_FROM else None
        ),
    )
)


def _flow_of_token(trace: Trace, layer: int, head: int, token: int) -> Rows:
    """The pinned token's row of attention flow through layers 0..layer (last token when none is pinned)."""
    check_flow_size(trace.n_tokens, layer, trace.n_heads)
    position = token if token >= 0 else trace.n_tokens - 1
    stack = np.stack([pattern.numpy() for _, pattern in trace.attentions(range(layer + 1))])
    return _one_row(trace, token, attention_flow(stack, positions=[position])[0])


def check_flow_size(n: int, layer: int, heads: int) -> None:
    """Refuse, before any pattern is computed, a flow row over :data:`FLOW_MAX_BYTES` of patterns or over
    :data:`FLOW_MAX_WORK` (its max-flow problems are not cancellable once started)."""
    needed = 2 * (layer + 1) * heads * n**2 * 4  # the patterns and their fused capacities
    work = (layer + 1) ** 2 * n**3
    if needed <= FLOW_MAX_BYTES and work <= FLOW_MAX_WORK:
        return
    longest = int(
        min((FLOW_MAX_BYTES / (8 * (layer + 1) * heads)) ** 0.5, (FLOW_MAX_WORK / (layer + 1) ** 2) ** (1 / 3))
    )
    deepest = int(min((FLOW_MAX_BYTES / (8 * heads * n**2)), (FLOW_MAX_WORK / n**3) ** 0.5)) - 1
    what = (
        f"needs {needed / 2**30:.1f} GiB (every layer's pattern), over the {FLOW_MAX_BYTES / 2**30:.0f} GiB limit"
        if needed > FLOW_MAX_BYTES
        else f"is {work / FLOW_MAX_WORK:.1f}x the work limit (about 10 minutes of max-flow problems on 2 cores)"
    )
    nearer = f"pick layer {deepest} or nearer 0, " if deepest >= 0 else ""
    raise InputError(
        f"Flow through layers 0..{layer} at {n} tokens {what}: {nearer}cut the text to about {longest} tokens, "
        "or use rollout (one row from query chunks)."
    )


register_attention_mode(
    AttentionMode(
        name="flow",
        compute=_flow_of_token,
        per_head=False,
        per_token=True,
        description="maximum attention flow from the pinned token (default: the last) through layers 0..layer",
    )
)
register_attention_mode(
    AttentionMode(
        name="norm",
        compute=lambda trace, layer, head, token: norm_attention(trace, layer, head),
        per_head=True,
        description="||weight x transformed value||: how much of each token actually reaches the query",
    )
)
