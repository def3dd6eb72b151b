"""2-D projections of activations: PCA (instant), UMAP and t-SNE (after a PCA to 50 dimensions)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.decomposition import PCA

from ..errors import InputError

METHODS = ("pca", "umap", "tsne")
PRE_PCA_DIMENSIONS = 50


def project(features: np.ndarray, method: str = "pca", *, seed: int = 0, **params) -> np.ndarray:
    """``[n, d] -> [n, 2]`` float32. ``params`` go to ``umap.UMAP`` or ``sklearn.manifold.TSNE``
    (e.g. ``n_neighbors``, ``min_dist``, ``perplexity``)."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    features = np.asarray(features, dtype=np.float32)
    n = len(features)
    if n < 3:
        raise InputError(f"A projection needs at least 3 points, got {n}.")
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(features).astype(np.float32)
    if features.shape[1] > PRE_PCA_DIMENSIONS and n > PRE_PCA_DIMENSIONS:
        features = PCA(n_components=PRE_PCA_DIMENSIONS, random_state=seed).fit_transform(features)
    if method == "umap":
        import umap

        options = {"n_neighbors": min(15, n - 1), "min_dist": 0.1, "random_state": seed, **params}
        with warnings.catch_warnings():  # "n_jobs overridden by random_state": the seed is the point
            warnings.simplefilter("ignore", UserWarning)
            return umap.UMAP(n_components=2, **options).fit_transform(features).astype(np.float32)
    from sklearn.manifold import TSNE

    options = {"perplexity": min(30.0, (n - 1) / 3), "init": "pca", "random_state": seed, **params}
    return TSNE(n_components=2, **options).fit_transform(features).astype(np.float32)
