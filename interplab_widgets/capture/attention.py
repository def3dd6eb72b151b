"""Recompute one layer's attention pattern from the block's cached input.

SDPA and flash kernels never materialise attention weights, and keeping every
layer's ``[heads, n, n]`` pattern does not fit in memory on long inputs. So the
capture pass keeps only the residual stream, and a pattern is recomputed on
demand by calling the layer's own attention module in eager mode on the same
input, with an eager-style additive mask. The result equals what
``output_attentions=True`` returns from an eager forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
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
    mask = torch.zeros(n, n, dtype=dtype, device=device)
    mask.masked_fill_(~allowed_keys(0, n, n, sliding_window, device), torch.finfo(dtype).min)
    return mask[None, None]


def allowed_keys(start: int, stop: int, width: int, sliding_window: int | None, device: torch.device) -> torch.Tensor:
    """Causal ``[stop - start, width]`` booleans: which of keys ``0..width`` queries ``start..stop`` may see."""
    query = torch.arange(start, stop, device=device)[:, None]
    key = torch.arange(width, device=device)[None, :]
    allowed = key <= query
    if sliding_window:
        allowed &= key > query - sliding_window
    return allowed


def layer_sliding_window(handle: ModelHandle, attention: nn.Module) -> int | None:
    """The window a layer's attention uses, if any (per layer for Qwen2 / Gemma2, per model for Mistral)."""
    if hasattr(attention, "sliding_window"):
        return attention.sliding_window
    return getattr(handle.config, "sliding_window", None)


def _replay(
    handle: ModelHandle, layer: int, residual: torch.Tensor, implementation: str, *, mask: bool = True
) -> tuple:
    """Call ``layer``'s attention module on its block input ``[1, n, d_model]`` with an eager-style mask
    (``mask=False``: none, for an implementation that masks by itself and must not hold ``n²`` of it)."""
    adapter = handle.adapter
    block = adapter.block_list(handle.model)[layer]
    attention = adapter.attention_module(block)
    hidden = adapter.attention_input(block, residual)
    n = hidden.shape[1]
    position_ids = torch.arange(n, device=hidden.device)[None]
    kwargs = adapter.attention_kwargs(handle.model, hidden, position_ids)
    additive = (
        eager_mask(
            n,
            causal=handle.is_causal,
            sliding_window=layer_sliding_window(handle, attention),
            dtype=hidden.dtype,
            device=hidden.device,
        )
        if mask
        else None
    )
    with handle.lock, eager_attention(handle.model, implementation):
        return attention(hidden, attention_mask=additive, **kwargs)


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


def _register_captures() -> None:
    """Make the recording "implementations" below attention implementations (imported late: transformers'
    modeling is heavy)."""
    from transformers import AttentionInterface

    AttentionInterface.register("interplab_values", _keep_values)
    AttentionInterface.register("interplab_scores", _keep_queries_and_keys)


@torch.no_grad()
def recompute_values(handle: ModelHandle, layer: int, residual: torch.Tensor) -> torch.Tensor:
    """Each head's value vectors ``[heads, key, head_dim]`` of ``layer``, from the model's own projections."""
    _register_captures()
    _captured_values.clear()
    _replay(handle, layer, residual, "interplab_values")
    values = _captured_values.pop()
    return values[0].float()


_captured_scores: list[tuple[torch.Tensor, torch.Tensor, float, float | None]] = []


def _keep_queries_and_keys(module: nn.Module, query, key, value, attention_mask, scaling=None, dropout=0.0,
                           softcap=None, **kwargs):  # fmt: skip
    """An attention "implementation" that records what the scores are made of: queries ``[b, heads, n, d]``,
    keys ``[b, kv_heads, n, d]`` (after rotary and any q/k norm), the scale and Gemma 2's soft cap."""
    _captured_scores.append((query, key, query.shape[-1] ** -0.5 if scaling is None else scaling, softcap))
    batch, heads, n, head_dim = query.shape[0], query.shape[1], query.shape[2], value.shape[-1]
    return value.new_zeros(batch, n, heads, head_dim), None


SUMMARY_CHUNK_BYTES = 8 * 2**20
"""Scores of one query chunk, ``heads × rows × n`` float32, stay within this: small enough that a chunk's scores
and its exponentials stay in the CPU's cache between the passes over them (64 MiB chunks went to memory on each)."""


@torch.no_grad()
def score_chunks(
    handle: ModelHandle,
    layer: int,
    residual: torch.Tensor,
    *,
    queries: int | range | None = None,
    heads: Sequence[int] | None = None,
    chunk_bytes: int = SUMMARY_CHUNK_BYTES,
) -> Iterator[tuple[int, torch.Tensor]]:
    """``(start, s)`` for consecutive chunks of query rows of ``layer``'s attention scores before the softmax,
    ``s`` = ``[heads, rows, width]`` float32, scaled, soft-capped and masked (masked keys hold the float32
    minimum, so ``exp`` and ``softmax`` give exactly 0 there), from the layer's own queries and keys after
    rotary and any q/k norm. A causal chunk's ``width`` is its last row + 1: the keys after it are masked anyway.
    This is the one replay of the layer that :func:`pattern_chunks` and :func:`attention_summary` make."""
    _register_captures()
    _captured_scores.clear()
    _replay(handle, layer, residual, "interplab_scores", mask=False)
    query, key, scaling, softcap = _captured_scores.pop()
    q, k = query[0].float() * scaling, key[0].float()  # the scale on the queries: n·d multiplications, not n²
    n_heads, n = q.shape[0], q.shape[1]
    groups = n_heads // k.shape[0]
    if heads is not None:
        q, k = q[list(heads)], k[[head // groups for head in heads]]
        groups = 1
    kt = k.transpose(1, 2).contiguous()  # [kv heads, d, n]: each head group's queries meet their keys in one matmul
    selected = q.shape[0]
    if groups > 1:
        q = q.view(kt.shape[0], groups, n, q.shape[-1])
    causal = handle.is_causal
    block = handle.adapter.block_list(handle.model)[layer]
    window = layer_sliding_window(handle, handle.adapter.attention_module(block))
    if window is not None and window >= n:
        window = None
    rows = max(1, chunk_bytes // (4 * selected * n))
    span = queries if isinstance(queries, range) else range(n if queries is None else queries)
    end = min(n, span.stop)
    lowest = torch.finfo(torch.float32).min
    for start in range(span.start, end, rows):
        stop = min(end, start + rows)
        width = stop if causal else n
        if groups > 1:
            chunk = q[:, :, start:stop].reshape(kt.shape[0], groups * (stop - start), q.shape[-1])
            scores = (chunk @ kt[..., :width]).view(selected, stop - start, width)
        else:
            scores = q[:, start:stop] @ kt[..., :width]
        if softcap is not None:
            scores = torch.tanh(scores / softcap) * softcap
        if causal and window is None:  # only the chunk's own square has keys after a query
            future = torch.ones(stop - start, stop - start, dtype=torch.bool, device=q.device).triu_(1)
            scores[..., start:stop].masked_fill_(future, lowest)
        elif causal:
            scores.masked_fill_(~allowed_keys(start, stop, width, window, q.device), lowest)
        yield start, scores


@torch.no_grad()
def pattern_chunks(
    handle: ModelHandle,
    layer: int,
    residual: torch.Tensor,
    *,
    queries: int | range | None = None,
    heads: Sequence[int] | None = None,
    chunk_bytes: int = SUMMARY_CHUNK_BYTES,
) -> Iterator[tuple[int, torch.Tensor]]:
    """``(start, p)`` for consecutive chunks of query rows of ``layer``'s pattern, ``p`` = ``[heads, rows, width]``
    float32 (a causal chunk's ``width`` is its last row + 1: the keys after it are masked anyway), the softmax of
    :func:`score_chunks`: the ``[heads, n, n]`` pattern is never held (8192 tokens: 2.4 GB a layer).
    ``queries``: only the first that many rows, or only this range of rows; ``heads``: only these heads."""
    for start, scores in score_chunks(handle, layer, residual, queries=queries, heads=heads, chunk_bytes=chunk_bytes):
        yield start, scores.softmax(-1)


ChunkVisitor = Callable[[int, torch.Tensor], None]
"""Called with ``(start, p)``, each query chunk of a layer's pattern as :func:`pattern_chunks` yields it."""


@torch.no_grad()
def attention_summary(
    handle: ModelHandle,
    layer: int,
    residual: torch.Tensor,
    size: int,
    *,
    chunk_bytes: int = SUMMARY_CHUNK_BYTES,
    visit: ChunkVisitor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every head's pattern averaged into ``t × t`` blocks, ``[heads, t, t]`` with ``t = min(n, size)`` (the
    numbers of ``downsample`` of the full pattern), and the head statistics ``[heads, 3]`` of
    ``head_statistics``, from :func:`score_chunks`: never the full pattern.

    The softmax is never normalised element by element: per row, ``e = exp(s - max)`` and ``z = Σ e`` give the
    entropy as ``log z - Σ e (s - max) / z`` (no logarithm per weight), and the blocks as ``e``'s rows weighted
    by ``1 / z`` summed into query bins (one matrix product per chunk), then into key bins once at the end.
    ``visit``: also hand each chunk's normalised pattern ``(start, p)`` to it, so a view that needs some of this
    layer's rows (a head's pattern, a rollout row) reads them from this pass instead of computing them again."""
    n = residual.shape[1]
    t = min(n, size)
    bins = torch.arange(n, device=residual.device) * t // n
    key_bins = torch.nn.functional.one_hot(bins, t).float()  # [n, t]
    counts = key_bins.sum(0)
    by_query_bin = entropy = first = previous = None
    for start, scores in score_chunks(handle, layer, residual, chunk_bytes=chunk_bytes):
        heads, rows, width = scores.shape
        stop = start + rows
        if by_query_bin is None:
            by_query_bin = scores.new_zeros(heads, t, n)  # [heads, query bin, key]
            entropy, first, previous = (scores.new_zeros(heads, dtype=torch.float64) for _ in range(3))
        scores -= scores.amax(-1, keepdim=True)
        e = scores.exp()
        z = e.sum(-1)  # [heads, rows]
        entropy += (z.log() - torch.linalg.vecdot(e, scores) / z).sum(-1, dtype=torch.float64)
        first += (e[..., 0] / z).sum(-1, dtype=torch.float64)
        if max(start, 1) < stop:
            after_first = torch.arange(max(start, 1), stop, device=e.device)
            rows_after = after_first - start
            previous += (e[:, rows_after, after_first - 1] / z[:, rows_after]).sum(-1, dtype=torch.float64)
        low, high = int(bins[start]), int(bins[stop - 1]) + 1
        weights = e.new_zeros(heads, high - low, rows)  # row r of the chunk, divided by its z, into its bin
        weights[:, bins[start:stop] - low, torch.arange(rows, device=e.device)] = 1 / z
        by_query_bin[:, low:high, :width] += weights @ e
        if visit is not None:
            visit(start, e.div_(z[..., None]))
    blocks = by_query_bin @ key_bins
    blocks /= counts[:, None] * counts[None, :]
    statistics = torch.stack([entropy / n / math.log(2), first / n, previous / max(1, n - 1)], dim=-1)
    return blocks.cpu(), statistics.float().cpu()
