"""Arrays on the wire: ``{dtype, shape, data}`` with little-endian, contiguous bytes.

ipywidgets lifts ``bytes`` nested in a trait's value into binary buffers, so arrays
never travel as JSON lists of floats; the view decodes them with ``js/src/lib/wire.ts``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

WIRE_DTYPES = ("uint8", "float16", "float32", "int32")


def to_wire(array: Any, dtype: str) -> dict[str, Any]:
    """Encode ``array`` as ``dtype`` (one of :data:`WIRE_DTYPES`) for a synced trait."""
    if dtype not in WIRE_DTYPES:
        raise ValueError(f"dtype must be one of {WIRE_DTYPES}, got {dtype!r}.")
    data = np.ascontiguousarray(np.asarray(array), dtype=np.dtype(dtype).newbyteorder("<"))
    return {"dtype": dtype, "shape": list(data.shape), "data": data.tobytes()}


def from_wire(value: dict[str, Any]) -> np.ndarray:
    """Decode what :func:`to_wire` made (tests and HTML export use it)."""
    dtype = np.dtype(value["dtype"]).newbyteorder("<")
    return np.frombuffer(bytes(value["data"]), dtype=dtype).reshape(value["shape"])


def quantise_unit(values: np.ndarray, ndim: int = 2) -> np.ndarray:
    """Each slice over the last ``ndim`` axes scaled so its max is 255, as uint8 (an all-zero slice stays 0).

    The views draw each slice against its own maximum, so the scales are not sent.
    """
    axes = tuple(range(-ndim, 0))
    scale = values.max(axis=axes, keepdims=True)
    return np.rint(values / np.where(scale > 0, scale, 1.0) * 255).astype(np.uint8)
