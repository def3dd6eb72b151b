"""Budgets for long inputs: estimate what a computation needs, and refuse before it starts when that is too much.

There are two kinds of limit, and both are checked before any model run:

- memory: the bytes one *row* holds above the weights, where a row is one pass over ``n`` tokens, forward
  only or forward and backward. :func:`pass_bytes` gives the law measured on SmolLM2
  (``benchmarks/long_budgets.py``). Callers batch rows within a byte budget with :func:`rows_within`.
- work: how many tokens a computation's passes push through the model, with attention's ``n²`` term counted
  (:func:`pass_cost`). A grid that would take hours is refused by :func:`check_work`, and the error says
  what to cut.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from ..errors import InputError

if TYPE_CHECKING:
    from ..models.handle import ModelHandle

GRAD_FLOATS = 18
"""Floats per token, layer and ``d_model`` that a row keeps for the backward. On SmolLM2 with SDPA, a
gradient pass measured 1.0–1.2 MiB per token from 256 to 4,096 tokens (``benchmarks/long_budgets.py``):
1.18 MiB per token, linear, and about 10 GiB at 8,192 tokens."""
QUADRATIC_FROM = 3072
"""At this many tokens, attention costs as much time per token as the rest of the pass. Forward passes of
SmolLM2 on CPU, timed from 256 to 8,192 tokens, fit 3,038 (``benchmarks/long_budgets.py``). The FLOP count
of attention, without causal skipping, gives 3,072 too."""
GRAD_PASS_COST = 3
"""A forward and backward pass costs this many forward passes (the backward does about twice the forward's
products)."""
WORK_HINT = "1–3 hours on 2 CPU cores; on a GPU it can be raised a hundredfold"


def materialises_attention(handle: ModelHandle) -> bool:
    """Whether the model's attention builds the ``[heads, n, n]`` weights. Eager attention does; SDPA and
    flash kernels keep a row's running sums instead."""
    return getattr(handle.model.config, "_attn_implementation", "eager") == "eager"


def pass_bytes(handle: ModelHandle, n: int, *, grad: bool, eager: bool | None = None) -> int:
    """The bytes one row of ``n`` tokens holds above the weights, as measured on SmolLM2.

    Without gradients, one layer's activations live at a time (the MLP's widest), measured at 45 KB per
    token (measured: 41 KiB per token, linear, 0.27 GiB at 8,192 tokens). With gradients, every layer
    keeps :data:`GRAD_FLOATS` ``· d_model`` floats per token. Eager attention adds its ``[heads, n, n]``
    weights: one layer's scores and weights in a forward pass, and every layer's weights when a backward
    needs them (measured: 2.4 GiB at 1,024 tokens, against 1.2 GiB with SDPA). With gradients, fused kernels
    add a few ``n × n`` floats. ``eager`` defaults to the model's own attention.
    """
    h = handle
    eager = materialises_attention(h) if eager is None else eager
    d_ff = getattr(h.config, "intermediate_size", 4 * h.d_model)
    per_token = h.n_layers * GRAD_FLOATS * h.d_model if grad else 4 * d_ff + 8 * h.d_model
    if eager:
        square = ((h.n_layers + 8) if grad else 2) * h.n_heads
    else:
        square = 4 if grad else 0
    return 4 * (n * per_token + square * n * n + 4 * n * h.d_model)


def longest(fits: Callable[[int], bool], upper: int) -> int:
    """The largest ``n`` in ``1..upper`` with ``fits(n)`` (``fits`` grows harder with ``n``); 0 if none."""
    low, high = 0, upper
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def rows_within(
    handle: ModelHandle,
    n: int,
    max_bytes: int,
    *,
    grad: bool,
    eager: bool | None = None,
    per_token: int = 0,
) -> int:
    """How many rows of ``n`` tokens one batch may hold within ``max_bytes``. ``per_token`` counts bytes
    that the computation holds besides its rows, per token. If a single row is already over the limit, this
    raises an :class:`InputError` that names the text length that fits and the ``max_bytes`` this length
    needs."""
    per_row = pass_bytes(handle, n, grad=grad, eager=eager) + per_token * n
    if per_row > max_bytes:
        fitting = longest(lambda m: pass_bytes(handle, m, grad=grad, eager=eager) + per_token * m <= max_bytes, n)
        kind = "gradient pass" if grad else "pass"
        memory = device_bytes(handle)
        raise_it = (
            f", or raise max_bytes to {_ceil_gib(per_row)} GiB"
            if memory is None or per_row < 0.8 * memory
            else f" (raising max_bytes would not help: that is more than this machine's {memory / 2**30:.0f} GiB)"
        )
        raise InputError(
            f"One {kind} over {n} tokens needs about {per_row / 2**30:.1f} GiB, above max_bytes="
            f"{max_bytes / 2**30:.1f} GiB: shorten the text to at most {fitting} tokens{raise_it}."
        )
    return max(1, max_bytes // per_row)


def device_bytes(handle: ModelHandle) -> int | None:
    """The memory of the model's device: the GPU's, or this machine's RAM on a CPU (``None`` if unknown)."""
    device = torch.device(handle.device)
    try:
        if device.type == "cuda":
            return int(torch.cuda.get_device_properties(device).total_memory)
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError, RuntimeError):
        return None


def pass_cost(n: int) -> float:
    """The time of one pass over ``n`` tokens, counted in tokens of a short pass: ``n · (1 + n /``
    :data:`QUADRATIC_FROM` ``)``."""
    return n * (1 + n / QUADRATIC_FROM)


def check_work(work: float, limit: float, what: str, limit_name: str, cut: str) -> None:
    """Refuse ``what`` if its ``work`` (in :func:`pass_cost` tokens) is over ``limit``. The message gives
    the estimate, the limit (and the constant ``limit_name`` that sets it) and what to ``cut``."""
    if work > limit:
        raise InputError(
            f"{what}: about {work:.2g} tokens of model work (attention's n² counted), over the limit of "
            f"{limit:.2g} ({limit_name}; {WORK_HINT}). {cut}"
        )


def _ceil_gib(size: float) -> int:
    return int(-(-size // 2**30))
