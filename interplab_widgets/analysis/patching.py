"""Activation patching: which activations carry the difference between a clean and a corrupted prompt.

One *cell* is one activation site (a component at a layer) at one token position, or one head of
a layer. Patching a cell runs the *target* prompt with that activation replaced by the one the
*source* prompt produced there, and reads a metric on the next-token logits. Denoising patches
clean activations into the corrupted run (does this cell restore the clean answer?); noising patches
corrupted activations into the clean run (does the clean answer need this cell?). Effects are
normalised so 0 = the corrupted run's metric and 1 = the clean run's.

Cells are batched: each row of a batch is the target prompt with its own cell patched, so a grid of
hundreds of cells costs a few batched forward passes. :func:`attribution_patching` estimates the same
grid to first order from one forward and one backward pass per prompt.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..capture.runner import encode, last_token_logits, tokenize
from ..errors import InputError
from ..models.adapters import get_submodule
from ..progress import steps
from .budget import check_work, longest, pass_cost, rows_within

if TYPE_CHECKING:
    from ..models.handle import ModelHandle

COMPONENTS = ("resid", "attn", "mlp", "head")
"""``resid``: the residual stream after ``layer`` blocks (0 = embeddings, ``n_layers`` = final);
``attn`` / ``mlp``: what a block's attention / MLP adds to the residual stream; ``head``: one
head's output inside the attention (its slice of the input of the output projection)."""

DIRECTIONS = ("denoise", "noise")
MAX_BYTES = 3 * 2**30
"""Default memory budget of one batch of patched runs (``batch_size`` is cut to fit), and of the one gradient
pass of :meth:`PatchingPair.attribution`. On top of it, a pair keeps both prompts' activations of each component
it has patched: ``2 · (layers + 1) · n · d_model`` floats each (SmolLM2: 143 KB per token, 1.2 GB at 8,192)."""
MAX_WORK = 2**21
"""Refuse, before any run, a grid whose patched runs would push more than this many tokens through the model
(:func:`~interplab_widgets.analysis.budget.pass_cost`; blocks before a cell's layer are skipped and not
counted). SmolLM2's full ``resid`` grid reaches it at about 350 tokens; at 8,192 tokens it would be 253,952
runs of 8,192 tokens, months on a CPU."""
RUNS = ("clean", "corrupted")  # the rows of every activation tensor, in this order

Metric = Callable[[torch.Tensor], torch.Tensor]
"""Next-token logits ``[batch, vocab]`` -> one number per row ``[batch]``."""


@dataclass(frozen=True)
class LogitDifference:
    """``logit(answer) - logit(contrast)`` at the last position: the default patching metric."""

    answer_id: int
    contrast_id: int
    label: str = ""

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        return logits[:, self.answer_id] - logits[:, self.contrast_id]


@dataclass(frozen=True)
class PatchingResult:
    """Effects of patching every cell of a grid.

    ``effects[row, column]`` is normalised (0 = corrupted, 1 = clean); ``values`` is the raw metric.
    Rows are ``layers`` (for ``resid``: residual after that many blocks); columns are token
    ``positions``, or head indices for ``component == "head"`` (patched at ``positions``).
    """

    component: str
    direction: str
    method: str  # "exact" or "attribution"
    layers: list[int]
    columns: list[int]
    positions: list[int]
    effects: np.ndarray
    values: np.ndarray
    clean_metric: float
    corrupted_metric: float
    clean_tokens: list[str]
    corrupted_tokens: list[str]

    def row_labels(self) -> list[str]:
        if self.component == "resid":
            return ["emb" if layer == 0 else str(layer) for layer in self.layers]
        return [str(layer) for layer in self.layers]


class PatchingPair:
    """A clean and a corrupted prompt of equal token length, ready to be patched.

    Holds both prompts' activations per component (captured on first use) and the two baseline
    metrics. Build it once and ask for several grids; :func:`activation_patching` is the one-call form.

    Args:
        model: anything :func:`interplab_widgets.load_model` takes; a causal LM.
        clean: the clean prompt; it and ``corrupted`` must tokenise to the same number of tokens.
        corrupted: the corrupted prompt.
        answer: with ``contrast``, the tokens whose logit difference is the default metric (one
            token each, e.g. ``" Paris"`` and ``" Rome"``); by default the clean prompt's top prediction.
        contrast: the other token of the logit difference; by default the corrupted prompt's top
            prediction.
        metric: instead of the logit difference, any function of next-token logits
            ``[batch, vocab] -> [batch]``.
    """

    def __init__(
        self,
        model: Any,
        clean: str,
        corrupted: str,
        *,
        answer: str | int | None = None,
        contrast: str | int | None = None,
        metric: Metric | None = None,
    ) -> None:
        from ..models import load_model

        self.handle: ModelHandle = load_model(model)
        if not self.handle.is_causal:
            raise InputError(
                f"Patching reads next-token logits; {self.handle.name} is an encoder ({self.handle.family}). "
                "Use a causal LM such as load_model('smollm2-135m')."
            )
        clean_tokens = tokenize(self.handle, clean)
        corrupted_tokens = tokenize(self.handle, corrupted)
        self.clean_tokens = [t.text for t in clean_tokens]
        self.corrupted_tokens = [t.text for t in corrupted_tokens]
        if len(clean_tokens) != len(corrupted_tokens):
            raise InputError(
                "Patching pairs the two prompts position by position, so they must have the same number "
                f"of tokens. clean has {len(clean_tokens)}: {self.clean_tokens}; corrupted has "
                f"{len(corrupted_tokens)}: {self.corrupted_tokens}. Reword one of them (e.g. a subject with "
                "the same number of tokens) until the lengths match."
            )
        self.ids = torch.tensor([[t.id for t in clean_tokens], [t.id for t in corrupted_tokens]])
        self.n_tokens = len(clean_tokens)
        self._activations: dict[str, list[torch.Tensor]] = {}  # component -> per layer [2, n, width]
        first_block = self.handle.adapter.block_list(self.handle.model)[0]
        seen: list[int] = []  # how a block returns its output, for skipping blocks (see _start_at)
        hook = first_block.register_forward_hook(lambda m, a, y: seen.append(len(y) if isinstance(y, tuple) else 0))
        try:
            with torch.no_grad():
                logits = self.last_logits(self.ids)
        finally:
            hook.remove()
        self._block_output_arity = seen[0]  # 0: a tensor; k: a tuple of k
        if metric is None:
            answer_id = self._token_id(answer, "answer", logits[0])
            contrast_id = self._token_id(contrast, "contrast", logits[1])
            if answer_id == contrast_id:
                raise InputError(
                    f"The clean and corrupted prompts both predict {self.decode(answer_id)!r}: there is no "
                    "difference to patch. Pass answer= and contrast= (the token each prompt should predict)."
                )
            metric = LogitDifference(
                answer_id,
                contrast_id,
                f"logit({self.decode(answer_id)!r}) − logit({self.decode(contrast_id)!r}) at the last token",
            )
        self.metric = metric
        self.clean_metric, self.corrupted_metric = (float(v) for v in self._measure(logits))
        for run, value in zip(RUNS, (self.clean_metric, self.corrupted_metric)):
            if not np.isfinite(value):
                raise InputError(
                    f"The metric is {value} on the {run} prompt, so no effect can be normalised against it. "
                    "Make the metric finite on both prompts (e.g. log-probabilities rather than the log of a "
                    "difference that can be negative)."
                )
        if abs(self.clean_metric - self.corrupted_metric) < 1e-6:
            raise InputError(
                f"The metric is {self.clean_metric:.4g} on both prompts, so effects cannot be normalised. "
                "Choose prompts (or a metric) on which the model behaves differently."
            )

    # -- public ------------------------------------------------------------------------

    @property
    def metric_label(self) -> str:
        return getattr(self.metric, "label", "") or getattr(self.metric, "__name__", "metric")

    def n_sites(self, component: str) -> int:
        """Layers a component has: ``n_layers + 1`` residual streams, ``n_layers`` otherwise."""
        _check_choice("component", component, COMPONENTS)
        return self.handle.n_layers + (component == "resid")

    def normalise(self, values: np.ndarray) -> np.ndarray:
        return (values - self.corrupted_metric) / (self.clean_metric - self.corrupted_metric)

    def exact(
        self,
        component: str = "resid",
        *,
        direction: str = "denoise",
        layers: Sequence[int] | None = None,
        positions: Sequence[int] | None = None,
        batch_size: int = 32,
        max_bytes: int = MAX_BYTES,
        progress: bool = True,
    ) -> PatchingResult:
        """Patch every cell of a grid, batched (at most ``batch_size`` rows, within ``max_bytes``), and measure
        the metric. A grid over :data:`MAX_WORK` is refused before any run, with what to cut."""
        layers, positions, columns = self._grid(component, layers, positions)
        check_grid_work(
            self.handle,
            component,
            self.n_tokens,
            layers,
            len(columns),
            whole=len(layers) == self.n_sites(component) and len(positions) == self.n_tokens,
            differing=self.differing_positions(),
        )
        source, target = direction_runs(direction)
        cells = [(layer, column) for layer in layers for column in columns]
        values = self.patched_metric(
            component,
            cells,
            source=source,
            target=target,
            positions=positions,
            batch_size=batch_size,
            max_bytes=max_bytes,
            progress=progress,
        )
        return self._result(component, direction, "exact", layers, columns, positions, values)

    def attribution(
        self,
        component: str = "resid",
        *,
        direction: str = "denoise",
        layers: Sequence[int] | None = None,
        positions: Sequence[int] | None = None,
        max_bytes: int = MAX_BYTES,
    ) -> PatchingResult:
        """First-order estimate of :meth:`exact`: ``(source − target) · ∂metric/∂target`` per cell,
        from one forward and one backward pass of the target prompt (Nanda's attribution patching).
        A gradient pass over ``max_bytes`` is refused before it runs."""
        layers, positions, columns = self._grid(component, layers, positions)
        # Besides the pass: both prompts' activations and the gradients, [n, width] per layer each.
        kept = 3 * self.n_sites(component) * 4 * self.handle.d_model
        rows_within(self.handle, self.n_tokens, max_bytes, grad=True, per_token=kept)
        source_row, target_row = (RUNS.index(run) for run in direction_runs(direction))
        sources = self.activations(component)
        gradients = self._gradients(component, target_row, layers)
        values = np.empty((len(layers), len(columns)))
        base = self.corrupted_metric if direction == "denoise" else self.clean_metric
        for i, layer in enumerate(layers):
            delta = (sources[layer][source_row] - sources[layer][target_row]) * gradients[layer]  # [n, width]
            if component == "head":
                per_head = delta[positions].sum(0).reshape(self.handle.n_heads, -1).sum(-1)
                values[i] = base + per_head[columns].numpy()
            else:
                values[i] = base + delta[positions].sum(-1).numpy()
        return self._result(component, direction, "attribution", layers, columns, positions, values)

    def patched_metric(
        self,
        component: str,
        cells: Sequence[tuple[int, int]],
        *,
        source: str = "clean",
        target: str = "corrupted",
        positions: Sequence[int] | None = None,
        batch_size: int = 32,
        max_bytes: int = MAX_BYTES,
        progress: bool = False,
    ) -> np.ndarray:
        """The raw metric of the ``target`` run (``"clean"`` or ``"corrupted"``) with each ``(layer, column)``
        cell taken from the ``source`` run, one batch row per cell. Head cells are patched at ``positions``.
        Batches hold at most ``batch_size`` rows and fit ``max_bytes``; more work than :data:`MAX_WORK` is
        refused before any run."""
        _check_choice("component", component, COMPONENTS)
        check_work(
            cells_work(self.handle, self.n_tokens, [layer for layer, _ in cells], batch_size),
            MAX_WORK,
            f"Patching {len(cells):,} cells at {self.n_tokens} tokens",
            "interplab_widgets.analysis.patching.MAX_WORK",
            "Patch fewer cells, or shorter prompts.",
        )
        batch_size = min(batch_size, rows_within(self.handle, self.n_tokens, max_bytes, grad=False))
        # closing(): a metric that raises must not leave the generator, and its hooks, suspended.
        with closing(self._patched_logits(component, cells, source, target, positions, batch_size, progress)) as runs:
            metrics = [self._measure(logits).detach() for logits in runs]
        return torch.cat(metrics).double().numpy() if metrics else np.empty(0)

    def patched_predictions(
        self, component: str, layer: int, column: int, direction: str = "denoise", k: int = 5
    ) -> list[tuple[str, float]]:
        """Top-``k`` next tokens of the run with one cell patched, as ``(text, probability)``."""
        source, target = direction_runs(direction)
        with closing(self._patched_logits(component, [(layer, column)], source, target, None, 1, False)) as runs:
            (logits,) = runs
        return self._top(logits[0], k)

    def predictions(self, k: int = 5) -> dict[str, list[tuple[str, float]]]:
        """Top-``k`` next tokens of the unpatched clean and corrupted runs."""
        with torch.no_grad():
            logits = self.last_logits(self.ids)
        return {"clean": self._top(logits[0], k), "corrupted": self._top(logits[1], k)}

    def activations(self, component: str) -> list[torch.Tensor]:
        """Both prompts' activations at every layer of ``component``: ``[2 (clean, corrupted), n, width]``."""
        _check_choice("component", component, COMPONENTS)
        if component not in self._activations:
            kept: list[torch.Tensor | None] = [None] * self.n_sites(component)

            def keep(layer: int):
                def edit(tensor: torch.Tensor) -> torch.Tensor:
                    kept[layer] = tensor.detach().float().cpu()
                    return tensor

                return edit

            with torch.no_grad(), _hooks(self.handle, component, {i: keep(i) for i in range(len(kept))}):
                self.last_logits(self.ids)
            self._activations[component] = kept  # type: ignore[assignment]
        return self._activations[component]

    def last_logits(self, ids: torch.Tensor) -> torch.Tensor:
        """Next-token logits at the last position, ``[batch, vocab]`` float32 (no ``[n, vocab]`` tensor)."""
        return last_token_logits(self.handle, ids)

    def decode(self, token_id: int) -> str:
        return self.handle.tokenizer.decode([token_id])

    def differing_positions(self) -> list[int]:
        """Positions where the two prompts have different tokens."""
        return differing_positions(self.ids[0].tolist(), self.ids[1].tolist())

    # -- internals ---------------------------------------------------------------------

    def _measure(self, logits: torch.Tensor) -> torch.Tensor:
        """The metric of each row of ``logits`` ``[batch, vocab]``, checked to be ``[batch]``."""
        return checked_metric(self.metric, logits, "metric")

    def _token_id(self, token: str | int | None, name: str, logits: torch.Tensor) -> int:
        return int(logits.argmax()) if token is None else single_token_id(self.handle, token, name)

    def _top(self, logits: torch.Tensor, k: int) -> list[tuple[str, float]]:
        probs = torch.softmax(logits.float(), dim=-1)
        values, ids = probs.topk(k)
        return [(self.decode(i), float(p)) for p, i in zip(values.tolist(), ids.tolist())]

    def _grid(
        self, component: str, layers: Sequence[int] | None, positions: Sequence[int] | None
    ) -> tuple[list[int], list[int], list[int]]:
        n_sites = self.n_sites(component)
        layers = list(range(n_sites)) if layers is None else [int(layer) for layer in layers]
        for layer in layers:
            if not 0 <= layer < n_sites:
                raise InputError(f"layer {layer} is out of range: {component} has layers 0..{n_sites - 1}.")
        positions = list(range(self.n_tokens)) if positions is None else [int(p) for p in positions]
        for position in positions:
            if not -self.n_tokens <= position < self.n_tokens:
                raise InputError(f"position {position} is out of range: the prompts have {self.n_tokens} tokens.")
        positions = [p % self.n_tokens for p in positions]
        columns = list(range(self.handle.n_heads)) if component == "head" else positions
        return layers, positions, columns

    def _patched_logits(
        self,
        component: str,
        cells: Sequence[tuple[int, int]],
        source: str,
        target: str,
        positions: Sequence[int] | None,
        batch_size: int,
        progress: bool,
    ) -> Iterator[torch.Tensor]:
        """Last-position logits of the target prompt with one cell patched per row, batch by batch."""
        _check_choice("source", source, RUNS)
        _check_choice("target", target, RUNS)
        source_row, target_row = RUNS.index(source), RUNS.index(target)
        sources = self.activations(component)
        n_sites, n_heads = len(sources), self.handle.n_heads
        width = self.handle.n_heads if component == "head" else self.n_tokens
        for layer, column in cells:
            if not (0 <= layer < n_sites and 0 <= column < width):
                raise InputError(f"cell ({layer}, {column}) is out of range: {component} has {n_sites} × {width}.")
        head_positions = list(range(self.n_tokens)) if positions is None else list(positions)
        batches = [cells[i : i + batch_size] for i in range(0, len(cells), batch_size)]
        for batch in steps(batches, desc=f"patching {component}", unit="batch", disable=not progress):
            by_layer: dict[int, list[tuple[int, int]]] = {}
            for row, (layer, column) in enumerate(batch):
                by_layer.setdefault(layer, []).append((row, column))

            def patch(layer: int, targets: list[tuple[int, int]]):
                rows = torch.tensor([row for row, _ in targets])
                columns = [column for _, column in targets]
                source = sources[layer][source_row]

                def edit(tensor: torch.Tensor) -> torch.Tensor:
                    tensor = tensor.clone()
                    patched = source.to(tensor.device, tensor.dtype)
                    if component == "head":
                        head_dim = tensor.shape[-1] // n_heads
                        for row, head in zip(rows.tolist(), columns):
                            span = slice(head * head_dim, (head + 1) * head_dim)
                            tensor[row, head_positions, span] = patched[head_positions, span]
                    else:
                        tensor[rows, columns] = patched[columns]
                    return tensor

                return edit

            ids = self.ids[target_row : target_row + 1].expand(len(batch), -1)
            edits = {layer: patch(layer, targets) for layer, targets in by_layer.items()}
            # Blocks before the first patched one compute the target run unchanged: skip them.
            start = min(min(by_layer), self.handle.n_layers - 1)
            with torch.no_grad(), self._start_at(start, target_row), _hooks(self.handle, component, edits):
                yield self.last_logits(ids)

    @contextmanager
    def _start_at(self, start: int, target_row: int):
        """Run only blocks ``start..``: earlier blocks hand their input through, and block ``start`` reads
        the target run's own residual there, which is what they would have computed (causal or not,
        nothing before ``start`` is patched)."""
        if start == 0:
            yield
            return
        blocks = self.handle.adapter.block_list(self.handle.model)
        residual = self.activations("resid")[start][target_row]
        arity = self._block_output_arity

        def passthrough(*args, **kwargs):
            hidden = args[0] if args else kwargs["hidden_states"]
            return (hidden,) + (None,) * (arity - 1) if arity else hidden

        def inject(module, args, kwargs):
            hidden = args[0] if args else kwargs["hidden_states"]
            replaced = residual.to(hidden.device, hidden.dtype).expand_as(hidden).clone()
            if args:
                return (replaced, *args[1:]), kwargs
            return args, {**kwargs, "hidden_states": replaced}

        # An instance-level forward (e.g. accelerate's device hooks) is put back as it was.
        own = [block.__dict__.get("forward") for block in blocks[:start]]
        with self.handle.lock:
            try:
                for block in blocks[:start]:
                    block.forward = passthrough
                hook = blocks[start].register_forward_pre_hook(inject, with_kwargs=True)
                try:
                    yield
                finally:
                    hook.remove()
            finally:
                for block, forward in zip(blocks[:start], own):
                    if forward is None:
                        block.__dict__.pop("forward", None)  # back to the class's forward
                    else:
                        block.forward = forward

    def _gradients(self, component: str, target_row: int, layers: Sequence[int]) -> dict[int, torch.Tensor]:
        """∂metric/∂activation of the target prompt at ``layers``: ``[n, width]`` each."""
        kept: dict[int, torch.Tensor] = {}

        def keep(layer: int):
            def edit(tensor: torch.Tensor) -> torch.Tensor:
                kept[layer] = tensor
                return tensor

            return edit

        embeddings = self.handle.model.get_input_embeddings()
        with self.handle.lock:
            # Frozen weights leave nothing to differentiate: make the embeddings' output a leaf that needs grad.
            grad_hook = embeddings.register_forward_hook(lambda m, a, y: y if y.requires_grad else y.requires_grad_())
            try:
                with torch.enable_grad(), _hooks(self.handle, component, {layer: keep(layer) for layer in layers}):
                    logits = self.last_logits(self.ids[target_row : target_row + 1])
                    metric = self._measure(logits).sum()
                    ordered = [kept[layer] for layer in layers]
                    grads = torch.autograd.grad(metric, ordered, allow_unused=True)
            finally:
                grad_hook.remove()
        return {
            layer: (torch.zeros_like(kept[layer][0]) if g is None else g[0]).detach().float().cpu()
            for layer, g in zip(layers, grads)
        }

    def _result(
        self,
        component: str,
        direction: str,
        method: str,
        layers: list[int],
        columns: list[int],
        positions: list[int],
        values: np.ndarray,
    ) -> PatchingResult:
        values = np.asarray(values, dtype=np.float64).reshape(len(layers), len(columns))
        _warn_nan_cells(values, layers, columns, "head" if component == "head" else "position", method)
        return PatchingResult(
            component=component,
            direction=direction,
            method=method,
            layers=layers,
            columns=columns,
            positions=positions,
            effects=self.normalise(values),
            values=values,
            clean_metric=self.clean_metric,
            corrupted_metric=self.corrupted_metric,
            clean_tokens=self.clean_tokens,
            corrupted_tokens=self.corrupted_tokens,
        )


def activation_patching(
    model: Any,
    clean: str,
    corrupted: str,
    *,
    component: str = "resid",
    direction: str = "denoise",
    answer: str | int | None = None,
    contrast: str | int | None = None,
    metric: Metric | None = None,
    layers: Sequence[int] | None = None,
    positions: Sequence[int] | None = None,
    batch_size: int = 32,
    max_bytes: int = MAX_BYTES,
    progress: bool = True,
) -> PatchingResult:
    """Patch every (layer, position) — or (layer, head) for ``component="head"`` — and measure the effect.

    See :class:`PatchingPair` for the arguments; ``direction`` is ``"denoise"`` (clean activation
    into the corrupted run) or ``"noise"`` (corrupted into clean). Effects: 0 = corrupted, 1 = clean.
    A grid over :data:`MAX_WORK` is refused before any model run, with what to cut.
    """
    from ..models import load_model

    handle = load_model(model)
    check_prompts_grid(handle, clean, corrupted, component, layers, positions)  # before the pair's own runs
    pair = PatchingPair(handle, clean, corrupted, answer=answer, contrast=contrast, metric=metric)
    return pair.exact(
        component,
        direction=direction,
        layers=layers,
        positions=positions,
        batch_size=batch_size,
        max_bytes=max_bytes,
        progress=progress,
    )


def attribution_patching(
    model: Any,
    clean: str,
    corrupted: str,
    *,
    component: str = "resid",
    direction: str = "denoise",
    answer: str | int | None = None,
    contrast: str | int | None = None,
    metric: Metric | None = None,
    layers: Sequence[int] | None = None,
    positions: Sequence[int] | None = None,
    max_bytes: int = MAX_BYTES,
) -> PatchingResult:
    """The gradient estimate of :func:`activation_patching` (same arguments, one backward pass within
    ``max_bytes``)."""
    pair = PatchingPair(model, clean, corrupted, answer=answer, contrast=contrast, metric=metric)
    return pair.attribution(component, direction=direction, layers=layers, positions=positions, max_bytes=max_bytes)


def cells_work(handle: ModelHandle, n_tokens: int, layers: Sequence[int], batch_size: int = 32) -> float:
    """The model work of patching one cell at each of ``layers`` (one entry per cell, in the order they run),
    in :func:`~interplab_widgets.analysis.budget.pass_cost` tokens. Each batch of ``batch_size`` rows starts at
    the block of its lowest layer."""
    blocks = handle.n_layers
    starts = [min(max(int(layer), 0), blocks - 1) for layer in layers]
    batches = [starts[i : i + batch_size] for i in range(0, len(starts), batch_size)]
    return pass_cost(n_tokens) * sum(len(batch) * (blocks - min(batch)) for batch in batches) / blocks


def check_grid_work(
    handle: ModelHandle,
    component: str,
    n_tokens: int,
    layers: Sequence[int],
    n_columns: int,
    *,
    whole: bool = False,
    differing: Sequence[int] = (),
    explorer: bool = False,
) -> None:
    """Refuse a grid of ``layers`` × ``n_columns`` cells at ``n_tokens`` whose work is over :data:`MAX_WORK`,
    before any run. The message gives the estimate, the limit and what to cut (positions, layers, prompt length).
    ``explorer``: the grid is PatchingExplorer's, which patches every position."""
    work = cells_work(handle, n_tokens, [layer for layer in layers for _ in range(n_columns)])
    if work <= MAX_WORK:
        return
    n_sites = handle.n_layers + (component == "resid")
    every_layer = range(n_sites)
    grid_work = lambda m: cells_work(handle, m, [layer for layer in every_layer for _ in range(m)])  # noqa: E731
    shortest = longest(lambda m: grid_work(m) <= MAX_WORK, n_tokens)
    if component == "head":
        fitting = int(MAX_WORK // cells_work(handle, n_tokens, [0]) // handle.n_heads)
        cut = (
            f"A head cell costs the same at every position: patch fewer layers (layers=[...]; up to {fitting} "
            f"from block 0 fit) or use shorter prompts."
        )
    else:
        fitting = int(MAX_WORK // cells_work(handle, n_tokens, every_layer))  # a few positions: no block skipped
        hint = f" (those that differ, {list(differing)[:8]}, and the last)" if differing else " (e.g. the last)"
        where = (
            "PatchingExplorer patches every position: "
            f"shorten the prompts to at most {shortest} tokens, or from Python patch a few positions: "
            "PatchingPair(model, clean, corrupted).exact(component, positions=[...])"
            if explorer
            else f"Patch fewer positions: positions=[...]{hint}"
        )
        cut = (
            f"{where}; all {n_sites} layers fit for up to {fitting} positions at this length, fewer layers "
            f"(layers=[...]) fit more"
            + ("" if explorer else f"; or shorten the prompts to at most {shortest} tokens for the whole grid")
            + ". attribution_patching(...) estimates the whole grid from one backward pass."
        )
    grid = "every" if whole else "a grid of"
    check_work(
        work,
        MAX_WORK,
        f"Patching {grid} {component} cell{'' if whole else 's'} ({len(layers)} layers × {n_columns} "
        f"{'heads' if component == 'head' else 'positions'}) at {n_tokens} tokens",
        "interplab_widgets.analysis.patching.MAX_WORK",
        cut,
    )


def check_prompts_grid(
    handle: ModelHandle,
    clean: str,
    corrupted: str,
    component: str = "resid",
    layers: Sequence[int] | None = None,
    positions: Sequence[int] | None = None,
    *,
    explorer: bool = False,
) -> None:
    """:func:`check_grid_work` from the prompts alone: only tokenizes them, so it runs before the pair's first
    forward pass. Prompts of different lengths are left to :class:`PatchingPair`'s own error."""
    _check_choice("component", component, COMPONENTS)
    clean_ids = [t.id for t in tokenize(handle, clean)]
    corrupted_ids = [t.id for t in tokenize(handle, corrupted)]
    if len(clean_ids) != len(corrupted_ids):
        return
    n_sites = handle.n_layers + (component == "resid")
    layers = list(range(n_sites)) if layers is None else list(layers)
    n_columns = handle.n_heads if component == "head" else len(clean_ids) if positions is None else len(positions)
    whole = len(layers) == n_sites and (component == "head" or n_columns == len(clean_ids))
    differing = differing_positions(clean_ids, corrupted_ids)
    check_grid_work(
        handle, component, len(clean_ids), layers, n_columns, whole=whole, differing=differing, explorer=explorer
    )


def checked_metric(metric: Callable[[torch.Tensor], Any], logits: torch.Tensor, name: str) -> torch.Tensor:
    """``metric(logits)``, which must be one number per row ``[batch]``: a metric that reduces the batch (a
    ``.mean()``, a float) would pass its value to every patched cell at once, or fail later inside the batching."""
    value = metric(logits)
    rows = len(logits)
    if torch.is_tensor(value) and value.shape == (rows,):
        return value
    got = (
        f"a tensor of shape {tuple(value.shape)}"
        if torch.is_tensor(value)
        else f"an array of shape {np.shape(value)}"
        if isinstance(value, np.ndarray)
        else f"{type(value).__name__} {value!r:.40}"
    )
    raise InputError(
        f"The {name} must return one number per row of the logits it gets, a tensor of shape [batch] = ({rows},); "
        f"it returned {got}. Keep the batch dimension: e.g. lambda logits: logits[:, answer] - logits[:, contrast] "
        "(no .mean(), .sum() or .item())."
    )


def _warn_nan_cells(
    values: np.ndarray, layers: Sequence[int], columns: Sequence[int], column: str, method: str
) -> None:
    """One warning for a grid with NaN cells: how many, and the first few, so a NaN heatmap is not a silent blank."""
    missing = np.argwhere(np.isnan(values))
    if len(missing) == 0:
        return
    cells = ", ".join(f"(layer {layers[i]}, {column} {columns[j]})" for i, j in missing[:5])
    more = "" if len(missing) <= 5 else f" and {len(missing) - 5} more"
    warnings.warn(
        f"The metric is NaN in {len(missing)} of {values.size} patched cells ({method}): {cells}{more}. Those "
        "cells show no effect. Check the metric for log(0), 0/0 or inf − inf on patched logits.",
        UserWarning,
        stacklevel=3,
    )


def differing_positions(clean_ids: Sequence[int], corrupted_ids: Sequence[int]) -> list[int]:
    """Positions where two equal-length token lists differ."""
    return [i for i, (a, b) in enumerate(zip(clean_ids, corrupted_ids)) if a != b]


def single_token_id(handle: ModelHandle, token: str | int, name: str) -> int:
    """The id of ``token``, which must be one token (a metric reads one logit), or a clear error."""
    if isinstance(token, numbers.Integral) and not isinstance(token, bool):
        vocab = handle.model.get_input_embeddings().num_embeddings
        if not 0 <= int(token) < vocab:
            raise InputError(f"{name}={token} is not a token id of {handle.name}: ids are 0..{vocab - 1}.")
        return int(token)
    if not isinstance(token, str):
        raise InputError(f"{name} must be a token (a str such as ' Paris') or a token id; got {type(token).__name__}.")
    ids = encode(handle, token, name, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        pieces = [handle.tokenizer.decode([i]) for i in ids]
        raise InputError(
            f"{name}={token!r} is {len(ids)} tokens {pieces}; a target reads one token's logit. "
            f"Pass its first token ({pieces[0]!r} if that is what the model predicts) or a token id."
            if ids
            else f"{name}={token!r} is no token at all; pass the word the model should predict, e.g. ' Paris'."
        )
    return ids[0]


def direction_runs(direction: str) -> tuple[str, str]:
    """``(source, target)`` of a direction: denoising patches clean into corrupted, noising the reverse."""
    _check_choice("direction", direction, DIRECTIONS)
    return ("clean", "corrupted") if direction == "denoise" else ("corrupted", "clean")


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")


@contextmanager
def _hooks(handle: ModelHandle, component: str, edits: dict[int, Callable[[torch.Tensor], torch.Tensor]]):
    """Route the activation of ``component`` at each layer in ``edits`` through its function, ``[b, n, width]``."""
    adapter = handle.adapter
    blocks = adapter.block_list(handle.model)
    removers: list[Any] = []

    def on_input(edit):
        def hook(module, args, kwargs):
            if args:
                return (edit(args[0]), *args[1:]), kwargs
            return args, {**kwargs, "hidden_states": edit(kwargs["hidden_states"])}

        return hook

    def on_output(edit):
        def hook(module, args, output):
            if isinstance(output, tuple):
                return (edit(output[0]), *output[1:])
            return edit(output)

        return hook

    with handle.lock:
        try:
            for layer, edit in edits.items():
                if component == "resid" and layer == len(blocks):
                    removers.append(blocks[-1].register_forward_hook(on_output(edit)))
                elif component == "resid":
                    removers.append(blocks[layer].register_forward_pre_hook(on_input(edit), with_kwargs=True))
                elif component == "head":
                    projection = get_submodule(blocks[layer], adapter.attention_output)
                    removers.append(projection.register_forward_pre_hook(on_input(edit), with_kwargs=True))
                else:
                    path = adapter.attention_output if component == "attn" else adapter.mlp
                    removers.append(get_submodule(blocks[layer], path).register_forward_hook(on_output(edit)))
            yield
        finally:
            for remover in removers:
                remover.remove()
