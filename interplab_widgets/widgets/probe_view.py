"""ProbeView: what each layer encodes, as probe accuracy, control accuracy and selectivity by layer.

A bqplot line chart under a "?" toggle that opens the help panel. Clicking a layer's point sets
:attr:`ProbeView.selected_layer`, which ``ipywidgets.link`` can tie to a ProjectionExplorer so the
scatter follows the chart.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bqplot
import ipywidgets
import numpy as np
import traitlets

from ..analysis.probes import ProbeCurve, probe_layers
from .probe_help import HELP_TOGGLE_TITLE, probe_help_html
from .static_html import save_html

COLOURS = {"accuracy": "#c0392b", "control": "#7f8c8d", "selectivity": "#2471a3", "unseen types": "#27ae60"}


class ProbeView(ipywidgets.VBox):
    """Probes at every layer of ``model`` for a labelled dataset, drawn with bqplot.

    Args:
        model: anything :func:`interplab_widgets.load_model` takes.
        dataset: a :class:`~interplab_widgets.datasets.LabelledDataset` or a shipped dataset's name.
        layers: as for :func:`interplab_widgets.probe_layers`.
        harvested: as for :func:`interplab_widgets.probe_layers`.
        test_size: as for :func:`interplab_widgets.probe_layers`.
        seed: as for :func:`interplab_widgets.probe_layers`.
        curve: an already computed :class:`ProbeCurve` (then ``model`` and ``dataset`` are not used).
    """

    selected_layer = traitlets.Int()
    """The layer marked on the chart: the best one at first, then the last one clicked."""

    def __init__(
        self,
        model: Any = None,
        dataset: Any = None,
        *,
        layers: Sequence[int] | None = None,
        harvested: Any = None,
        test_size: float = 0.25,
        seed: int = 0,
        curve: ProbeCurve | None = None,
    ) -> None:
        self.curve = curve or probe_layers(
            model, dataset, layers=layers, harvested=harvested, test_size=test_size, seed=seed
        )
        c = self.curve
        x = bqplot.LinearScale()
        y = bqplot.LinearScale(min=self._low(), max=1.0)
        series = self.series()
        lines = [
            bqplot.Lines(
                x=c.layers,
                y=values,
                scales={"x": x, "y": y},
                colors=[COLOURS[name]],
                labels=[name],
                display_legend=True,
            )
            for name, values in series.items()
        ]
        self._points = bqplot.Scatter(
            x=c.layers,
            y=c.accuracy,
            scales={"x": x, "y": y},
            colors=[COLOURS["accuracy"]],
            default_size=48,
            interactions={"click": "select"},
            selected_style={"stroke": "black", "stroke-width": 3},
            unselected_style={"opacity": 0.8},
            tooltip=bqplot.Tooltip(fields=["x", "y"], labels=["layer", "accuracy"], formats=["", ".3f"]),
        )
        self._marker = bqplot.Lines(x=[0, 0], y=[0, 1], scales={"x": x, "y": y}, colors=["#333"], line_style="dashed")
        self._marker.visible = False
        chance = bqplot.Lines(
            x=[c.layers[0], c.layers[-1]], y=[c.chance] * 2, scales={"x": x, "y": y}, colors=["#bbb"],
            line_style="dotted", labels=["majority"], display_legend=True,
        )  # fmt: skip
        self.figure = bqplot.Figure(
            marks=[*lines, chance, self._marker, self._points],
            axes=[
                bqplot.Axis(scale=x, label="layer (residual after that many blocks)"),
                bqplot.Axis(scale=y, side="left", label="held-out accuracy", tick_format=".2f"),
            ],
            title=f"Probes for {c.task}: accuracy, control task, selectivity ({c.n_train} train / {c.n_test} test)",
            legend_location="bottom-right",
            layout=ipywidgets.Layout(width="100%", height="360px"),
            fig_margin={"top": 50, "bottom": 50, "left": 60, "right": 20},
        )
        self.figure.add_class("ilw-probe-view")
        self._points.observe(self._on_click, "selected")
        self.help_toggle = ipywidgets.ToggleButton(
            description="?", tooltip=HELP_TOGGLE_TITLE, layout=ipywidgets.Layout(width="2.4em")
        )
        self.help_toggle.add_class("ilw-help-toggle")
        self.help_panel = ipywidgets.HTML(probe_help_html(), layout=ipywidgets.Layout(display="none"))
        self.help_panel.add_class("ilw-help")
        self.help_toggle.observe(self._toggle_help, "value")
        header = ipywidgets.HBox([self.help_toggle], layout=ipywidgets.Layout(justify_content="flex-end"))
        super().__init__([header, self.help_panel, self.figure])
        # A valid layer from the start: ipywidgets.link copies it to a linked ProjectionExplorer.
        self.selected_layer = c.best_layer()

    def series(self) -> dict[str, np.ndarray]:
        """The curves drawn: accuracy, control, selectivity, and accuracy on unseen types where measured."""
        c = self.curve
        curves = {"accuracy": c.accuracy, "control": c.control_accuracy, "selectivity": c.selectivity}
        if np.isfinite(c.generalisation).any():
            curves["unseen types"] = c.generalisation
        return curves

    def _low(self) -> float:
        return min(0.0, float(np.nanmin(self.curve.selectivity, initial=0.0)))

    def svg(self, width: int = 640, height: int = 320) -> str:
        """The chart as a standalone SVG (for :meth:`save_html`): the curves, chance and the marked layer."""
        c, left, top, right, bottom = self.curve, 50, 30, 20, 40
        low = self._low()
        span = max(c.layers[-1] - c.layers[0], 1)

        def x(layer: float) -> float:
            return left + (layer - c.layers[0]) / span * (width - left - right)

        def y(value: float) -> float:
            return top + (1 - (value - low) / (1 - low)) * (height - top - bottom)

        def path(values, colour: str, dash: str = "") -> str:
            points = " ".join(
                f"{x(layer):.1f},{y(float(v)):.1f}" for layer, v in zip(c.layers, values) if np.isfinite(v)
            )
            style = f'fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"'
            return f'<polyline {style} points="{points}"/>'

        series = self.series()
        parts = [path(values, COLOURS[name]) for name, values in series.items()]
        parts.append(path([c.chance] * len(c.layers), "#bbb", "4 3"))
        if self.selected_layer in c.layers:
            sx = x(self.selected_layer)
            marker = f'x1="{sx:.1f}" x2="{sx:.1f}" y1="{top}" y2="{height - bottom}"'
            parts.append(f'<line {marker} stroke="#333" stroke-dasharray="5 4"/>')
        for value in (low, 0.5, 1.0):
            parts.append(
                f'<text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end">{value:.2f}</text>'
            )
        for layer in c.layers[:: max(1, len(c.layers) // 10)]:
            at = f'x="{x(layer):.1f}" y="{height - bottom + 16}"'
            parts.append(f'<text {at} font-size="11" text-anchor="middle">{layer}</text>')
        legend = [
            f'<text x="{left + 10 + 110 * i}" y="16" font-size="12" fill="{COLOURS[name]}">{name}</text>'
            for i, name in enumerate(series)
        ]
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
            f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
            'fill="none" stroke="#ccc"/>'
            + "".join(parts + legend)
            + f'<text x="{width / 2}" y="{height - 6}" font-size="12" text-anchor="middle">layer</text></svg>'
        )

    def snapshot_fragment(self) -> str:
        """The chart as static HTML: a caption, :meth:`svg` and a table, every text escaped.

        :func:`interplab_widgets.save_html` puts it in place in a page of several views; :meth:`save_html`
        writes it alone.
        """
        c = self.curve

        def cell(value: float, sign: str = "") -> str:
            return "n/a" if not np.isfinite(value) else f"{value:{sign}.3f}"

        table = "".join(
            f"<tr><td>{layer}</td><td>{cell(a)}</td><td>{cell(k)}</td><td>{cell(a - k, '+')}</td>"
            f"<td>{cell(g)}</td><td>{strength:g}</td></tr>"
            for layer, a, k, g, strength in zip(
                c.layers, c.accuracy, c.control_accuracy, c.generalisation, c.regularisation
            )
        )
        notes = "".join(f"<p>{html.escape(note)}</p>" for note in c.notes)
        return (
            f'<figure class="ilw-probe-static"><figcaption>Probes for {html.escape(c.task)}: {c.n_train} train / '
            f"{c.n_test} test (test items' types also occur in training), {c.n_held_out_types} held-out types; "
            f"chance {c.chance:.2f}.</figcaption>{notes}"
            f"{self.svg()}<table><tr><th>layer</th><th>accuracy</th><th>control</th><th>selectivity</th>"
            f"<th>unseen types</th><th>C</th></tr>{table}</table></figure>"
        )

    def save_html(self, path: str | Path, title: str | None = None) -> Path:
        """Write the chart as a standalone HTML page (:meth:`snapshot_fragment`: no kernel needed)."""
        return save_html(path, self, title=title or f"Probes for {self.curve.task}")

    def _toggle_help(self, change: dict) -> None:
        self.help_panel.layout.display = None if change["new"] else "none"

    def _on_click(self, change: dict) -> None:
        selected = change["new"]
        if selected is not None and len(selected):
            self.selected_layer = int(self.curve.layers[int(selected[-1])])

    @traitlets.observe("selected_layer")
    def _show_layer(self, change: dict) -> None:
        layer = change["new"]
        if layer not in self.curve.layers:
            self._marker.visible = False
            return
        self._marker.x = [layer, layer]
        self._marker.visible = True
        index = self.curve.layers.index(layer)
        if list(self._points.selected if self._points.selected is not None else []) != [index]:
            self._points.selected = [index]
