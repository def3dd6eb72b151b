"""CircuitExplorer: the circuit behind a behaviour, edge by edge, with its faithfulness curve.

The view (``js/src/circuit_explorer.ts``) draws the model's graph by layer (embeddings at the bottom, logits on
top), the edges of the current circuit as curves (width: |score|, colour: sign), the faithfulness curve with a
slider for the circuit size, and for a clicked node its detail: a head's attention on one of the task's pairs,
its exact direct effect on the metric and its strongest edges. A clicked head is published as
``selected_layer`` / ``selected_head``, so ``ipywidgets.link`` ties an AttentionExplorer to it.

Scoring every edge and measuring the curve is the slowest computation of the package: it runs in the user's
cell at construction (with progress bars), and on the worker (with progress and cancel) when the view asks
for another method or selection. Results are cached per ``(method, steps, selection)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import traitlets

from ..analysis.circuit_tasks import CircuitTask
from ..analysis.circuits import (
    DEFAULT_MAX_BYTES,
    METHODS,
    SELECTIONS,
    CircuitResult,
    check_steps,
    edge_effects,
    find_circuit,
)
from ..capture.trace import check_index
from ..errors import InputError
from .bounds import BoundedInt
from .circuit_layout import circuit_svg, graph_layout
from .live import LiveWidget
from .static_html import StaticExport
from .svg import Palette, Svg, SvgExport
from .view_support import static_asset
from .wire import quantise_unit, to_wire

MAX_SENT_EDGES = 20_000
"""At most this many edges (the strongest, in circuit order) go to the view: 240 KB."""

Key = tuple[str, int, str]
"""``(method, steps, selection)``."""


class CircuitExplorer(SvgExport, StaticExport, LiveWidget):
    """The graph of heads and MLPs of ``task``'s model with the edges of a circuit found over ``task``.

    Args:
        task: a :class:`~interplab_widgets.analysis.CircuitTask` (pairs of clean/corrupted prompts and a metric).
        method: ``"eap-ig"`` or ``"eap"``.
        steps: EAP-IG's points between corrupted and clean embeddings, 1 to
            :data:`~interplab_widgets.analysis.circuits.MAX_STEPS` (its cost grows linearly with them).
        selection: ``"topn"`` (largest |score|) or ``"greedy"`` (grown from the logits, connected).
        circuit_size: the edges shown first; default the smallest size on the curve reaching faithfulness 0.8.
        selected_node: the node whose detail is shown first (``"a1.h0"``, ``"m1"``, ``"logits"``), ``""`` none.
        selected_pair: the task pair whose attention a head's detail shows.
        max_bytes: the memory one batch of pairs may use.

    ``to_svg(path)`` writes the circuit graph as an SVG file, ``to_json(path)`` every edge's score.
    """

    svg_figures = ("graph",)

    live_inputs = ("method", "steps", "selection", "selected_node", "selected_pair")

    method = traitlets.Unicode("eap-ig").tag(sync=True)
    """``"eap-ig"`` or ``"eap"``."""
    steps = traitlets.Int(5).tag(sync=True)
    """EAP-IG's number of points on the path from the corrupted to the clean embeddings, 1 to
    :data:`~interplab_widgets.analysis.circuits.MAX_STEPS`: each point is one more forward + backward pass over
    every pair, so a request's cost grows linearly with it (checked before any pass; a running request stops
    at its next point when cancelled)."""
    selection = traitlets.Unicode("topn").tag(sync=True)
    """How a circuit of n edges is chosen: ``"topn"`` or ``"greedy"``."""
    circuit_size = BoundedInt(
        0, low=0, high=lambda view: view.graph.n_edges if hasattr(view, "graph") else None,
        why="a circuit has at most every edge of the graph",
    ).tag(sync=True)  # fmt: skip
    """Edges in the circuit shown (one of the curve's sizes in the view), 0 to the graph's edges. View state:
    nothing is recomputed."""
    selected_node = traitlets.Unicode("").tag(sync=True)
    """The clicked node: ``"a{layer}.h{head}"``, ``"m{layer}"``, ``"logits"``, or ``""``."""
    selected_pair = traitlets.Int(0).tag(sync=True)
    """The task pair whose attention pattern a head's detail shows: 0 to the task's pairs − 1."""
    selected_layer = traitlets.Int(0).tag(sync=True)
    """The layer of the last head selected (link it to an AttentionExplorer's ``selected_layer``). Unbounded on
    purpose: a linked view may select a layer this graph lacks, which selects no node here."""
    selected_head = traitlets.Int(0).tag(sync=True)
    """The last head selected (link it to an AttentionExplorer's ``selected_head``); unbounded, as
    ``selected_layer``."""

    _model_label = traitlets.Unicode().tag(sync=True)
    _methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _selections = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _graph = traitlets.Dict().tag(sync=True)  # graph_layout() + the graph's sizes
    _edges = traitlets.Dict().tag(sync=True)  # see edges_payload
    _curve = traitlets.Dict().tag(sync=True)
    _task = traitlets.Dict().tag(sync=True)
    _detail = traitlets.Dict().tag(sync=True)  # see detail_payload

    def __init__(
        self,
        task: CircuitTask,
        method: str = "eap-ig",
        *,
        steps: int = 5,
        selection: str = "topn",
        circuit_size: int | None = None,
        selected_node: str = "",
        selected_pair: int = 0,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if not isinstance(task, CircuitTask):
            raise InputError(
                f"CircuitExplorer takes a CircuitTask, got {type(task).__name__}: build one with "
                "CircuitTask(model, clean=[...], corrupted=[...])."
            )
        check_steps(steps)
        self._esm = static_asset("circuit_explorer.js").read_text()
        self._css = static_asset("circuit_explorer.css").read_text()
        self.task, self.handle, self.graph = task, task.handle, task.graph
        self.max_bytes = max_bytes
        self.results: dict[Key, CircuitResult] = {}
        """Every result computed so far, by ``(method, steps, selection)``."""
        self._details: dict[tuple[Key, str, int], dict[str, Any]] = {}
        self._patterns: dict[tuple[int, int, int], np.ndarray] = {}
        super().__init__(
            method=method,
            steps=steps,
            selection=selection,
            selected_node=selected_node,
            selected_pair=selected_pair,
            _model_label=self.handle.name,
            _methods=list(METHODS),
            _selections=list(SELECTIONS),
            _graph={**self._graph_sizes(), **graph_layout(self.graph)},
            _task=self._task_payload(),
        )
        self.observe(self._publish_head, names=["selected_node"])
        self.observe(self._follow_head, names=["selected_layer", "selected_head"])
        # The first result is computed here, in the user's cell, with progress bars; errors are raised.
        result = self._result(self._key(), progress=True)
        self._edges, self._curve = self.edges_payload(result), self.curve_payload(result)
        self.circuit_size = (
            circuit_size if circuit_size is not None else (result.size_for(0.8) or int(result.sizes[-1]))
        )
        self._publish_head({"new": self.selected_node})
        self._detail = self.detail_payload(self._key(), self.selected_node, self.selected_pair)
        self.start_live()

    # -- answers ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Send the edges and curve of the current method and selection, and the selected node's detail."""
        key, node, pair = self._key(), self.selected_node, self.selected_pair
        scored = key in self.results
        detailed = (key, node, pair) in self._details or not node

        def compute() -> tuple[dict, dict, dict]:
            self._check_inputs(key, pair)  # before any pass: a bad value costs nothing
            result = self._result(key)
            return self.edges_payload(result), self.curve_payload(result), self.detail_payload(key, node, pair)

        def apply(value: tuple[dict, dict, dict]) -> None:
            self._edges, self._curve, self._detail = value
            sizes = value[1]["sizes"]
            if self.circuit_size not in sizes:  # a new curve: keep the size, snapped to its nearest point
                self.circuit_size = min(sizes, key=lambda s: abs(s - self.circuit_size))

        label = f"scoring every edge by {key[0]}" if not scored else f"detail of {node}" if node else "circuit"
        self.request(label, compute, apply, ready=scored and detailed)

    def result(self) -> CircuitResult:
        """The :class:`~interplab_widgets.analysis.CircuitResult` of the current method, steps and selection."""
        return self._result(self._key())

    def _key(self) -> Key:
        return (self.method, self.steps, self.selection)

    def _check_inputs(self, key: Key, pair: int) -> None:
        """The browser's numbers within their bounds: ``steps`` in 1..MAX_STEPS (cost grows linearly with it),
        ``selected_pair`` one of the task's pairs."""
        check_steps(key[1])
        check_index("selected_pair", pair, len(self.task), "the task has pairs")

    def _result(self, key: Key, progress: bool = False) -> CircuitResult:
        """The result of ``key``, computed once (on the worker when the view asks for it), then cached."""
        if key not in self.results:
            method, steps, selection = key
            self.results[key] = find_circuit(
                self.task, method, steps=steps, selection=selection, max_bytes=self.max_bytes, progress=progress
            )
        return self.results[key]

    # -- payloads ---------------------------------------------------------------------------

    def _graph_sizes(self) -> dict[str, Any]:
        g = self.graph
        return {
            "n_layers": g.n_layers,
            "n_heads": g.n_heads,
            "n_kv_heads": g.n_kv_heads,
            "parallel_mlp": g.parallel_mlp,
        }

    def _task_payload(self) -> dict[str, Any]:
        task = self.task
        return {
            "n_pairs": len(task),
            "clean": task.clean,
            "corrupted": task.corrupted,
            "answers": [task.decode(t) for t in task.answers],
            "contrasts": [task.decode(t) for t in task.contrasts],
            "metric": getattr(task.metric, "__name__", "metric").replace("_", " "),
        }

    def edges_payload(self, result: CircuitResult) -> dict[str, Any]:
        """``{upstream, downstream: int32 [E], score: float32 [E], n_edges, sent}`` in circuit order: the
        circuit of ``n`` edges is the first ``n`` (at most :data:`MAX_SENT_EDGES` are sent)."""
        order = result.order()[:MAX_SENT_EDGES]
        return {
            "upstream": to_wire(order[:, 0], "int32"),
            "downstream": to_wire(order[:, 1], "int32"),
            "score": to_wire(result.scores[order[:, 0], order[:, 1]], "float32"),
            "n_edges": self.graph.n_edges,
            "sent": len(order),
        }

    def curve_payload(self, result: CircuitResult) -> dict[str, Any]:
        return {
            "sizes": result.sizes.tolist(),
            "faithfulness": [float(f) for f in result.faithfulness],
            "circuit_metric": [float(m) for m in result.circuit_metric],
            "clean_metric": result.clean_metric,
            "corrupted_metric": result.corrupted_metric,
            "target_size": result.size_for(0.8),
        }

    def detail_payload(self, key: Key, node: str, pair: int) -> dict[str, Any]:
        """``{}`` for no node, else ``{node, kind, layer, head, direct_effect, direct_score, incoming, outgoing,
        pair, tokens, pattern}``: the exact effect of corrupting the node's edge to the logits (one patched
        forward per batch), that edge's score, the node's five strongest edges each way and, for a head, its
        attention ``uint8 [query, key]`` on pair ``pair``'s clean prompt."""
        if not node:
            return {}
        cache = (key, node, pair)
        if cache not in self._details:
            self._details[cache] = self._detail_for(self._result(key), node, pair)
        return self._details[cache]

    def _detail_for(self, result: CircuitResult, node: str, pair: int) -> dict[str, Any]:
        g = self.graph
        check_index("selected_pair", pair, len(self.task), "the task has pairs")
        names = g.upstream_names
        if node == "logits":
            kind, layer, head, upstream = "logits", g.n_layers, -1, None
        elif node in names[1:]:
            upstream = names.index(node)
            layer, slot = g.component_of(upstream)
            kind, head = ("mlp", -1) if slot is None else ("head", slot)
        else:
            raise InputError(f"selected_node must be a head ('a0.h1'), an MLP ('m0'), 'logits' or ''; got {node!r}.")
        detail: dict[str, Any] = {"node": node, "kind": kind, "layer": layer, "head": head, "pair": pair}
        logits = g.logits_input
        if upstream is None:
            detail["direct_effect"] = detail["direct_score"] = None
            incoming = [(u, logits) for u in range(g.n_upstream)]
            outgoing: list[tuple[int, int]] = []
        else:
            effect = edge_effects(self.task, [(upstream, logits)], max_bytes=self.max_bytes, progress=False)
            detail["direct_effect"] = float(effect[0])
            detail["direct_score"] = float(result.scores[upstream, logits])
            valid = g.valid()
            inputs = g.inputs_of(upstream)
            incoming = [(u, v) for v in inputs for u in range(g.n_upstream) if valid[u, v]]
            outgoing = [(upstream, v) for v in range(g.n_downstream) if valid[upstream, v]]
        detail["incoming"] = self._strongest(result, incoming)
        detail["outgoing"] = self._strongest(result, outgoing)
        detail["tokens"], detail["pattern"] = [], None
        if kind == "head":
            detail["tokens"] = [self.task.decode(t) for t in self.task.clean_ids[pair].tolist()]
            detail["pattern"] = to_wire(quantise_unit(self._pattern(layer, head, pair)), "uint8")
        return detail

    def _strongest(self, result: CircuitResult, edges: list[tuple[int, int]], k: int = 5) -> list[dict[str, Any]]:
        ranked = sorted(edges, key=lambda e: -abs(float(result.scores[e])))[:k]
        up, down = self.graph.upstream_names, self.graph.downstream_names
        return [{"upstream": up[u], "downstream": down[v], "score": float(result.scores[u, v])} for u, v in ranked]

    def _pattern(self, layer: int, head: int, pair: int) -> np.ndarray:
        if (layer, head, pair) not in self._patterns:
            trace = self.handle.run_ids(self.task.clean_ids[pair].tolist())
            self._patterns[(layer, head, pair)] = trace.head_attention(layer, head).float().cpu().numpy()
        return self._patterns[(layer, head, pair)]

    # -- linking ----------------------------------------------------------------------------

    def _publish_head(self, change: dict) -> None:
        """A head selected in the view becomes ``selected_layer`` / ``selected_head``."""
        name = change["new"]
        names = self.graph.upstream_names
        if name in names[1:]:
            layer, slot = self.graph.component_of(names.index(name))
            if slot is not None and (self.selected_layer, self.selected_head) != (layer, slot):
                with self.hold_trait_notifications():
                    self.selected_layer, self.selected_head = layer, slot

    def _follow_head(self, change: dict) -> None:
        """``selected_layer`` / ``selected_head`` set from Python or a link select that head's node."""
        layer, head = self.selected_layer, self.selected_head
        if 0 <= layer < self.graph.n_layers and 0 <= head < self.graph.n_heads:
            name = f"a{layer}.h{head}"
            if self.selected_node != name:
                self.selected_node = name

    # -- export -----------------------------------------------------------------------------

    def to_json(self, path: str | Path | None = None) -> dict[str, Any]:
        """The graph, every edge with its score, the faithfulness curve and the task's prompts (written to
        ``path`` as JSON when given)."""
        data = {**self.result().to_json(), "model": self.handle.name, "circuit_size": self.circuit_size}
        if path is not None:
            Path(path).write_text(json.dumps(data, indent=1))
        return data

    def to_svg(
        self, path: str | Path | None = None, size: int | None = None, *, figure: str | None = None,
        theme: str = "light",
    ) -> str:  # fmt: skip
        """The circuit of ``size`` edges (default ``circuit_size``) as an SVG document on a ``"light"`` or
        ``"dark"`` page, drawn from Python; also written to ``path`` when given."""
        return self._write_svg(path, self._draw_svg(figure, theme, size=size))

    def _svg_graph(self, palette: Palette, size: int | None = None) -> Svg:
        return circuit_svg(self.result(), self.circuit_size if size is None else size, palette=palette)
