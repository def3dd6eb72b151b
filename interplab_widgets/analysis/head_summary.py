"""Per-head summaries that fit in a grid: thumbnails and a few scalar statistics."""

from __future__ import annotations

import numpy as np

#: Names of the columns :func:`head_statistics` returns, in order.
HEAD_STATISTICS = ("entropy", "first_token", "previous_token")


def thumbnail_bins(n: int, size: int) -> np.ndarray:
    """First token index of each of ``min(n, size)`` bins; token i falls in bin ``i * size // n``."""
    size = min(n, size)
    return np.array([-(-b * n // size) for b in range(size)])


def downsample(patterns: np.ndarray, size: int) -> np.ndarray:
    """Block means ``[..., n, n] -> [..., t, t]`` with ``t = min(n, size)``."""
    n = patterns.shape[-1]
    starts = thumbnail_bins(n, size)
    counts = np.diff(np.append(starts, n))
    sums = np.add.reduceat(np.add.reduceat(patterns, starts, axis=-1), starts, axis=-2)
    return sums / counts[:, None] / counts[None, :]


def head_statistics(patterns: np.ndarray) -> np.ndarray:
    """``[heads, n, n] -> [heads, 3]``: mean row entropy (bits), mean attention to the first token,
    and mean attention to the previous token (rows 1..n-1)."""
    p = np.clip(patterns, 1e-12, 1.0)
    entropy = -(patterns * np.log2(p)).sum(-1).mean(-1)
    first = patterns[..., 0].mean(-1)
    n = patterns.shape[-1]
    previous = patterns[..., np.arange(1, n), np.arange(n - 1)].mean(-1) if n > 1 else np.zeros(len(patterns))
    return np.stack([entropy, first, previous], axis=-1)
