"""trace_generation vs plain model.generate of the same tokens, in the same run (smollm2-135m),
and the bytes GenerationTracer sends on first display for 64 and 256 steps.

Target: a ratio of at most 1.3 for 64 new tokens.

    python benchmarks/generation.py [--new-tokens 64] [--widget-steps 64 256]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from ipywidgets.widgets.widget import _remove_buffers

from interplab_widgets import GenerationTracer, load_model, trace_generation
from interplab_widgets.analysis.logit_lens import logit_lens

PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--widget-steps", type=int, nargs="+", default=[64, 256])
    args = parser.parse_args()
    handle = load_model("smollm2-135m")
    trace_generation(handle, PROMPT, 4, chat=True)  # warm-up
    start = time.perf_counter()
    record = trace_generation(handle, PROMPT, args.new_tokens, chat=True)
    ours = time.perf_counter() - start
    generation = record.generation
    ids = generation.trace.token_ids[None, : generation.n_prompt]
    start = time.perf_counter()
    with torch.no_grad():
        handle.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=record.n_steps, do_sample=False)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    logit_lens(generation.trace, generation.positions, generation.token_ids)
    lens = time.perf_counter() - start
    print(f"steps: {record.n_steps}")
    print(f"plain generate: {plain:.2f} s   trace_generation: {ours:.2f} s   ratio {ours / plain:.2f}")
    print(
        f"  of which the logit lens (every layer x step through the {handle.config.vocab_size}-token unembedding): "
        f"{lens:.2f} s"
    )
    for steps in args.widget_steps:
        widget = GenerationTracer(handle, PROMPT, steps, chat=True)
        state, _, buffers = _remove_buffers(widget.get_state())
        view_code = len(state.pop("_esm")) + len(state.pop("_css"))
        total = sum(len(b) for b in buffers) + len(json.dumps(state)) + view_code
        print(
            f"GenerationTracer first display at {widget.record.n_steps} steps: {total / 1e3:.0f} kB "
            f"(view code {view_code / 1e3:.0f} kB)"
        )


if __name__ == "__main__":
    main()
