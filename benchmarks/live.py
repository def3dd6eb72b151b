"""Live core benchmark on smollm2-135m: what the worker thread and the attention cache buy, same run.

1. AttentionExplorer at ~512 tokens: a cold ``rollout`` request at the last layer, then rollouts at
   other layers, and the same for ``flow`` (other pinned tokens), as "later / first" ratios, with the
   default attention cache (every layer) and with the old 256 MB budget (thrashes: 30 × 9 × 512² × 4 B
   = 283 MB). Flow's own max-flow solver dominates at 512 tokens (at layer 29 one request took 70-150 s
   on a 2-core machine, so the default is ``--flow-layer 5``); the table counts patterns recomputed.
2. PatchingExplorer: the main thread's idle share and longest stall while one cell breakdown runs as a
   request on the worker, against the same breakdown computed synchronously on the main thread.
3. Twenty rapid (layer, head) clicks on AttentionExplorer in ``norm`` mode: wall time and computations
   until settled, against computing all twenty one after another (what the old code did).

Plain Python, no kernel: answers are applied from the worker thread; ``widget.wait()`` blocks until
the latest request is answered.

    python benchmarks/live.py [--tokens 512] [--flow-layer 5] [--cells 3] [--clicks 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import OrderedDict

import torch

from interplab_widgets import AttentionExplorer, PatchingExplorer, load_model
from interplab_widgets.analysis.flow import attention_flow
from interplab_widgets.capture import trace as trace_module

SENTENCES = (
    "The history of the city begins with a small fishing village on the river.",
    "Merchants, scholars and builders arrived, and the streets filled with markets and libraries.",
    "In winter, snow covers the bridges while children skate on the frozen canals.",
    "Every spring the old clock tower rings at noon to open the flower festival.",
    "Nobody remembers who planted the chestnut trees along the northern road.",
    "Trains now cross the valley in minutes, yet the ferry still runs twice a day.",
)
OLD_BUDGET = 256 * 2**20


def varied_text(handle, n_tokens: int) -> str:
    """Varied English sentences repeated, cut at a word so that it has at most ``n_tokens`` tokens."""
    text = " ".join(SENTENCES * (n_tokens // 60 + 2))
    ids = handle.tokenizer(text).input_ids
    text = handle.tokenizer.decode(ids[:n_tokens])
    while len(handle.tokenizer(text).input_ids) > n_tokens:
        text = text[: text.rfind(" ")]
    return text


class RecomputeCounter:
    """Counts attention patterns recomputed by any trace (wraps the function ``Trace.attention`` calls)."""

    def __init__(self) -> None:
        self.count = 0
        self._original = trace_module.recompute_attention

        def counting(*args, **kwargs):
            self.count += 1
            return self._original(*args, **kwargs)

        trace_module.recompute_attention = counting


def answered(widget, changes: dict, counter: RecomputeCounter | None = None) -> tuple[float, int]:
    """Seconds from setting ``changes`` (one request, as one browser message) until it is answered,
    and the attention patterns recomputed meanwhile."""
    before, patterns = widget.computations, counter.count if counter else 0
    start = time.perf_counter()
    if len(changes) == 1:
        ((name, value),) = changes.items()
        setattr(widget, name, value)
    else:
        widget.set_state(changes)
    widget.wait()
    elapsed = time.perf_counter() - start
    assert widget._status["state"] == "done", widget._status
    assert widget.computations == before + 1, "expected exactly one computed request"
    return elapsed, (counter.count - patterns if counter else 0)


def cache_requests(explorer, counter: RecomputeCounter, flow_layer: int, n_tokens: int) -> dict[str, tuple]:
    """(first, later) of rollout and flow requests as (seconds, patterns recomputed); every key new."""
    times = {}
    # Warm-up (untimed): the first request ever also pays for fresh memory pages and the first kernels.
    answered(explorer, {"mode": "rollout", "selected_layer": 26})
    explorer.trace._attention_cache.clear()  # cold: a fresh trace's patterns, before its thumbnails
    first = answered(explorer, {"selected_layer": 29}, counter)
    later = [answered(explorer, {"selected_layer": layer}, counter) for layer in (28, 27)]
    times["rollout"] = first, later
    explorer.trace._attention_cache.clear()
    # Neighbouring pins: the solver's work grows with the pinned position (it reaches tokens up to it).
    tokens = [n_tokens // 2, n_tokens // 2 + 1]
    first = answered(explorer, {"mode": "flow", "selected_layer": flow_layer, "selected_token": tokens[0]}, counter)
    later = [answered(explorer, {"selected_token": token}, counter) for token in tokens[1:]]
    times["flow"] = first, later
    return times


def section_cache(handle, args, text: str) -> AttentionExplorer:
    counter = RecomputeCounter()
    explorers = {}
    for name, budget in (("default", None), ("old 256 MB", OLD_BUDGET)):
        start = time.perf_counter()
        explorers[name] = AttentionExplorer(handle, text, attention_cache_bytes=budget)
        built = time.perf_counter() - start
        trace = explorers[name].trace
        print(
            f"AttentionExplorer ({name} budget: {trace.attention_cache_bytes / 2**20:.0f} MiB), "
            f"{len(trace.tokens)} tokens, built in {built:.1f} s"
        )
    n_tokens = len(explorers["default"].trace.tokens)
    every = handle.n_layers * handle.n_heads * n_tokens**2 * 4
    print(f"every layer's pattern ({handle.n_layers} layers): {every / 2**20:.0f} MiB\n")
    attention_flow(torch.rand(1, 1, 4, 4).numpy())  # numba compiles (or loads) outside the timings
    results = {name: cache_requests(e, counter, args.flow_layer, n_tokens) for name, e in explorers.items()}
    print("request (cold first, then new keys)   budget       first s (patterns)  later s (patterns)    later / first")
    rows = (("rollout", "layer 29, then 28, 27"), ("flow", f"layer {args.flow_layer}, 2 pinned tokens"))
    for mode, what in rows:
        for name in explorers:
            (first, first_n), later = results[name][mode]
            mean = statistics.mean(t for t, _ in later)
            later_text = " ".join(f"{t:.2f} ({n})" for t, n in later)
            ratio = mean / first
            print(f"{mode:7s} {what:29s} {name:11s} {first:8.2f} ({first_n:2d})  {later_text:>19s}  {ratio:14.2f}")
    for name, explorer in explorers.items():
        print(f"  {name}: {len(explorer.trace._attention_cache)} layer patterns cached at the end")
    return explorers["default"]


def work_unit() -> int:
    """A small piece of pure-Python work (holds the GIL, like the kernel's own event loop)."""
    total = 0
    for i in range(2000):
        total += i * i
    return total


def ticked_request(explorer, layer: int, position: int, unit_s: float, sleep: bool) -> dict[str, float]:
    """One cell breakdown on the worker while the main thread ticks; idle share and longest stall."""
    before = explorer.computations
    start = time.perf_counter()
    explorer.set_state({"selected_layer": layer, "selected_position": position})  # one click, one request
    last, gaps, ticks = time.perf_counter(), [], 0
    while explorer._status["state"] == "running":
        if sleep:
            time.sleep(0.001)
        else:
            work_unit()
        now = time.perf_counter()
        gaps.append(now - last)
        last, ticks = now, ticks + 1
    explorer.wait()
    wall = time.perf_counter() - start
    assert explorer._status["state"] == "done" and explorer.computations == before + 1
    assert explorer._cell["layer"] == layer and explorer._cell["position"] == position
    free = ticks * (0.001 if sleep else unit_s)
    return {"wall": wall, "idle": min(free / wall, 1.0), "stall": max(gaps, default=wall)}


def section_idle(handle, args) -> None:
    start = time.perf_counter()
    explorer = PatchingExplorer(
        handle,
        "The Eiffel Tower is located in the city of",
        "The Colosseum is located in the city of",
        answer=" Paris",
        contrast=" Rome",
    )
    n_rows, n_positions = explorer.pair.n_sites("resid"), explorer.pair.n_tokens
    print(f"PatchingExplorer built in {time.perf_counter() - start:.1f} s (resid grid: {n_rows} × {n_positions} cells)")
    unit_s = statistics.median(_time(work_unit) for _ in range(500))
    print(f"main-thread work unit alone: {unit_s * 1e6:.0f} µs; torch threads: {torch.get_num_threads()}")
    ticked_request(explorer, 1, 0, unit_s, sleep=False)  # warm-up: starts the worker thread
    # Matched cells (same layer: same head patching work), a new position for each way of running it.
    layers = [4 + (n_rows - 8) * i // max(args.cells - 1, 1) for i in range(args.cells)]
    rows = {"threaded, Python ticker": [], "threaded, sleep(1 ms) ticker": [], "synchronous": []}
    for layer in layers:
        rows["threaded, Python ticker"].append(ticked_request(explorer, layer, 1, unit_s, sleep=False))
        rows["threaded, sleep(1 ms) ticker"].append(ticked_request(explorer, layer, 2, unit_s, sleep=True))
        before = explorer.computations
        sync = _time(lambda layer=layer: explorer.cell_payload(layer, 3, "resid", "denoise"))
        assert explorer.computations == before  # no request: the old way, blocking the caller
        rows["synchronous"].append({"wall": sync, "idle": 0.0, "stall": sync})
    print(f"\ncell breakdown (9 heads patched alone + patched top tokens), mean of {args.cells} cells, layers {layers}")
    print("how                              wall (s)   main thread idle   longest stall (ms)   wall / synchronous")
    sync_wall = statistics.mean(r["wall"] for r in rows["synchronous"])
    for how, runs in rows.items():
        wall = statistics.mean(r["wall"] for r in runs)
        idle = statistics.mean(r["idle"] for r in runs)
        stall = max(r["stall"] for r in runs)
        print(f"{how:31s} {wall:9.3f}   {idle:15.0%}   {stall * 1e3:18.1f}   {wall / sync_wall:18.2f}")


def _time(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def section_clicks(handle, args, explorer: AttentionExplorer | None) -> None:
    explorer = explorer or AttentionExplorer(handle, varied_text(handle, args.tokens))
    answered(explorer, {"mode": "norm", "selected_layer": 0, "selected_head": 0})
    for layer in range(handle.n_layers):  # every pattern cached, as after the thumbnails: both sides equal
        explorer.trace.attention(layer)
    clicks = [((7 * i + 3) % handle.n_layers, (2 * i + 1) % handle.n_heads) for i in range(args.clicks)]
    clicks = list(OrderedDict.fromkeys(clicks))
    before = explorer.computations
    start = time.perf_counter()
    for layer, head in clicks:  # one browser message per click, as fast as they come
        explorer.set_state({"selected_layer": layer, "selected_head": head})
    sent = time.perf_counter() - start
    explorer.wait()
    live = time.perf_counter() - start
    computed = explorer.computations - before
    assert (explorer._detail["layer"], explorer._detail["head"]) == clicks[-1]
    fresh: OrderedDict = OrderedDict()  # the same twenty answers, none taken from a cache
    start = time.perf_counter()
    for layer, head in clicks:
        explorer.detail_payload(layer, head, "norm", explorer.trace, -1, fresh)
    sequential = time.perf_counter() - start
    print(f"\n{len(clicks)} rapid norm-mode clicks on AttentionExplorer ({explorer.trace.n_tokens} tokens)")
    print(f"  sent in {sent * 1e3:.1f} ms; settled (last click answered) after {live:.2f} s; computations: {computed}")
    print(f"  baseline, all {len(clicks)} computed one after another: {sequential:.2f} s")
    print(f"  live / baseline: {live / sequential:.2f}; computed {computed} of {len(clicks)} requests")


def section_lock(handle, args) -> None:
    """What the handle's lock on ``forward`` costs a forward pass (models/handle.py), and what the main thread
    sees while a flow request solves on the worker (nogil solver), both against a baseline in this run."""
    ids = handle.tokenizer(varied_text(handle, 32), return_tensors="pt").input_ids
    bare = type(handle.model).forward.__get__(handle.model)  # the model's own forward, without the lock
    rounds = max(20, args.clicks)
    for forward in (bare, handle.model.forward):  # warm both
        forward(ids)
    pairs = [(_time(lambda: handle.model.forward(ids)), _time(lambda: bare(ids))) for _ in range(rounds)]  # interleaved
    locked_s, bare_s = min(p[0] for p in pairs), min(p[1] for p in pairs)
    acquire_s = _time(lambda: [(handle.lock.acquire(), handle.lock.release()) for _ in range(100_000)]) / 100_000
    print(
        f"\nforward of {ids.shape[1]} tokens, best of {rounds}: "
        f"locked {locked_s * 1e3:.2f} ms, bare {bare_s * 1e3:.2f} ms"
    )
    print(f"  locked / bare: {locked_s / bare_s:.3f}; one lock acquire+release: {acquire_s * 1e6:.2f} us")
    explorer = AttentionExplorer(handle, varied_text(handle, 128), roles=False)
    explorer.wait()
    stalls, last = [], time.perf_counter()
    start = last
    explorer.set_state({"mode": "flow", "selected_layer": args.flow_layer, "_request": explorer._request + 1})
    while not explorer._latest.finished.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        stalls.append(now - last)
        last = now
    explorer.wait()
    total = time.perf_counter() - start
    print(
        f"main thread during a flow request ({explorer.trace.n_tokens} tokens, layer {args.flow_layer}): {total:.2f} s"
    )
    print(f"  longest stall {max(stalls) * 1e3:.0f} ms, median {statistics.median(stalls) * 1e3:.1f} ms;")
    print(
        f"  longest stall / request: {max(stalls) / total:.3f} (a solver holding the GIL would stall for its whole run)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument(
        "--flow-layer", type=int, default=5, help="layer of the flow requests (at 512 tokens, layer 29 takes minutes)"
    )
    parser.add_argument("--cells", type=int, default=3)
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--skip", nargs="*", default=[], choices=["cache", "idle", "clicks", "lock"])
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    handle = load_model("smollm2-135m")
    started = time.perf_counter()
    explorer = None
    if "cache" not in args.skip:
        print("\n== 1. attention cache: rollout and flow requests ==")
        explorer = section_cache(handle, args, varied_text(handle, args.tokens))
    if "idle" not in args.skip:
        print("\n== 2. main thread while a PatchingExplorer cell breakdown runs ==")
        section_idle(handle, args)
    if "clicks" not in args.skip:
        print("\n== 3. rapid selections ==")
        section_clicks(handle, args, explorer)  # the first explorer: its detail cache has no norm answers
    if "lock" not in args.skip:
        print("\n== 4. the lock on forward, and the main thread during flow ==")
        section_lock(handle, args)
    print(f"\ntotal: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
