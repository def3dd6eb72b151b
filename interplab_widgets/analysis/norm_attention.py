"""Norm-based attention (Kobayashi et al., 2020): weight times the size of what is moved.

A head moves ``alpha_ij * f(x_j)`` from token j to token i, where ``f`` is the head's
value and output projection. A large weight on a token whose transformed vector is
tiny moves almost nothing; ``||alpha_ij f(x_j)||`` measures what actually arrives.
"""

from __future__ import annotations

import numpy as np
import torch

from ..capture.trace import Trace


def transformed_values(trace: Trace, layer: int) -> torch.Tensor:
    """``f_h(x_j)``: each head's value vector of each token through its slice of the output
    projection, ``[heads, key, d_model]`` (output bias left out: it is added once, not per token)."""
    handle = trace.handle
    values = trace.values(layer)  # [heads, key, head_dim]
    block = handle.adapter.block_list(handle.model)[layer]
    weights = handle.adapter.output_weights(block, handle.n_heads).detach().float().cpu()  # [heads, head_dim, d]
    return torch.einsum("hkd,hde->hke", values, weights)


def norm_attention(trace: Trace, layer: int, head: int | None = None) -> np.ndarray:
    """``||alpha_ij * f_h(x_j)||`` for every head, ``[heads, query, key]`` float32, or for one ``head``,
    ``[query, key]`` (from that head's pattern alone: on long inputs the layer's is never held)."""
    sizes = transformed_values(trace, layer).norm(dim=-1)  # [heads, key]
    if head is not None:
        return (trace.head_attention(layer, head) * sizes[head][None, :]).numpy()
    return (trace.attention(layer) * sizes[:, None, :]).numpy()
