"""Adversarial search: the fewest token substitutions that change a model's answer (HotFlip / GCG).

Each step takes the gradient of the answer's margin (its logit minus the best other logit) with
respect to a one-hot encoding of the prompt, proposes for each position the tokens whose swap the
gradient says lowers the margin most, evaluates a batch of those single swaps exactly, and keeps
the best. Only whole-word-like tokens are proposed, protected spans (the subject of a fact) are
never touched, and a candidate whose text would tokenise differently is dropped, so the returned
text reproduces the attack when read again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm.auto import tqdm

from ..capture.runner import last_token_logits, tokenize
from ..errors import InputError
from .cases import Case, token_id


@dataclass(frozen=True)
class Substitution:
    position: int
    old: str
    new: str


@dataclass(frozen=True)
class AttackResult:
    """What the search found. ``text`` is the adversarial prompt (the original one when it failed)."""

    prompt: str
    answers: tuple[str, ...]
    success: bool
    text: str
    top: str
    top_prob: float
    substitutions: list[Substitution] = field(default_factory=list)
    forward_passes: int = 0
    backward_passes: int = 0


def adversarial_search(
    model: Any,
    case: Case | str,
    *,
    answers: tuple[str, ...] | None = None,
    protect: tuple[str, ...] = (),
    protect_last: bool = True,
    budget: int = 2,
    max_forward: int = 1024,
    candidates_per_position: int = 24,
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = True,
) -> AttackResult:
    """Look for at most ``budget`` substituted tokens that make the top next token leave ``answers``.

    Args:
        case: a ``top_in`` :class:`Case` (its tokens are the answers), or a prompt with ``answers=``.
        protect: substrings of the prompt whose tokens must stay (e.g. the subject of a fact).
        protect_last: keep the last token, which alone decides too much of what comes next
            ("is" -> "was" breaks nothing about the model's knowledge).
        budget: the most token positions that may change.
        max_forward: the most sequences evaluated (batch rows count one each, the gradient pass too).
    """
    from ..models import load_model

    handle = load_model(model)
    if isinstance(case, Case):
        if case.check != "top_in":
            raise InputError("adversarial_search breaks a 'top_in' case (the top token is one of a set).")
        prompt, answers = case.prompt, case.tokens
    else:
        prompt = case
    if not answers:
        raise InputError("Give the answers to break: a 'top_in' Case, or answers=(' Paris',).")
    answer_ids = torch.tensor([token_id(handle, a) for a in answers])
    tokens = tokenize(handle, prompt)
    ids = torch.tensor([t.id for t in tokens])
    spans = [(prompt.index(p), prompt.index(p) + len(p)) for p in protect if p in prompt]
    missing = [p for p in protect if p not in prompt]
    if missing:
        raise InputError(f"protect= spans {missing} are not in the prompt {prompt!r}.")
    styles = _word_styles(handle)
    candidates = tokens[:-1] if protect_last else tokens
    editable = [
        t.index
        for t in candidates
        if styles[t.id] > 0 and not any(t.start < e and s < t.end for s, e in spans)  # words only, unprotected
    ]
    if not editable:
        raise InputError("No word token is left to substitute: every one is protected.")
    embeddings = handle.model.get_input_embeddings().weight
    rng = random.Random(seed)
    forward = backward = 0
    changed: set[int] = set()
    margin = float(_margins(handle, ids[None], answer_ids)[0])
    forward += 1

    with tqdm(total=max_forward, desc="adversarial search", unit="seq", disable=not progress) as bar:
        while margin >= 0 and forward + 1 < max_forward:
            gradient = _margin_gradient(handle, ids, answer_ids, embeddings)
            forward, backward = forward + 1, backward + 1
            positions = editable if len(changed) < budget else sorted(changed)
            proposals = []
            for position in positions:
                # A word is replaced by a word, a word piece by a piece: the text stays word-like.
                allowed = styles == styles[int(ids[position])]
                scores = (-gradient[position]).masked_fill(~allowed, -float("inf"))
                scores[ids[position]] = -float("inf")
                proposals += [(position, int(t)) for t in scores.topk(candidates_per_position).indices]
            rng.shuffle(proposals)
            batch = []
            for position, token in proposals:
                candidate = ids.clone()
                candidate[position] = token
                if _round_trips(handle, candidate):
                    batch.append((position, candidate))
                if len(batch) == min(batch_size, max_forward - forward):
                    break
            if not batch:
                break
            margins = _margins(handle, torch.stack([c for _, c in batch]), answer_ids)
            forward += len(batch)
            bar.update(len(batch) + 1)
            best = int(margins.argmin())
            if float(margins[best]) < margin:
                position, ids = batch[best][0], batch[best][1]
                changed.add(position)
                margin = float(margins[best])

    text = handle.tokenizer.decode(ids)
    with torch.no_grad():
        probs = torch.softmax(last_token_logits(handle, ids[None])[0], dim=-1)
    top_prob, top_id = probs.max(dim=-1)
    decode = handle.tokenizer.decode
    substitutions = [
        Substitution(p, tokens[p].text, decode([int(ids[p])])) for p in sorted(changed) if int(ids[p]) != tokens[p].id
    ]
    return AttackResult(
        prompt,
        tuple(answers),
        margin < 0,
        text,
        decode([int(top_id)]),
        float(top_prob),
        substitutions,
        forward,
        backward,
    )


@torch.no_grad()
def _margins(handle: Any, ids: torch.Tensor, answer_ids: torch.Tensor) -> torch.Tensor:
    """Best answer logit minus best other logit, per row (< 0: the answer is no longer on top)."""
    return _margin(last_token_logits(handle, ids), answer_ids)


def _margin(logits: torch.Tensor, answer_ids: torch.Tensor) -> torch.Tensor:
    answer = logits[:, answer_ids].max(dim=-1).values
    others = logits.index_fill(1, answer_ids.to(logits.device), float("-inf")).max(dim=-1).values
    return answer - others


def _margin_gradient(handle: Any, ids: torch.Tensor, answer_ids: torch.Tensor, embeddings: torch.Tensor):
    """∂margin/∂one-hot: ``[n, vocab]``, the first-order change of the margin for every swap."""
    one_hot = torch.zeros(len(ids), embeddings.shape[0], device=embeddings.device, dtype=embeddings.dtype)
    one_hot[torch.arange(len(ids)), ids.to(embeddings.device)] = 1
    one_hot.requires_grad_(True)
    with torch.enable_grad():
        inputs = (one_hot @ embeddings.detach())[None]
        logits = handle.model(inputs_embeds=inputs, use_cache=False, logits_to_keep=1).logits[:, -1].float()
        (gradient,) = torch.autograd.grad(_margin(logits, answer_ids).sum(), one_hot)
    return gradient.float().cpu()


def _style(piece: str) -> int:
    """1: a whole ASCII word with its leading space; 2: an ASCII word piece; 0: anything else."""
    word = piece[1:] if piece.startswith(" ") else piece
    if not (word.isascii() and word.isalpha() and len(word) >= 2):
        return 0
    return 1 if piece.startswith(" ") else 2


def _word_styles(handle: Any) -> torch.Tensor:
    """:func:`_style` of every token in the vocabulary (special tokens 0), computed once per model."""
    if "word_styles" not in handle.memo:
        vocab = handle.model.get_input_embeddings().weight.shape[0]
        special = set(handle.tokenizer.all_special_ids) | set(handle.tokenizer.added_tokens_decoder)
        decode = handle.tokenizer.decode
        handle.memo["word_styles"] = torch.tensor([0 if i in special else _style(decode([i])) for i in range(vocab)])
    return handle.memo["word_styles"]


def _round_trips(handle: Any, ids: torch.Tensor) -> bool:
    """Whether the text of ``ids`` tokenises back to exactly ``ids`` (so the attack survives as text)."""
    text = handle.tokenizer.decode(ids)
    return handle.tokenizer(text, add_special_tokens=False)["input_ids"] == ids.tolist()
