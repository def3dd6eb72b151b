"""Recompute one layer's attention pattern from the block's cached input.

SDPA and flash kernels never materialise attention weights, and keeping every
layer's ``[heads, n, n]`` pattern does not fit in memory on long inputs. So the
capture pass keeps only the residual stream, and a pattern is recomputed on
demand by calling the layer's own attention module in eager mode on the same
input, with an eager-style additive mask. The result equals what
``output_attentions=True`` returns from an eager forward pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from ..models.handle import ModelHandle


@contextmanager
def eager_attention(model: nn.Module, implementation: str = "eager") -> Iterator[None]:
    """Switch every config the model's modules read to eager attention (or another
    registered ``implementation``), and back."""
    configs = {id(model.config): model.config}
    for module in model.modules():
        config = getattr(module, "config", None)
        if config is not None and hasattr(config, "_attn_implementation"):
            configs[id(config)] = config
    saved = {key: config._attn_implementation for key, config in configs.items()}
    try:
        for config in configs.values():
            config._attn_implementation = implementation
        yield
    finally:
        for key, config in configs.items():
            config._attn_implementation = saved[key]


def eager_mask(
    n: int, *, causal: bool, sliding_window: int | None, dtype: torch.dtype, device: torch.device
) -> torch.Tensor | None:
    """Additive mask ``[1, 1, n, n]``: 0 where a query may look, the dtype's minimum elsewhere."""
    if not causal:
        return None
    query = torch.arange(n, device=device)[:, None]
    key = torch.arange(n, device=device)[None, :]
    allowed = key <= query
    if sliding_window:
        allowed &= key > query - sliding_window
    mask = torch.zeros(n, n, dtype=dtype, device=device)
    mask.masked_fill_(~allowed, torch.finfo(dtype).min)
    return mask[None, None]


def layer_sliding_window(handle: ModelHandle, attention: nn.Module) -> int | None:
    """The window a layer's attention uses, if any (per layer for Qwen2 / Gemma2, per model for Mistral)."""
    if hasattr(attention, "sliding_window"):
        return attention.sliding_window
    return getattr(handle.config, "sliding_window", None)


def _replay(handle: ModelHandle, layer: int, residual: torch.Tensor, implementation: str) -> tuple:
    """Call ``layer``'s attention module on its block input ``[1, n, d_model]`` with an eager-style mask."""
    adapter = handle.adapter
    block = adapter.block_list(handle.model)[layer]
    attention = adapter.attention_module(block)
    hidden = adapter.attention_input(block, residual)
    n = hidden.shape[1]
    position_ids = torch.arange(n, device=hidden.device)[None]
    kwargs = adapter.attention_kwargs(handle.model, hidden, position_ids)
    mask = eager_mask(
        n,
        causal=handle.is_causal,
        sliding_window=layer_sliding_window(handle, attention),
        dtype=hidden.dtype,
        device=hidden.device,
    )
    with handle.lock, eager_attention(handle.model, implementation):
        return attention(hidden, attention_mask=mask, **kwargs)


@torch.no_grad()
def recompute_attention(handle: ModelHandle, layer: int, residual: torch.Tensor) -> torch.Tensor:
    """Attention pattern ``[heads, query, key]`` of ``layer`` from its block input ``[1, n, d_model]``."""
    _, weights = _replay(handle, layer, residual, "eager")[:2]
    return weights[0].float()


_captured_values: list[torch.Tensor] = []


def _keep_values(module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, *args, **kwargs):
    """An attention "implementation" that only records the value vectors ``[b, heads, n, head_dim]``."""
    groups = query.shape[1] // value.shape[1]
    _captured_values.append(value.repeat_interleave(groups, dim=1) if groups > 1 else value)
    batch, heads, n, head_dim = query.shape[0], query.shape[1], query.shape[2], value.shape[-1]
    return value.new_zeros(batch, n, heads, head_dim), None


def _register_value_capture() -> None:
    """Make ``_keep_values`` an attention implementation (imported late: transformers' modeling is heavy)."""
    from transformers import AttentionInterface

    AttentionInterface.register("interplab_values", _keep_values)


@torch.no_grad()
def recompute_values(handle: ModelHandle, layer: int, residual: torch.Tensor) -> torch.Tensor:
    """Each head's value vectors ``[heads, key, head_dim]`` of ``layer``, from the model's own projections."""
    _register_value_capture()
    _captured_values.clear()
    _replay(handle, layer, residual, "interplab_values")
    values = _captured_values.pop()
    return values[0].float()
