"""AttentionExplorer benchmark: bytes on first display and kernel time to answer a head selection.

For smollm2-135m at 128, 512 and 2048 tokens, prints the bytes of the widget's first
state (binary buffers + JSON; target: < 1.5 MB at 512 tokens), the same data as the
JSON float lists that BertViz-style views send (measured at the shortest length, in the
same run), and the kernel time to answer a head selection (target: < 50 ms at 512),
for a head whose layer is in the trace's attention cache and for one that must be
recomputed, next to a plain forward pass at the same length.

    python benchmarks/attention_explorer.py [--lengths 128 512 2048]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from capture import seconds, text_of_length
from ipywidgets.widgets.widget import _remove_buffers

from interplab_widgets import AttentionExplorer, load_model
from interplab_widgets.widgets.view_support import STATIC


def state_bytes(widget) -> tuple[int, int]:
    """Binary buffers and JSON of the widget's first state (the view's code included)."""
    state, _, buffers = _remove_buffers(widget.get_state())
    return sum(len(b) for b in buffers), len(json.dumps(state).encode())


def json_float_lists_bytes(trace) -> int:
    """What a view that ships every layer's attention as nested JSON lists (BertViz) would send."""
    return sum(len(json.dumps(pattern.tolist()).encode()) for _, pattern in trace.attentions())


def selection_ms(widget, cached: bool, repeats: int = 5) -> float:
    times = []
    for i in range(repeats):
        layer, head = (7 * i + 3) % widget._n_layers, (2 * i + 1) % widget._n_heads
        if not cached:
            widget.trace._attention_cache.clear()
        else:
            widget.trace.attention(layer)
        widget._detail_cache.clear()
        start = time.perf_counter()
        with widget.hold_trait_notifications():
            widget.selected_layer, widget.selected_head = layer, head
        times.append(time.perf_counter() - start)
        assert (widget._detail["layer"], widget._detail["head"]) == (layer, head)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[128, 512, 2048])
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    handle = load_model("smollm2-135m")
    bundle = sum(p.stat().st_size for p in STATIC.glob("attention_explorer.*"))
    print(f"view bundle (JS + CSS, part of the first display below): {bundle / 1e3:.0f} kB\n")
    print("tokens  first display (MB)  build (s)  select cached (ms)  select recompute (ms)  forward (ms)")
    for n in args.lengths:
        text = text_of_length(handle, n)
        start = time.perf_counter()
        widget = AttentionExplorer(handle, text)
        build = time.perf_counter() - start
        binary, json_size = state_bytes(widget)
        forward = 1000 * seconds(lambda text=text: handle.run(text), 3)
        print(
            f"{widget.trace.n_tokens:6d}  {(binary + json_size) / 1e6:18.3f}  {build:9.2f}  "
            f"{selection_ms(widget, True):18.1f}  {selection_ms(widget, False):21.1f}  {forward:12.0f}"
        )
        if n <= 512:  # beyond that the JSON alone takes gigabytes
            baseline = json_float_lists_bytes(widget.trace)
            print(
                f"        all attention as JSON float lists (BertViz-style): {baseline / 1e6:.1f} MB "
                f"= {baseline / (binary + json_size):.0f}x ours"
            )


if __name__ == "__main__":
    main()
