"""Tasks for circuits: a behaviour as many clean/corrupted prompt pairs and a metric, and two tasks whose
circuits are known or studied (induction on repeated random tokens; indirect-object identification)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..capture.runner import last_token_logits, token_id_list, tokenize
from ..errors import InputError
from .circuits import graph_for
from .head_roles import repeated_sequences
from .patching import checked_metric, single_token_id

if TYPE_CHECKING:
    from ..models.handle import ModelHandle

Metric = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
"""``(logits [b, vocab], answers [b], contrasts [b]) -> [b]``: one number per pair."""


def logit_difference(logits: torch.Tensor, answers: torch.Tensor, contrasts: torch.Tensor) -> torch.Tensor:
    """``logit(answer) − logit(contrast)`` per row: the default metric."""
    rows = torch.arange(len(logits), device=logits.device)
    return logits[rows, answers] - logits[rows, contrasts]


class CircuitTask:
    """A behaviour as many clean/corrupted prompt pairs (each pair of equal token length) and a metric.

    Args:
        model: anything :func:`interplab_widgets.load_model` takes; a causal LM.
        clean: the prompts on which the model shows the behaviour (texts, or lists of token ids).
        corrupted: one prompt per clean prompt, with the same number of tokens, on which it does not.
        answers: per pair the token whose logit the metric reads (one token each, e.g. ``" Mary"``); by
            default the clean prompt's top prediction.
        contrasts: per pair the other token of the logit difference; by default the corrupted prompt's top
            prediction.
        metric: instead of the logit difference, ``(logits [b, vocab], answers [b], contrasts [b]) -> [b]``.
    """

    def __init__(
        self,
        model: Any,
        clean: Sequence[str | Sequence[int]],
        corrupted: Sequence[str | Sequence[int]],
        *,
        answers: Sequence[str | int] | None = None,
        contrasts: Sequence[str | int] | None = None,
        metric: Metric | None = None,
    ) -> None:
        from ..models import load_model

        self.handle: ModelHandle = load_model(model)
        self.graph = graph_for(self.handle)
        if isinstance(clean, str) or isinstance(corrupted, str):
            raise InputError(
                "clean and corrupted are lists of prompts (one pair per item): wrap a single prompt in []."
            )
        self.clean, self.corrupted = list(clean), list(corrupted)
        if not self.clean or len(self.clean) != len(self.corrupted):
            raise InputError(
                f"Give one corrupted prompt per clean prompt: got {len(self.clean)} clean and "
                f"{len(self.corrupted)} corrupted."
            )
        for name, given in (("answers", answers), ("contrasts", contrasts)):
            if given is not None and (isinstance(given, str) or len(given) != len(self.clean)):
                raise InputError(f"{name} needs one token per pair ({len(self.clean)}); got {given!r}.")
        self.metric = metric or logit_difference
        self.clean_ids = [self._ids(prompt, f"clean[{i}]") for i, prompt in enumerate(self.clean)]
        self.corrupted_ids = [self._ids(prompt, f"corrupted[{i}]") for i, prompt in enumerate(self.corrupted)]
        for index, (a, b) in enumerate(zip(self.clean_ids, self.corrupted_ids)):
            if len(a) != len(b):
                raise InputError(
                    f"Pair {index}: edges are compared position by position, so both prompts need the same number "
                    f"of tokens; clean has {len(a)} {self._pieces(a)}, corrupted has {len(b)} {self._pieces(b)}. "
                    "Reword one of them."
                )
        self.clean = [p if isinstance(p, str) else self.handle.tokenizer.decode(p) for p in self.clean]
        self.corrupted = [p if isinstance(p, str) else self.handle.tokenizer.decode(p) for p in self.corrupted]
        clean_logits, corrupted_logits = self._last_logits(self.clean_ids), self._last_logits(self.corrupted_ids)
        self.answers = self._tokens(answers, "answers", clean_logits)
        self.contrasts = self._tokens(contrasts, "contrasts", corrupted_logits)
        self.clean_metric = float(self._measure(clean_logits).mean())
        self.corrupted_metric = float(self._measure(corrupted_logits).mean())
        for run, value in (("clean", self.clean_metric), ("corrupted", self.corrupted_metric)):
            if not np.isfinite(value):
                raise InputError(
                    f"The metric's mean over the {run} prompts is {value}, so faithfulness cannot be normalised "
                    "against it. Make the metric finite on every prompt."
                )
        if abs(self.clean_metric - self.corrupted_metric) < 1e-6:
            raise InputError(
                f"The metric is {self.clean_metric:.4g} on the clean and on the corrupted prompts, so faithfulness "
                "cannot be normalised. Choose pairs on which the model behaves differently."
            )

    def __len__(self) -> int:
        return len(self.clean)

    def decode(self, token_id: int) -> str:
        return self.handle.tokenizer.decode([int(token_id)])

    def batches(self, rows: Callable[[int], int]) -> list[list[int]]:
        """Pair indices in batches of equal token length, each at most ``rows(length)`` pairs."""
        by_length: dict[int, list[int]] = {}
        for index, ids in enumerate(self.clean_ids):
            by_length.setdefault(len(ids), []).append(index)
        batches = []
        for length, members in by_length.items():
            size = rows(length)
            batches += [members[i : i + size] for i in range(0, len(members), size)]
        return batches

    def stack(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(clean ids, corrupted ids, answers, contrasts)`` of a batch, on the model's device."""
        device = self.handle.device
        return (
            torch.stack([self.clean_ids[i] for i in indices]).to(device),
            torch.stack([self.corrupted_ids[i] for i in indices]).to(device),
            self.answers[list(indices)].to(device),
            self.contrasts[list(indices)].to(device),
        )

    def _ids(self, prompt: str | Sequence[int], where: str) -> torch.Tensor:
        if isinstance(prompt, str):
            return torch.tensor([t.id for t in tokenize(self.handle, prompt)])
        vocab = self.handle.model.get_input_embeddings().num_embeddings
        if not isinstance(prompt, Sequence) and not hasattr(prompt, "shape"):
            raise InputError(
                f"{where} is {type(prompt).__name__} {prompt!r:.40}; each prompt is a text or a list of token ids "
                f"in 0..{vocab - 1}."
            )
        ids = token_id_list(prompt, vocab, self.handle.name, where)
        if len(ids) > self.handle.max_tokens:
            raise InputError(
                f"A prompt has {len(ids)} tokens; {self.handle.name} reads at most {self.handle.max_tokens}."
            )
        return torch.tensor([int(i) for i in ids])

    def _measure(self, logits: torch.Tensor) -> torch.Tensor:
        """The metric of each pair ``[n_pairs]``, checked to keep one number per pair."""
        return checked_metric(lambda rows: self.metric(rows, self.answers, self.contrasts), logits, "metric")

    def _pieces(self, ids: torch.Tensor) -> list[str]:
        return [self.decode(i) for i in ids.tolist()]

    def _last_logits(self, prompts: list[torch.Tensor]) -> torch.Tensor:
        """Each prompt's next-token logits ``[n_pairs, vocab]``: one forward per prompt, for answers and metrics."""
        with torch.no_grad():
            return torch.cat([last_token_logits(self.handle, ids[None]) for ids in prompts]).cpu()

    def _tokens(self, given: Sequence[str | int] | None, name: str, logits: torch.Tensor) -> torch.Tensor:
        if given is not None:
            return torch.tensor([single_token_id(self.handle, token, f"{name}[{i}]") for i, token in enumerate(given)])
        return logits.argmax(-1)


def induction_task(model: Any, n_pairs: int = 16, segment_length: int = 8, seed: int = 0) -> CircuitTask:
    """Induction on random tokens: clean ``prefix + s + s[:-1]`` (the answer is ``s[-1]``, by copying from the
    first copy), corrupted ``prefix + t + t[:-1]`` with another random segment ``t`` (answer ``t[-1]``).

    Both halves differ, so the path the induction circuit uses (a previous-token head writing into the first
    copy, read by the induction heads' keys) carries the difference; with only the second half corrupted, the
    first copy's keys are equal in both runs and that path could not show.
    """
    from ..models import load_model

    handle = load_model(model)
    clean, length, prefix = repeated_sequences(handle, n_pairs, segment_length, seed)
    corrupted, _, _ = repeated_sequences(handle, n_pairs, segment_length, seed + 1)
    end = prefix + 2 * length - 1
    return CircuitTask(handle, [ids[:end] for ids in clean], [ids[:end] for ids in corrupted])


IOI_NAMES = (" Mary", " John", " Tom", " James", " Anna", " Sarah", " David", " Paul", " Kate", " Mike")
IOI_TEMPLATES = (
    "When{a} and{b} went to the store,{s} gave a drink to",
    "When{a} and{b} went to the park,{s} gave a ball to",
    "When{a} and{b} went to the school,{s} gave a book to",
    "Then,{a} and{b} went to the office.{s} handed a pen to",
)
"""``{a}``, ``{b}``: the two names; ``{s}``: who gives (``b`` in the clean prompt, ``a`` in the corrupted)."""


def ioi_task(model: Any, n_pairs: int = 16, seed: int = 0) -> CircuitTask:
    """Indirect-object identification (Wang et al. 2022): clean "When Mary and John went to the store, John gave
    a drink to" (answer " Mary"), corrupted with the second mention swapped ("..., Mary gave a drink to", answer
    " John"); the metric is logit(clean answer) − logit(the other name)."""
    from ..models import load_model

    handle = load_model(model)
    rng = np.random.default_rng(seed)
    clean, corrupted, answers, contrasts = [], [], [], []
    for index in range(n_pairs):
        a, b = rng.choice(IOI_NAMES, size=2, replace=False)
        template = IOI_TEMPLATES[index % len(IOI_TEMPLATES)]
        clean.append(template.format(a=a, b=b, s=b))
        corrupted.append(template.format(a=a, b=b, s=a))
        answers.append(a)
        contrasts.append(b)
    return CircuitTask(handle, clean, corrupted, answers=answers, contrasts=contrasts)
