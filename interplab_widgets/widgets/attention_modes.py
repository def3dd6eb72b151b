"""Detail-panel modes of AttentionExplorer: what matrix ``[query, key]`` a head selection shows.

A mode is one function; ``register_attention_mode`` makes it a choice in every new view,
so flow or norm-based attention plug in without changing the view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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
