"""A feature's activations in context: the tokens around harvested rows, and the features of a new prompt.

A dashboard shows a top-activating row with the tokens before and after it in its text, each with the
feature's activation. The rows of one text are contiguous in its shard (shards hold whole texts, in
order), so a window is one slice of the memory-mapped shard, encoded by the SAE again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture.runner import forward_residuals, tokenize
from ..capture.shards import ActivationShards
from ..errors import InputError
from .sae import TopKSAE


@dataclass(frozen=True)
class Context:
    """A window of one text around a row: token texts, the feature's activation on each, the row's place."""

    tokens: list[str]
    values: list[float]
    focus: int
    activation: float
    text_index: int


class ContextReader:
    """Windows of harvested text around global rows of ``shards`` at ``layer``, with one latent's activations."""

    def __init__(self, sae: TopKSAE, shards: ActivationShards, layer: int, before: int = 10, after: int = 4) -> None:
        self.sae, self.shards, self.layer = sae, shards, layer
        self.before, self.after = before, after
        self.texts = shards.texts()
        self._provenance: dict[int, dict[str, np.ndarray]] = {}

    def contexts(self, feature: int, rows: Sequence[int]) -> list[Context]:
        """One :class:`Context` per global row id (negative ids, "no row", are skipped)."""
        return [self._context(feature, int(row)) for row in rows if row >= 0]

    def token_ids(self) -> np.ndarray:
        """The token id of every row, in global row order."""
        return np.concatenate([self._rows(i)["token_id"] for i in range(len(self.shards.plan))])

    def _rows(self, shard: int) -> dict[str, np.ndarray]:
        if shard not in self._provenance:
            self._provenance[shard] = self.shards.provenance(shard)
        return self._provenance[shard]

    def _context(self, feature: int, row: int) -> Context:
        shard = int(np.searchsorted(self.shards.offsets, row, side="right") - 1)
        local = row - int(self.shards.offsets[shard])
        provenance = self._rows(shard)
        text_rows = provenance["text_index"]
        text = int(text_rows[local])
        first = int(np.searchsorted(text_rows, text, side="left"))
        last = int(np.searchsorted(text_rows, text, side="right"))
        lo, hi = max(first, local - self.before), min(last, local + self.after + 1)
        x = torch.from_numpy(np.array(self.shards.activations(shard, self.layer)[lo:hi])).to(self.sae.device)
        with torch.no_grad():
            values = self.sae.encode(x)[:, feature].float().cpu().numpy()
        values[provenance["token_index"][lo:hi] < self.sae.config.min_position] = 0
        source = self.texts[text]
        tokens = [source[s:e] for s, e in zip(provenance["start"][lo:hi], provenance["end"][lo:hi])]
        return Context(tokens, [float(v) for v in values], local - lo, float(values[local - lo]), text)


def prompt_features(sae: TopKSAE, handle: Any, text: str, top: int = 5) -> dict[str, Any]:
    """The tokens of ``text`` with each one's ``top`` strongest features ``[{feature, activation}]`` at the SAE's
    layer (one forward pass, stopped there); tokens before the SAE's ``min_position`` are not encoded."""
    if not isinstance(text, str):
        raise InputError(f"text must be a string; got {type(text).__name__}.")
    tokens = tokenize(handle, text)
    if not tokens:
        return {"tokens": [], "features": [], "skipped": 0, "max_activation": 0.0}
    ids = torch.tensor([[t.id for t in tokens]])
    layer = sae.config.layer
    residual = forward_residuals(handle, ids, torch.ones_like(ids), up_to=layer)[layer][0]
    with torch.no_grad():
        z = sae.encode(residual.float().to(sae.device)).cpu()
    skipped = min(len(tokens), sae.config.min_position)
    z[:skipped] = 0
    values, latents = z.topk(min(top, z.shape[1]), dim=1)
    features = [
        [{"feature": int(j), "activation": float(v)} for v, j in zip(row_values, row_latents) if v > 0]
        for row_values, row_latents in zip(values.tolist(), latents.tolist())
    ]
    return {
        "tokens": [t.text for t in tokens],
        "features": features,
        "skipped": skipped,
        "max_activation": float(z.max()),
    }
