"""Behavioural test cases on next-token predictions, run in batches.

A case is a prompt and a check on the model's next token: the top token is (or is not) one of a
set, the top token is the same as for an original prompt (invariance), a token's probability rises
or falls against the original (directional), or two tokens stay balanced (bias probes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..capture.runner import encode, tokenize
from ..errors import InputError

CHECKS = ("top_in", "top_not_in", "same_top", "prob_rises", "prob_falls", "balanced")
NEEDS_ORIGINAL = ("same_top", "prob_rises", "prob_falls")
BALANCE_TOLERANCE = 0.25  # "balanced": the first token's share of the two within 0.5 ± this


@dataclass(frozen=True)
class Case:
    """One behavioural test.

    Args:
        prompt: what the model reads; the check is on its next token.
        check: one of :data:`CHECKS`.
        tokens: the token set of ``top_in`` / ``top_not_in``, the token of ``prob_*``, the two tokens
            of ``balanced`` (e.g. ``(" he", " she")``).
        original: the unperturbed prompt, for invariance and directional checks.
        kind: what was done to the prompt ("typo", "negation", ...); capability: "MFT", "INV", "DIR", "BIAS".
    """

    prompt: str
    check: str
    tokens: tuple[str, ...] = ()
    original: str = ""
    kind: str = "custom"
    capability: str = "MFT"
    note: str = ""

    def __post_init__(self) -> None:
        if self.check not in CHECKS:
            raise InputError(f"check must be one of {', '.join(CHECKS)}; got {self.check!r}.")
        if self.check in NEEDS_ORIGINAL and not self.original:
            raise InputError(f"A {self.check!r} case compares with an original prompt: pass original=.")
        if self.check != "same_top" and not self.tokens:
            raise InputError(f"A {self.check!r} case needs tokens=.")
        if self.check == "balanced" and len(self.tokens) != 2:
            raise InputError("A 'balanced' case compares exactly two tokens, e.g. (' he', ' she').")

    def describe(self) -> str:
        tokens = "{" + ", ".join(repr(t) for t in self.tokens) + "}"
        if self.check == "top_in":
            return f"top token ∈ {tokens}"
        if self.check == "top_not_in":
            return f"top token ∉ {tokens}"
        if self.check == "same_top":
            return "same top token as the original"
        if self.check == "balanced":
            low, high = 0.5 - BALANCE_TOLERANCE, 0.5 + BALANCE_TOLERANCE
            return f"share of {self.tokens[0]!r} among {tokens} within {low:.2f}–{high:.2f}"
        return f"P({self.tokens[0]!r}) {'rises' if self.check == 'prob_rises' else 'falls'}"


@dataclass(frozen=True)
class CaseResult:
    """How a case went: pass/fail, the top next token and its probability, and a signed effect size.

    ``effect``: for ``top_in``/``top_not_in`` the change in the set's probability against the original
    (or the set's probability when there is none); ``same_top``: the change in the probability of the
    original's top token; ``prob_*``: the change in the token's probability; ``balanced``: the first
    token's share of the two, minus 0.5.
    """

    case: Case
    passed: bool
    top: str
    top_prob: float
    effect: float
    original_top: str = ""
    detail: str = ""


@dataclass(frozen=True)
class NextToken:
    """A prompt's top-5 next tokens and the probabilities of the tokens some check asked about."""

    top: list[tuple[str, float]]
    top_ids: list[int]
    probs: dict[int, float]


@torch.no_grad()
def next_tokens(
    handle: Any, prompts: Sequence[str], token_ids: set[int], *, batch_size: int = 16, progress: bool = True
) -> dict[str, NextToken]:
    """Next-token statistics of each distinct prompt, in right-padded batches (logits only at each prompt's end)."""
    from ..capture.runner import batched_residuals

    distinct = list(dict.fromkeys(prompts))
    tokenized = [tokenize(handle, prompt) for prompt in distinct]
    asked = torch.tensor(sorted(token_ids), dtype=torch.long)
    decode = handle.tokenizer.decode
    results: dict[str, NextToken] = {}
    for batch, residuals in batched_residuals(handle, tokenized, batch_size, progress=progress, desc="cases"):
        ends = torch.tensor([len(tokenized[i]) - 1 for i in batch])
        last = residuals[-1][torch.arange(len(batch)), ends.to(residuals[-1].device)]
        probs = torch.softmax(handle.adapter.read_out(handle.model, last).float(), dim=-1).cpu()
        values, ids = probs.topk(5, dim=-1)
        for row, i in enumerate(batch):
            top = [(decode([t]), float(p)) for t, p in zip(ids[row].tolist(), values[row].tolist())]
            asked_probs = dict(zip(asked.tolist(), probs[row, asked].tolist()))
            results[distinct[i]] = NextToken(top, ids[row].tolist(), asked_probs)
    return results


def token_id(handle: Any, token: str) -> int:
    """The id of a check's token, which must be one token of ``handle``'s tokenizer."""
    ids = encode(handle, token, "the check token", add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        pieces = [handle.tokenizer.decode([i]) for i in ids]
        raise InputError(f"{token!r} is {len(ids)} tokens {pieces} for {handle.name}; checks need single tokens.")
    return ids[0]


def checked_cases(cases: Any) -> list[Case]:
    """``cases`` as a list of :class:`Case`, or one :class:`InputError` naming the first item that is not one."""
    if isinstance(cases, (str, Case)) or not isinstance(cases, Iterable):
        raise InputError(f"cases must be a list of Case objects; got {type(cases).__name__} {cases!r:.60}.")
    cases = list(cases)
    for index, case in enumerate(cases):
        if not isinstance(case, Case):
            hint = (
                " Suite names and Case objects cannot be mixed: load_suite(names) + [your cases] gives one list."
                if isinstance(case, str)
                else ""
            )
            raise InputError(
                f"cases[{index}] is {type(case).__name__} {case!r:.60}, not a Case: build it as "
                f"Case(prompt, check, tokens=...), with check one of {', '.join(CHECKS)}.{hint}"
            )
    return cases


def run_cases(model: Any, cases: Sequence[Case], *, batch_size: int = 16, progress: bool = True) -> list[CaseResult]:
    """Run every case (prompts and originals batched, each distinct prompt once) and judge it."""
    from ..models import load_model

    handle = load_model(model)
    cases = checked_cases(cases)
    if not handle.is_causal:
        raise InputError(f"{handle.name} is an encoder; these checks are on next-token predictions of a causal LM.")
    ids = {token: token_id(handle, token) for case in cases for token in case.tokens}
    asked = set(ids.values())
    originals = [case.original for case in cases if case.original]
    before_stats = next_tokens(handle, originals, asked, batch_size=batch_size, progress=progress)
    asked |= {stats.top_ids[0] for stats in before_stats.values()}  # invariance compares with these
    prompts = [case.prompt for case in cases]
    stats = next_tokens(handle, prompts, asked, batch_size=batch_size, progress=progress)
    results = []
    for case in cases:
        now = stats[case.prompt]
        before = before_stats.get(case.original) if case.original else None
        top, top_prob = now.top[0]
        mass = sum(now.probs[ids[t]] for t in case.tokens)
        original_top = before.top[0][0] if before else ""
        if case.check in ("top_in", "top_not_in"):
            inside = top in case.tokens
            passed = inside if case.check == "top_in" else not inside
            effect = mass - (sum(before.probs[ids[t]] for t in case.tokens) if before else 0.0)
        elif case.check == "same_top":
            passed = top == original_top
            effect = now.probs[before.top_ids[0]] - before.top[0][1]
        elif case.check in ("prob_rises", "prob_falls"):
            effect = now.probs[ids[case.tokens[0]]] - before.probs[ids[case.tokens[0]]]
            passed = effect > 0 if case.check == "prob_rises" else effect < 0
        else:  # balanced
            first, second = (now.probs[ids[t]] for t in case.tokens)
            effect = first / max(first + second, 1e-12) - 0.5
            passed = abs(effect) <= BALANCE_TOLERANCE
        detail = f"original's top {original_top!r}" if before else f"top-5: {', '.join(repr(t) for t, _ in now.top)}"
        results.append(CaseResult(case, bool(passed), top, top_prob, float(effect), original_top, detail))
    return results
