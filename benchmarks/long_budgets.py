"""Long-input budgets on smollm2-135m: measured peaks and times against the estimates that patching and
attribution refuse by (``interplab_widgets.analysis.budget``), all in one run.

Each (kind, length) runs in a fresh subprocess, so each peak is its own. A peak is resident memory above
what the process held after loading the model and warming it up, sampled every 2 ms. The kinds are:

- ``forward`` / ``gradient``: one plain forward pass (no gradients), and one forward and backward pass to
  the input embeddings. These are the units: their times fit ``pass_cost``'s ``QUADRATIC_FROM`` and
  ``GRAD_PASS_COST``, and their peaks fit ``pass_bytes``.
- ``patching``: what PatchingExplorer runs, with one position instead of all of them:
  ``PatchingPair(clean, corrupted)`` (the two baselines, then the ``resid`` activations) and
  ``exact("resid", positions=[last])``, which is 31 patched runs batched within ``patching.MAX_BYTES``.
  Its time is compared with its estimated work in the same child.
- ``attribution``: ``attribute(method="gradient_x_input", faithfulness=False)``, the input and baseline
  values and one gradient pass.
- ``attention_x_gradient``: eager attention with gradients, so every layer's weights are kept; short
  lengths only.
- ``attribution_patching``: ``PatchingPair.attribution("resid")``, one gradient pass.
- ``head_scores``: ``head_scores(handle)`` as ``cached_head_roles`` runs it. It builds its own
  8 × 50-token inputs, so it is measured once, whatever the user's text.

Laws are least-squares fits of ``peak = a·n + b·n²`` over the lengths measured. The lengths and the
thread count are arguments; one thread by default, to share a busy machine. Times vary 2–10× on shared
machines, so only ratios within this run mean anything.

    python benchmarks/long_budgets.py [--lengths 256 512 1024 2048] [--time-lengths 4096 8192] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
from capture import PeakRSS, text_of_length

from interplab_widgets import PatchingPair, attribute, head_scores, load_model
from interplab_widgets.analysis import budget, patching
from interplab_widgets.analysis.attribution import MAX_BYTES as ATTRIBUTION_MAX_BYTES

MiB = 2**20
FACT = (" The Eiffel Tower is located in the city of", " The Colosseum is located in the city of")
EAGER_UP_TO = 1024


def prompts(handle, n_tokens: int) -> tuple[str, str]:
    """A clean/corrupted pair of about ``n_tokens`` tokens, the same length, differing in the subject."""
    context = text_of_length(handle, n_tokens - 12)
    return context + FACT[0], context + FACT[1]


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def child(kind: str, n_tokens: int) -> dict:
    handle = load_model("smollm2-135m")
    text = text_of_length(handle, n_tokens)
    ids = handle.tokenizer(text, return_tensors="pt").input_ids
    n = ids.shape[1]
    with torch.no_grad():  # warm-up: first-call allocations are not the run's
        handle.model(input_ids=ids[:, :64], use_cache=False, logits_to_keep=1)
    result: dict = {"kind": kind, "tokens": n}
    with PeakRSS() as memory:
        if kind == "forward":
            with torch.no_grad():
                result["seconds"] = timed(lambda: handle.model(input_ids=ids, use_cache=False, logits_to_keep=1))
            result["estimate"] = budget.pass_bytes(handle, n, grad=False)
        elif kind == "gradient":
            for p in handle.model.parameters():
                p.requires_grad_(False)
            embeds = handle.model.get_input_embeddings()(ids).detach().requires_grad_(True)

            def gradient():
                logits = handle.model(inputs_embeds=embeds, use_cache=False, logits_to_keep=1).logits
                logits[:, -1].float().logsumexp(-1).sum().backward()

            result["seconds"] = timed(gradient)
            result["estimate"] = budget.pass_bytes(handle, n, grad=True)
        elif kind == "patching":
            clean, corrupted = prompts(handle, n_tokens)
            pair = PatchingPair(handle, clean, corrupted, answer=" Paris", contrast=" Rome")
            n = result["tokens"] = pair.n_tokens
            with torch.no_grad():
                result["forward_s"] = timed(lambda: pair.last_logits(pair.ids[:1]))
            result["seconds"] = timed(lambda: pair.exact("resid", positions=[n - 1], progress=False))
            rows = min(32, budget.rows_within(handle, n, patching.MAX_BYTES, grad=False))
            cache = 2 * pair.n_sites("resid") * n * handle.d_model * 4
            result["estimate"] = cache + rows * budget.pass_bytes(handle, n, grad=False)
            result["rows"] = rows
            result["work"] = patching.cells_work(handle, n, range(pair.n_sites("resid")))
        elif kind == "attribution":
            result["seconds"] = timed(
                lambda: attribute(
                    handle, text, method="gradient_x_input", faithfulness=False, max_bytes=2**40, progress=False
                )
            )
            result["estimate"] = budget.pass_bytes(handle, n, grad=True)
        elif kind == "attention_x_gradient":
            result["seconds"] = timed(
                lambda: attribute(
                    handle, text, method="attention_x_gradient", faithfulness=False, max_bytes=2**40, progress=False
                )
            )
            result["estimate"] = budget.pass_bytes(handle, n, grad=True, eager=True)
        elif kind == "attribution_patching":
            clean, corrupted = prompts(handle, n_tokens)
            pair = PatchingPair(handle, clean, corrupted, answer=" Paris", contrast=" Rome")
            n = result["tokens"] = pair.n_tokens
            result["seconds"] = timed(lambda: pair.attribution("resid", max_bytes=2**40))
            cache = 2 * pair.n_sites("resid") * n * handle.d_model * 4  # activations, then as many gradients
            result["estimate"] = budget.pass_bytes(handle, n, grad=True) + cache
        elif kind == "head_scores":
            result["seconds"] = timed(lambda: head_scores(handle, progress=False))
            result["tokens"] = 50  # 8 inputs of 2 × 25 random tokens, whatever n_tokens
            result["estimate"] = 0
        else:
            raise SystemExit(f"unknown kind {kind!r}")
    result["peak"] = memory.peak - memory.start
    return result


def in_subprocess(kind: str, n_tokens: int, threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    command = [sys.executable, __file__, "--child", kind, str(n_tokens), "--threads", str(threads)]
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"{kind} at {n_tokens} tokens failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def fit(rows: list[dict], key: str = "peak") -> tuple[float, float]:
    """Least squares ``value = a·n + b·n²``: ``(a, b)``."""
    n = np.array([r["tokens"] for r in rows], dtype=float)
    y = np.array([r[key] for r in rows], dtype=float)
    (a, b), *_ = np.linalg.lstsq(np.stack([n, n * n], 1), y, rcond=None)
    return float(a), float(b)


def show(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print("  tokens   peak MiB   estimate MiB   est/peak   seconds")
    for r in rows:
        ratio = r["estimate"] / r["peak"] if r["peak"] and r["estimate"] else float("nan")
        peak, estimate = r["peak"] / MiB, r["estimate"] / MiB
        print(f"  {r['tokens']:6d}  {peak:9.0f}  {estimate:13.0f}  {ratio:9.2f}  {r['seconds']:8.1f}")
    if len(rows) >= 2:
        a, b = fit(rows)
        at = 8192
        extrapolated = (a * at + b * at * at) / 2**30
        print(f"  law: peak = {a / 1024:.1f} KiB·n + {b:.1f} B·n²  ->  at {at} tokens {extrapolated:.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--time-lengths", type=int, nargs="*", default=[4096, 8192], help="forward passes only")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    print(f"smollm2-135m, {args.threads} thread(s); peaks above the loaded, warmed-up model")
    runs = {
        kind: [in_subprocess(kind, n, args.threads) for n in lengths]
        for kind, lengths in (
            ("forward", args.lengths + args.time_lengths),
            ("gradient", args.lengths),
            ("patching", args.lengths),
            ("attribution", args.lengths),
            ("attribution_patching", args.lengths),
            ("attention_x_gradient", [n for n in args.lengths if n <= EAGER_UP_TO]),
            ("head_scores", [args.lengths[0]]),
        )
    }
    show("one forward pass, no gradients (pass_bytes grad=False)", runs["forward"])
    show("one gradient pass to the input embeddings (pass_bytes grad=True)", runs["gradient"])
    show(
        "patching: PatchingPair + exact('resid', positions=[last]), batches within "
        f"{patching.MAX_BYTES / 2**30:.0f} GiB (estimate: the resid activations + one batch)",
        runs["patching"],
    )
    show("attribute(gradient_x_input, faithfulness=False)", runs["attribution"])
    show("PatchingPair.attribution('resid'): attribution patching, one gradient pass", runs["attribution_patching"])
    show("attribute(attention_x_gradient): eager attention with gradients", runs["attention_x_gradient"])
    show("head_scores(handle) as cached_head_roles runs it: the same for any user text", runs["head_scores"])

    forward = runs["forward"]
    per_token = np.array([r["seconds"] / r["tokens"] for r in forward])
    n = np.array([r["tokens"] for r in forward], dtype=float)
    slope, intercept = np.polyfit(n, per_token, 1)
    print("\ntime of one forward pass per token: t/n = c · (1 + n / Q)")
    for r, t in zip(forward, per_token):
        print(f"  {r['tokens']:6d} tokens: {r['seconds']:7.1f} s, {1e3 * t:6.2f} ms per token")
    print(f"  fitted Q = {intercept / slope:.0f} tokens (budget.QUADRATIC_FROM = {budget.QUADRATIC_FROM})")
    gradient = {r["tokens"]: r["seconds"] for r in runs["gradient"]}
    ratios = [gradient[r["tokens"]] / r["seconds"] for r in forward if r["tokens"] in gradient]
    listed = ", ".join(f"{x:.1f}" for x in ratios)
    print(f"  gradient pass / forward pass: {listed} (GRAD_PASS_COST = {budget.GRAD_PASS_COST})")
    unit = float(np.median([r["seconds"] / budget.pass_cost(r["tokens"]) for r in forward]))
    hours = patching.MAX_WORK * unit / 3600
    print(f"  one token of work takes {1e3 * unit:.2f} ms here: MAX_WORK = {patching.MAX_WORK:.2g} is {hours:.1f} h")

    print("\npatching grid time against its estimate (same child: a forward pass at that length is the unit)")
    for r in runs["patching"]:
        measured = r["seconds"] / r["forward_s"]
        estimated = r["work"] / budget.pass_cost(r["tokens"])
        print(
            f"  {r['tokens']:6d} tokens, 31 cells in batches of {r['rows']}: {r['seconds']:6.1f} s = "
            f"{measured:5.1f} forward passes; estimated {estimated:5.1f}; the full grid would be {r['tokens']} × that, "
            f"{r['seconds'] * r['tokens'] / 3600:.1f} h here"
        )
    print(f"\nattribution's default max_bytes {ATTRIBUTION_MAX_BYTES / 2**30:.0f} GiB: gradient pass estimates")
    handle = load_model("smollm2-135m")
    for length in (2048, 4096, 8192):
        sdpa = budget.pass_bytes(handle, length, grad=True) / 2**30
        eager = budget.pass_bytes(handle, length, grad=True, eager=True) / 2**30
        print(f"  {length:5d} tokens: {sdpa:5.2f} GiB (eager, attention_x_gradient: {eager:6.1f} GiB)")


if __name__ == "__main__":
    main()
