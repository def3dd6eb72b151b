"""Exact activation patching of a full residual grid on smollm2-135m (31 residual streams × ~15 positions):
time in units of one forward pass's time (not a count of passes: a batch is wider than one prompt),
batched vs one pass per cell, and attribution patching as a ratio to exact. Everything is measured in the same run.

    python benchmarks/patching.py [--batch-sizes 16 32 64] [--skip-per-cell]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from interplab_widgets import PatchingPair, load_model

CLEAN = "In the heart of the old town, the Eiffel Tower is located in the city of"
CORRUPTED = "In the heart of the old town, the Colosseum is located in the city of"


def timed(function, repeat: int = 1) -> tuple[float, object]:
    start = time.perf_counter()
    for _ in range(repeat):
        result = function()
    return (time.perf_counter() - start) / repeat, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--skip-per-cell", action="store_true", help="skip the slow one-pass-per-cell baseline")
    args = parser.parse_args()
    handle = load_model("smollm2-135m")
    pair = PatchingPair(handle, CLEAN, CORRUPTED, answer=" Paris", contrast=" Rome")
    pair.activations("resid")  # captured once per pair, shared by every grid
    cells = pair.n_sites("resid") * pair.n_tokens
    print(f"grid: {pair.n_sites('resid')} residual streams × {pair.n_tokens} positions = {cells} cells")

    with torch.no_grad():
        forward, _ = timed(lambda: pair.last_logits(pair.ids[1:]), repeat=5)
    print(f"one forward pass: {forward * 1e3:.0f} ms")

    times = {}
    for batch_size in args.batch_sizes:
        times[batch_size], result = timed(lambda b=batch_size: pair.exact("resid", batch_size=b, progress=False))
        print(
            f"exact grid, batches of {batch_size:3d}: {times[batch_size]:.2f} s = "
            f"{times[batch_size] / forward:.0f}× one forward pass's time ({cells} cells)"
        )
    best = min(times, key=times.get)
    if not args.skip_per_cell:
        per_cell, single = timed(lambda: pair.exact("resid", batch_size=1, progress=False))
        np.testing.assert_allclose(single.effects, result.effects, atol=1e-4)
        print(
            f"one pass per cell: {per_cell:.2f} s = {per_cell / forward:.0f}× one forward pass's time; "
            f"batched ({best}) is {per_cell / times[best]:.1f}× faster"
        )
    attribution, estimate = timed(lambda: pair.attribution("resid"), repeat=3)
    correlation = np.corrcoef(estimate.effects.ravel(), result.effects.ravel())[0, 1]
    print(
        f"attribution patching: {attribution * 1e3:.0f} ms = {attribution / forward:.1f}× one forward pass's time, "
        f"{attribution / times[best]:.3f} of exact; correlation with exact (resid): {correlation:.2f}"
    )


if __name__ == "__main__":
    main()
