"""Input attribution: which context tokens a prediction depends on, and how far to trust the answer.

Every method scores each context token's input embedding for a *target*, a function of the
next-token logits (the log-probability of a token, answer vs foil, or any patching ``metric=``).
Integrated gradients integrates the gradient along the straight path from a baseline to the input
and reports its completeness error: how far the scores' sum is from f(input) − f(baseline); by
default it doubles its steps until that error is below 2 %, and says so when it cannot. Every result can carry
deletion and insertion curves against random orders (Petsiuk et al. 2018; ERASER), so a user sees
whether removing the top tokens really moves the target.

Why the default baseline keeps the first token: in causal LMs the first position is the attention
sink, with activations far larger than any other; moving it along the path (zero or pad baselines)
sends every later token through states the model never sees, and the integral stops adding up
(on SmolLM2, 20–210 % completeness error). So every baseline keeps the first token (which then gets
no score). Between the pad-token and zero baselines, the faithfulness curves decide: on four facts on
SmolLM2, integrated gradients from zero deletes and inserts better than random on all four, from the
pad token worse than random on two (it is complete sooner: 32–128 steps against up to 256). Zero is
the default; the completeness error and the curves come with every result, so a user sees which.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..capture.attention import eager_attention
from ..capture.runner import tokenize
from ..errors import InputError
from ..progress import steps as progress_steps
from .budget import GRAD_PASS_COST, check_work, longest, pass_bytes, pass_cost, rows_within
from .patching import Metric, single_token_id

if TYPE_CHECKING:
    from ..models.handle import ModelHandle

METHODS = ("integrated_gradients", "gradient_x_input", "occlusion", "attention_x_gradient")
SIGNED = {"integrated_gradients": True, "gradient_x_input": True, "occlusion": True, "attention_x_gradient": True}
BASELINES = ("pad", "zero")
RULES = ("midpoint", "gauss_legendre", "left")
"""Quadrature rules for integrated gradients. The integrand is not smooth on real models (attention
switches along the path), so Gauss–Legendre's high order does not pay: on SmolLM2 the midpoint rule
reaches a given completeness error in fewer steps on most prompts (``benchmarks/attribution.py``)."""
MAX_BYTES = 3 * 2**30
"""The default memory budget of one batch: enough for one gradient pass over 2,490 tokens of SmolLM2. At 8,192
tokens one pass alone needs about 10.5 GiB (10.3 GiB measured): raise ``max_bytes=`` to 11 GiB for it."""
MAX_WORK = 2**21
"""Refuse, before any run, an attribution whose passes would push more than this many tokens through the model
(:func:`~interplab_widgets.analysis.budget.pass_cost`; a gradient pass counts
:data:`~interplab_widgets.analysis.budget.GRAD_PASS_COST` times). Integrated gradients stops doubling its steps
where the next doubling would pass it. On SmolLM2 this allows occlusion up to about 1,200 tokens, integrated
gradients' first 32 steps with the faithfulness curves up to 4,500, and gradient × input with them up to 6,900.
Gradient × input without them works at 8,192 tokens, given ``max_bytes=`` of 11 GiB for its one pass.
``attention_x_gradient`` runs eager attention, which keeps every layer's weights for the backward: it needs
about 95 GiB at 8,192 tokens, and its ``max_bytes`` refusal says when that is more than the machine has."""
FAITHFULNESS_POINTS, FAITHFULNESS_SEEDS = 11, 3
"""Points of each faithfulness curve, and random orders: ``(1 + seeds) · 2 · points`` = 88 forward passes."""


@dataclass(frozen=True)
class TokenTarget:
    """``log p(answer)``, or ``log p(answer) − log p(foil)`` (a contrastive target), at the last position."""

    answer_id: int
    foil_id: int | None = None
    label: str = ""

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        value = log_probs[:, self.answer_id]
        return value if self.foil_id is None else value - log_probs[:, self.foil_id]


@dataclass(frozen=True)
class Faithfulness:
    """The target as tokens are removed (deletion) or restored (insertion) in attribution order, and in
    random orders, at ``fractions`` of the attributable tokens; removed tokens take the baseline embedding.

    A faithful attribution's deletion curve falls faster than random (smaller area) and its insertion
    curve rises faster (larger area)."""

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray
    random_deletion: np.ndarray
    random_insertion: np.ndarray

    @staticmethod
    def _area(curve: np.ndarray, fractions: np.ndarray) -> float:
        return float(np.sum((curve[1:] + curve[:-1]) / 2 * np.diff(fractions)))

    @property
    def deletion_area(self) -> float:
        return self._area(self.deletion, self.fractions)

    @property
    def insertion_area(self) -> float:
        return self._area(self.insertion, self.fractions)

    @property
    def random_deletion_area(self) -> float:
        return self._area(self.random_deletion, self.fractions)

    @property
    def random_insertion_area(self) -> float:
        return self._area(self.random_insertion, self.fractions)


@dataclass(frozen=True)
class Attribution:
    """One score per context token for one target.

    ``attributed[i]`` is False where a token gets no score by construction (the kept first token);
    ``value`` is the target on the input, ``baseline_value`` on the all-baseline input;
    ``completeness_error`` (integrated gradients) is |Σ scores − (value − baseline_value)| relative to
    |value − baseline_value|."""

    method: str
    tokens: list[str]
    token_ids: list[int]
    scores: np.ndarray
    attributed: np.ndarray
    target: str
    value: float
    baseline_value: float
    baseline: str
    steps: int | None = None
    layer: int | None = None
    completeness_error: float | None = None
    warning: str = ""
    faithfulness: Faithfulness | None = None

    def order(self) -> np.ndarray:
        """Attributable positions, highest score first."""
        positions = np.flatnonzero(self.attributed)
        return positions[np.argsort(-self.scores[positions], kind="stable")]

    def top(self, k: int = 5) -> list[tuple[int, str, float]]:
        return [(int(i), self.tokens[i], float(self.scores[i])) for i in self.order()[:k]]


def attribute(
    model: Any,
    text: str,
    target: str | int | None = None,
    *,
    method: str = "integrated_gradients",
    foil: str | int | None = None,
    metric: Metric | None = None,
    baseline: str = "zero",
    keep_first: bool = True,
    steps: int = 32,
    rule: str = "midpoint",
    tolerance: float | None = 0.02,
    max_steps: int = 256,
    window: int = 1,
    layer: int | None = None,
    faithfulness: bool = True,
    max_bytes: int = MAX_BYTES,
    progress: bool = True,
) -> Attribution:
    """Attribute the next-token prediction after ``text`` to its tokens.

    Args:
        target: the token whose log-probability is explained (one token, or an id); default: the
            model's top prediction. With ``foil``, the target is log p(target) − log p(foil).
        metric: instead, any function of next-token logits ``[batch, vocab] -> [batch]`` (as in patching).
        method: one of :data:`METHODS`.
        baseline: ``"zero"``, ``"pad"`` (the pad token's embedding), or a text with the same number of
            tokens; used by integrated gradients, occlusion and the faithfulness curves (removed tokens
            take it). Zero is the default because it was the faithful one (module notes).
        keep_first: keep the first token at its own embedding in every baseline (see the module notes).
        steps: integration points for integrated gradients, with quadrature ``rule`` (:data:`RULES`).
        tolerance: integrated gradients doubles ``steps`` (up to ``max_steps``) until its completeness error
            is below this; ``None`` for exactly ``steps``. Above it at ``max_steps``, ``result.warning`` says so.
        window: occlusion window in tokens.
        layer: for ``attention_x_gradient``, the block whose attention is read (default: the last).
        faithfulness: also measure deletion and insertion curves (a few dozen batched forward passes).
        max_bytes: memory budget for one batch of forward (and backward) passes.

    Long texts: a single pass over ``max_bytes``, or more work than :data:`MAX_WORK`, is refused before any
    model run, with what to cut (:func:`check_attribution`).
    """
    from ..models import load_model

    handle = load_model(model)
    _check_method_and_model(handle, method)
    tokens = tokenize(handle, text)
    ids = [t.id for t in tokens]
    check_attribution(
        handle,
        len(ids),
        method,
        steps=steps,
        window=window,
        faithfulness=faithfulness,
        keep_first=keep_first,
        max_bytes=max_bytes,
        top_prediction=target is None and metric is None,
    )
    return attribute_ids(
        handle, ids, _target(handle, ids, target, foil, metric), method=method, baseline=baseline,
        keep_first=keep_first, steps=steps, rule=rule, tolerance=tolerance, max_steps=max_steps, window=window,
        layer=layer, faithfulness=faithfulness,
        max_bytes=max_bytes, progress=progress, tokens=[t.text for t in tokens],
    )  # fmt: skip


def attribute_generation(
    record: Any,
    step: int | None = None,
    *,
    method: str = "integrated_gradients",
    foil: str | int | None = None,
    **options: Any,
) -> Attribution | list[Attribution]:
    """The attribution of each generated token (or of step ``step``) to everything before it — prompt and
    earlier output — from a :class:`~interplab_widgets.analysis.GenerationRecord` or ``Generation``, without
    generating again. The target is the generated token's log-probability; with ``foil`` (a token or an id)
    it is log p(generated) − log p(foil). ``options`` are those of :func:`attribute`."""
    generation = getattr(record, "generation", record)
    handle = generation.trace.handle
    ids = generation.trace.token_ids.tolist()
    pieces = [t.text for t in generation.trace.token_info]
    n_prompt = generation.n_prompt
    chosen = range(generation.n_steps) if step is None else [step]
    if step is not None and not 0 <= step < generation.n_steps:
        raise InputError(f"step must be in 0..{generation.n_steps - 1}; got {step}.")
    options.setdefault("progress", False)
    results = []
    for s in progress_steps(chosen, desc="attributing steps", unit="step", disable=step is not None):
        context = ids[: n_prompt + s]
        target = _target(handle, context, ids[n_prompt + s], foil, None)
        results.append(attribute_ids(handle, context, target, method=method, tokens=pieces[: len(context)], **options))
    return results[0] if step is not None else results


def attribute_ids(
    handle: ModelHandle,
    ids: Sequence[int],
    target: Metric,
    *,
    method: str = "integrated_gradients",
    baseline: str = "zero",
    keep_first: bool = True,
    steps: int = 32,
    rule: str = "midpoint",
    tolerance: float | None = 0.02,
    max_steps: int = 256,
    window: int = 1,
    layer: int | None = None,
    faithfulness: bool = True,
    max_bytes: int = MAX_BYTES,
    progress: bool = True,
    tokens: Sequence[str] | None = None,
) -> Attribution:
    """:func:`attribute` on token ids with a ready target (a :class:`TokenTarget` or any metric)."""
    _check_method_and_model(handle, method)
    if rule not in RULES:
        raise InputError(f"rule must be one of {', '.join(RULES)}; got {rule!r}.")
    if steps < 1 or window < 1:
        raise InputError(f"steps and window must be at least 1; got steps={steps}, window={window}.")
    ids = [int(i) for i in ids]
    n = len(ids)
    if keep_first and n < 2:
        raise InputError("With keep_first=True the first token is kept fixed: give at least two tokens.")
    spent = check_attribution(
        handle,
        n,
        method,
        steps=steps,
        window=window,
        faithfulness=faithfulness,
        keep_first=keep_first,
        max_bytes=max_bytes,
    )
    inputs = embed(handle, ids)
    base = baseline_embeddings(handle, ids, baseline, keep_first)
    attributed = np.ones(n, dtype=bool)
    attributed[0] = not keep_first
    run = _Runner(handle, target, max_bytes)
    value, baseline_value = (float(v) for v in run.values(torch.stack([inputs, base])))
    label = getattr(target, "label", "") or getattr(target, "__name__", "metric")
    result = Attribution(
        method=method, tokens=list(tokens) if tokens is not None else [handle.tokenizer.decode([i]) for i in ids],
        token_ids=ids, scores=np.zeros(n, dtype=np.float32), attributed=attributed, target=label, value=value,
        baseline_value=baseline_value, baseline=baseline if baseline in BASELINES else "text",
    )  # fmt: skip
    if method == "integrated_gradients":
        difference = value - baseline_value
        over_budget = False
        while True:
            scores = run.integrated_gradients(inputs, base, steps, rule, progress)
            error = abs(float(scores.sum()) - difference) / max(abs(difference), 1e-6)
            if tolerance is None or error <= tolerance or steps * 2 > max_steps:
                break
            more = GRAD_PASS_COST * 2 * steps * pass_cost(n)
            if spent + more > MAX_WORK:
                over_budget = True
                break
            spent += more
            steps *= 2
        remedy = (
            f"doubling to {2 * steps} steps would pass the work limit at {n} tokens "
            "(interplab_widgets.analysis.attribution.MAX_WORK); shorten the text or try another baseline."
            if over_budget
            else "raise max_steps or try another baseline."
        )
        warning = (
            f"completeness error {error:.1%} at {steps} steps is above the tolerance {tolerance:.1%}: these "
            f"scores do not add up to the change in the target; {remedy}"
            if tolerance is not None and error > tolerance
            else ""
        )
        result = replace(result, steps=steps, completeness_error=error, warning=warning)
    elif method == "gradient_x_input":
        scores = (run.gradients(inputs[None]) * inputs.float().cpu()).sum(-1)
    elif method == "occlusion":
        scores = run.occlusion(inputs, base, window, attributed, value, progress)
    else:
        layer = handle.n_layers - 1 if layer is None else layer
        if not 0 <= layer < handle.n_layers:
            raise InputError(f"layer must be in 0..{handle.n_layers - 1}; got {layer}.")
        scores = run.attention_x_gradient(inputs, layer)
        result = replace(result, layer=layer)
    scores = scores.detach().float().cpu().numpy().astype(np.float32)
    scores[~attributed] = 0.0
    result = replace(result, scores=scores)
    if faithfulness:
        result = replace(result, faithfulness=run.faithfulness(inputs, base, result, progress=progress))
    return result


def attribution_work(
    n: int,
    method: str,
    *,
    steps: int = 32,
    window: int = 1,
    faithfulness: bool = True,
    keep_first: bool = True,
    top_prediction: bool = False,
) -> float:
    """The model work of one attribution's first round (integrated gradients at ``steps``), in
    :func:`~interplab_widgets.analysis.budget.pass_cost` tokens: the input and the baseline, the method's
    passes, and the faithfulness curves' (and, with ``top_prediction``, the pass that finds the target)."""
    forward = 2 + int(top_prediction)
    backward = 0
    if method == "integrated_gradients":
        backward = steps
    elif method == "occlusion":
        forward += max(1, n - int(keep_first) - window + 1)
    else:
        backward = 1
    if faithfulness:
        forward += (1 + FAITHFULNESS_SEEDS) * 2 * FAITHFULNESS_POINTS
    return pass_cost(n) * (forward + GRAD_PASS_COST * backward)


def check_attribution(
    handle: ModelHandle,
    n: int,
    method: str,
    *,
    steps: int = 32,
    window: int = 1,
    faithfulness: bool = True,
    keep_first: bool = True,
    max_bytes: int = MAX_BYTES,
    top_prediction: bool = False,
) -> float:
    """Refuse, before any model run, an attribution of ``n`` tokens whose work is over :data:`MAX_WORK` or
    one of whose passes is over ``max_bytes``; the error says the estimate, the limit and what to cut.
    Returns the work (what the first round costs)."""
    options = dict(steps=steps, window=window, faithfulness=faithfulness, keep_first=keep_first)
    work = attribution_work(n, method, top_prediction=top_prediction, **options)  # type: ignore[arg-type]
    if work > MAX_WORK:

        def fits(m: int) -> bool:  # within the work limit and, pass by pass, within max_bytes
            grad = method != "occlusion"
            eager = True if method == "attention_x_gradient" else None
            return (
                attribution_work(m, method, **options) <= MAX_WORK  # type: ignore[arg-type]
                and pass_bytes(handle, m, grad=grad, eager=eager) <= max_bytes
            )

        shortest = longest(fits, n)
        cuts = [f"shorten the text to at most {shortest} tokens"]
        if method == "integrated_gradients" and steps > 1:
            cuts.append("use fewer steps (steps=, max_steps=)")
        if faithfulness:
            cuts.append(f"pass faithfulness=False ({(1 + FAITHFULNESS_SEEDS) * 2 * FAITHFULNESS_POINTS} passes)")
        if method in ("integrated_gradients", "occlusion"):
            cuts.append("use method='gradient_x_input' (one backward pass)")
        check_work(
            work,
            MAX_WORK,
            f"Attributing by {method} at {n} tokens",
            "interplab_widgets.analysis.attribution.MAX_WORK",
            "S" + (", ".join(cuts[:-1]) + " or " + cuts[-1] if len(cuts) > 1 else cuts[0])[1:] + ".",
        )
    rows_within(handle, n, max_bytes, grad=False)
    if method != "occlusion":
        rows_within(handle, n, max_bytes, grad=True, eager=True if method == "attention_x_gradient" else None)
    return work


def embed(handle: ModelHandle, ids: Sequence[int]) -> torch.Tensor:
    """The input embeddings ``[n, d]`` of ``ids`` (what every method attributes to)."""
    table = handle.model.get_input_embeddings()
    with torch.no_grad():
        return table(torch.tensor(ids, device=handle.device)).detach()


def baseline_embeddings(handle: ModelHandle, ids: Sequence[int], baseline: str, keep_first: bool) -> torch.Tensor:
    """The baseline ``[n, d]``: the pad token's embedding, zeros, or another text's embeddings."""
    if baseline == "zero":
        base = torch.zeros_like(embed(handle, ids[:1])).expand(len(ids), -1).clone()
    elif baseline == "pad":
        tokenizer = handle.tokenizer
        pad = next(
            (i for i in (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) if i is not None),
            None,
        )
        if pad is None:
            raise InputError(f"{handle.name}'s tokenizer has no pad, end or unknown token: use baseline='zero'.")
        base = embed(handle, [pad] * len(ids))
    elif isinstance(baseline, str):
        other = [t.id for t in tokenize(handle, baseline)]
        if len(other) != len(ids):
            raise InputError(
                f"A baseline text must have as many tokens as the input ({len(ids)}); {baseline!r} has "
                f"{len(other)}. Reword it, or use baseline='pad' or 'zero'."
            )
        base = embed(handle, other)
    else:
        raise InputError(f"baseline must be 'pad', 'zero' or a text; got {type(baseline).__name__}.")
    if keep_first:
        base[0] = embed(handle, ids[:1])[0]
    return base


def quadrature(steps: int, rule: str = "midpoint") -> tuple[np.ndarray, np.ndarray]:
    """Points in [0, 1) and weights summing to 1 for ``rule`` (Gauss–Legendre: exact for polynomials of
    degree ``2 · steps − 1``; midpoint and left: Captum's ``riemann_middle`` and ``riemann_left``)."""
    if rule == "gauss_legendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return (nodes + 1) / 2, weights / 2
    offset = 0.5 if rule == "midpoint" else 0.0
    return (np.arange(steps) + offset) / steps, np.full(steps, 1 / steps)


@contextmanager
def _frozen(handle: ModelHandle):
    """Weights that do not need gradients (so the backward keeps no activations for them), restored after."""
    parameters = list(handle.model.parameters())
    needed = [p.requires_grad for p in parameters]
    try:
        for p in parameters:
            p.requires_grad_(False)
        yield
    finally:
        for p, flag in zip(parameters, needed):
            p.requires_grad_(flag)


class _Runner:
    """Forward (and backward) passes over batches of embedded inputs within a memory budget."""

    def __init__(self, handle: ModelHandle, target: Metric, max_bytes: int) -> None:
        self.handle, self.target, self.max_bytes = handle, target, max_bytes

    def rows(self, n: int, grad: bool, eager: bool | None = None) -> int:
        """How many rows of ``n`` tokens one batch may hold within ``max_bytes``
        (:func:`~interplab_widgets.analysis.budget.pass_bytes`: the law measured on SmolLM2)."""
        return rows_within(self.handle, n, self.max_bytes, grad=grad, eager=eager)

    def _forward(self, embeds: torch.Tensor) -> torch.Tensor:
        output = self.handle.model(inputs_embeds=embeds, use_cache=False, logits_to_keep=1)
        return self.target(output.logits[:, -1].float())

    def values(self, embeds: torch.Tensor, progress: bool = False, desc: str = "") -> torch.Tensor:
        """The target for each row of ``embeds`` ``[b, n, d]``, batched, no gradients."""
        size = self.rows(embeds.shape[1], grad=False)
        starts = range(0, len(embeds), size)
        out = []
        with torch.no_grad(), self.handle.lock:
            for start in progress_steps(starts, desc=desc, unit="batch", disable=not progress or len(starts) < 2):
                out.append(self._forward(embeds[start : start + size]).float().cpu())
        return torch.cat(out)

    def gradients(self, embeds: torch.Tensor, weights: torch.Tensor | None = None, progress: bool = False):
        """Σ_rows weight · ∂target/∂embeds over the rows of ``embeds`` ``[b, n, d]`` -> ``[n, d]``."""
        size = self.rows(embeds.shape[1], grad=True)
        weights = torch.ones(len(embeds)) if weights is None else weights
        total = torch.zeros(embeds.shape[1:], dtype=torch.float32)
        starts = range(0, len(embeds), size)
        with self.handle.lock, _frozen(self.handle), torch.enable_grad():
            for start in progress_steps(
                starts, desc="gradients", unit="batch", disable=not progress or len(starts) < 2
            ):
                points = embeds[start : start + size].clone().requires_grad_(True)
                (grad,) = torch.autograd.grad(self._forward(points).sum(), points)
                total += (grad.float().cpu() * weights[start : start + size, None, None]).sum(0)
        return total

    def integrated_gradients(self, inputs, base, steps: int, rule: str, progress: bool) -> torch.Tensor:
        alphas, weights = quadrature(steps, rule)
        alphas_t = torch.tensor(alphas, dtype=inputs.dtype, device=inputs.device)
        delta = inputs - base
        path = base[None] + alphas_t[:, None, None] * delta[None]
        grads = self.gradients(path, torch.tensor(weights, dtype=torch.float32), progress)
        return (delta.float().cpu() * grads).sum(-1)

    def occlusion(self, inputs, base, window: int, attributed: np.ndarray, value: float, progress: bool):
        """f(input) − f(input with a window of tokens set to the baseline), averaged over the windows covering
        each token (as Captum's ``Occlusion`` with stride 1)."""
        first = int(np.argmax(attributed))
        n = len(inputs)
        starts = list(range(first, n - window + 1)) or [first]
        variants = inputs[None].repeat(len(starts), 1, 1)
        for row, start in enumerate(starts):
            variants[row, start : start + window] = base[start : start + window]
        drops = value - self.values(variants, progress, "occluding")
        total, count = torch.zeros(n), torch.zeros(n)
        for row, start in enumerate(starts):
            total[start : start + window] += drops[row]
            count[start : start + window] += 1
        return total / count.clamp(min=1)

    def attention_x_gradient(self, inputs, layer: int) -> torch.Tensor:
        """Σ over heads and queries of attention weight × ∂target/∂weight, per key token, at ``layer``."""
        h = self.handle
        block = h.adapter.block_list(h.model)[layer]
        kept: list[torch.Tensor] = []
        hook = h.adapter.attention_module(block).register_forward_hook(
            lambda module, args, output: kept.append(output[1])
        )
        try:
            with h.lock, _frozen(h), torch.enable_grad(), eager_attention(h.model):
                self.rows(len(inputs), grad=True, eager=True)
                value = self._forward(inputs[None].clone().requires_grad_(True))
                weights = kept[0]
                if weights is None or weights.dim() != 4:
                    raise InputError(f"{h.name}'s attention does not return its weights: use another method.")
                (grad,) = torch.autograd.grad(value.sum(), weights)
        finally:
            hook.remove()
        return (weights * grad)[0].sum((0, 1)).float().cpu()

    def faithfulness(
        self,
        inputs,
        base,
        result: Attribution,
        points: int = FAITHFULNESS_POINTS,
        seeds: int = FAITHFULNESS_SEEDS,
        progress: bool = False,
    ) -> Faithfulness:
        positions = np.flatnonzero(result.attributed)
        fractions = np.linspace(0, 1, points)
        counts = np.round(fractions * len(positions)).astype(int)
        rng = np.random.default_rng(0)
        orders = [result.order()] + [rng.permutation(positions) for _ in range(seeds)]
        variants = []
        for order in orders:
            for k in counts:  # deletion: the first k to the baseline
                row = inputs.clone()
                row[order[:k]] = base[order[:k]]
                variants.append(row)
            for k in counts:  # insertion: all attributable to the baseline but the first k
                row = base.clone()
                row[~result.attributed] = inputs[~result.attributed]
                row[order[:k]] = inputs[order[:k]]
                variants.append(row)
        values = self.values(torch.stack(variants), progress, "faithfulness").numpy().reshape(len(orders), 2, points)
        return Faithfulness(
            fractions=fractions,
            deletion=values[0, 0],
            insertion=values[0, 1],
            random_deletion=values[1:, 0].mean(0),
            random_insertion=values[1:, 1].mean(0),
        )


def _check_method_and_model(handle: ModelHandle, method: str) -> None:
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    if not handle.is_causal:
        raise InputError(
            f"Attribution explains next-token predictions; {handle.name} is an encoder ({handle.family}). "
            "Use a causal LM such as load_model('smollm2-135m')."
        )


def _target(
    handle: ModelHandle, ids: list[int], target: str | int | None, foil: str | int | None, metric: Metric | None
) -> Metric:
    if metric is not None:
        if target is not None or foil is not None:
            raise InputError("Give metric= or target= (with foil=), not both.")
        return metric
    decode = handle.tokenizer.decode
    if target is None:
        with torch.no_grad(), handle.lock:
            logits = handle.model(input_ids=torch.tensor([ids], device=handle.device), logits_to_keep=1).logits
        answer = int(logits[0, -1].argmax())
    else:
        answer = single_token_id(handle, target, "target")
    foil_id = None if foil is None else single_token_id(handle, foil, "foil")
    if foil_id == answer:
        raise InputError(f"target and foil are the same token {decode([answer])!r}: choose a different foil.")
    label = f"log p({decode([answer])!r})" + ("" if foil_id is None else f" − log p({decode([foil_id])!r})")
    return TokenTarget(answer, foil_id, label)
