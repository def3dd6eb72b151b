"""What the detail heatmap is sent: the window it shows, at screen resolution.

A head's pattern at 8,192 tokens is 67 M weights; the panel has ~400 pixels a side. So the kernel
keeps the matrix and sends the visible window as at most ``VIEWPORT_SIDE``² blocks, each the
*maximum* of its block (a mean would hide a single strong key among 32 weak ones), exact once the
window is ``VIEWPORT_SIDE`` tokens a side or less. The token-to-token lines get each query's and each
key's strongest partners once per matrix, so hovering needs no request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch

from ..analysis.head_summary import thumbnail_bins
from ..errors import InputError
from .wire import to_wire

VIEWPORT_SIDE = 256
"""Blocks a side of a window sent to the view (about the panel's pixels)."""
LINES_PER_TOKEN = 8
"""Strongest keys of each query (and queries of each key) sent for the token-to-token lines."""


@dataclass(frozen=True)
class Rows:
    """Some query rows of an ``[n, n]`` matrix (a mode asked for one pinned token): ``values[i]`` is row
    ``index[i]``; the other rows are not computed."""

    index: np.ndarray
    values: np.ndarray


class DetailMatrix:
    """A mode's answer, dense ``[n, n]`` or :class:`Rows`, and its reductions (computed once, then cached)."""

    def __init__(self, matrix: np.ndarray | Rows) -> None:
        rows = matrix if isinstance(matrix, Rows) else None
        self.values = np.ascontiguousarray(rows.values if rows else matrix, dtype=np.float32)
        self.index = None if rows is None else np.asarray(rows.index, dtype=np.int64)
        self.n = self.values.shape[1]
        if self.index is None and self.values.shape[0] != self.n:
            raise ValueError(f"A detail matrix must be [n, n] or Rows, got {self.values.shape}.")

    @property
    def nbytes(self) -> int:
        return self.values.nbytes

    @cached_property
    def scale_max(self) -> float:
        """The largest value of the whole matrix: the colour scale's top, the same at every zoom."""
        finite = self.values[np.isfinite(self.values)]
        return float(finite.max()) if finite.size else 0.0

    @cached_property
    def overview(self) -> dict[str, Any]:
        return self.part([0, self.n, 0, self.n])

    def check_window(self, window: list[int] | tuple[int, ...]) -> list[int] | None:
        """``[]`` → None (the whole matrix); else ``[q0, q1, k0, k1]`` checked against ``n``."""
        if len(window) == 0:
            return None
        n = self.n
        if len(window) != 4 or not all(isinstance(v, (int, np.integer)) for v in window):
            raise InputError(f"detail_window must be [] or four token indices [q0, q1, k0, k1], got {window!r}.")
        q0, q1, k0, k1 = (int(v) for v in window)
        if not (0 <= q0 < q1 <= n and 0 <= k0 < k1 <= n):
            raise InputError(
                f"detail_window {window!r} is outside this text's {n} tokens: need 0 <= q0 < q1 <= {n} and "
                f"0 <= k0 < k1 <= {n}."
            )
        return [q0, q1, k0, k1]

    def part(self, bounds: list[int], side: int = VIEWPORT_SIDE) -> dict[str, Any]:
        """``{bounds, query_starts, key_starts, pattern}``: the window's block maxima, ``[≤ side, ≤ side]``
        float16 (block ``i`` starts at token ``query_starts[i]``; one token a block when the window fits)."""
        q0, q1, k0, k1 = bounds
        query_starts = q0 + thumbnail_bins(q1 - q0, side)
        key_starts = k0 + thumbnail_bins(k1 - k0, side)
        if self.index is None:  # along the contiguous key axis first: 10x faster than rows first at 8,192
            by_keys = np.maximum.reduceat(self.values[q0:q1, k0:k1], key_starts - k0, axis=1)
            blocks = np.maximum.reduceat(by_keys, query_starts - q0, axis=0)
        else:  # rows not computed are 0, the panel paints them as not computed
            by_rows = np.zeros((len(query_starts), k1 - k0), dtype=np.float32)
            inside = (self.index >= q0) & (self.index < q1)
            rows = np.searchsorted(query_starts, self.index[inside], side="right") - 1
            np.maximum.at(by_rows, rows, self.values[inside][:, k0:k1])
            blocks = np.maximum.reduceat(by_rows, key_starts - k0, axis=1)
        return {
            "bounds": [q0, q1, k0, k1],
            "query_starts": to_wire(query_starts, "int32"),
            "key_starts": to_wire(key_starts, "int32"),
            "pattern": to_wire(blocks, "float16"),
        }

    @cached_property
    def lines(self) -> dict[str, Any]:
        """Each query's ``LINES_PER_TOKEN`` strongest keys and each key's strongest queries (``-1``: none),
        with their weights: the lines of a hovered token without a request."""
        n, k = self.n, min(LINES_PER_TOKEN, self.n)
        values = torch.from_numpy(self.values)
        rows = np.arange(n) if self.index is None else self.index
        top_keys = np.full((n, k), -1, dtype=np.int32)
        key_weights = np.zeros((n, k), dtype=np.float32)
        weights, keys = values.topk(k, dim=1)
        top_keys[rows], key_weights[rows] = keys.numpy(), weights.numpy()
        kq = min(k, values.shape[0])
        weights, queries = values.topk(kq, dim=0)  # [kq, n]
        top_queries = np.full((n, k), -1, dtype=np.int32)
        query_weights = np.zeros((n, k), dtype=np.float32)
        top_queries[:, :kq], query_weights[:, :kq] = rows[queries.numpy().T], weights.numpy().T
        for top, weight in ((top_keys, key_weights), (top_queries, query_weights)):
            top[weight <= 0] = -1  # a zero weight (masked, or a row not computed) is no line
        return {
            "n": n,
            "k": k,
            "top_keys": to_wire(top_keys, "int32"),
            "top_key_weights": to_wire(key_weights, "float16"),
            "top_queries": to_wire(top_queries, "int32"),
            "top_query_weights": to_wire(query_weights, "float16"),
        }

    def rows_wire(self) -> dict[str, Any] | None:
        return None if self.index is None else to_wire(self.index, "int32")
