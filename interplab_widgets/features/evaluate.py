"""The field's standard numbers for an SAE, on held-out text (the names SAELens reports).

- **FVU** (fraction of variance unexplained): ``Σ ||x − x̂||² / Σ ||x − mean(x)||²`` over tokens.
- **L0**: mean number of active latents per token (a TopK SAE's is at most ``k``).
- **dead / dense fraction**: latents that never fire on the text / fire on more than 10 % of its tokens.
- **CE loss recovered**: the model's next-token cross-entropy with the residual at the SAE's layer replaced
  by its reconstruction (at every position), against the clean model and against replacing that residual
  by zeros (``loss_recovered``) or by its mean over the text (``loss_recovered_mean``):
  ``(CE_ablated − CE_sae) / (CE_ablated − CE_clean)``; 1 = as good as the model, 0 = as bad as ablation.

Tokens before the SAE's ``min_position`` (the attention sink it was not trained on) keep the model's own
residual in every run and are left out of FVU, L0 and the mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional as F

from ..analysis.patching import _hooks
from ..capture.runner import right_padded, tokenize
from ..errors import InputError
from ..progress import steps
from .sae import TopKSAE

DENSE_FREQUENCY = 0.1


@dataclass(frozen=True)
class SAEEvaluation:
    """See the module docstring; ``ce_*`` are mean next-token cross-entropies in nats over ``tokens`` targets."""

    fvu: float
    mean_l0: float
    dead_fraction: float
    dense_fraction: float
    ce_clean: float
    ce_sae: float
    ce_zero: float
    ce_mean: float
    tokens: int

    @property
    def loss_recovered(self) -> float:
        return (self.ce_zero - self.ce_sae) / (self.ce_zero - self.ce_clean)

    @property
    def loss_recovered_mean(self) -> float:
        return (self.ce_mean - self.ce_sae) / (self.ce_mean - self.ce_clean)

    def table(self) -> str:
        return (
            f"FVU {self.fvu:.3f} · L0 {self.mean_l0:.1f} · dead {self.dead_fraction:.1%} · dense "
            f"{self.dense_fraction:.1%} · CE clean {self.ce_clean:.3f} / SAE {self.ce_sae:.3f} / zero "
            f"{self.ce_zero:.3f} / mean {self.ce_mean:.3f} · loss recovered {self.loss_recovered:.3f} (vs zero), "
            f"{self.loss_recovered_mean:.3f} (vs mean) · {self.tokens} tokens"
        )


def evaluate_sae(
    sae: TopKSAE,
    model: Any,
    texts: Sequence[str],
    *,
    layer: int | None = None,
    batch_size: int = 8,
    progress: bool = True,
) -> SAEEvaluation:
    """FVU, L0, dead/dense fractions and CE loss recovered of ``sae`` at ``layer`` (default the SAE's own) on
    ``texts``: two passes, the first clean (it measures the reconstruction and the residual's mean), the
    second with the residual replaced by the reconstruction, zeros and the mean."""
    from ..models import load_model

    handle = load_model(model)
    layer = sae.config.layer if layer is None else layer
    if not 0 <= layer <= handle.n_layers or sae.config.d_model != handle.d_model:
        raise InputError(
            f"This SAE reads {sae.config.d_model}-wide residuals at layer {layer}; {handle.name} has d_model "
            f"{handle.d_model} and layers 0..{handle.n_layers}. Pass layer= or the SAE's own model."
        )
    if isinstance(texts, str) or not texts:
        raise InputError("texts must be a non-empty list of held-out texts.")
    device = sae.device
    batches = _batches(handle, texts, batch_size)
    fired = torch.zeros(sae.config.n_latents, dtype=torch.long)
    error = l0 = 0.0
    sums = torch.zeros(handle.d_model, dtype=torch.float64)
    squares = 0.0
    count = 0
    ce = {"clean": 0.0, "sae": 0.0, "zero": 0.0, "mean": 0.0}
    n_targets = 0
    kept: list[torch.Tensor] = []
    skip = sae.config.min_position

    def record(x: torch.Tensor) -> torch.Tensor:
        kept.append(x.detach())
        return x

    for ids, mask in steps(batches, desc="SAE, clean pass", unit="batch", disable=not progress):
        kept.clear()
        logits = _forward(handle, layer, ids, mask, record)
        ce["clean"] += _cross_entropy(logits, ids, mask)
        n_targets += int(mask[:, 1:].sum())
        x = kept[0][:, skip:][mask[:, skip:].bool()].float()
        with torch.no_grad():
            z = sae.encode(x.to(device))
            reconstruction = sae.decode(z).cpu()
        fired += (z > 0).sum(0).cpu()
        l0 += float((z > 0).sum())
        error += float((x - reconstruction).pow(2).sum())
        sums += x.double().sum(0)
        squares += float(x.double().pow(2).sum())
        count += len(x)
    mean = (sums / count).float()
    total = squares - float((sums * sums).sum() / count)  # Σ ||x − mean||²
    replacements = {
        "sae": lambda x: sae(x.float().to(device)).to(x.dtype).to(x.device),
        "zero": torch.zeros_like,
        "mean": lambda x: mean.to(x.dtype).to(x.device).expand_as(x).clone(),
    }
    for ids, mask in steps(batches, desc="SAE, spliced passes", unit="batch", disable=not progress):
        for name, replace in replacements.items():
            edit = _from_position(skip, replace)
            ce[name] += _cross_entropy(_forward(handle, layer, ids, mask, edit), ids, mask)
    frequency = fired.double() / count
    return SAEEvaluation(
        fvu=error / total,
        mean_l0=l0 / count,
        dead_fraction=float((fired == 0).double().mean()),
        dense_fraction=float((frequency > DENSE_FREQUENCY).double().mean()),
        ce_clean=ce["clean"] / n_targets,
        ce_sae=ce["sae"] / n_targets,
        ce_zero=ce["zero"] / n_targets,
        ce_mean=ce["mean"] / n_targets,
        tokens=n_targets,
    )


def _batches(handle, texts: Sequence[str], batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Right-padded ``(ids, mask)`` batches of texts of similar length."""
    tokenized = [[t.id for t in tokenize(handle, text)] for text in texts]
    if all(len(ids) < 2 for ids in tokenized):
        raise InputError("Every text is a single token: cross-entropy needs at least two tokens per text.")
    order = sorted(range(len(tokenized)), key=lambda i: len(tokenized[i]))
    return [
        right_padded([tokenized[i] for i in order[start : start + batch_size]])
        for start in range(0, len(order), batch_size)
    ]


def _from_position(start: int, replace):
    """``replace`` applied to the residual from position ``start`` on; earlier positions kept."""
    if start == 0:
        return replace
    return lambda x: torch.cat([x[:, :start], replace(x[:, start:])], 1)


def _forward(handle, layer: int, ids, mask, edit) -> torch.Tensor:
    """Logits ``[b, n, vocab]`` with the residual after ``layer`` blocks routed through ``edit``."""
    with torch.no_grad(), _hooks(handle, "resid", {layer: edit}):
        output = handle.model(input_ids=ids.to(handle.device), attention_mask=mask.to(handle.device), use_cache=False)
    return output.logits.float().cpu()


def _cross_entropy(logits: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> float:
    """Summed next-token cross-entropy over the real (unpadded) targets."""
    targets = ids[:, 1:]
    losses = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
    return float((losses * mask[:, 1:].reshape(-1)).sum())
