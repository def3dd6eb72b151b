"""AttentionExplorer's build on smollm2-135m in units of one plain forward pass, measured in the same process.

At each length (default 1,024 and 4,096 tokens), in one process:

- the unit: ``handle.run(text)`` (the forward the build itself makes), timed before and after the builds;
- ``AttentionExplorer(model, text, roles=False)``: the default build (raw mode, layer 0 head 0), and
  ``mode="rollout"`` at the last layer (from 1,024 tokens the last token's rollout row through every layer),
  each with the number of times each layer's attention scores were computed (replays of the layer's
  attention: eager patterns or query chunks);
- what the build did before one pass served both (measured here, not remembered): the grid's pass over every
  layer plus the first detail computed by the mode on its own (a head's rows, or ``rollout_row``: every layer
  again), and the previous kernel of the grid's pass (64 MiB chunks, ``softmax`` then ``xlogy`` for the
  entropy, kept below as the reference) next to the current one.

    python benchmarks/explorer_build.py [--lengths 1024 4096] [--no-reference]
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter, OrderedDict

import torch
from capture import text_of_length

from interplab_widgets import AttentionExplorer, load_model
from interplab_widgets.analysis import rollout_row
from interplab_widgets.capture import attention
from interplab_widgets.capture.attention import allowed_keys, layer_sliding_window


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


class ScoreCounter:
    """Counts, per layer, the replays of a layer's attention that compute its scores."""

    def __init__(self) -> None:
        self.layers: Counter = Counter()
        self._replay = attention._replay

    def __enter__(self) -> ScoreCounter:
        def counted(handle, layer, residual, implementation, **kwargs):
            if implementation != "interplab_values":
                self.layers[layer] += 1
            return self._replay(handle, layer, residual, implementation, **kwargs)

        attention._replay = counted
        return self

    def __exit__(self, *exc) -> None:
        attention._replay = self._replay

    def __str__(self) -> str:
        per_layer = Counter(self.layers.values())
        return ", ".join(f"{layers} layers x{times}" for times, layers in sorted(per_layer.items()))


@torch.no_grad()
def reference_summary(handle, layer, residual, size, chunk_bytes=64 * 2**20):
    """The grid's pass as it was: 64 MiB chunks of ``softmax(q k^T * scale)`` (masks of the chunk's full width),
    then ``xlogy`` for the entropy, rows summed into query bins with ``index_add_``, then key bins."""
    attention._register_captures()
    attention._captured_scores.clear()
    attention._replay(handle, layer, residual, "interplab_scores", mask=False)
    query, key, scaling, softcap = attention._captured_scores.pop()
    q, k = query[0].float(), key[0].float()
    if q.shape[0] != k.shape[0]:
        k = k.repeat_interleave(q.shape[0] // k.shape[0], dim=0)
    heads, n = q.shape[0], q.shape[1]
    block = handle.adapter.block_list(handle.model)[layer]
    window = layer_sliding_window(handle, handle.adapter.attention_module(block))
    t = min(n, size)
    bins = torch.arange(n) * t // n
    key_bins = torch.nn.functional.one_hot(bins, t).float()
    counts = key_bins.sum(0)
    blocks, entropy, first, previous = q.new_zeros(heads, t, t), *(q.new_zeros(heads) for _ in range(3))
    rows = max(1, chunk_bytes // (4 * heads * n))
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        width = stop if handle.is_causal else n
        scores = q[:, start:stop] @ k[:, :width].transpose(1, 2) * scaling
        if softcap is not None:
            scores = torch.tanh(scores / softcap) * softcap
        if handle.is_causal:
            scores.masked_fill_(~allowed_keys(start, stop, width, window, q.device), float("-inf"))
        p = scores.softmax(-1)
        entropy += -torch.special.xlogy(p, p).sum((1, 2))
        first += p[..., 0].sum(-1)
        if max(start, 1) < stop:
            after_first = torch.arange(max(start, 1), stop)
            previous += p[:, after_first - start, after_first - 1].sum(-1)
        by_query_bin = p.new_zeros(heads, t, width).index_add_(1, bins[start:stop], p)
        blocks += by_query_bin @ key_bins[:width]
    blocks /= counts[:, None] * counts[None, :]
    return blocks, torch.stack([entropy / n / math.log(2), first / n, previous / max(1, n - 1)], dim=-1)


def one_length(model, n: int, reference: bool) -> None:
    text = text_of_length(model, n)
    _, forward_before = timed(lambda: model.run(text))
    with ScoreCounter() as raw_scores:
        explorer, raw_s = timed(lambda: AttentionExplorer(model, text, roles=False))
    with ScoreCounter() as rollout_scores:
        explorer, rollout_s = timed(
            lambda: AttentionExplorer(model, text, mode="rollout", selected_layer=model.n_layers - 1, roles=False)
        )
    trace = explorer.trace
    last = trace.n_tokens - 1
    # what the build computed before, beyond the grid's pass: the first detail on its own
    _, head_rows_s = timed(lambda: explorer._answer(0, 0, "raw", trace, -1, [], OrderedDict()))
    _, row_s = timed(lambda: rollout_row(trace, last))
    _, grid_s = timed(lambda: explorer._summaries(trace))
    _, forward_after = timed(lambda: model.run(text))
    forward = (forward_before + forward_after) / 2
    print(f"\n{trace.n_tokens} tokens: forward {forward_before:.1f} s before the builds, {forward_after:.1f} s after "
          f"(unit: their mean, {forward:.1f} s)")  # fmt: skip
    print(f"  build, raw (default):  {raw_s / forward:.2f} x forward   scores computed: {raw_scores}")
    print(f"  build, rollout:        {rollout_s / forward:.2f} x forward   scores computed: {rollout_scores}")
    print(f"  the grid's pass alone: {grid_s / forward:.2f} x forward")
    if trace.n_tokens >= 1024:  # below, rollout is the full matrix from eager patterns: not this comparison
        apart = (forward + grid_s + row_s) / forward
        print(f"  rollout, passes apart (forward, the grid's pass, then rollout_row): {apart:.2f} x forward")
    apart = (forward + grid_s + head_rows_s) / forward
    print(f"  raw, passes apart (forward, the grid's pass, then the head's rows): {apart:.2f} x forward")
    if reference:
        size = explorer.thumbnail_size
        layers = range(trace.n_layers)
        _, old_s = timed(lambda: [reference_summary(model, layer, trace._residuals[layer], size) for layer in layers])
        print(f"  the grid's previous kernel: {old_s / forward:.2f} x forward ({old_s / grid_s:.2f}x the current); "
              f"the previous raw build: {(forward + old_s + head_rows_s) / forward:.2f} x forward")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--no-reference", action="store_true", help="skip timing the previous kernel")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    model = load_model("smollm2-135m")
    model.run(text_of_length(model, 64))  # warm-up
    print(f"smollm2-135m, {torch.get_num_threads()} threads")
    for n in args.lengths:
        one_length(model, n, not args.no_reference)


if __name__ == "__main__":
    main()
