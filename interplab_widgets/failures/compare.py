"""Side by side: what changes inside the model between an original and a perturbed prompt."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

import numpy as np

from ..analysis.logit_lens import logit_lens
from ..capture.trace import Trace


def changed_tokens(a: list[str], b: list[str]) -> tuple[list[bool], list[bool], list[tuple[int, int]]]:
    """Which tokens of each sequence are not part of the other, and the aligned pairs ``(i, j)``."""
    matcher = SequenceMatcher(a=a, b=b, autojunk=False)
    pairs = [(block.a + k, block.b + k) for block in matcher.get_matching_blocks() for k in range(block.size)]
    kept_a, kept_b = {i for i, _ in pairs}, {j for _, j in pairs}
    return [i not in kept_a for i in range(len(a))], [j not in kept_b for j in range(len(b))], pairs


def last_token_attention_shift(original: Trace, perturbed: Trace) -> np.ndarray:
    """``[layers, heads]`` total-variation distance between the last token's attention in the two runs,
    with keys aligned on shared tokens (attention to unshared tokens counts as changed)."""
    _, _, pairs = changed_tokens(original.tokens, perturbed.tokens)
    i = np.array([p[0] for p in pairs], dtype=np.int64)
    j = np.array([p[1] for p in pairs], dtype=np.int64)
    shift = np.zeros((original.n_layers, original.handle.n_heads), dtype=np.float32)
    for layer in range(original.n_layers):
        a = original.attention(layer)[:, -1].numpy()  # [heads, keys]
        b = perturbed.attention(layer)[:, -1].numpy()
        shared = np.abs(a[:, i] - b[:, j]).sum(-1)
        unshared = (1 - a[:, i].sum(-1)) + (1 - b[:, j].sum(-1))
        shift[layer] = 0.5 * (shared + unshared)
    return np.clip(shift, 0, 1)


def run_summary(trace: Trace, target: int, changed: list[bool], k: int = 5) -> dict[str, Any]:
    """Tokens, top-k next tokens, and the logit lens at the last position (top-1 and ``target``'s probability)."""
    decode = trace.handle.tokenizer.decode
    lens = logit_lens(trace, [len(trace.tokens) - 1], [target], k=1)
    return {
        "prompt": trace.text,
        "tokens": list(trace.tokens),
        "changed": changed,
        "top": [[token, prob] for token, prob in trace.top_predictions(k)],
        "lens_top": [decode([int(i)]) for i in lens.top_ids[0, :, 0]],
        "lens_target": lens.target_probs[0],
    }
