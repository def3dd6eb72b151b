"""Long inputs on smollm2-135m: every view's cost in units of one forward pass, measured in the same run.

At each length (one subprocess per length, so peak memory is that length's own):

- one forward pass of ``handle.run`` (the unit);
- the grid's thumbnails and head statistics of all 30 layers from query chunks (``Trace.attention_summary``),
  and — where the full pattern still fits — the old way (each layer's full ``[heads, n, n]`` pattern
  through the eager module, then block-averaged), both as ratios to the forward;
- ``AttentionExplorer(model, text, roles=False)``: build time / forward, and its first display's bytes;
- kernel time of the detail panel's requests: a head's first answer in each mode (raw, norm: the head's
  matrix from its query chunks; rollout: the last token's row, vs the full ``n x n`` product where it fits;
  flow: through the deepest layer its limits allow, or the refusal), and viewport requests on the cached
  matrix (zoom and pan windows: block maxima, exact at <= 256 tokens a side);
- ``GenerationTracer`` on a prompt of ``n - 64`` tokens (32 new ones): build / forward, first display, a
  step's attention rows and a head's row;
- peak resident memory above the loaded weights, after the explorer and after the tracer.

    python benchmarks/long_inputs.py [--lengths 512 2048 4096 8192] [--full-up-to 2048]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import OrderedDict

import torch
from attention_explorer import state_bytes
from capture import text_of_length

from interplab_widgets import AttentionExplorer, GenerationTracer, InputError, load_model
from interplab_widgets.analysis import attention_rollout, downsample, head_statistics, rollout_row
from interplab_widgets.widgets import attention_modes


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
    row.update(detail_requests(explorer))
    row["peak_explorer_gb"] = peak_gb() - weights_gb
    explorer = None
    prompt = text_of_length(model, n - 64)
    tracer, tracer_s = timed(lambda: GenerationTracer(model, prompt, max_new_tokens=32))
    buffers, json_bytes = state_bytes(tracer)
    _, step_s = timed(lambda: tracer.step_attention_payload(16))
    _, head_row_s = timed(lambda: tracer.head_row_payload(16, 20, 4))
    row.update(tracer=tracer_s / forward_s, tracer_display_mb=(buffers + json_bytes) / 1e6)
    row.update(tracer_step_ms=step_s * 1e3, tracer_head_row_ms=head_row_s * 1e3)
    row["peak_above_weights_gb"] = peak_gb() - weights_gb
    return row


def detail_requests(explorer: AttentionExplorer, layer: int = 20, head: int = 4) -> dict:
    """Worker time of the detail panel's requests (what the kernel spends per click or zoom)."""
    trace = explorer.trace
    n = trace.n_tokens
    times = {}
    for mode in ("raw", "norm"):  # a head's first answer: its matrix, overview and lines
        _, times[f"{mode}_s"] = timed(lambda m=mode: explorer._answer(layer, head, m, trace, -1, [], OrderedDict()))
    layers = range(trace.n_layers - 1, -1, -1)
    deepest = next((d for d in layers if fits_flow(n, d, trace.n_heads)), None)
    if deepest is not None:
        _, flow_s = timed(lambda: explorer._answer(deepest, 0, "flow", trace, n - 1, [], OrderedDict()))
        times["flow"] = f"{flow_s:.1f} s (layer {deepest})"
    else:
        times["flow"] = "refuses at layer 0"
    explorer._answer(layer, head, "raw", trace, -1, [])  # the panel's matrix, now cached
    windows = [[n // 4, 3 * n // 4, 0, n // 2], [3 * n // 8, 7 * n // 8, n // 8, 5 * n // 8]]  # zoom, then pan
    windows += [[n // 2, n // 2 + n // 16, n // 4, n // 4 + n // 16], [n - 200, n, n - 200, n]]  # deeper, exact
    spent = []
    for window in windows:
        _, seconds = timed(lambda w=window: explorer._answer(layer, head, "raw", trace, -1, w))
        spent.append(seconds * 1e3)
    times.update(viewport_mean_ms=sum(spent) / len(spent), viewport_max_ms=max(spent))
    return times


def fits_flow(n: int, layer: int, heads: int) -> bool:
    try:
        attention_modes.check_flow_size(n, layer, heads)
    except InputError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 2048, 4096, 8192])
    parser.add_argument("--full-up-to", type=int, default=2048, help="longest length timed the old way too")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_length(args.one, args.full_up_to)))
        return
    print("tokens | forward s | thumbnails chunked / full (x forward) | build (x forward) | first display MB | "
          "raw / norm s | rollout row / full s | flow | viewport mean / max ms | tracer build (x forward) | "
          "tracer display MB | step / head row ms | peak above weights GB (explorer / tracer)")  # fmt: skip
    for n in args.lengths:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--full-up-to", str(args.full_up_to)],
                             capture_output=True, text=True, check=True)  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        full = f"{r['thumbnails_full']:.2f}" if "thumbnails_full" in r else "—"
        rollout_full = f"{r['rollout_full_s']:.2f}" if "rollout_full_s" in r else "—"
        print(f"{r['tokens']} | {r['forward_s']:.2f} | {r['thumbnails_chunked']:.2f} / {full} | {r['build']:.2f} | "
              f"{r['first_display_mb']:.2f} | {r['raw_s']:.2f} / {r['norm_s']:.2f} | {r['rollout_row_s']:.2f} / "
              f"{rollout_full} | {r['flow']} | {r['viewport_mean_ms']:.0f} / {r['viewport_max_ms']:.0f} | "
              f"{r['tracer']:.2f} | {r['tracer_display_mb']:.2f} | {r['tracer_step_ms']:.0f} / "
              f"{r['tracer_head_row_ms']:.0f} | {r['peak_explorer_gb']:.2f} / {r['peak_above_weights_gb']:.2f}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
