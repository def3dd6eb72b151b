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
from ..analysis.rollout import attention_rollout, rollout_row
from ..capture.trace import Trace
from ..errors import InputError
from .attention_viewport import Rows


@dataclass(frozen=True)
class AttentionMode:
    """``compute(trace, layer, head, token) -> [n, n]`` (or :class:`Rows` of it); ``per_head`` / ``per_token`` say what it depends on
    (``per_token_from``: the pinned token, from this many tokens on)."""

    name: str
    compute: Callable[[Trace, int, int, int], np.ndarray | Rows]
    per_head: bool
    per_token: bool = False
    description: str = ""
    per_token_from: int | None = None

    def depends_on_token(self, n_tokens: int) -> bool:
        return self.per_token or (self.per_token_from is not None and n_tokens >= self.per_token_from)


ROW_ONLY_FROM = 1024
"""From this many tokens on, rollout computes only the pinned token's row: ``n²`` per layer instead of ``n³``."""
FLOW_MAX_BYTES = 2 * 2**30
"""Flow holds every layer's fused pattern up to the selected one; beyond this it refuses, saying what to cut."""


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
    )
)


def _flow_of_token(trace: Trace, layer: int, head: int, token: int) -> Rows:
    """The pinned token's row of attention flow through layers 0..layer (last token when none is pinned)."""
    position = token if token >= 0 else trace.n_tokens - 1
    needed = 2 * (layer + 1) * trace.n_heads * trace.n_tokens**2 * 4  # the patterns and their fused capacities
    if needed > FLOW_MAX_BYTES:
        longest = int((FLOW_MAX_BYTES / (8 * (layer + 1) * trace.n_heads)) ** 0.5)
        raise InputError(
            f"Flow through layers 0..{layer} at {trace.n_tokens} tokens needs {needed / 2**30:.1f} GiB (every layer's "
            f"pattern), over the {FLOW_MAX_BYTES / 2**30:.0f} GiB limit: pick a layer nearer 0, cut the text to "
            f"about {longest} tokens, or use rollout (one row from query chunks)."
        )
    stack = np.stack([pattern.numpy() for _, pattern in trace.attentions(range(layer + 1))])
    return _one_row(trace, token, attention_flow(stack, positions=[position])[0])


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
