"""AttributionView: which tokens of a prompt the next-token prediction depends on, by several methods at once.

The view (``js/src/attribution_view.ts``) shows the prompt's tokens once per method, coloured by
that method's scores on a scale symmetric around 0, with the target, the completeness error of
integrated gradients and the deletion/insertion curves against random orders beside each row.
Hovering a token lights it in every row. Results are cached per (method, target, foil, baseline):
adding a method, or going back to a target already shown, computes only what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import traitlets

from ..analysis.attribution import METHODS, Attribution, attribute, check_attribution
from ..capture.runner import tokenize
from ..errors import InputError
from ..models import ModelHandle, load_model
from ..progress import steps as progress_steps
from .bounds import BoundedInt
from .live import LiveWidget
from .static_html import StaticExport
from .svg import Palette, Svg, SvgExport, colour_bar, hex_colour, scaled, token_strip
from .view_support import static_asset
from .wire import attribution_wire, from_wire

#: The baselines the view offers in its menu (a text of the same token length works from Python).
VIEW_BASELINES = ("zero", "pad")

Key = tuple[str, str, str, str]
"""``(method, target, foil, baseline)`` as the traits hold them ("" for the top prediction / no foil)."""


class AttributionView(SvgExport, StaticExport, LiveWidget):
    """The tokens of ``text`` coloured by attribution, one row per method, with faithfulness curves.

    Args:
        model: a :class:`ModelHandle`, a name for :func:`load_model` (``"smollm2-135m"``), or a causal
            ``PreTrainedModel`` (give ``tokenizer=`` unless ``name_or_path`` finds it).
        text: the prompt; its next-token prediction is explained.
        target: the token whose log-probability is explained (one token, e.g. ``" Paris"``); default
            the model's top prediction.
        methods: the rows, in order: names from :data:`~interplab_widgets.analysis.attribution.METHODS`.
        foil: a contrastive target: log p(target) − log p(foil).
        baseline: ``"zero"``, ``"pad"`` or a text with as many tokens (see
            :func:`~interplab_widgets.analysis.attribute`).
        steps: integrated gradients' first number of steps (it doubles them until its completeness
            error is below 2 %).
        max_steps: the most steps integrated gradients doubles to.
        window: occlusion's window in tokens.
        layer: the block whose attention ``attention_x_gradient`` reads (default the last).
        faithfulness: measure the deletion and insertion curves (a few dozen batched forward passes per row).
        selected_token: the pinned token, -1 for none.

    ``to_svg(path)`` writes the token strips, one per method, as an SVG file.
    """

    svg_figures = ("strip",)

    live_inputs = ("methods", "target", "foil", "baseline")

    methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The methods shown as rows, in order."""
    target = traitlets.Unicode("").tag(sync=True)
    """The explained token (one token, e.g. ``" Paris"``); ``""`` for the model's top prediction."""
    foil = traitlets.Unicode("").tag(sync=True)
    """The contrast token of log p(target) − log p(foil); ``""`` for none."""
    baseline = traitlets.Unicode("zero").tag(sync=True)
    """``"zero"``, ``"pad"`` or a text with as many tokens as ``text``."""
    selected_token = BoundedInt(
        -1, low=-1, high=lambda view: len(view._tokens) - 1 if view._tokens else None,
        why="one of the prompt's tokens, or -1 for none",
    ).tag(sync=True)  # fmt: skip
    """The token pinned in the view (its scores stay shown): -1 for none, else 0 to the tokens − 1. View state:
    nothing is recomputed."""

    _model_label = traitlets.Unicode().tag(sync=True)
    _tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _all_methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _baselines = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _rows = traitlets.List(traitlets.Dict()).tag(sync=True)  # one per method: see row_payload

    def __init__(
        self,
        model: Any,
        text: str,
        target: str | None = None,
        *,
        methods: Sequence[str] = METHODS,
        foil: str | None = None,
        baseline: str = "zero",
        steps: int = 32,
        max_steps: int = 256,
        window: int = 1,
        layer: int | None = None,
        faithfulness: bool = True,
        selected_token: int = -1,
        tokenizer: Any = None,
    ) -> None:
        self._esm = static_asset("attribution_view.js").read_text()
        self._css = static_asset("attribution_view.css").read_text()
        self.handle: ModelHandle = load_model(model, tokenizer=tokenizer)
        self.text = text
        self.options = dict(steps=steps, max_steps=max_steps, window=window, layer=layer, faithfulness=faithfulness)
        """What every attribution of this view is computed with, besides its key."""
        self.results: dict[Key, Attribution] = {}
        """Every attribution computed so far, by ``(method, target, foil, baseline)``."""
        super().__init__(
            methods=list(methods),
            target=target or "",
            foil=foil or "",
            baseline=baseline,
            selected_token=selected_token,
            _model_label=self.handle.name,
            _all_methods=list(METHODS),
            _baselines=list(VIEW_BASELINES),
        )
        # The first rows are computed here, in the user's cell, with progress bars; errors are raised.
        _check_methods(self.methods)
        keys = self._keys()
        # Long texts: every method is checked against its limits before the first one runs.
        n_tokens = len(tokenize(self.handle, text))
        for method in self.methods:
            check_attribution(
                self.handle, n_tokens, method, steps=steps, window=window, faithfulness=faithfulness,
                top_prediction=not target,
            )  # fmt: skip
        for key in progress_steps(keys, desc="attribution methods", unit="method", disable=len(keys) < 2):
            self._attribution(key, progress=True)
        self._tokens = self.results[keys[0]].tokens
        if not -1 <= selected_token < len(self._tokens):
            raise InputError(f"selected_token must be -1 or in 0..{len(self._tokens) - 1}; got {selected_token}.")
        self._rows = [self.row_payload(key) for key in keys]
        self.start_live()

    def refresh(self) -> None:
        """Send one row per chosen method, computing on the worker those not cached yet."""
        keys = self._keys()
        missing = [key for key in keys if key not in self.results]

        def compute() -> list[dict[str, Any]]:
            _check_methods([key[0] for key in keys])
            for key in progress_steps(missing, desc="attribution methods", unit="method", disable=True):
                self._attribution(key)
            return [self.row_payload(key) for key in keys]

        def apply(rows: list[dict[str, Any]]) -> None:
            self._rows = rows

        names = ", ".join(key[0].replace("_", " ") for key in missing)
        label = f"attributing by {names}" if missing else "rows"
        self.request(label, compute, apply, ready=not missing)

    def _keys(self) -> list[Key]:
        """The cache key of each row."""
        return [(method, self.target, self.foil, self.baseline) for method in self.methods]

    def _attribution(self, key: Key, progress: bool = False) -> Attribution:
        """The attribution of ``key``, computed once (on the worker when a view asks for it), then cached."""
        if key not in self.results:
            method, target, foil, baseline = key
            self.results[key] = attribute(
                self.handle, self.text, target or None, method=method, foil=foil or None, baseline=baseline,
                progress=progress, **self.options,
            )  # fmt: skip
        return self.results[key]

    def attribution(self, method: str) -> Attribution:
        """The :class:`~interplab_widgets.analysis.attribution.Attribution` of ``method`` for the current
        target, foil and baseline (computed on first use, then cached)."""
        return self._attribution((method, self.target, self.foil, self.baseline))

    def row_payload(self, key: Key) -> dict[str, Any]:
        """One row: ``{method, target_token, foil, baseline, target, value, baseline_value, steps,
        layer, completeness_error, warning, scores: float32 [n], attributed: uint8 [n], faithfulness}``;
        ``faithfulness`` is ``{fractions, deletion, insertion, random_deletion, random_insertion: float32
        [points], deletion_area, insertion_area, random_deletion_area, random_insertion_area}`` or None."""
        _, target, foil, baseline = key  # the requested baseline: a text stays a text (the result says "text")
        return {**attribution_wire(self._attribution(key)), "target_token": target, "foil": foil, "baseline": baseline}

    def _svg_strip(self, palette: Palette) -> Svg:
        """The rows as shown: each method's tokens as text on the diverging map, each row on its own scale
        ±max |score| of its scored tokens (blue lowers the target, red raises it; unscored tokens uncoloured)."""
        rows = self._rows
        target = rows[0]["target"] if rows else ""
        title = f"{self._model_label} · attribution of {target}"
        svg = Svg(400, 64 + 34 * len(rows) + 40, palette, title)
        svg.text(10, 18, title, 13, font_weight="bold", class_="title")
        muted = hex_colour(palette.muted)
        svg.text(10, 36, f"foil {rows[0]['foil']!r} · baseline {rows[0]['baseline']}" if rows and rows[0]["foil"]
                 else f"baseline {rows[0]['baseline'] if rows else ''}", 10, fill=muted, class_="subtitle")  # fmt: skip
        x0, y = 170.0, 52.0
        for row in rows:
            scores = from_wire(row["scores"]).astype(np.float64)
            scored = from_wire(row["attributed"]).astype(bool) & np.isfinite(scores)
            top = float(np.abs(scores[scored]).max()) if scored.any() else 0.0
            colours = palette.colours(scaled(scores, top, "linear"), "diverging")
            fills = [hex_colour(c) if s else None for c, s in zip(colours, scored)]
            svg.text(10, y + 14, row["method"].replace("_", " "), 11, class_="method")
            token_strip(svg, x0, y, self._tokens, fills)
            svg.text(10, y + 26, f"±{top:.3g}", 9, fill=muted, class_="scale")
            y += 34
        colour_bar(svg, x0, y + 4, 160, "diverging", "each row: ± its largest |score|, linear scale", "−", "+")
        return svg


def _check_methods(methods: Sequence[str]) -> None:
    if not methods or any(m not in METHODS for m in methods) or len(set(methods)) < len(methods):
        raise InputError(
            f"methods must be a non-empty list of distinct names from {', '.join(METHODS)}; got {list(methods)!r}."
        )
