"""Detail-panel modes of AttentionExplorer: what matrix ``[query, key]`` a head selection shows.

A mode is one function; ``register_attention_mode`` makes it a choice in every new view,
so flow or norm-based attention plug in without changing the view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..analysis.flow import attention_flow
from ..analysis.norm_attention import norm_attention
from ..analysis.rollout import attention_rollout
from ..capture.trace import Trace


@dataclass(frozen=True)
class AttentionMode:
    """``compute(trace, layer, head, token) -> [n, n]``; ``per_head`` / ``per_token`` say what it depends on."""

    name: str
    compute: Callable[[Trace, int, int, int], np.ndarray]
    per_head: bool
    per_token: bool = False
    description: str = ""


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
    )
)
register_attention_mode(
    AttentionMode(
        name="rollout",
        compute=lambda trace, layer, head, token: attention_rollout(trace, end_layer=layer),
        per_head=False,
        description="attention rollout through layers 0..layer (heads averaged, residual added)",
    )
)


def _flow_of_token(trace: Trace, layer: int, head: int, token: int) -> np.ndarray:
    """The pinned token's row of attention flow through layers 0..layer (last token when none is pinned)."""
    position = token if token >= 0 else trace.n_tokens - 1
    matrix = np.zeros((trace.n_tokens, trace.n_tokens), dtype=np.float32)
    stack = np.stack([pattern.numpy() for _, pattern in trace.attentions(range(layer + 1))])
    matrix[position] = attention_flow(stack, positions=[position])[0]
    return matrix


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
        compute=lambda trace, layer, head, token: norm_attention(trace, layer)[head],
        per_head=True,
        description="||weight x transformed value||: how much of each token actually reaches the query",
    )
)
