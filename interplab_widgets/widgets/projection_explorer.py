"""ProjectionExplorer: many tokens or sentences at one layer as a 2-D scatter, selections probed live.

Activations are harvested once (cached on disk); each (layer, method) projection is computed when
first shown and kept. The view (``js/src/projection_explorer.ts``) draws the points with WebGL and
sends back the ids of a box or lasso selection; Python answers with their contexts and, when asked,
the held-out accuracy of a probe of selection vs rest at the current layer. UMAP and t-SNE fit in a
child process (``analysis/projection_process.py``): the kernel stays responsive while they run, and
the view's Cancel, or a newer request, stops them at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import traitlets

from ..analysis.probes import probe_scores, probe_splits
from ..analysis.projection import METHODS, SamePointsError, project
from ..capture.harvest import Harvest, harvest
from ..datasets import LabelledDataset, from_texts, load_dataset
from ..errors import InputError
from ..models import ModelHandle, load_model
from .live import LiveWidget
from .static_html import StaticExport
from .svg import Palette, Svg, SvgExport, hex_colour
from .view_support import static_asset
from .wire import from_wire, to_wire

MAX_CONTEXTS = 50


class ProjectionExplorer(SvgExport, StaticExport, LiveWidget):
    """A UMAP / t-SNE / PCA scatter of activations at one layer, with labels, selection and probes.

    Args:
        model: a :class:`ModelHandle`, a name for :func:`load_model`, or a ``PreTrainedModel``.
        data: a :class:`~interplab_widgets.datasets.LabelledDataset`, a shipped dataset's name
            (``"negation"``, ``"word_categories"``, ...), a list of texts, or a :class:`Harvest`.
        layer: the layer shown first (residual after that many blocks); default the middle one.
        method: ``"pca"``, ``"umap"`` or ``"tsne"``.
        labels: for a list of texts, one label per point (per text with ``unit="sentence"``), or a
            dict of such label sets by name.
        layers: the layers to harvest (default every one; fewer for very many points).
        unit: how texts become points, ``"token"`` or ``"sentence"`` (see :func:`interplab_widgets.harvest`).
        pooling: for sentences, ``"mean"`` or ``"last"`` (see :func:`interplab_widgets.harvest`).
        projection_params: passed to UMAP / t-SNE (e.g. ``{"n_neighbors": 30}``).
        syntax: add part-of-speech and dependency-depth label sets from spaCy (token points; needs the
            ``syntax`` extra).

    ``to_svg(path)`` writes the scatter, coloured by :attr:`color_by`, as an SVG file.
    """

    svg_figures = ("scatter",)

    live_inputs = ("selected_layer", "method", "selected_points")

    selected_layer = traitlets.Int().tag(sync=True)
    """The layer shown; one of the harvested layers. Link it to a ProbeView's ``selected_layer``."""
    method = traitlets.Unicode("pca").tag(sync=True)
    color_by = traitlets.Unicode("").tag(sync=True)
    """Label set that colours the points; ``""`` for none."""
    selected_points = traitlets.List(traitlets.Int()).tag(sync=True)
    """Ids (rows of :attr:`harvest`) of the selected points."""

    _model_label = traitlets.Unicode().tag(sync=True)
    _layers = traitlets.List(traitlets.Int()).tag(sync=True)
    _methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _n_points = traitlets.Int().tag(sync=True)
    _points = traitlets.Dict().tag(sync=True)  # {layer, method, xy: float32 [N, 2]}
    _label_sets = traitlets.Dict().tag(sync=True)  # {name: {names, values: int32 [N]}}
    _texts = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _point_source = traitlets.Dict().tag(sync=True)  # {text, start, end: int32 [N]}
    _selection = traitlets.Dict().tag(sync=True)  # {count, contexts}: the view counts labels itself
    _probe = traitlets.Dict().tag(sync=True)  # {status, accuracy, control_accuracy, n_train, n_test, message}

    def __init__(
        self,
        model: Any,
        data: Any,
        *,
        layer: int | None = None,
        method: str = "pca",
        labels: Sequence[object] | dict[str, Sequence[object]] | None = None,
        layers: Sequence[int] | None = None,
        unit: str | None = None,
        pooling: str | None = None,
        projection_params: dict[str, Any] | None = None,
        syntax: bool = False,
        tokenizer: Any = None,
    ) -> None:
        self._esm = static_asset("projection_explorer.js").read_text()
        self._css = static_asset("projection_explorer.css").read_text()
        self.handle: ModelHandle = load_model(model, tokenizer=tokenizer)
        if projection_params is not None and not isinstance(projection_params, dict):
            raise InputError(
                f"projection_params must be a dict of UMAP / t-SNE options, e.g. {{'n_neighbors': 30}}; "
                f"got {type(projection_params).__name__}."
            )
        self.projection_params = dict(projection_params or {})
        self.harvest, label_sets, self.types = self._harvest(data, labels, layers, unit, pooling)
        if syntax:
            from ..syntax import syntax_labels

            label_sets.update(syntax_labels(self.harvest))
        self.projections: dict[tuple[int, str], np.ndarray] = {}
        self._notes: dict[tuple[int, str], str] = {}  # why a projection is one spot, by (layer, method)
        harvested = self.harvest.layers
        if layer is None:
            layer = harvested[len(harvested) // 2]
        if method not in METHODS:
            raise InputError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
        if layer not in harvested:
            raise InputError(f"layer {layer} was not harvested; choose one of {harvested}.")
        h = self.harvest
        super().__init__(
            selected_layer=layer,
            method=method,
            color_by=next(iter(label_sets), ""),
            _model_label=self.handle.name,
            _layers=harvested,
            _methods=list(METHODS),
            _n_points=h.n_rows,
            _label_sets={name: {"names": n, "values": to_wire(v, "int32")} for name, (n, v) in label_sets.items()},
            _texts=h.texts,
            _point_source={
                "text": to_wire(h.text_index, "int32"),
                "start": to_wire(h.start, "int32"),
                "end": to_wire(h.end, "int32"),
            },
        )
        self.label_sets = label_sets
        self.on_msg(self._on_message)
        self._points = {"layer": layer, "method": method, "xy": to_wire(self.projection(layer, method), "float32")}
        self._show_note()
        self.start_live()

    # -- data ------------------------------------------------------------------------------

    def _harvest(self, data, labels, layers, unit, pooling) -> tuple[Harvest, dict, list[str]]:
        """The harvest, the label sets ``{name: (names, int values [N])}`` and each point's type."""
        if isinstance(data, Harvest):
            result = data
        else:
            if isinstance(data, str):
                data = load_dataset(data)
            if isinstance(data, LabelledDataset):
                texts, unit, pooling = data.texts, unit or data.unit, pooling or data.pooling
            else:
                texts = list(data)
            result = harvest(self.handle, texts, layers=layers, unit=unit or "token", pooling=pooling or "mean")
        label_sets: dict[str, tuple[list[str], np.ndarray]] = {}
        per_text = result.unit == "sentence"
        if isinstance(data, LabelledDataset):
            if not per_text:
                raise InputError("A LabelledDataset labels whole texts: harvest it with unit='sentence'.")
            label_sets[data.name] = (data.label_names, data.labels.astype(np.int32))
            types = list(data.types)
        else:
            types = list(result.tokens)
        if labels is not None:
            for name, values in (labels if isinstance(labels, dict) else {"label": labels}).items():
                if len(values) != result.n_rows:
                    raise InputError(f"labels {name!r}: {len(values)} values for {result.n_rows} points.")
                dataset = from_texts([str(i) for i in range(result.n_rows)], values)
                label_sets[name] = (dataset.label_names, dataset.labels.astype(np.int32))
        if 1 < len(result.texts) <= 20 and not per_text:
            names = [f"text {i}: {text[:30]}" for i, text in enumerate(result.texts)]
            label_sets["text"] = (names, result.text_index.astype(np.int32))
        return result, label_sets, types

    def projection(self, layer: int, method: str) -> np.ndarray:
        """``[N, 2]`` points of ``layer`` by ``method``, computed once."""
        key = (layer, method)
        if key not in self.projections:
            try:
                self.projections[key] = project(self.harvest.layer(layer), method, **self.projection_params)
            except SamePointsError as error:  # one spot, said in words: never rounding noise scaled up to "clusters"
                self.projections[key] = np.zeros((self.harvest.n_rows, 2), dtype=np.float32)
                self._notes[key] = str(error)
        return self.projections[key]

    def _show_note(self) -> None:
        """Say in the view why its points sit on one spot (the answer has just cleared ``_error``)."""
        self._error = self._notes.get((self._points.get("layer"), self._points.get("method")), "")

    # -- kernel side of the view -------------------------------------------------------------

    def refresh(self, probe: bool = False) -> None:
        """Send the points of the current layer and method (computed once each), the selection's contexts
        and, with ``probe``, a probe of the selection against the rest at this layer."""
        layer, method, points = self.selected_layer, self.method, list(self.selected_points)
        shown = self._points.get("layer"), self._points.get("method")

        def compute() -> dict[str, Any]:
            if method not in METHODS:
                raise InputError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
            if layer not in self.harvest.layers:
                raise InputError(f"layer {layer} was not harvested; choose one of {self.harvest.layers}.")
            answer: dict[str, Any] = {"_selection": self.selection_payload(points)}
            if (layer, method) != shown:
                xy = self.projection(layer, method)
                answer["_points"] = {"layer": layer, "method": method, "xy": to_wire(xy, "float32")}
            if layer != shown[0]:
                answer["_probe"] = {}  # a probe answers for one layer
            if probe:
                try:
                    answer["_probe"] = self.probe_selection(layer, points)
                except InputError as error:
                    answer["_probe"] = {"status": "error", "message": str(error)}
            return answer

        def apply(answer: dict[str, Any]) -> None:
            for name, value in answer.items():
                setattr(self, name, value)
            self._show_note()

        known = (layer, method) in self.projections or method not in METHODS or layer not in self.harvest.layers
        label = "training a probe" if probe else f"{method.upper()} of layer {layer}, {self.harvest.n_rows} points"
        self.request(label if probe or not known else "selection", compute, apply, ready=known and not probe)

    def selection_payload(self, points: Sequence[int]) -> dict[str, Any]:
        """How many points are selected and the contexts of the first ones (the view counts them per label)."""
        ids = self._check_points(points)
        if len(ids) == 0:
            return {}
        h = self.harvest
        contexts = [
            {"point": int(i), "text": int(h.text_index[i]), "start": int(h.start[i]), "end": int(h.end[i])}
            for i in ids[:MAX_CONTEXTS]
        ]
        return {"count": len(ids), "contexts": contexts}

    def probe_selection(self, layer: int | None = None, points: Sequence[int] | None = None) -> dict[str, Any]:
        """Held-out accuracy of a probe of the selection vs the rest at a layer (default: the current ones)."""
        layer = self.selected_layer if layer is None else layer
        ids = self._check_points(self.selected_points if points is None else points)
        n = self.harvest.n_rows
        if not 4 <= len(ids) <= n - 4:  # a probe trains, validates and tests on each side
            raise InputError(f"Select between 4 and {n - 4} points to probe a selection against the rest.")
        target = np.zeros(n, dtype=np.int64)
        target[ids] = 1
        splits = probe_splits(target, self.types)
        scores = probe_scores(self.harvest.layer(layer), target, splits)
        majority = max(target.mean(), 1 - target.mean())
        return {
            "status": "done",
            "accuracy": scores["accuracy"],
            "control_accuracy": None if np.isnan(scores["control"]) else scores["control"],
            "n_train": len(splits.seen[0]),
            "n_test": len(splits.seen[1]),
            "message": f"layer {layer}: {len(ids)} selected vs {n - len(ids)} others, majority baseline {majority:.3f}",
        }

    def _on_message(self, widget: Any, content: dict, buffers: list) -> None:
        if not isinstance(content, dict) or content.get("type") != "probe":
            return
        self._probe = {"status": "running", "message": "training a probe…"}
        self.refresh(probe=True)

    def _check_points(self, points: Sequence[int]) -> np.ndarray:
        ids = np.unique(np.asarray(list(points), dtype=np.int64))
        if len(ids) and (ids[0] < 0 or ids[-1] >= self.harvest.n_rows):
            raise InputError(f"point ids must be in 0..{self.harvest.n_rows - 1}; got {ids[0]}..{ids[-1]}.")
        return ids

    def _svg_scatter(self, palette: Palette) -> Svg:
        """The scatter as shown: one ``<circle class="point">`` per point, coloured by :attr:`color_by`'s
        labels (grey: unlabelled), the selection outlined, and the labels' legend."""
        xy = from_wire(self._points["xy"]).astype(np.float64)
        n = len(xy)
        label_set = self._label_sets.get(self.color_by)
        labels = from_wire(label_set["values"]) if label_set else np.full(n, -1)
        names = label_set["names"] if label_set else []
        side, margin, top = 480.0, 12.0, 40.0
        finite = np.isfinite(xy).all(axis=1)
        shown = xy[finite]
        lo = shown.min(axis=0) if len(shown) else np.zeros(2)
        span = np.ptp(shown, axis=0) if len(shown) else np.ones(2)
        span = np.where(span > 0, span, 1.0)
        px = margin + (xy[:, 0] - lo[0]) / span[0] * (side - 2 * margin)
        py = top + side - margin - (xy[:, 1] - lo[1]) / span[1] * (side - 2 * margin)
        radius = 3.0 if n <= 2_000 else 1.5 if n <= 20_000 else 0.8
        layer, method = self._points["layer"], self._points["method"]
        title = f"{self._model_label} · {method.upper()} of layer {layer} · {n:,} points"
        svg = Svg(side + 200, top + side + 16, palette, title)
        svg.text(10, 18, title, 13, font_weight="bold", class_="title")
        muted = hex_colour(palette.muted)
        svg.rect(0.5, top, side, side, fill="none", stroke=muted, stroke_width=0.5, class_="frame")
        selected = set(self.selected_points)
        ink = hex_colour(palette.text)
        for i in np.argsort(labels >= 0, kind="stable"):  # unlabelled first, under the labelled points
            if not finite[i]:
                continue
            outline = {"stroke": ink, "stroke_width": 0.8} if int(i) in selected else {}
            svg.element("circle", cx=float(px[i]), cy=float(py[i]), r=radius, class_="point",
                        fill=hex_colour(palette.label_colour(int(labels[i]))), **outline)  # fmt: skip
        x, y = side + 16, top + 8
        if names:
            svg.text(x, y, self.color_by, 11, font_weight="bold", class_="legend-title")
        rows = [(label, name) for label, name in enumerate(names)] + (
            [(-1, "unlabelled")] if (labels < 0).any() else []
        )
        for label, name in rows:
            y += 18
            svg.rect(x, y - 9, 10, 10, fill=hex_colour(palette.label_colour(label)), class_="legend-swatch")
            count = int((labels == label).sum())
            svg.text(x + 16, y, f"{name} ({count:,})", 11, class_="legend-label")
        return svg
