"""Texts for the toy induction model: random syllables, then a segment said twice (its SAE tests' corpus)."""

from __future__ import annotations

import numpy as np


def toy_texts(toy, n: int, seed: int) -> list[str]:
    syllables = toy.tokenizer.convert_ids_to_tokens(list(range(64)))
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(n):
        segment = list(rng.choice(syllables, 8))
        texts.append(" ".join(list(rng.choice(syllables, 6)) + segment + segment))
    return texts
