"""2-D projections of activations: PCA (instant), UMAP and t-SNE (after a PCA to 50 dimensions).

PCA runs here (BLAS releases the GIL). UMAP and t-SNE run in a child process
(:mod:`.projection_process`): their compiled code holds the GIL and cannot stop half way, so in this
process they would freeze the kernel's main thread and make a view's Cancel wait for their end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.decomposition import PCA

from ..errors import InputError
from ..progress import checkpoint
from .projection_process import projection_process

METHODS = ("pca", "umap", "tsne")
PRE_PCA_DIMENSIONS = 50
#: Points whose coordinates all lie within this fraction of their magnitude of each other are one point.
SAME_POINT_TOLERANCE = 1e-6


def project(features: np.ndarray, method: str = "pca", *, seed: int = 0, **params) -> np.ndarray:
    """``[n, d] -> [n, 2]`` float32. ``params`` go to ``umap.UMAP`` or ``sklearn.manifold.TSNE``
    (e.g. ``n_neighbors``, ``min_dist``, ``perplexity``).

    Inside a view's request, a cancel stops UMAP and t-SNE within a fraction of a second.
    """
    features = check_features(features, method)
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(features).astype(np.float32)
    checkpoint()
    features, options = prepare(features, method, seed=seed, **params)
    checkpoint()
    return projection_process().run(method, features, options)


class SamePointsError(InputError):
    """Every point is the same vector: there is nothing to project (a view draws them as one spot and says so)."""


def check_features(features: Any, method: str) -> np.ndarray:
    """``features`` as float32 ``[n, d]``, or one :class:`InputError` that says what to change."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    try:
        features = np.asarray(features, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise InputError(f"features must be an [n, d] array of numbers: {error}") from None
    if features.ndim != 2:
        raise InputError(f"features must be an [n, d] array (one row per point); got shape {features.shape}.")
    n = len(features)
    if n < 3:
        raise InputError(f"A projection needs at least 3 points, got {n}.")
    if not np.isfinite(features).all():
        raise InputError("features contain NaN or infinite values; project finite activations.")
    spread = float(np.ptp(features, axis=0).max()) if features.shape[1] else 0.0
    if spread <= SAME_POINT_TOLERANCE * float(np.abs(features).max(initial=0.0)) or spread == 0.0:
        # A scatter scaled to fit would turn rounding noise into "clusters", and scikit-learn's t-SNE
        # segfaulted the process on 40 identical SmolLM2 sentence vectors (pitfalls.md).
        raise SamePointsError(
            f"All {n} points are the same vector, so a projection could only draw rounding noise. "
            "Choose another layer or other texts (at the embeddings, sentences pooled by their last "
            "token are identical when they end with the same word)."
        )
    return features


def prepare(features: np.ndarray, method: str, *, seed: int = 0, **params) -> tuple[np.ndarray, dict[str, Any]]:
    """What UMAP / t-SNE are fitted on, and with which options: a PCA to 50 dimensions first."""
    n = len(features)
    if features.shape[1] > PRE_PCA_DIMENSIONS and n > PRE_PCA_DIMENSIONS:
        features = PCA(n_components=PRE_PCA_DIMENSIONS, random_state=seed).fit_transform(features)
    if method == "umap":
        options = {"n_neighbors": min(15, n - 1), "min_dist": 0.1, "random_state": seed, **params}
    else:
        options = {"perplexity": min(30.0, (n - 1) / 3), "init": "pca", "random_state": seed, **params}
    return np.ascontiguousarray(features, dtype=np.float32), options
