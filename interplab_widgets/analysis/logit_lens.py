"""Logit lens: read the residual stream after every block through the final norm and unembedding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..capture.trace import Trace


@dataclass(frozen=True)
class LensReadout:
    """What each layer would predict at some positions; ``layers + 1`` rows (row 0: the embeddings,
    row ``n_layers``: the model's own output).

    Arrays are ``[positions, layers + 1, ...]``: ``top_ids`` / ``top_probs`` ``[..., k]``,
    ``entropy`` (bits), and for the target tokens ``target_probs`` and ``target_ranks`` (0 = top-1).
    """

    positions: np.ndarray
    top_ids: np.ndarray
    top_probs: np.ndarray
    entropy: np.ndarray
    target_probs: np.ndarray
    target_ranks: np.ndarray


@torch.no_grad()
def logit_lens(trace: Trace, positions: Sequence[int], targets: Sequence[int], k: int = 10) -> LensReadout:
    """The lens at ``positions`` for every layer, with the probability and rank of ``targets[i]`` at position i."""
    positions = np.asarray(positions, dtype=np.int64)
    target = torch.as_tensor(np.asarray(targets, dtype=np.int64))[:, None]
    rows = []
    for layer in range(trace.n_layers + 1):
        logits = trace.logits_from(layer, list(positions))
        log_norm = torch.logsumexp(logits, dim=-1, keepdim=True)
        top = logits.topk(k, dim=-1)
        target_logit = logits.gather(-1, target)
        probs = (logits - log_norm).exp_()
        rows.append(
            (
                top.indices,
                (top.values - log_norm).exp(),
                (log_norm[:, 0] - (probs * logits).sum(-1)) / np.log(2),  # entropy in bits
                (target_logit - log_norm)[:, 0].exp(),
                (logits > target_logit).sum(-1),
            )
        )
    columns = [torch.stack(column, dim=1).numpy() for column in zip(*rows)]
    return LensReadout(positions, *columns)
