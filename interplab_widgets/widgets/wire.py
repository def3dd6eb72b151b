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


FAITHFULNESS_CURVES = ("fractions", "deletion", "insertion", "random_deletion", "random_insertion")


def attribution_wire(result: Any, *, curves: bool = True) -> dict[str, Any]:
    """An :class:`~interplab_widgets.analysis.Attribution` as both attribution views receive it: ``{method,
    target, value, baseline_value, baseline, steps, layer, completeness_error, warning, scores: float32 [n],
    attributed: uint8 [n], faithfulness}``; ``faithfulness`` is None or the four areas
    (``deletion_area`` …) and, with ``curves``, the curves ``float32 [points]`` (``fractions``, ``deletion`` …)."""
    f = result.faithfulness
    faithfulness = None
    if f is not None:
        faithfulness = {f"{name}_area": getattr(f, f"{name}_area") for name in FAITHFULNESS_CURVES[1:]}
        if curves:
            faithfulness |= {name: to_wire(np.asarray(getattr(f, name)), "float32") for name in FAITHFULNESS_CURVES}
    return {
        "method": result.method,
        "target": result.target,
        "value": result.value,
        "baseline_value": result.baseline_value,
        "baseline": result.baseline,
        "steps": result.steps,
        "layer": result.layer,
        "completeness_error": result.completeness_error,
        "warning": result.warning,
        "scores": to_wire(result.scores, "float32"),
        "attributed": to_wire(result.attributed, "uint8"),
        "faithfulness": faithfulness,
    }
