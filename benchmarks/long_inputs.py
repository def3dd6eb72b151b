"""Long inputs on smollm2-135m: the attention grid's cost in units of one forward pass, measured in the same run.

At each length (one subprocess per length, so peak memory is that length's own):

- one forward pass of ``handle.run`` (the unit);
- the grid's thumbnails and head statistics of all 30 layers from query chunks (``Trace.attention_summary``),
  and — where the full pattern still fits — the old way (each layer's full ``[heads, n, n]`` pattern
  through the eager module, then block-averaged), both as ratios to the forward;
- ``AttentionExplorer(model, text, roles=False)``: build time / forward, and its first display's bytes;
- rollout of the last token through all layers: one row from query chunks vs the full ``n x n`` product;
- peak resident memory above the loaded weights.

    python benchmarks/long_inputs.py [--lengths 512 2048 4096] [--full-up-to 2048]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch
from attention_explorer import state_bytes
from capture import text_of_length

from interplab_widgets import AttentionExplorer, load_model
from interplab_widgets.analysis import attention_rollout, downsample, head_statistics, rollout_row


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def one_length(n: int, full_up_to: int) -> dict:
    torch.set_grad_enabled(False)
    model = load_model("smollm2-135m")
    text = text_of_length(model, n)
    model.run(text_of_length(model, 64))  # warm-up
    weights_gb = peak_gb()
    trace, forward_s = timed(lambda: model.run(text))
    layers = range(model.n_layers)
    _, chunked_s = timed(lambda: [trace.attention_summary(layer, 32) for layer in layers])
    row = {"tokens": trace.n_tokens, "forward_s": forward_s, "thumbnails_chunked": chunked_s / forward_s}
    if n <= full_up_to:
        trace.attention_cache_bytes = 0  # one pattern at a time, as the grid used to

        def full_patterns() -> None:
            for layer in layers:
                pattern = trace.attention(layer)
                downsample(pattern, 32), head_statistics(pattern)
                trace._attention_cache.clear()

        _, full_s = timed(full_patterns)
        row["thumbnails_full"] = full_s / forward_s
    last = trace.n_tokens - 1
    _, row_s = timed(lambda: rollout_row(trace, last))
    row["rollout_row_s"] = row_s
    if n <= full_up_to:
        _, rollout_s = timed(lambda: attention_rollout(trace)[last])
        row["rollout_full_s"] = rollout_s
    trace = None  # freed before the explorer traces the text again
    explorer, build_s = timed(lambda: AttentionExplorer(model, text, roles=False))
    buffers, json_bytes = state_bytes(explorer)
    row.update(build=build_s / forward_s, first_display_mb=(buffers + json_bytes) / 1e6)
    row["peak_above_weights_gb"] = peak_gb() - weights_gb
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 2048, 4096])
    parser.add_argument("--full-up-to", type=int, default=2048, help="longest length timed the old way too")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_length(args.one, args.full_up_to)))
        return
    print("tokens | forward s | thumbnails chunked / full (x forward) | build (x forward) | first display MB | "
          "rollout row / full s | peak above weights GB")  # fmt: skip
    for n in args.lengths:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--full-up-to", str(args.full_up_to)],
                             capture_output=True, text=True, check=True)  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        full = f"{r['thumbnails_full']:.2f}" if "thumbnails_full" in r else "—"
        rollout_full = f"{r['rollout_full_s']:.2f}" if "rollout_full_s" in r else "—"
        print(f"{r['tokens']} | {r['forward_s']:.2f} | {r['thumbnails_chunked']:.2f} / {full} | {r['build']:.2f} | "
              f"{r['first_display_mb']:.1f} | {r['rollout_row_s']:.2f} / {rollout_full} | "
              f"{r['peak_above_weights_gb']:.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
