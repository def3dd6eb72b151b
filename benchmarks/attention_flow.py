"""Attention flow benchmark: the compiled Dinic solver vs networkx, in the same run, on minilm-l6.

Prints the time of ``attention_flow`` (full ``[n, n]`` matrix) against one networkx
max-flow per pair (the reference implementation's approach) at 16 and 32 tokens
(target: at least 100x faster at 32), then the time of the full matrix at 64, 128 and
256 tokens (target: under a minute at 128 on 2 cores).

    python benchmarks/attention_flow.py [--networkx-lengths 16 32] [--lengths 64 128 256]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from interplab_widgets import load_model
from interplab_widgets.analysis import attention_flow
from interplab_widgets.analysis.flow import flow_capacities

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_attention_flow import networkx_flow  # the oracle the tests use

TEXT = "The history of the city begins with a small fishing village on the river, where merchants met. " * 20


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networkx-lengths", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--lengths", type=int, nargs="+", default=[64, 128, 256])
    args = parser.parse_args()
    handle = load_model("minilm-l6")
    ids = handle.run(TEXT, truncate=True).token_ids.tolist()
    attention_flow(handle.run_ids(ids[:8]))  # compile once (cached on disk afterwards)
    print("tokens  attention_flow (s)  networkx (s)  speed-up  max |difference|")
    for n in args.networkx_lengths:
        trace = handle.run_ids(ids[:n])
        ours, ours_s = timed(lambda trace=trace: attention_flow(trace))
        reference, reference_s = timed(lambda trace=trace: networkx_flow(flow_capacities(trace)))
        difference = np.abs(ours - reference).max()
        print(f"{n:6d}  {ours_s:18.3f}  {reference_s:12.1f}  {reference_s / ours_s:7.0f}x  {difference:.1e}")
    print("\ntokens  full flow matrix (s)")
    for n in args.lengths:
        trace = handle.run_ids(ids[:n])
        _, seconds = timed(lambda trace=trace: attention_flow(trace))
        print(f"{n:6d}  {seconds:20.1f}")


if __name__ == "__main__":
    main()
