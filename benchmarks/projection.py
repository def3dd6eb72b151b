"""harvest throughput against plain forward passes of the same batches (smollm2-135m), and PCA / UMAP /
t-SNE time for 10 000 points at d = 576. The browser's frame time while panning 100 000 points is
measured by the end-to-end test (tests/browser/test_projection_explorer.py, run with -s).

    python benchmarks/projection.py [--points 10000] [--layers 0 8 16 24 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from interplab_widgets import harvest, load_model
from interplab_widgets.analysis import project
from interplab_widgets.capture.runner import tokenize
from interplab_widgets.datasets import DATASETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--layers", type=int, nargs="+", default=[0, 8, 16, 24, 30])
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    handle = load_model("smollm2-135m")
    texts = [text for build in DATASETS.values() for text in build().texts]
    tokenized = [tokenize(handle, text) for text in texts]
    n_tokens = sum(len(t) for t in tokenized)

    # Plain forward passes over the same right-padded, length-sorted batches harvest makes.
    order = sorted(range(len(texts)), key=lambda i: len(tokenized[i]))
    start = time.perf_counter()
    with torch.no_grad():
        for first in range(0, len(order), args.batch_size):
            batch = order[first : first + args.batch_size]
            width = max(len(tokenized[i]) for i in batch)
            ids = torch.zeros(len(batch), width, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, i in enumerate(batch):
                ids[row, : len(tokenized[i])] = torch.tensor([t.id for t in tokenized[i]])
                mask[row, : len(tokenized[i])] = 1
            handle.model.base_model(input_ids=ids, attention_mask=mask, use_cache=False)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    result = harvest(handle, texts, layers=args.layers, batch_size=args.batch_size, cache=False, progress=False)
    ours = time.perf_counter() - start
    print(f"{len(texts)} texts, {n_tokens} tokens, layers {args.layers}")
    print(
        f"plain forward: {n_tokens / plain:.0f} tokens/s   harvest: {n_tokens / ours:.0f} tokens/s   "
        f"time ratio {ours / plain:.2f}"
    )

    rows = np.resize(np.arange(result.n_rows), args.points)  # repeat rows if there are fewer tokens
    features = result.layer(16 if 16 in args.layers else args.layers[-1])[rows]
    features = features + np.random.default_rng(0).normal(0, 1e-3, features.shape).astype(np.float32)
    print(f"projecting {features.shape[0]} points of dimension {features.shape[1]}")
    project(features[:200], "umap")  # numba compiles UMAP on its first call in a process
    for method in ("pca", "umap", "tsne"):
        start = time.perf_counter()
        project(features, method)
        print(f"  {method}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
