"""Capture benchmark: handle.run against baselines doing the same work, same run.

``handle.run`` runs the base model (no LM head: logits are computed later, when asked). Prints,
for smollm2-135m at 128, 512 and 2048 tokens, its time as a ratio to (1) the same base-model
forward without hooks (equal work: what the hooks cost) and (2) the eager base-model forward with
``output_attentions=True`` (what a user would otherwise run to see attention; also no LM head),
the time to recompute one layer's attention, and the peak memory of a trace at 4096 tokens above
the model's own weights (target: < 2.5 GB), next to the baseline's peak at 2048 tokens.

    python benchmarks/capture.py [--lengths 128 512 2048] [--memory-length 4096] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time

import torch

from interplab_widgets import load_model
from interplab_widgets.capture.attention import eager_attention

PARAGRAPH = (
    "The history of the city begins with a small fishing village on the river. Over the centuries, merchants, "
    "scholars and builders arrived, and the streets filled with markets, bridges, libraries and churches. "
)


def text_of_length(handle, n_tokens: int) -> str:
    ids = handle.tokenizer(PARAGRAPH * (n_tokens // 20 + 10)).input_ids
    text = handle.tokenizer.decode(ids[:n_tokens])
    while len(handle.tokenizer(text).input_ids) > n_tokens:
        text = text[: text.rfind(" ")]
    return text


def seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_capture(handle, n_tokens: int, repeats: int) -> dict:
    text = text_of_length(handle, n_tokens)
    ids = handle.tokenizer(text, return_tensors="pt").input_ids

    base_model = handle.model.base_model

    def plain():
        with torch.no_grad():
            base_model(ids, use_cache=False)

    def with_attentions():
        with torch.no_grad(), eager_attention(handle.model):
            base_model(ids, output_attentions=True, use_cache=False)

    for warm_up in (plain, with_attentions, lambda: handle.run(text)):
        warm_up()
    ours = seconds(lambda: handle.run(text), repeats)
    equal, base = seconds(plain, repeats), seconds(with_attentions, repeats)
    trace = handle.run(text)

    def one_layer():
        trace._attention_cache.clear()  # time the recomputation, not the cache
        trace.attention(handle.n_layers // 2)

    layer = seconds(one_layer, repeats)
    return {
        "tokens": ids.shape[1],
        "run_s": ours,
        "plain_s": equal,
        "baseline_s": base,
        "equal_ratio": ours / equal,
        "ratio": ours / base,
        "one_layer_s": layer,
    }


class PeakRSS:
    """Samples this process's resident memory every few milliseconds; the peak above the start."""

    def __init__(self) -> None:
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self._rss())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def measure_memory(kind: str, n_tokens: int) -> dict:
    """Run in a fresh process so each peak is its own: 'trace' or 'baseline'."""
    handle = load_model("smollm2-135m")
    text = text_of_length(handle, n_tokens)
    ids = handle.tokenizer(text, return_tensors="pt").input_ids
    with PeakRSS() as memory:
        if kind == "trace":
            trace = handle.run(text)
            for layer in (0, handle.n_layers // 2, handle.n_layers - 1):
                trace.attention(layer)
            trace.top_predictions(5)
        else:
            with torch.no_grad(), eager_attention(handle.model):
                handle.model.base_model(ids, output_attentions=True, use_cache=False)
    weights = sum(p.numel() * p.element_size() for p in handle.model.parameters())
    return {
        "kind": kind,
        "tokens": ids.shape[1],
        "peak_above_weights_gb": (memory.peak - memory.start) / 1e9,
        "weights_gb": weights / 1e9,
    }


def memory_in_subprocess(kind: str, n_tokens: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", kind, str(n_tokens)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[128, 512, 2048])
    parser.add_argument("--memory-length", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(measure_memory(args.memory_child[0], int(args.memory_child[1]))))
        return
    torch.set_grad_enabled(False)
    handle = load_model("smollm2-135m")
    print(f"model: {handle}\n")
    print("all without the LM head (handle.run computes logits only when asked)")
    print("tokens  run (s)  plain forward (s)  ratio  eager+output_attentions (s)  ratio  one layer recompute (s)")
    for n in args.lengths:
        r = time_capture(handle, n, args.repeats)
        print(
            f"{r['tokens']:6d}  {r['run_s']:7.3f}  {r['plain_s']:17.3f}  {r['equal_ratio']:5.2f}  "
            f"{r['baseline_s']:27.3f}  {r['ratio']:5.2f}  {r['one_layer_s']:23.3f}"
        )
    print("\npeak memory above the model's weights (fresh process each):")
    for kind, n in (("baseline", 2048), ("trace", 2048), ("trace", args.memory_length)):
        m = memory_in_subprocess(kind, n)
        label = "trace (run + 3 layers' attention)" if kind == "trace" else "eager base forward, attentions"
        print(
            f"  {label:36s} at {m['tokens']:5d} tokens: {m['peak_above_weights_gb']:.2f} GB "
            f"(weights {m['weights_gb']:.2f} GB)"
        )


if __name__ == "__main__":
    main()
