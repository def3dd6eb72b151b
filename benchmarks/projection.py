"""harvest throughput against plain forward passes of the same batches (smollm2-135m); PCA / UMAP /
t-SNE time for 10 000 points at d = 576; and what running UMAP / t-SNE in their child process costs
against the same fit in this process, for 5 000 points, first call and warm call, with how often a
thread of this process could run meanwhile (ticks of a 1 ms sleep loop per second: the kernel's main
thread while a view projects). The browser's frame time while panning 100 000 points is measured by
the end-to-end test (tests/browser/test_projection_explorer.py, run with -s).

    python benchmarks/projection.py [--points 10000] [--child-points 5000] [--layers 0 8 16 24 30]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import torch

from interplab_widgets import harvest, load_model
from interplab_widgets.analysis import project
from interplab_widgets.analysis.projection import prepare
from interplab_widgets.analysis.projection_child import fit
from interplab_widgets.analysis.projection_process import projection_process
from interplab_widgets.capture.runner import tokenize
from interplab_widgets.datasets import DATASETS


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """Seconds ``call`` takes on a thread of its own (as on a view's worker), and ticks per second of a
    1 ms sleep loop on another thread meanwhile (a free thread reaches about 900/s)."""
    ticks, stop, errors = [0], threading.Event(), []

    def tick() -> None:
        while not stop.is_set():
            time.sleep(0.001)
            ticks[0] += 1

    def work() -> None:
        try:
            call()
        except BaseException as error:
            errors.append(error)

    worker, ticker = threading.Thread(target=work), threading.Thread(target=tick)
    start = time.perf_counter()
    ticker.start()
    worker.start()
    worker.join()
    seconds = time.perf_counter() - start
    stop.set()
    ticker.join()
    if errors:
        raise errors[0]
    return seconds, ticks[0] / seconds


def child_against_in_process(features: np.ndarray) -> None:
    """The same fits (same reduced array, same options) in this process and in the child process. This
    process goes first, so numba's on-disk cache (umap-learn's ``cache=True`` functions) is warm for the
    child's first call, as it is in every session after the first."""
    print(f"child process against this process, {features.shape[0]} points (first call, then warm):")
    for method in ("umap", "tsne"):
        reduced, options = prepare(features, method)
        here = [timed(partial(fit, method, reduced, options)) for _ in range(2)]
        child = [timed(partial(projection_process().run, method, reduced, options)) for _ in range(2)]
        for call, (ours, theirs) in zip(("first", "warm"), zip(child, here, strict=True), strict=True):
            print(
                f"  {method} {call}: in process {theirs[0]:.1f} s, child {ours[0]:.1f} s, time ratio "
                f"{ours[0] / theirs[0]:.2f}; main-thread ticks/s {theirs[1]:.0f} in process, {ours[1]:.0f} child"
            )
    projection_process().stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--child-points", type=int, default=5_000)
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

    rows = np.resize(np.arange(result.n_rows), max(args.points, args.child_points))  # repeated if too few
    features = result.layer(16 if 16 in args.layers else args.layers[-1])[rows]
    features = features + np.random.default_rng(0).normal(0, 1e-3, features.shape).astype(np.float32)
    child_against_in_process(features[: args.child_points])
    features = features[: args.points]
    print(f"projecting {features.shape[0]} points of dimension {features.shape[1]}")
    project(features[:200], "umap")  # numba compiles UMAP on its first call in a (child) process
    for method in ("pca", "umap", "tsne"):
        start = time.perf_counter()
        project(features, method)
        print(f"  {method}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
