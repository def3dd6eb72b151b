"""trace_generation: what every layer predicted at every step of a generation, as plain arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture.generation import Generation, generate
from .logit_lens import LensReadout, logit_lens


@dataclass(frozen=True)
class GenerationRecord:
    """A generation step by step. ``steps`` arrays are indexed by step; lens arrays are
    ``[steps, layers + 1, ...]`` (row 0: embeddings; row ``n_layers``: the model's output).

    Attributes:
        prompt: the prompt text; ``prompt_tokens`` its tokens (chat template included).
        tokens: the generated tokens ``[steps]``.
        token_ids: their ids ``[steps]``.
        probabilities: of each generated token under the model's own distribution ``[steps]``.
        ranks: of each generated token under the model's own distribution ``[steps]``.
        lens: the logit lens at each step's position, targets = the generated tokens.
        generation: the underlying :class:`Generation` (its ``trace`` gives attention per step).
    """

    prompt: str
    prompt_tokens: list[str]
    tokens: list[str]
    token_ids: np.ndarray
    probabilities: np.ndarray
    ranks: np.ndarray
    lens: LensReadout
    generation: Generation

    @property
    def n_steps(self) -> int:
        return len(self.tokens)

    def first_top1_layer(self, step: int) -> int | None:
        """The first lens row from which the chosen token stays top-1 up to the output, or None."""
        top1 = self.lens.target_ranks[step] == 0
        if not top1[-1]:
            return None
        below = np.flatnonzero(~top1)
        return int(below[-1] + 1) if len(below) else 0

    def step_attention(self, step: int) -> np.ndarray:
        """The new token's query row for every layer and head, ``[layers, heads, context]``."""
        position = self.generation.positions[step]
        trace = self.generation.trace
        rows = range(position, position + 1)
        return np.stack(
            [trace.attention_rows(layer, rows)[:, 0, : position + 1].numpy() for layer in range(trace.n_layers)]
        )

    def step_attention_rows(self, layer: int) -> torch.Tensor:
        """Every step's new-token query row at ``layer``, ``[heads, steps, n]`` (0 after each step's position):
        one pass of scores for all steps, never the layer's whole pattern (an 8,000-token prompt's is 2.3 GB)."""
        positions = self.generation.positions
        return self.generation.trace.attention_rows(layer, range(positions[0], positions[-1] + 1))


def trace_generation(
    model: Any,
    prompt: str,
    max_new_tokens: int = 40,
    *,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    chat: bool | None = None,
    seed: int | None = None,
    lens_k: int = 10,
) -> GenerationRecord:
    """Generate from ``prompt`` and record, for every step, the chosen token and the logit lens at
    its position for every layer. ``model`` is anything :func:`interplab_widgets.load_model` takes."""
    from ..models import load_model

    handle = load_model(model)
    generation = generate(
        handle,
        prompt,
        max_new_tokens=max_new_tokens,
        do_sample=do_sample,
        temperature=temperature,
        top_k=top_k,
        chat=chat,
        seed=seed,
    )
    lens = logit_lens(generation.trace, generation.positions, generation.token_ids, k=lens_k)
    tokens = generation.trace.tokens
    return GenerationRecord(
        prompt=prompt,
        prompt_tokens=tokens[: generation.n_prompt],
        tokens=tokens[generation.n_prompt :],
        token_ids=np.asarray(generation.token_ids),
        probabilities=lens.target_probs[:, -1],
        ranks=lens.target_ranks[:, -1],
        lens=lens,
        generation=generation,
    )
