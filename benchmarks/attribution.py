"""Integrated gradients on smollm2-135m: this project against Captum's LLMGradientAttribution, in one run.

Same prompt, same target (log p of the answer), same number of steps and quadrature rule (midpoint),
on the same CPU threads; the baselines differ in value (Captum's: token id 0 everywhere; ours: zero
with the first token kept), not in cost. Each measurement
runs in its own process so its peak memory (max RSS above the process after loading the weights) is
its own. Then the quadrature rules' completeness error, and the deletion / insertion areas of every
method against random orders, on a few prompts. inseq is not on this machine's package index.

    python benchmarks/attribution.py [--steps 32] [--long 2048] [--skip-captum]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

PROMPTS = [
    ("The Eiffel Tower is located in the city of", " Paris"),
    ("The capital of Germany is the city of", " Berlin"),
    ("Barack Obama was born in the state of", " Hawaii"),
    ("The Colosseum is an ancient amphitheatre in the city of", " Rome"),
]


def rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(kind: str, steps: int, n_tokens: int) -> dict:
    """One measurement in this process: time and peak memory above the loaded model."""
    import torch

    from interplab_widgets import load_model
    from interplab_widgets.analysis.attribution import TokenTarget, attribute_ids

    handle = load_model("smollm2-135m")
    prompt, answer = PROMPTS[0]
    ids = handle.tokenizer(prompt).input_ids
    if n_tokens > len(ids):  # a long input: filler text before the question
        filler = handle.tokenizer(" The weather was mild and the streets were quiet." * 400).input_ids
        ids = filler[: n_tokens - len(ids)] + ids
    (answer_id,) = handle.tokenizer(answer, add_special_tokens=False).input_ids
    torch.set_grad_enabled(True)
    with torch.no_grad():
        handle.model(input_ids=torch.tensor([ids[:8]]), logits_to_keep=1)  # warm-up
    before = rss_bytes()
    start = time.perf_counter()
    if kind == "ours":
        result = attribute_ids(
            handle, ids, TokenTarget(answer_id), method="integrated_gradients", baseline="zero", steps=steps,
            tolerance=None, faithfulness=False, progress=False, max_bytes=4 * 2**30,
        )  # fmt: skip
        error = result.completeness_error
    else:
        from captum.attr import LayerIntegratedGradients, LLMGradientAttribution, TextTokenInput

        embeddings = handle.model.get_input_embeddings()
        lig = LayerIntegratedGradients(handle.model, embeddings)
        llm = LLMGradientAttribution(lig, handle.tokenizer)
        text = handle.tokenizer.decode(ids)
        inputs = TextTokenInput(text, handle.tokenizer, baselines=0)
        out = llm.attribute(inputs, target=answer, n_steps=steps, method="riemann_middle")
        error = float("nan")
        del out
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_bytes": max(0, rss_bytes() - before), "n_tokens": len(ids), "error": error}


def measure(kind: str, steps: int, n_tokens: int = 0) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--steps", str(steps), "--tokens", str(n_tokens)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def quality(steps: int) -> None:
    import torch

    from interplab_widgets import load_model
    from interplab_widgets.analysis.attribution import (
        METHODS,
        RULES,
        TokenTarget,
        _Runner,
        attribute,
        baseline_embeddings,
        embed,
        quadrature,
    )

    handle = load_model("smollm2-135m")
    print("\ncompleteness error of integrated gradients by quadrature rule (zero baseline, first token kept)")
    print(f"{'prompt':42s} " + " ".join(f"{rule[:5]:>6s}{n:<4d}" for n in (16, 32, 64) for rule in RULES))
    for prompt, answer in PROMPTS:
        ids = handle.tokenizer(prompt).input_ids
        (answer_id,) = handle.tokenizer(answer, add_special_tokens=False).input_ids
        run = _Runner(handle, TokenTarget(answer_id), 2**31)
        x, b = embed(handle, ids), baseline_embeddings(handle, ids, "zero", True)
        fx, fb = run.values(torch.stack([x, b])).tolist()
        errors = []
        for n in (16, 32, 64):
            for rule in RULES:
                alphas, weights = quadrature(n, rule)
                path = b + torch.tensor(alphas, dtype=x.dtype)[:, None, None] * (x - b)
                grads = run.gradients(path, torch.tensor(weights, dtype=torch.float32))
                errors.append(abs(float(((x - b) * grads).sum()) - (fx - fb)) / abs(fx - fb))
        print(f"{prompt[:42]:42s} " + " ".join(f"{e:10.2%}" for e in errors))

    print("\nfaithfulness: area under deletion (lower = better) and insertion (higher = better), method vs random")
    for prompt, answer in PROMPTS:
        for method in METHODS:
            r = attribute(handle, prompt, answer, method=method, steps=steps, progress=False)
            f = r.faithfulness
            good = (f.deletion_area < f.random_deletion_area) + (f.insertion_area > f.random_insertion_area)
            print(
                f"{prompt[:30]:30s} {method:21s} deletion {f.deletion_area:7.2f} vs {f.random_deletion_area:7.2f}   "
                f"insertion {f.insertion_area:7.2f} vs {f.random_insertion_area:7.2f}   better than random: {good}/2"
                + (f"   completeness {r.completeness_error:.2%} at {r.steps} steps" if r.steps else "")
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--long", type=int, default=2048, help="tokens of the long input (0 to skip)")
    parser.add_argument("--skip-captum", action="store_true")
    parser.add_argument("--child", choices=["ours", "captum"])
    parser.add_argument("--tokens", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.steps, args.tokens)))
        return
    kinds = ["ours"] + ([] if args.skip_captum else ["captum"])
    runs = {kind: [] for kind in kinds}
    for _ in range(3):  # interleaved, so both see the same machine; the fastest of three counts
        for kind in kinds:
            runs[kind].append(measure(kind, args.steps))
    ours, theirs = (min(runs[kind], key=lambda run: run["seconds"]) for kind in ["ours", kinds[-1]])
    print(f"integrated gradients, {ours['n_tokens']} tokens, {args.steps} steps (midpoint), each in a fresh process")
    print(f"  this project: {ours['seconds']:.2f} s, peak {ours['peak_bytes'] / 2**20:.0f} MiB above the weights")
    if not args.skip_captum:
        peak = theirs["peak_bytes"] / 2**20
        print(f"  Captum LLMGradientAttribution: {theirs['seconds']:.2f} s, peak {peak:.0f} MiB")
        print(
            f"  ratio: {theirs['seconds'] / ours['seconds']:.2f}x faster, "
            f"{theirs['peak_bytes'] / max(ours['peak_bytes'], 1):.2f}x less memory"
        )
    if args.long:
        long = measure("ours", args.steps, args.long)
        print(
            f"  long input: {long['n_tokens']} tokens, {args.steps} steps: {long['seconds']:.1f} s, "
            f"peak {long['peak_bytes'] / 2**30:.2f} GiB above the weights, completeness error {long['error']:.2%}"
        )
    quality(args.steps)


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
