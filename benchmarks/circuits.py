"""Circuit discovery on smollm2-135m's indirect-object task: every cost in units of one forward + backward pass.

One run, one process, the same batches of pairs throughout (each time the shortest of a few repeats):
a plain forward + backward of the model (the unit),
EAP over all edges, EAP-IG with m steps, exact edge patching on a sample of edges (per edge, and extrapolated
to the whole graph: the extrapolation is a multiplication, said so in the output), and the faithfulness curve.
Then the oracle: Spearman's rank correlation of EAP-IG's and EAP's scores with the exact effects of the
sampled edges (the strongest by EAP-IG and random others).

    python benchmarks/circuits.py [--pairs 8] [--steps 5] [--sample 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import spearmanr

from interplab_widgets import load_model
from interplab_widgets.analysis import circuit_metrics, edge_effects, edge_scores, ioi_task
from interplab_widgets.analysis.circuits import circuit_mask, circuit_order, curve_sizes, faithfulness_of


def timed(function, repeats: int = 1):
    """The value and the shortest of ``repeats`` wall times (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - started)
    return value, best


def plain_forward_backward(task) -> None:
    """The unit: the model's own forward and backward on the task's clean prompts, to the same metric."""
    handle = task.handle
    for batch in task.batches(lambda n: len(task)):
        clean, _, answers, contrasts = task.stack(batch)
        embeds = handle.model.get_input_embeddings()(clean).detach().requires_grad_(True)
        logits = handle.model(inputs_embeds=embeds, use_cache=False, logits_to_keep=1).logits[:, -1]
        task.metric(logits.float(), answers, contrasts).sum().backward()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = load_model("smollm2-135m")
    task = ioi_task(model, n_pairs=args.pairs, seed=0)
    graph = task.graph
    print(f"{model.name}: {graph.n_edges:,} edges; {len(task)} IOI pairs; clean {task.clean_metric:.2f}, "
          f"corrupted {task.corrupted_metric:.2f}")  # fmt: skip
    plain_forward_backward(task)  # warm-up
    _, unit = timed(lambda: plain_forward_backward(task), repeats=5)
    eap, eap_s = timed(lambda: edge_scores(task, "eap", progress=False), repeats=3)
    ig, ig_s = timed(lambda: edge_scores(task, "eap-ig", steps=args.steps, progress=False), repeats=2)
    order = circuit_order(ig, graph)
    rng = np.random.default_rng(0)
    half = args.sample // 2
    sample = [tuple(e) for e in order[:half]] + [
        tuple(e) for e in order[half:][rng.choice(len(order) - half, half, replace=False)]
    ]
    exact, exact_s = timed(lambda: edge_effects(task, sample, progress=False))
    per_edge = exact_s / len(sample)
    sizes = curve_sizes(graph.n_edges)
    metrics, curve_s = timed(
        lambda: circuit_metrics(task, [circuit_mask(order, graph, int(n)) for n in sizes], progress=False)
    )
    faithfulness = faithfulness_of(task, metrics)
    print(f"unit: one forward + backward over the batch = {unit:.2f} s")
    print(f"EAP, all edges:            {eap_s / unit:6.1f} units")
    print(f"EAP-IG (m={args.steps}), all edges: {ig_s / unit:6.1f} units")
    print(f"exact patching, per edge:  {per_edge / unit:6.2f} units (measured on {len(sample)} edges)")
    print(f"exact patching, all edges: {per_edge * graph.n_edges / unit:,.0f} units (extrapolated: per edge x "
          f"{graph.n_edges:,}), {per_edge * graph.n_edges / ig_s:,.0f}x EAP-IG")  # fmt: skip
    print(f"faithfulness curve ({len(sizes)} sizes): {curve_s / unit:6.1f} units")
    print(f"faithfulness (EAP-IG, top-n) by size: {dict(zip(sizes.tolist(), np.round(faithfulness, 2).tolist()))}")
    for name, scores in (("EAP-IG", ig), ("EAP", eap)):
        values = np.array([scores[e] for e in sample])
        print(f"{name}: Spearman with exact effects {spearmanr(values, exact).statistic:.2f} on {len(sample)} edges, "
              f"{spearmanr(values[:half], exact[:half]).statistic:.2f} on the {half} strongest")  # fmt: skip


if __name__ == "__main__":
    main()
