"""Circuits: which paths between components carry a behaviour, edge by edge, and how faithful a circuit is.

The graph is the one of edge attribution patching (Syed et al. 2023; Hanna et al. 2024, ``hannamw/EAP-IG``).
*Upstream nodes* are what is added to the residual stream: the input embeddings, every head's output (its
slice of the attention output projection) and every MLP's output. *Downstream inputs* are what reads it:
every head's query input, every key/value group's key and value inputs (with grouped-query attention the
heads of a group share one key and one value projection, so the group is the node that reads them), every
MLP's input and the logits. An *edge* is one upstream node's contribution to one later downstream input.

Because the residual stream is a sum, a downstream input can be given its own mix of contributions. In an
*edge run* (:class:`_EdgeRun`) each head's query, key and value are recomputed from its own copy of the
residual, through the block's own norm and that head's rows of the model's own projections, and handed to
the model's own attention code (rotary embeddings, masks and grouped-query attention run unchanged). The
same run gives each copy its gradient (for scoring) or its own corrupted edges (for evaluating circuits).

Scores estimate ``m(clean) − m(clean with the edge alone corrupted)`` for a metric ``m`` (default: the logit
difference of each pair's answers): ``(a_u^clean − a_u^corrupted) · ∂m/∂x_v``, summed over positions and
averaged over pairs. EAP takes the gradient on the clean run; EAP-IG averages it over inputs whose
embeddings lie on the straight path from the corrupted to the clean prompt (midpoint rule, ``steps`` points).
A circuit is evaluated by edge patching: every edge outside it carries its corrupted contribution.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..errors import InputError
from ..models.adapters import get_submodule
from ..progress import checkpoint, share
from ..progress import steps as progress_steps
from .attribution import _frozen, quadrature

if TYPE_CHECKING:
    from ..models.handle import ModelHandle
    from .circuit_tasks import CircuitTask

METHODS = ("eap", "eap-ig")
SELECTIONS = ("topn", "greedy")
DEFAULT_MAX_BYTES = 2 * 2**30
MAX_STEPS = 100
"""The most points EAP-IG takes on its path. Its cost grows linearly with ``steps``: each point is one edge-run
forward + backward per batch of pairs, about half a plain forward + backward of the model over the same pairs
(``benchmarks/circuits.py``: EAP-IG with 5 points 2.7 units, EAP 1.5). Hanna et al. (2024) find the ranking
settled by about 5 points; 100 keeps the worst request a view can send to a few minutes on SmolLM2 with 16 IOI
pairs on two CPU cores (about 50 units), and one point is the longest stretch a cancel waits for."""


def check_steps(steps: object) -> int:
    """``steps`` if it is an integer in ``1..MAX_STEPS``, else one error that says the bound and why."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
        raise InputError(
            f"steps must be an integer from 1 to {MAX_STEPS} for eap-ig; got {steps!r}. Each step is one more "
            f"forward + backward pass over every pair, so the cost grows linearly with steps (a few minutes at "
            f"{MAX_STEPS} on SmolLM2 with 16 pairs); the ranking of edges is usually settled by 5 to 20."
        )
    return int(steps)


@dataclass(frozen=True)
class CircuitGraph:
    """The nodes and edges of a model's graph, in a fixed order.

    Upstream nodes: ``input``, then per layer ``a{l}.h{h}`` for every head and ``m{l}``. Downstream inputs: per
    layer ``a{l}.h{h}<q>`` for every head, ``a{l}.g{g}<k>`` and ``a{l}.g{g}<v>`` for every key/value group,
    ``m{l}``, then ``logits``. An upstream node feeds every downstream input after it: heads of layer ``l`` read
    nodes of layers ``< l``; the MLP of layer ``l`` also reads that layer's heads unless the block is parallel
    (GPT-NeoX's ``use_parallel_residual``: attention and MLP read the same residual).
    """

    n_layers: int
    n_heads: int
    n_kv_heads: int
    parallel_mlp: bool = False

    @property
    def group_size(self) -> int:
        return self.n_heads // self.n_kv_heads

    @property
    def n_attention_inputs(self) -> int:
        """Downstream inputs of one layer's attention: a query per head, a key and a value per group."""
        return self.n_heads + 2 * self.n_kv_heads

    @property
    def n_upstream(self) -> int:
        return 1 + self.n_layers * (self.n_heads + 1)

    @property
    def n_downstream(self) -> int:
        return self.n_layers * (self.n_attention_inputs + 1) + 1

    def head_node(self, layer: int, head: int) -> int:
        return 1 + layer * (self.n_heads + 1) + head

    def mlp_node(self, layer: int) -> int:
        return 1 + layer * (self.n_heads + 1) + self.n_heads

    def attention_inputs(self, layer: int) -> range:
        """Downstream indices of layer ``layer``'s query inputs (by head), then key, then value inputs (by group)."""
        start = layer * (self.n_attention_inputs + 1)
        return range(start, start + self.n_attention_inputs)

    def mlp_input(self, layer: int) -> int:
        return layer * (self.n_attention_inputs + 1) + self.n_attention_inputs

    @property
    def logits_input(self) -> int:
        return self.n_downstream - 1

    @property
    def upstream_names(self) -> list[str]:
        names = ["input"]
        for layer in range(self.n_layers):
            names += [f"a{layer}.h{h}" for h in range(self.n_heads)] + [f"m{layer}"]
        return names

    @property
    def downstream_names(self) -> list[str]:
        names: list[str] = []
        for layer in range(self.n_layers):
            names += [f"a{layer}.h{h}<q>" for h in range(self.n_heads)]
            names += [f"a{layer}.g{g}<{kind}>" for kind in "kv" for g in range(self.n_kv_heads)]
            names.append(f"m{layer}")
        return [*names, "logits"]

    def n_before(self) -> np.ndarray:
        """``[n_downstream]``: how many upstream nodes (a prefix of their order) feed each downstream input."""
        counts = np.empty(self.n_downstream, dtype=np.int64)
        for layer in range(self.n_layers):
            counts[list(self.attention_inputs(layer))] = self.head_node(layer, 0)
            counts[self.mlp_input(layer)] = self.head_node(layer, 0) + (0 if self.parallel_mlp else self.n_heads)
        counts[self.logits_input] = self.n_upstream
        return counts

    def valid(self) -> np.ndarray:
        """``[n_upstream, n_downstream]`` bool: which pairs are edges."""
        return np.arange(self.n_upstream)[:, None] < self.n_before()[None, :]

    @property
    def n_edges(self) -> int:
        return int(self.n_before().sum())

    def component_of(self, node: int) -> tuple[int, int | None]:
        """``(layer, head)`` of upstream ``node`` (``head=None`` for an MLP); ``node`` 0, the input, has none."""
        if not 1 <= node < self.n_upstream:
            raise ValueError(f"upstream node {node} is not a head or an MLP")
        layer, slot = divmod(node - 1, self.n_heads + 1)
        return layer, (slot if slot < self.n_heads else None)

    def inputs_of(self, node: int) -> list[int]:
        """The downstream inputs through which upstream ``node`` reads the residual (none for ``input``)."""
        if node == 0:
            return []
        layer, head = self.component_of(node)
        if head is None:
            return [self.mlp_input(layer)]
        start = self.attention_inputs(layer).start
        group = head // self.group_size
        return [start + head, start + self.n_heads + group, start + self.n_heads + self.n_kv_heads + group]

    def node_of(self, downstream: int) -> tuple[int | None, int | None]:
        """``(layer, head)`` of the component a downstream input belongs to; ``head=None`` for an MLP or a
        key/value group, ``(None, None)`` for the logits."""
        if downstream == self.logits_input:
            return None, None
        layer, slot = divmod(downstream, self.n_attention_inputs + 1)
        return layer, (slot if slot < self.n_heads else None)


def graph_for(handle: ModelHandle) -> CircuitGraph:
    """The graph of ``handle``'s model, or a clear error for the families whose blocks are not additive."""
    adapter = handle.adapter
    if not handle.is_causal:
        raise InputError(
            f"Circuits explain next-token predictions; {handle.name} is an encoder ({handle.family}). "
            "Use a causal LM such as load_model('smollm2-135m')."
        )
    if adapter.mlp_norm is None or not adapter.qkv:
        raise InputError(
            f"Circuits need blocks whose attention and MLP outputs are added to the residual stream as they are; "
            f"{handle.name} ({handle.family}) norms them first, so a head's contribution is not an edge. "
            "Supported: gpt2, llama (mistral, qwen2, qwen3), gpt_neox, gemma."
        )
    parallel = bool(getattr(handle.config, "use_parallel_residual", False))
    return CircuitGraph(handle.n_layers, handle.n_heads, handle.n_kv_heads, parallel)


def _column_groups(layout: str, graph: CircuitGraph, n_projections: int) -> list[list[int]]:
    """Per projection of ``qkv``, the local downstream input (0 … n_attention_inputs − 1) that each of its
    ``head_dim``-wide column groups is computed from."""
    h, kv = graph.n_heads, graph.n_kv_heads
    queries, keys, values = list(range(h)), [h + g for g in range(kv)], [h + kv + g for g in range(kv)]
    if layout == "separate" and n_projections == 3:
        return [queries, keys, values]
    if layout == "stacked":
        return [queries + keys + values]
    if layout == "interleaved" and kv == h:
        return [[j for head in range(h) for j in (queries[head], keys[head], values[head])]]
    raise InputError(f"qkv_layout {layout!r} with {n_projections} projection(s) is not a layout circuits know.")


def _grouped_weight(projection: torch.nn.Module, groups: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """A projection's weight as ``[groups, head_dim, d_in]`` and its bias as ``[groups, head_dim]``."""
    weight = projection.weight
    matrix = weight if isinstance(projection, torch.nn.Linear) else weight.T  # GPT-2's Conv1D is transposed
    bias = getattr(projection, "bias", None)
    return matrix.reshape(groups, -1, matrix.shape[-1]), None if bias is None else bias.reshape(groups, -1)


class _EdgeRun:
    """Hooks for one forward pass over a batch in which every downstream input reads its own residual copy.

    ``record``: keep every upstream node's output ``acts [n_upstream, b, n, d]``. ``corrupted`` (the corrupted
    run's ``acts``) + ``corrupt`` (``[n_upstream, n_downstream]``, 1 = corrupted): give the marked edges the
    corrupted run's contribution (a fraction gives that fraction of the way). ``gradients``: make every copy a
    tensor of the autograd graph and keep ``∂m/∂x_v`` in ``grads [n_downstream, b, n, d]`` after the backward.
    Buffers are node-major, so the edges into a layer's inputs are one matrix product over the nodes before it.
    """

    def __init__(
        self,
        handle: ModelHandle,
        graph: CircuitGraph,
        *,
        record: bool = False,
        corrupted: torch.Tensor | None = None,
        corrupt: torch.Tensor | None = None,
        gradients: bool = False,
    ) -> None:
        self.handle, self.graph = handle, graph
        self.record, self.corrupted, self.corrupt, self.gradients = record, corrupted, corrupt, gradients
        self.split = gradients or corrupt is not None
        self.acts: torch.Tensor | None = None
        self.difference: torch.Tensor | None = None  # this run's outputs − the corrupted run's, when patching
        self.grads: torch.Tensor | None = None
        self.n_before = graph.n_before()
        self._normed: torch.Tensor | None = None

    @contextmanager
    def installed(self) -> Iterator[_EdgeRun]:
        adapter, model, graph = self.handle.adapter, self.handle.model, self.graph
        blocks = adapter.block_list(model)
        hooks = [blocks[0].register_forward_pre_hook(self._on_embeddings, with_kwargs=True)]
        try:
            for layer, block in enumerate(blocks):
                inputs = list(graph.attention_inputs(layer))
                projections = [get_submodule(block, path) for path in adapter.qkv]
                groups = _column_groups(adapter.qkv_layout, graph, len(projections))
                hooks.append(
                    get_submodule(block, adapter.attention_norm).register_forward_hook(self._on_attention_norm(inputs))
                )
                for projection, columns in zip(projections, groups):
                    hooks.append(projection.register_forward_hook(self._on_projection(columns)))
                output = get_submodule(block, adapter.attention_output)
                weights = adapter.output_weights(block, graph.n_heads)
                hooks.append(output.register_forward_pre_hook(self._on_heads(layer, weights)))
                hooks.append(
                    get_submodule(block, adapter.mlp_norm).register_forward_pre_hook(
                        self._on_residual([graph.mlp_input(layer)])
                    )
                )
                hooks.append(get_submodule(block, adapter.mlp).register_forward_hook(self._on_mlp(layer)))
            final = adapter.final_norm_module(model)
            hooks.append(final.register_forward_pre_hook(self._on_residual([graph.logits_input])))
            yield self
        finally:
            for hook in hooks:
                hook.remove()

    # -- the residual copies ------------------------------------------------------------

    def _copies(self, residual: torch.Tensor, inputs: list[int]) -> torch.Tensor:
        """``[len(inputs), b, n, d]``: the residual as each input reads it (minus its corrupted edges)."""
        copies = residual.unsqueeze(0).expand(len(inputs), *residual.shape)
        if self.corrupt is not None:
            before = int(self.n_before[inputs[0]])
            assert self.difference is not None
            mixing = self.corrupt[:before, inputs].T.to(self.difference.dtype)  # [inputs, before]
            patch = mixing @ self.difference[:before].reshape(before, -1)
            copies = copies - patch.reshape(len(inputs), *residual.shape).to(residual.dtype)
        if self.gradients:
            copies = copies.clone()
            copies.register_hook(self._keep_gradient(inputs))
        return copies

    def _keep_gradient(self, inputs: list[int]):
        def hook(gradient: torch.Tensor) -> None:
            if self.grads is None:
                shape = (self.graph.n_downstream, *gradient.shape[1:])
                self.grads = torch.zeros(shape, dtype=torch.float32, device=gradient.device)
            self.grads[inputs] = gradient.float()

        return hook

    def _on_attention_norm(self, inputs: list[int]):
        def hook(module, args, output):
            self._normed = module.forward(self._copies(args[0], inputs)) if self.split else None

        return hook

    def _on_projection(self, columns: list[int]):
        def hook(module, args, output):
            if self._normed is None:
                return None
            weight, bias = _grouped_weight(module, len(columns))
            out = torch.einsum("gbpd,ged->bpge", self._normed[columns], weight)
            if bias is not None:
                out = out + bias
            return out.reshape(*out.shape[:2], -1).to(output.dtype)

        return hook

    def _on_residual(self, inputs: list[int]):
        def hook(module, args):
            if not self.split:
                return None
            return (self._copies(args[0], inputs)[0], *args[1:])

        return hook

    # -- the upstream outputs -----------------------------------------------------------

    def _store(self, nodes: slice | int, value: torch.Tensor) -> None:
        """Keep the output(s) ``[(nodes,) b, n, d]`` of upstream ``nodes`` (and their difference to corrupted)."""
        value = value.detach().float()
        shape = (self.graph.n_upstream, *value.shape[-3:])
        if self.record:
            if self.acts is None:
                self.acts = torch.zeros(shape, dtype=torch.float32, device=value.device)
            self.acts[nodes] = value
        if self.corrupt is not None:
            assert self.corrupted is not None
            if self.difference is None:
                self.difference = torch.zeros(shape, dtype=torch.float32, device=value.device)
            self.difference[nodes] = value - self.corrupted[nodes]

    def _on_embeddings(self, module, args, kwargs):
        self._store(0, args[0] if args else kwargs["hidden_states"])

    def _on_heads(self, layer: int, weights: torch.Tensor):
        start = self.graph.head_node(layer, 0)

        def hook(module, args):
            z = args[0]
            per_head = torch.einsum("bphe,hed->hbpd", z.reshape(*z.shape[:2], self.graph.n_heads, -1), weights)
            self._store(slice(start, start + self.graph.n_heads), per_head)

        return hook

    def _on_mlp(self, layer: int):
        def hook(module, args, output):
            self._store(self.graph.mlp_node(layer), output[0] if isinstance(output, tuple) else output)

        return hook


class _Passes:
    """Forward and backward passes of edge runs over a task's batches, within a memory budget."""

    def __init__(self, task: CircuitTask, max_bytes: int) -> None:
        self.task, self.handle, self.graph, self.max_bytes = task, task.handle, task.graph, max_bytes

    def rows(self, n: int, gradients: bool) -> int:
        """Pairs of ``n`` tokens one batch may hold: two ``[n, nodes, d]`` buffers of upstream outputs and one
        of gradients per pair, the copies each layer keeps for the backward (``n_attention_inputs`` residual
        copies and their norms) and the model's own activations (as attribution's runner counts them)."""
        h, g = self.handle, self.graph
        d_ff = getattr(h.config, "intermediate_size", 4 * h.d_model)
        nodes = 2 * g.n_upstream + (g.n_downstream if gradients else 0)
        per_layer = (16 + 4 * g.n_attention_inputs) * h.d_model if gradients else 4 * d_ff + 8 * h.d_model
        per_row = 4 * n * (nodes * h.d_model + h.n_layers * per_layer + 2 * g.n_attention_inputs * h.d_model)
        per_row += 4 * 2 * h.n_heads * n * n
        if per_row > self.max_bytes:
            raise InputError(
                f"One pair of {n} tokens needs about {per_row / 2**30:.2f} GiB for an edge run, above max_bytes="
                f"{self.max_bytes / 2**30:.1f} GiB: use shorter prompts or raise max_bytes."
            )
        return max(1, self.max_bytes // per_row)

    def batches(self, gradients: bool) -> list[list[int]]:
        return self.task.batches(lambda n: self.rows(n, gradients))

    def forward(self, run: _EdgeRun, ids: torch.Tensor | None = None, embeds: torch.Tensor | None = None):
        """The last position's logits ``[b, vocab]`` of an edge run."""
        with run.installed():
            output = self.handle.model(input_ids=ids, inputs_embeds=embeds, use_cache=False, logits_to_keep=1)
        return output.logits[:, -1].float()

    def upstream(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Every upstream node's output ``[n_upstream, b, n, d]`` and the logits, no gradients."""
        run = _EdgeRun(self.handle, self.graph, record=True)
        with torch.no_grad():
            logits = self.forward(run, ids)
        assert run.acts is not None
        return run.acts, logits

    def gradients(self, embeds: torch.Tensor, answers, contrasts, record: bool = False) -> _EdgeRun:
        """An edge run on ``embeds`` and its backward: ``run.grads`` holds ∂(Σ metric)/∂x_v."""
        run = _EdgeRun(self.handle, self.graph, record=record, gradients=True)
        with _frozen(self.handle), torch.enable_grad():
            points = embeds.detach().clone().requires_grad_(True)
            self.task.metric(self.forward(run, embeds=points), answers, contrasts).sum().backward()
        return run

    def patched(self, ids, corrupted: torch.Tensor, corrupt: torch.Tensor, answers, contrasts) -> torch.Tensor:
        """The metric per row ``[b]`` of the clean ``ids`` with the edges marked in ``corrupt`` corrupted."""
        run = _EdgeRun(self.handle, self.graph, corrupted=corrupted, corrupt=corrupt)
        with torch.no_grad():
            return self.task.metric(self.forward(run, ids), answers, contrasts).float().cpu()

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.handle.model.get_input_embeddings()(ids)


@dataclass(frozen=True)
class Edge:
    """One edge and its score (see the module docstring for what a score estimates)."""

    upstream: str
    downstream: str
    score: float
    index: tuple[int, int]


@dataclass(frozen=True)
class CircuitResult:
    """Edge scores over a task and the faithfulness of circuits of every size on a log-spaced curve.

    ``scores [n_upstream, n_downstream]`` (0 where there is no edge); ``sizes`` / ``faithfulness``: the curve,
    ``(m(circuit) − m(corrupted)) / (m(clean) − m(corrupted))`` with every edge outside a circuit of ``size``
    edges (chosen by ``selection``) given its corrupted contribution; ``circuit_metric``: m(circuit), the mean
    metric over pairs.
    """

    graph: CircuitGraph
    method: str
    steps: int
    scores: np.ndarray
    clean_metric: float
    corrupted_metric: float
    selection: str = "topn"
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    faithfulness: np.ndarray = field(default_factory=lambda: np.zeros(0))
    circuit_metric: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_pairs: int = 0
    prompts: dict[str, list] = field(default_factory=dict)

    def edges(self, n: int | None = None) -> list[Edge]:
        """Edges in the order of this result's selection (for ``topn``: by decreasing |score|), the first ``n``."""
        up, down = self.graph.upstream_names, self.graph.downstream_names
        order = self.order()[: n if n is not None else None]
        return [Edge(up[u], down[v], float(self.scores[u, v]), (int(u), int(v))) for u, v in order]

    def order(self) -> np.ndarray:
        """``[n_edges, 2]``: the edges in the order this result's selection grows a circuit."""
        return circuit_order(self.scores, self.graph, self.selection)

    def circuit(self, n: int) -> np.ndarray:
        """``[n_upstream, n_downstream]`` bool: the ``n`` edges of this result's selection."""
        return circuit_mask(self.order(), self.graph, n)

    def size_for(self, target: float = 0.8) -> int | None:
        """The smallest size on the curve whose faithfulness reaches ``target`` (``None`` if none does)."""
        reached = np.flatnonzero(self.faithfulness >= target)
        return int(self.sizes[reached[0]]) if len(reached) else None

    def nodes(self, n: int) -> list[str]:
        """The components (upstream names) a circuit of ``n`` edges touches, in graph order."""
        return [self.graph.upstream_names[u] for u in np.flatnonzero(self.circuit(n).any(axis=1))]

    def to_json(self) -> dict[str, Any]:
        """Nodes, edges with scores, the curve and the task's prompts, as plain JSON types."""
        return {
            "method": self.method,
            "steps": self.steps,
            "selection": self.selection,
            "graph": {
                "n_layers": self.graph.n_layers,
                "n_heads": self.graph.n_heads,
                "n_kv_heads": self.graph.n_kv_heads,
                "parallel_mlp": self.graph.parallel_mlp,
                "upstream": self.graph.upstream_names,
                "downstream": self.graph.downstream_names,
            },
            "edges": [{"upstream": e.upstream, "downstream": e.downstream, "score": e.score} for e in self.edges()],
            "clean_metric": self.clean_metric,
            "corrupted_metric": self.corrupted_metric,
            "curve": {
                "sizes": self.sizes.tolist(),
                "faithfulness": self.faithfulness.tolist(),
                "circuit_metric": self.circuit_metric.tolist(),
            },
            "n_pairs": self.n_pairs,
            "prompts": self.prompts,
        }


def edge_order(scores: np.ndarray, graph: CircuitGraph) -> np.ndarray:
    """``[n_edges, 2]`` (upstream, downstream) indices by decreasing |score| (ties in graph order)."""
    up, down = np.nonzero(graph.valid())
    order = np.argsort(-np.abs(scores[up, down]), kind="stable")
    return np.stack([up[order], down[order]], axis=1)


def circuit_order(scores: np.ndarray, graph: CircuitGraph, selection: str = "topn") -> np.ndarray:
    """``[n_edges, 2]`` (upstream, downstream) in the order a circuit grows: its first ``n`` rows are the
    circuit of ``n`` edges.

    ``topn``: by decreasing |score|. ``greedy``: grown from the logits down, each step adding the edge of
    largest |score| whose downstream input belongs to a component already in the circuit, so every edge lies
    on a path to the logits (hannamw/EAP-IG's ``greedy``).
    """
    if selection not in SELECTIONS:
        raise InputError(f"selection must be one of {', '.join(map(repr, SELECTIONS))}; got {selection!r}.")
    if selection == "topn":
        return edge_order(scores, graph)
    n_before = graph.n_before()
    heap: list[tuple[float, int, int]] = []
    opened: set[int] = set()  # downstream inputs whose edges are candidates (a key/value group opens once)
    reached: set[int] = set()  # upstream nodes in the circuit
    order: list[tuple[int, int]] = []

    def open_input(v: int) -> None:
        if v not in opened:
            opened.add(v)
            for u in range(int(n_before[v])):
                heapq.heappush(heap, (-abs(float(scores[u, v])), u, v))

    open_input(graph.logits_input)
    while heap:
        _, u, v = heapq.heappop(heap)
        order.append((u, v))
        if u not in reached:
            reached.add(u)
            for w in graph.inputs_of(u):
                open_input(w)
    return np.asarray(order, dtype=np.int64).reshape(-1, 2)


def circuit_mask(order: np.ndarray, graph: CircuitGraph, n: int) -> np.ndarray:
    """``[n_upstream, n_downstream]`` bool: the first ``n`` edges of a :func:`circuit_order`."""
    mask = np.zeros((graph.n_upstream, graph.n_downstream), dtype=bool)
    chosen = order[: int(max(0, n))]
    mask[chosen[:, 0], chosen[:, 1]] = True
    return mask


def edge_scores(
    task: CircuitTask,
    method: str = "eap-ig",
    *,
    steps: int = 5,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = True,
) -> np.ndarray:
    """Every edge's score ``[n_upstream, n_downstream]`` over ``task`` by ``method`` (``"eap"``: one corrupted
    forward and one clean forward + backward per batch; ``"eap-ig"``: ``steps`` (at most :data:`MAX_STEPS`)
    forwards + backwards along the path from corrupted to clean embeddings, plus two forwards). Inside a view's
    request it stops at the next path point once cancelled, and reports its progress point by point."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}.")
    if method == "eap-ig":
        steps = check_steps(steps)
    passes, graph = _Passes(task, max_bytes), task.graph
    total = torch.zeros(graph.n_upstream, graph.n_downstream, dtype=torch.float64)
    alphas, weights = quadrature(steps if method == "eap-ig" else 1, "midpoint")
    batches = passes.batches(gradients=True)
    with task.handle.lock:
        for batch in progress_steps(batches, desc=f"edge scores ({method})", unit="batch", disable=not progress):
            # Within a batch: its two plain forwards count as one unit, each path point as one; a cancelled
            # request stops before the next point (a point is the longest stretch without a checkpoint).
            units = 1 + len(alphas)
            clean, corrupted, answers, contrasts = task.stack(batch)
            corrupted_acts, _ = passes.upstream(corrupted)
            if method == "eap":
                checkpoint(1, units)
                run = passes.gradients(passes.embed(clean), answers, contrasts, record=True)
                assert run.acts is not None and run.grads is not None
                difference, grads = run.acts - corrupted_acts, run.grads
            else:
                clean_acts, _ = passes.upstream(clean)
                difference = clean_acts - corrupted_acts
                start, end = passes.embed(corrupted), passes.embed(clean)
                grads = torch.zeros(0)
                checkpoint(1, units)
                for point, (alpha, weight) in enumerate(zip(alphas, weights)):
                    checkpoint()  # before the point's work: a cancel reported with the last point stops here
                    run = passes.gradients(start + float(alpha) * (end - start), answers, contrasts)
                    assert run.grads is not None
                    grads = run.grads * float(weight) + (grads if grads.numel() else 0)
                    checkpoint(2 + point, units)
            total += (difference.flatten(1) @ grads.flatten(1).T).double().cpu()
    scores = (total / len(task)).numpy().astype(np.float32)
    scores[~graph.valid()] = 0.0
    return scores


def circuit_metrics(
    task: CircuitTask,
    circuits: Sequence[np.ndarray],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = True,
    desc: str = "circuits",
) -> np.ndarray:
    """The mean metric over pairs ``[len(circuits)]`` of the clean prompts with every edge outside each circuit
    (a bool mask ``[n_upstream, n_downstream]``) given its corrupted contribution."""
    passes, graph = _Passes(task, max_bytes), task.graph
    sums = np.zeros(len(circuits))
    batches = passes.batches(gradients=False)
    valid = torch.from_numpy(graph.valid())
    work = [(b, c) for b in range(len(batches)) for c in range(len(circuits))]
    with task.handle.lock:
        cached: tuple[int, torch.Tensor] = (-1, torch.zeros(0))  # the corrupted outputs of the current batch
        for b, c in progress_steps(work, desc=desc, unit="pass", disable=not progress or len(work) < 2):
            clean, corrupted, answers, contrasts = task.stack(batches[b])
            if cached[0] != b:
                cached = (b, passes.upstream(corrupted)[0])
            corrupt = (valid & ~torch.from_numpy(np.asarray(circuits[c], dtype=bool))).float().to(clean.device)
            sums[c] += float(passes.patched(clean, cached[1], corrupt, answers, contrasts).sum())
    return sums / len(task)


def faithfulness_of(task: CircuitTask, metrics: np.ndarray) -> np.ndarray:
    """``(m − m(corrupted)) / (m(clean) − m(corrupted))``."""
    return (np.asarray(metrics) - task.corrupted_metric) / (task.clean_metric - task.corrupted_metric)


def edge_effects(
    task: CircuitTask,
    edges: Sequence[tuple[int, int]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = True,
) -> np.ndarray:
    """The exact effect of each edge alone, ``m(clean) − m(clean with that edge corrupted)`` (mean over pairs):
    the oracle the scores estimate. One patched forward per edge and batch."""
    graph = task.graph
    circuits = []
    for u, v in edges:
        if not graph.valid()[u, v]:
            raise InputError(f"({u}, {v}) is not an edge of this graph: upstream {u} does not feed input {v}.")
        everything_but = graph.valid().copy()
        everything_but[u, v] = False
        circuits.append(everything_but)
    return task.clean_metric - circuit_metrics(task, circuits, max_bytes=max_bytes, progress=progress, desc="edges")


def curve_sizes(n_edges: int, points: int = 16) -> np.ndarray:
    """0, then log-spaced sizes from 1 to every edge (which gives back the clean run)."""
    return np.unique(np.concatenate([[0], np.round(np.geomspace(1, n_edges, points)).astype(np.int64)]))


def find_circuit(
    task: CircuitTask,
    method: str = "eap-ig",
    *,
    steps: int = 5,
    selection: str = "topn",
    sizes: Sequence[int] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = True,
) -> CircuitResult:
    """Score every edge of ``task`` and measure the faithfulness curve of its circuits (see the module docstring).

    Args:
        task: the pairs and the metric (:class:`CircuitTask`).
        method: ``"eap-ig"`` (default) or ``"eap"``.
        steps: EAP-IG's points on the path from corrupted to clean embeddings.
        selection: how a circuit of n edges is chosen: ``"topn"`` or ``"greedy"`` (see :func:`circuit_order`).
        sizes: the circuit sizes of the curve; default 0, then 16 log-spaced sizes up to every edge.
        max_bytes: the memory one batch may use (pairs are batched within it).
    """
    graph = task.graph
    sizes_array = curve_sizes(graph.n_edges) if sizes is None else np.asarray(sorted(set(int(s) for s in sizes)))
    if len(sizes_array) and (sizes_array[0] < 0 or sizes_array[-1] > graph.n_edges):
        raise InputError(f"sizes must lie in 0 … {graph.n_edges} (the graph's edges); got {list(sizes_array)}.")
    if selection not in SELECTIONS:
        raise InputError(f"selection must be one of {', '.join(map(repr, SELECTIONS))}; got {selection!r}.")
    with share(0, 2):  # in a view's request: the scores, then the curve, each half of its progress
        scores = edge_scores(task, method, steps=steps, max_bytes=max_bytes, progress=progress)
    order = circuit_order(scores, graph, selection)
    circuits = [circuit_mask(order, graph, int(n)) for n in sizes_array]
    with share(1, 2):
        metrics = circuit_metrics(task, circuits, max_bytes=max_bytes, progress=progress, desc="faithfulness curve")
    return CircuitResult(
        graph=graph,
        method=method,
        steps=steps if method == "eap-ig" else 1,
        scores=scores,
        clean_metric=task.clean_metric,
        corrupted_metric=task.corrupted_metric,
        selection=selection,
        sizes=sizes_array,
        faithfulness=faithfulness_of(task, metrics),
        circuit_metric=metrics,
        n_pairs=len(task),
        prompts={
            "clean": task.clean,
            "corrupted": task.corrupted,
            "answers": [task.decode(t) for t in task.answers],
            "contrasts": [task.decode(t) for t in task.contrasts],
        },
    )
