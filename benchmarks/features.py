"""Corpus-scale harvests and SAEs on smollm2-135m, in one run: every speed as a ratio to a baseline measured here.

- harvest tokens/s in process vs plain forward passes of the model over the same batches (the baseline;
  the harvest stops at the layer it keeps, so a middle layer may beat a whole forward);
- Ray on this one machine vs in process (the overhead is the point: one machine gains nothing);
- SAE training tokens/s, and the time to build the dashboards' numbers of 1,000 features;
- FeatureExplorer's kernel time for one feature's dashboard (contexts re-read from the shards) and for a
  prompt's features, against one forward pass over the same prompt.

    python benchmarks/features.py [--texts 400] [--layer 15] [--skip-ray]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from interplab_widgets import FeatureExplorer, harvest_shards, load_model, load_sae, train_sae
from interplab_widgets.features import feature_dashboards
from interplab_widgets.features.evaluate import _batches


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def plain_forwards(handle, texts, batch_size: int) -> None:
    """The base model's whole forward pass over batches of similar length, no hooks (the baseline)."""
    with torch.no_grad():
        for ids, mask in _batches(handle, texts, batch_size):
            handle.model.base_model(input_ids=ids, attention_mask=mask, use_cache=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--layer", type=int, default=15)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    model = load_model("smollm2-135m")
    held = Path(__file__).resolve().parents[1] / "interplab_widgets/features/saes/smollm2-135m-layer15/heldout.jsonl"
    if held.exists():
        import json

        texts = [json.loads(line) for line in held.read_text().splitlines()][: args.texts]
    else:
        rng = np.random.default_rng(0)
        words = "the a of to and in that is was he for it with as his on be at by had not are but from or".split()
        texts = [" ".join(rng.choice(words, size=rng.integers(10, 60))) for _ in range(args.texts)]
    work = Path(tempfile.mkdtemp())
    plain_forwards(model, texts[:16], 16)  # warm-up
    _, forward_s = timed(lambda: plain_forwards(model, texts, 16))
    shards, local_s = timed(lambda: harvest_shards(model, texts, work / "local", layers=[args.layer], batch_size=16,
                                                   shard_tokens=4096, progress=False))  # fmt: skip
    rows = shards.n_rows
    print(f"{rows:,} tokens in {len(texts)} texts")
    print(f"plain forward: {rows / forward_s:,.0f} tok/s; harvest of layer {args.layer}: {rows / local_s:,.0f} tok/s "
          f"({forward_s / local_s:.2f}x the forward's speed)")  # fmt: skip
    if not args.skip_ray:
        import ray

        ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
        try:
            _, ray_s = timed(lambda: harvest_shards(model, texts, work / "ray", layers=[args.layer], batch_size=16,
                                                    shard_tokens=4096, engine="ray", progress=False))  # fmt: skip
        finally:
            ray.shutdown()
        print(f"Ray on this machine: {rows / ray_s:,.0f} tok/s ({ray_s / local_s:.2f}x the in-process time)")
    sae, train_s = timed(lambda: train_sae(shards, layer=args.layer, n_latents=2304, k=32, tokens=4 * rows,
                                           progress=False)[0])  # fmt: skip
    print(f"SAE training (2,304 latents, k 32, batches of 4,096): {4 * rows / train_s:,.0f} tok/s")
    torch.manual_seed(0)
    subset = torch.nn.Parameter(sae.W_dec.detach()[:, :1000].clone())
    sae.W_enc = torch.nn.Parameter(sae.W_enc.detach()[:1000].clone())
    sae.b_enc = torch.nn.Parameter(sae.b_enc.detach()[:1000].clone())
    sae.W_dec, sae.config.n_latents = subset, 1000
    _, dashboards_s = timed(lambda: feature_dashboards(sae, shards, model, cache=False, progress=False))
    print(f"dashboards of 1,000 features over {rows:,} tokens: {dashboards_s:.1f} s ({dashboards_s / forward_s:.2f}x "
          "the plain forward over the same text)")  # fmt: skip
    explorer = FeatureExplorer(model, load_sae("smollm2-135m", layer=15), shards)
    features = np.argsort(-explorer.dashboards.density)[:20]
    _, dashboard_s = timed(lambda: [explorer.dashboard_payload(int(f)) for f in features])
    prompt = "The quick brown fox jumps over the lazy dog, and then it runs back home to sleep."
    _, prompt_s = timed(lambda: explorer.prompt_payload(prompt))
    _, one_forward_s = timed(lambda: model.run(prompt))
    print(
        f"FeatureExplorer: one dashboard {1000 * dashboard_s / len(features):.0f} ms (mean of {len(features)}, "
        f"uncached); a prompt's features {1000 * prompt_s:.0f} ms = {prompt_s / one_forward_s:.2f}x handle.run"
    )


if __name__ == "__main__":
    main()
