"""Per-head summaries that fit in a grid: thumbnails and a few scalar statistics.

Both take ``[..., n, n]`` patterns as a tensor or an array and run in torch: at 2048
tokens a layer is 9 x 2048² weights, and these run once per layer on every new text.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

#: Names of the columns :func:`head_statistics` returns, in order.
HEAD_STATISTICS = ("entropy", "first_token", "previous_token")


def thumbnail_bins(n: int, size: int) -> np.ndarray:
    """First token index of each of ``min(n, size)`` bins; token i falls in bin ``i * size // n``."""
    size = min(n, size)
    return -(-np.arange(size) * n // size)


def downsample(patterns: Any, size: int) -> np.ndarray:
    """Block means ``[..., n, n] -> [..., t, t]`` float32 with ``t = min(n, size)``."""
    x = torch.as_tensor(patterns, dtype=torch.float32)
    n = x.shape[-1]
    t = min(n, size)
    bins = torch.arange(n) * t // n
    averaging = torch.nn.functional.one_hot(bins, t).T.float()  # [t, n]
    averaging /= averaging.sum(-1, keepdim=True)
    return (averaging @ x @ averaging.T).numpy()


def head_statistics(patterns: Any) -> np.ndarray:
    """``[heads, n, n] -> [heads, 3]`` float32: mean row entropy (bits), mean attention to the
    first token, and mean attention to the previous token (rows 1..n-1)."""
    p = torch.as_tensor(patterns, dtype=torch.float32)
    n = p.shape[-1]
    entropy = -torch.special.xlogy(p, p).sum(-1).mean(-1) / math.log(2)
    first = p[..., 0].mean(-1)
    previous = p.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1) if n > 1 else torch.zeros_like(first)
    return torch.stack([entropy, first, previous], dim=-1).numpy()
