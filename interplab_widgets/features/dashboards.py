"""What a feature dashboard shows (sae_vis / Neuronpedia's numbers), computed from harvest shards in one pass.

For every latent of an SAE: its density (share of tokens where it fires), its largest activation, its
top-activating rows (global row ids into the shards, with their activations), a uniform random sample
of the rows where it fires (each activation gets a random priority and the highest priorities are kept,
so the sample merges batch by batch like the top rows: the lower quantiles are drawn from it), a
histogram of its nonzero activations on log-spaced bins, and the output tokens its decoder direction
promotes and suppresses (through the final norm's scale and the unembedding, as in the logit lens).
Rows stream through the encoder a batch at a time; the top rows are merged batch by batch, so memory
is ``n_latents × (top_k + n_samples)``.
Rows before the SAE's ``min_position`` (the attention sink it was not trained on) are not encoded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..capture.shards import ActivationShards
from ..disk_cache import mark_used, result_path, store
from ..errors import InputError
from ..progress import checkpoint
from .sae import TopKSAE

HISTOGRAM_BINS = 32
DASHBOARDS_FORMAT = 1


@dataclass(frozen=True)
class FeatureDashboards:
    """Per latent (arrays' first axis): ``density``, ``max_activation``, ``top_rows`` / ``top_values``
    ``[n_latents, top_k]`` (row -1 where a latent fired fewer times), ``sample_rows`` /
    ``sample_values`` ``[n_latents, n_samples]`` (uniform over the rows where it fires; -1 / 0 past
    them), ``histogram`` ``[n_latents, bins]`` over ``bin_edges``, ``promoted`` / ``suppressed`` token
    ids ``[n_latents, n_tokens]`` with their logit effects ``promoted_logits`` / ``suppressed_logits``."""

    layer: int
    n_rows: int
    """Rows the SAE encoded (those at or after its ``min_position``)."""
    density: np.ndarray
    max_activation: np.ndarray
    top_rows: np.ndarray
    top_values: np.ndarray
    sample_rows: np.ndarray
    sample_values: np.ndarray
    histogram: np.ndarray
    bin_edges: np.ndarray
    promoted: np.ndarray
    promoted_logits: np.ndarray
    suppressed: np.ndarray
    suppressed_logits: np.ndarray

    @property
    def n_latents(self) -> int:
        return len(self.density)


def feature_dashboards(
    sae: TopKSAE,
    shards: ActivationShards,
    model: Any,
    *,
    layer: int | None = None,
    top_k: int = 20,
    n_samples: int = 64,
    n_tokens: int = 10,
    batch_rows: int = 4096,
    seed: int = 0,
    cache: bool = True,
    progress: bool = True,
) -> FeatureDashboards:
    """Every latent's dashboard numbers over every row of ``shards`` at ``layer`` (default the SAE's), read from
    the disk cache when this SAE, model and harvest were measured with these options before."""
    from ..models import load_model

    handle = load_model(model)
    layer = sae.config.layer if layer is None else layer
    if layer not in shards.layers or shards.d_model != sae.config.d_model:
        raise InputError(
            f"The SAE reads {sae.config.d_model}-wide rows at layer {layer}; the shards hold layers {shards.layers} "
            f"of width {shards.d_model}."
        )
    if not shards.complete:
        raise InputError(f"{shards.folder} is not finished: run harvest_shards() on it again to resume.")
    options = {"layer": layer, "top_k": top_k, "n_samples": n_samples, "n_tokens": n_tokens, "seed": seed}
    path = _cache_path(sae, handle, shards, options) if cache else None
    if path is not None and path.exists():
        mark_used(path)
        with np.load(path) as data:
            return FeatureDashboards(**{f.name: data[f.name] for f in fields(FeatureDashboards)})
    n = sae.config.n_latents
    device = sae.device
    fired = torch.zeros(n, dtype=torch.long)
    top_values = torch.full((n, top_k), -1.0)
    top_rows = torch.full((n, top_k), -1, dtype=torch.long)
    sample_priority = torch.full((n, n_samples), -1.0)
    sample_rows = torch.full((n, n_samples), -1, dtype=torch.long)
    sample_values = torch.zeros(n, n_samples)
    generator = torch.Generator().manual_seed(seed)
    edges = np.logspace(-3, 3, HISTOGRAM_BINS + 1)
    histogram = torch.zeros(n, HISTOGRAM_BINS, dtype=torch.long)
    encoded = 0
    bar = tqdm(total=shards.n_rows, desc="feature dashboards", unit="tok", unit_scale=True, disable=not progress)
    try:
        for index in range(len(shards.plan)):
            rows = shards.activations(index, layer)
            eligible = torch.from_numpy(shards.provenance(index)["token_index"] >= sae.config.min_position)
            for start in range(0, len(rows), batch_rows):
                checkpoint()
                x = torch.from_numpy(np.array(rows[start : start + batch_rows])).to(
                    device
                )  # copied: maps are read-only
                with torch.no_grad():
                    z = sae.encode(x).float().cpu()
                z[~eligible[start : start + batch_rows]] = 0
                encoded += int(eligible[start : start + batch_rows].sum())
                fired += (z > 0).sum(0)
                ids = torch.arange(len(z)) + int(shards.offsets[index]) + start
                values, where = torch.cat([top_values, z.T], 1).topk(top_k, dim=1)
                top_rows = torch.cat([top_rows, ids.expand(n, -1)], 1).gather(1, where)
                top_values = values
                active = z > 0
                priority = torch.rand(z.shape, generator=generator).masked_fill_(~active, -1.0)
                kept, where = torch.cat([sample_priority, priority.T], 1).topk(n_samples, dim=1)
                sample_rows = torch.cat([sample_rows, ids.expand(n, -1)], 1).gather(1, where)
                sample_values = torch.cat([sample_values, z.T], 1).gather(1, where)
                sample_priority = kept
                bins = np.clip(np.searchsorted(edges, z[active].numpy()) - 1, 0, HISTOGRAM_BINS - 1)
                latents = active.nonzero()[:, 1]
                histogram.index_put_((latents, torch.from_numpy(bins)), torch.ones(len(latents), dtype=torch.long),
                                     accumulate=True)  # fmt: skip
                bar.update(len(z))
    finally:
        bar.close()
    top_rows[top_values <= 0] = -1
    sample_rows[sample_priority < 0] = -1
    promoted, promoted_logits, suppressed, suppressed_logits = output_tokens(sae, handle, n_tokens)
    result = FeatureDashboards(
        layer=layer,
        n_rows=encoded,
        density=(fired.double() / max(1, encoded)).numpy(),
        max_activation=top_values[:, 0].clamp(min=0).numpy(),
        top_rows=top_rows.numpy(),
        top_values=top_values.clamp(min=0).numpy(),
        sample_rows=sample_rows.numpy(),
        sample_values=sample_values.numpy(),
        histogram=histogram.numpy(),
        bin_edges=edges,
        promoted=promoted,
        promoted_logits=promoted_logits,
        suppressed=suppressed,
        suppressed_logits=suppressed_logits,
    )
    if path is not None:
        store(path, lambda partial: np.savez(partial, **{f.name: getattr(result, f.name) for f in fields(result)}))
    return result


def _cache_path(sae: TopKSAE, handle: Any, shards: ActivationShards, options: dict[str, int]) -> Path:
    """Keyed by the SAE's weights and config, the model's fingerprint, the harvest and the options."""
    weights = hashlib.sha256()
    for name, tensor in sorted(sae.state_dict().items()):
        weights.update(name.encode() + tensor.detach().cpu().numpy().tobytes())
    config = {k: v for k, v in vars(sae.config).items() if k != "notes"}
    harvest = {k: shards.manifest[k] for k in ("fingerprint", "texts_sha256", "layers", "shards")}
    key = [DASHBOARDS_FORMAT, weights.hexdigest(), config, handle.fingerprint(), harvest, options]
    return result_path("feature_dashboards", key)


def output_tokens(sae: TopKSAE, handle: Any, n_tokens: int = 10, chunk: int = 256):
    """Per latent the ``n_tokens`` output tokens its decoder direction raises most and lowers most:
    ``W_U (g ⊙ w_dec)`` with ``g`` the final norm's scale (the direction's logit effect, norm statistics aside)."""
    norm = handle.adapter.final_norm_module(handle.model)
    unembed = handle.model.get_output_embeddings().weight.detach().float()  # [vocab, d]
    scale = getattr(norm, "weight", None)
    gain = torch.ones(unembed.shape[1]) if scale is None else scale.detach().float().cpu()
    if type(norm).__name__.startswith("Gemma"):  # Gemma's RMSNorm multiplies by (1 + weight)
        gain = gain + 1
    decoder = sae.W_dec.detach().float().cpu()  # [d, n_latents]
    ids_up, logits_up, ids_down, logits_down = [], [], [], []
    for start in range(0, decoder.shape[1], chunk):
        effect = unembed.cpu() @ (gain[:, None] * decoder[:, start : start + chunk])  # [vocab, chunk]
        up = effect.topk(n_tokens, dim=0)
        down = (-effect).topk(n_tokens, dim=0)
        ids_up.append(up.indices.T)
        logits_up.append(up.values.T)
        ids_down.append(down.indices.T)
        logits_down.append(-down.values.T)
    return (torch.cat(ids_up).numpy(), torch.cat(logits_up).numpy(), torch.cat(ids_down).numpy(),
            torch.cat(logits_down).numpy())  # fmt: skip
