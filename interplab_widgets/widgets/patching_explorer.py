"""PatchingExplorer: where in the model the difference between two prompts lives.

The view (``js/src/patching_explorer.ts``) shows a layers × positions heatmap of activation
patching for one component; a click on a cell asks for that cell alone: each head of the layer
patched on its own at that position, and the top tokens of the patched run. Grids are cached per
(component, direction), so switching back is free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..analysis.patching import DIRECTIONS, Metric, PatchingPair, PatchingResult, check_prompts_grid, direction_runs
from ..capture.trace import check_index
from ..errors import InputError
from ..models import ModelHandle, load_model
from ..progress import share
from .live import LiveWidget
from .static_html import StaticExport
from .svg import MONO, Palette, Svg, SvgExport, check_scale, colour_bar, heatmap, hex_colour, scale_legend, scaled
from .view_support import static_asset
from .wire import from_wire, to_wire

VIEW_COMPONENTS = ("resid", "attn", "mlp")
TOP_K = 5


class PatchingExplorer(SvgExport, StaticExport, LiveWidget):
    """Activation patching of a clean vs a corrupted prompt, as a heatmap with a per-head breakdown.

    Args:
        model: a :class:`ModelHandle`, a name for :func:`load_model` (``"smollm2-135m"``), or a causal
            ``PreTrainedModel`` (give ``tokenizer=`` unless ``name_or_path`` finds it).
        clean: the clean prompt; it and ``corrupted`` have the same number of tokens and the model
            answers them differently.
        corrupted: the corrupted prompt.
        answer: the token whose logit, minus ``contrast``'s, is measured (default: the clean prompt's
            top prediction).
        contrast: the other token of the logit difference (default: the corrupted prompt's top prediction).
        metric: any function of next-token logits ``[batch, vocab] -> [batch]`` instead.
        component: ``"resid"``, ``"attn"`` or ``"mlp"``.
        direction: ``"denoise"`` (clean activation into the corrupted run) or ``"noise"`` (the reverse).
        color_scale: ``"linear"``, ``"sqrt"`` or ``"log"`` (see :attr:`color_scale`).

    The heatmap patches every layer at every position, so its cost grows as the square of the prompt's length
    (and faster with attention's own): prompts whose grid is over
    :data:`interplab_widgets.analysis.patching.MAX_WORK` (about 350 tokens on SmolLM2) are refused before any
    run, with what to cut. ``to_svg(path)`` writes the heatmap as an SVG file.
    """

    svg_figures = ("grid",)

    live_inputs = ("component", "direction", "selected_layer", "selected_position")

    component = traitlets.Unicode("resid").tag(sync=True)
    """Which activation the heatmap patches: a key of ``VIEW_COMPONENTS``."""
    direction = traitlets.Unicode("denoise").tag(sync=True)
    """``"denoise"``: clean into corrupted; ``"noise"``: corrupted into clean."""
    selected_layer = traitlets.Int(-1).tag(sync=True)
    """Row of the selected cell (for ``resid``: residual after that many blocks), -1 for none."""
    selected_position = traitlets.Int(-1).tag(sync=True)
    """Token position of the selected cell, -1 for none."""

    color_scale = traitlets.Unicode("linear").tag(sync=True)
    """How effects map to colour: ``"linear"``, ``"sqrt"`` or ``"log"`` of |effect| (sign kept; the scale's
    maximum is 1, the clean behaviour). View state: nothing is recomputed."""

    _model_label = traitlets.Unicode().tag(sync=True)
    _components = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _directions = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _clean_tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _corrupted_tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _metric_label = traitlets.Unicode().tag(sync=True)
    _baseline = traitlets.Dict().tag(sync=True)  # {clean, corrupted}: raw metric of the unpatched runs
    _grid = traitlets.Dict().tag(sync=True)  # {component, direction, rows, effects: float32 [rows, n]}
    _cell = traitlets.Dict().tag(sync=True)  # {component, direction, layer, position, effect, head_layer, heads, top}

    def __init__(
        self,
        model: Any,
        clean: str,
        corrupted: str,
        *,
        answer: str | int | None = None,
        contrast: str | int | None = None,
        metric: Metric | None = None,
        component: str = "resid",
        direction: str = "denoise",
        selected_layer: int = -1,
        selected_position: int = -1,
        tokenizer: Any = None,
        color_scale: str = "linear",
    ) -> None:
        self._esm = static_asset("patching_explorer.js").read_text()
        self._css = static_asset("patching_explorer.css").read_text()
        self.handle: ModelHandle = load_model(model, tokenizer=tokenizer)
        # Every position of every layer is patched: refuse long prompts before any run (resid is the largest grid).
        check_prompts_grid(self.handle, clean, corrupted, "resid", explorer=True)
        self.pair = PatchingPair(self.handle, clean, corrupted, answer=answer, contrast=contrast, metric=metric)
        self.results: dict[tuple[str, str], PatchingResult] = {}
        self._cells: dict[tuple[str, str, int, int], dict[str, Any]] = {}
        self._predictions = self.pair.predictions(TOP_K)
        _check_view_choice(component, direction)
        super().__init__(
            component=component,
            direction=direction,
            selected_layer=selected_layer,
            selected_position=selected_position,
            color_scale=color_scale,
            _model_label=self.handle.name,
            _components=list(VIEW_COMPONENTS),
            _directions=list(DIRECTIONS),
            _clean_tokens=self.pair.clean_tokens,
            _corrupted_tokens=self.pair.corrupted_tokens,
            _metric_label=self.pair.metric_label,
            _baseline={"clean": self.pair.clean_metric, "corrupted": self.pair.corrupted_metric},
        )
        # The first grid is computed here, in the user's cell, with a progress bar; errors are raised.
        self._result(component, direction, progress=True)
        self._grid = self.grid_payload()
        if (selected_layer, selected_position) != (-1, -1):
            self._cell = self.cell_payload(selected_layer, selected_position)
        self.start_live()

    @traitlets.validate("color_scale")
    def _valid_scale(self, proposal: dict) -> str:
        return check_scale(proposal["value"])

    @property
    def result(self) -> PatchingResult:
        """The grid for the current component and direction (computed on first use, then cached)."""
        return self._result(self.component, self.direction)

    def _result(self, component: str, direction: str, progress: bool = False) -> PatchingResult:
        key = (component, direction)
        if key not in self.results:
            self.results[key] = self.pair.exact(component, direction=direction, progress=progress)
        return self.results[key]

    def refresh(self) -> None:
        """Send the grid and the selected cell's breakdown; a bad choice or index shows in the view."""
        component, direction = self.component, self.direction
        switched = component != self._grid.get("component") and component in VIEW_COMPONENTS
        if switched and self.selected_layer >= self.pair.n_sites(component):
            with self._quietly():  # resid has one row more than attn and mlp: keep the selection valid
                self.selected_layer = self.pair.n_sites(component) - 1
        layer, position = self.selected_layer, self.selected_position
        cell_key = (component, direction, layer, position)
        ready = (component, direction) in self.results and (cell_key in self._cells or (layer, position) == (-1, -1))

        def compute() -> tuple[dict, dict]:
            _check_view_choice(component, direction)
            with share(0, 2):
                grid = self.grid_payload(component, direction)
            with share(1, 2):
                cell = {} if (layer, position) == (-1, -1) else self.cell_payload(layer, position, component, direction)
            return grid, cell

        def apply(answer: tuple[dict, dict]) -> None:
            grid, cell = answer
            if self._grid.get("component") != grid["component"] or self._grid.get("direction") != grid["direction"]:
                self._grid = grid
            self._cell = cell

        grid_label = "" if (component, direction) in self.results else f"patching every {component} cell, "
        self.request(f"{grid_label}cell ({layer}, {position})", compute, apply, ready=ready)

    def grid_payload(self, component: str | None = None, direction: str | None = None) -> dict[str, Any]:
        result = self._result(component or self.component, direction or self.direction)
        return {
            "component": result.component,
            "direction": result.direction,
            "rows": result.row_labels(),
            "effects": to_wire(result.effects, "float32"),
        }

    def cell_payload(
        self, layer: int, position: int, component: str | None = None, direction: str | None = None
    ) -> dict[str, Any]:
        """One cell: its effect, each head of its block patched alone there, and the patched run's top tokens."""
        component, direction = component or self.component, direction or self.direction
        key = (component, direction, layer, position)
        if key in self._cells:
            return self._cells[key]
        n_rows = self.pair.n_sites(component)
        check_index("layer", layer, n_rows, f"the {component} grid has rows")
        check_index("position", position, self.pair.n_tokens, "the prompts have token positions")
        # A residual row holds what the blocks before it wrote: its heads are those of the block just before.
        head_layer = layer - 1 if component == "resid" else layer
        heads = None
        if head_layer >= 0:
            source, target = direction_runs(direction)
            cells = [(head_layer, head) for head in range(self.handle.n_heads)]
            values = self.pair.patched_metric("head", cells, source=source, target=target, positions=[position])
            heads = to_wire(self.pair.normalise(values), "float32")
        patched = self.pair.patched_predictions(component, layer, position, direction, TOP_K)
        self._cells[key] = cell = {
            "component": component,
            "direction": direction,
            "layer": layer,
            "position": position,
            "effect": float(self._result(component, direction).effects[layer, position]),
            "head_layer": head_layer if head_layer >= 0 else None,
            "heads": heads,
            "top": {run: [list(p) for p in top] for run, top in {**self._predictions, "patched": patched}.items()},
        }
        return cell

    def _svg_grid(self, palette: Palette) -> Svg:
        """The heatmap as shown: rows × positions on the diverging map (0 = corrupted, 1 = clean), the clean
        tokens above, the corrupted ones below where they differ."""
        grid = self._grid
        effects = from_wire(grid["effects"])
        n_rows, n = effects.shape
        clean, corrupted = self._clean_tokens, self._corrupted_tokens
        w, h = float(np.clip(640 / n, 12, 28)), float(np.clip(360 / n_rows, 9, 20))
        font = min(11.0, w * 0.8)
        label_w = max(len(t) for t in [*clean, *corrupted]) * font * 0.62 + 8
        x0, y0 = 70, 40 + label_w
        title = f"{self._model_label} · patching {grid['component']} ({grid['direction']}) · {self._metric_label}"
        svg = Svg(x0 + n * w + 20, y0 + n_rows * h + label_w + 60, palette, title)
        svg.text(10, 18, title, 13, font_weight="bold", class_="title")
        colours = palette.colours(scaled(effects, 1.0, self.color_scale), "diverging")
        heatmap(svg, x0, y0, colours, (w, h), titles=lambda r, c: f"{grid['rows'][r]} · position {c}: "
                f"{float(effects[r, c]):.3g}")  # fmt: skip
        for r, label in enumerate(grid["rows"]):
            svg.text(x0 - 4, y0 + (r + 0.5) * h + 3.5, label, min(10.0, h * 0.9), text_anchor="end", class_="row-label")
        bottom = y0 + n_rows * h + 4
        for p in range(n):
            x = x0 + (p + 0.5) * w + font * 0.35
            svg.text(x, y0 - 4, clean[p], font, transform=f"rotate(-90 {x:.2f} {y0 - 4:.2f})", font_family=MONO,
                     class_="token clean")  # fmt: skip
            if corrupted[p] != clean[p]:
                xb = x - font * 0.7
                turn = f"rotate(90 {xb:.2f} {bottom:.2f})"
                muted = hex_colour(palette.muted)
                svg.text(xb, bottom, corrupted[p], font, transform=turn, font_family=MONO, fill=muted,
                         class_="token corrupted")  # fmt: skip
        svg.text(10, y0 - 4, "clean ↑", 10, fill=hex_colour(palette.muted), class_="axis-label")
        svg.text(10, bottom + 10, "corrupted ↓", 10, fill=hex_colour(palette.muted), class_="axis-label")
        colour_bar(svg, x0, bottom + label_w + 8, 160, "diverging", f"effect: 0 = corrupted, 1 = clean, saturating "
                   f"beyond ±1 · {scale_legend(self.color_scale)}", "-1", "1")  # fmt: skip
        return svg


def _check_view_choice(component: str, direction: str) -> None:
    if component not in VIEW_COMPONENTS:
        raise InputError(
            f"component must be one of {', '.join(map(repr, VIEW_COMPONENTS))}; got {component!r}. "
            "Head grids: interplab_widgets.activation_patching(..., component='head')."
        )
    if direction not in DIRECTIONS:
        raise InputError(f"direction must be one of {', '.join(map(repr, DIRECTIONS))}; got {direction!r}.")
