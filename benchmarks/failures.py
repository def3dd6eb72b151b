"""Behavioural suites and adversarial search on smollm2-135m: cases per second batched vs one prompt per
forward pass (same run), and forward / backward passes per adversarial success on the shipped facts.

    python benchmarks/failures.py [--suites negation typos distractors bias] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import time

from interplab_widgets import adversarial_search, load_model, load_suite, run_cases
from interplab_widgets.failures import FACTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suites", nargs="+", default=["negation", "typos", "distractors", "bias"])
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    handle = load_model("smollm2-135m")
    cases = load_suite(args.suites)
    run_cases(handle, cases[:4], progress=False)  # warm-up
    timings = {}
    for batch_size in (args.batch_size, 1):
        start = time.perf_counter()
        results = run_cases(handle, cases, batch_size=batch_size, progress=False)
        timings[batch_size] = time.perf_counter() - start
    failed = sum(not r.passed for r in results)
    print(f"{len(cases)} cases ({', '.join(args.suites)}), {failed} failed")
    print(
        f"batched ({args.batch_size}): {len(cases) / timings[args.batch_size]:.1f} cases/s   "
        f"one at a time: {len(cases) / timings[1]:.1f} cases/s   ratio {timings[1] / timings[args.batch_size]:.1f}×"
    )
    forward = backward = successes = 0
    start = time.perf_counter()
    for fact in FACTS:
        attack = adversarial_search(
            handle, fact.prompt, answers=(fact.answer,), protect=(fact.subject,), progress=False
        )
        forward, backward, successes = (
            forward + attack.forward_passes,
            backward + attack.backward_passes,
            successes + attack.success,
        )
    elapsed = time.perf_counter() - start
    print(
        f"adversarial search: {successes}/{len(FACTS)} facts broken in {elapsed:.0f} s; per success "
        f"{forward / max(successes, 1):.0f} sequences forward and {backward / max(successes, 1):.2f} backward passes"
    )


if __name__ == "__main__":
    main()
