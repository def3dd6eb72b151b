"""AttentionExplorer: every head of a model at a glance, one head in full, linked by tokens.

The view (``js/src/attention_explorer.ts``) gets thumbnails and per-head statistics on
first paint, and a head's pattern only when it is selected, as the window the panel shows
(:mod:`.attention_viewport`: block maxima at screen resolution, exact when zoomed in).
Selections and zooms arrive as trait changes; Python answers by setting ``_detail``.
Nothing re-runs the model unless ``text`` changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import traitlets

from ..analysis.head_roles import cached_head_roles
from ..analysis.head_summary import HEAD_STATISTICS
from ..capture.trace import Trace, check_index
from ..errors import InputError
from ..models import ModelHandle, load_model
from ..progress import share, steps
from .attention_modes import ATTENTION_MODES, ChunkReader
from .attention_viewport import DetailMatrix
from .live import LiveWidget
from .static_html import StaticExport
from .svg import MONO, Palette, Svg, SvgExport, check_scale, colour_bar, heatmap, hex_colour, scale_legend, scaled
from .view_support import static_asset
from .wire import from_wire, quantise_unit, to_wire

DETAIL_CACHE_BYTES = 128 * 2**20
READY_TOKENS = 2048
"""Up to this many tokens a cached matrix's window is cut on the kernel's thread (a few ms); beyond, on the worker."""


class AttentionExplorer(SvgExport, StaticExport, LiveWidget):
    """Head grid, detail heatmap and token strip for one text, linked to the kernel.

    Args:
        model: a :class:`ModelHandle`, a name for :func:`load_model` (``"smollm2-135m"``), or a
            ``PreTrainedModel`` (give ``tokenizer=`` unless ``name_or_path`` finds it).
        text: the input text; edit it in the view or set :attr:`text` to re-trace.
        tokenizer: the tokenizer of a ``PreTrainedModel`` given as ``model``.
        mode: detail-panel mode, one of :attr:`modes` (``"raw"``, ``"rollout"``, ...).
        selected_layer: the layer of the head shown first.
        selected_head: the head shown first.
        thumbnail_size: side of each grid thumbnail in bins (longer inputs are block-averaged).
        roles: label heads with :func:`interplab_widgets.analysis.head_roles` (computed once per
            model on inputs it builds itself, a few seconds, then cached on disk) and show them as badges.
        attention_cache_bytes: memory for recomputed attention patterns per trace (default: every
            layer's pattern up to ``interplab_widgets.capture.trace.ATTENTION_CACHE_MAX_BYTES``, so
            rollout and flow recompute nothing after their first request).
        color_scale: ``"linear"``, ``"sqrt"`` or ``"log"`` (see :attr:`color_scale`).
        normalize_rows: each query row on its own scale (see :attr:`normalize_rows`).

    ``to_svg(path, figure="detail" | "grid", theme="light" | "dark")`` writes the detail heatmap or the head
    grid as an SVG file for a paper.
    """

    svg_figures = ("detail", "grid")

    live_inputs = ("text", "selected_layer", "selected_head", "selected_token", "mode", "detail_window")

    text = traitlets.Unicode().tag(sync=True)
    """The traced text. Setting it runs a new trace and refreshes the whole view."""
    selected_layer = traitlets.Int(0).tag(sync=True)
    """Layer of the head in the detail panel."""
    selected_head = traitlets.Int(0).tag(sync=True)
    """Head in the detail panel."""
    selected_token = traitlets.Int(-1).tag(sync=True)
    """Pinned token index, -1 for none."""
    mode = traitlets.Unicode("raw").tag(sync=True)
    """Detail-panel mode: a key of ``ATTENTION_MODES``."""
    detail_window = traitlets.List(traitlets.Int()).tag(sync=True)
    """The detail panel's visible window ``[q0, q1, k0, k1]`` (token ranges, half-open), ``[]`` for all of it."""

    color_scale = traitlets.Unicode("linear").tag(sync=True)
    """How weights map to colour: ``"linear"``, ``"sqrt"`` or ``"log"`` (``log_decades`` of ``colormaps.json``
    below the maximum). View state: nothing is recomputed."""
    normalize_rows = traitlets.Bool(False).tag(sync=True)
    """Divide each query row by its own maximum before the scale, so weak rows show their shape. View state."""

    _model_label = traitlets.Unicode().tag(sync=True)
    _n_layers = traitlets.Int().tag(sync=True)
    _n_heads = traitlets.Int().tag(sync=True)
    _causal = traitlets.Bool().tag(sync=True)
    _modes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _thumbnails = traitlets.Dict().tag(sync=True)  # uint8 [layers, heads, t, t], each head scaled to max 255
    _head_stats = traitlets.Dict().tag(sync=True)  # float32 [layers, heads, len(HEAD_STATISTICS)]
    _head_stat_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _head_roles = traitlets.List(traitlets.Dict()).tag(sync=True)  # [{layer, head, role, score}]
    _detail = traitlets.Dict().tag(sync=True)  # {layer, head, mode, n, scale_max, rows, overview, window}
    _detail_lines = traitlets.Dict().tag(sync=True)  # {layer, head, mode, n, k, top_keys, ...}: per matrix

    def __init__(
        self,
        model: Any,
        text: str,
        *,
        tokenizer: Any = None,
        mode: str = "raw",
        selected_layer: int = 0,
        selected_head: int = 0,
        thumbnail_size: int = 32,
        roles: bool = True,
        attention_cache_bytes: int | None = None,
        color_scale: str = "linear",
        normalize_rows: bool = False,
    ) -> None:
        self._esm = static_asset("attention_explorer.js").read_text()
        self._css = static_asset("attention_explorer.css").read_text()
        self.handle: ModelHandle = load_model(model, tokenizer=tokenizer)
        self.trace: Trace | None = None
        self.thumbnail_size = thumbnail_size
        self.attention_cache_bytes = attention_cache_bytes
        self._detail_cache: OrderedDict[tuple, DetailMatrix] = OrderedDict()
        handle = self.handle
        super().__init__(
            _model_label=handle.name,
            _n_layers=handle.n_layers,
            _n_heads=handle.n_heads,
            _causal=handle.is_causal,
            _modes=list(ATTENTION_MODES),
            _head_stat_names=list(HEAD_STATISTICS),
            color_scale=color_scale,
            normalize_rows=normalize_rows,
        )
        if mode not in ATTENTION_MODES:
            raise InputError(f"Unknown mode {mode!r}: choose one of {', '.join(ATTENTION_MODES)}.")
        check_index("layer", selected_layer, handle.n_layers, "this model has layers")
        check_index("head", selected_head, handle.n_heads, "this model has heads")
        if roles:
            self._head_roles = [
                {"layer": r.layer, "head": r.head, "role": r.role, "score": round(float(r.score), 3)}
                for r in cached_head_roles(handle)
            ]
        # The first trace is computed here, in the user's cell: errors are raised, not shown.
        trace = self._run(text)
        thumbnails, stats = self._summaries(trace, (selected_layer, selected_head, mode, -1), self._detail_cache)
        self.trace = trace
        self.mode, self.selected_layer, self.selected_head, self.text = mode, selected_layer, selected_head, text
        self._tokens = trace.tokens
        self._thumbnails = to_wire(thumbnails, "uint8")
        self._head_stats = to_wire(stats, "float32")
        self._detail, self._detail_lines = self._answer(selected_layer, selected_head, mode, trace, -1, [])
        self.start_live()

    @traitlets.validate("color_scale")
    def _valid_scale(self, proposal: dict) -> str:
        return check_scale(proposal["value"])

    # -- view -> kernel: every input change is one request ---------------------------------
    def refresh(self) -> None:
        """Answer the current inputs: a new trace if the text changed, then the selected detail's window."""
        text, mode, token, window = self.text, self.mode, self.selected_token, list(self.detail_window)
        layer, head = self.selected_layer, self.selected_head
        shown = self.trace if self.trace is not None and self.trace.text == text else None
        try:
            cached = shown is not None and self._detail_key(shown, layer, head, mode, token) in self._detail_cache
        except InputError:
            cached = True  # compute raises it again at once, into the view
        ready = cached and shown is not None and shown.n_tokens <= READY_TOKENS

        def compute() -> tuple:
            if shown is not None:
                return None, self._detail_cache, self._answer(layer, head, mode, shown, token, window)
            with share(0, 2):
                trace = self._run(text)
            pin = token if token < trace.n_tokens else -1
            cache: OrderedDict[tuple, DetailMatrix] = OrderedDict()
            with share(1, 2):
                summaries = self._summaries(trace, (layer, head, mode, pin), cache)
            return (trace, pin, summaries), cache, self._answer(layer, head, mode, trace, pin, [], cache)

        def apply(answer: tuple) -> None:
            new, self._detail_cache, (self._detail, self._detail_lines) = answer
            if new is not None:
                self.trace, pin, (thumbnails, stats) = new
                self._tokens = self.trace.tokens
                self._thumbnails = to_wire(thumbnails, "uint8")
                self._head_stats = to_wire(stats, "float32")
                self.selected_token = pin
                self.detail_window = []

        label = f"detail of L{layer}H{head} ({mode})" if shown is not None else f"tracing {len(text)} characters"
        self.request(label, compute, apply, ready=ready)

    def detail_payload(
        self,
        layer: int,
        head: int,
        mode_name: str,
        trace: Trace | None = None,
        token: int | None = None,
        cache: OrderedDict | None = None,
        window: list[int] | None = None,
    ) -> dict[str, Any]:
        """``_detail`` for one selection: ``{layer, head, mode, n, scale_max, rows, overview, window}``, the whole
        matrix's block maxima and the ``window``'s (default :attr:`detail_window`; see :mod:`.attention_viewport`)."""
        trace = trace or self.trace
        if trace is None:
            raise InputError("No text has been traced yet.")
        token = self.selected_token if token is None else token
        window = list(self.detail_window) if window is None else window
        return self._answer(layer, head, mode_name, trace, token, window, cache)[0]

    def _answer(
        self,
        layer: int,
        head: int,
        mode_name: str,
        trace: Trace,
        token: int,
        window: list[int],
        cache: OrderedDict | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(_detail, _detail_lines)`` for one selection and window."""
        matrix = self._matrix(trace, layer, head, mode_name, token, self._detail_cache if cache is None else cache)
        bounds = matrix.check_window(window)
        mode = ATTENTION_MODES[mode_name]
        selection = {"layer": layer, "head": head if mode.per_head else -1, "mode": mode.name}
        detail = selection | {
            "n": matrix.n,
            "scale_max": matrix.scale_max,
            "rows": matrix.rows_wire(),
            "overview": matrix.overview,
            "window": None if bounds is None else matrix.part(bounds),
        }
        return detail, selection | matrix.lines

    def _matrix(
        self, trace: Trace, layer: int, head: int, mode_name: str, token: int, cache: OrderedDict
    ) -> DetailMatrix:
        key = self._detail_key(trace, layer, head, mode_name, token)
        compute = ATTENTION_MODES[mode_name].compute
        return _cached(cache, key, lambda: DetailMatrix(compute(trace, *key[1:])))

    def _detail_key(self, trace: Trace, layer: int, head: int, mode_name: str, token: int) -> tuple:
        """The cache key of a selection, after checking it: ``(mode, layer, head or -1, token or -1)``."""
        check_index("layer", layer, trace.n_layers, "this model has layers")
        check_index("head", head, trace.n_heads, "this model has heads")
        if token != -1:
            check_index("token", token, trace.n_tokens, "this text has tokens")
        mode = ATTENTION_MODES.get(mode_name)
        if mode is None:
            raise InputError(f"Unknown mode {mode_name!r}: choose one of {', '.join(ATTENTION_MODES)}.")
        return (mode.name, layer, head if mode.per_head else -1, token if mode.depends_on_token(trace.n_tokens) else -1)

    def _run(self, text: str) -> Trace:
        trace = self.handle.run(text)
        if self.attention_cache_bytes is not None:
            trace.attention_cache_bytes = self.attention_cache_bytes
        return trace

    def _summaries(
        self, trace: Trace, selection: tuple[int, int, str, int] | None = None, cache: OrderedDict | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Thumbnails ``uint8 [layers, heads, t, t]`` (each head scaled to its own max: the grid compares
        shapes, not strengths) and head statistics ``[layers, heads, k]``, one layer at a time.

        ``selection`` ``(layer, head, mode, token)``: the detail the view shows first. Where its mode reads its
        matrix from query chunks (``from_chunks``: a head's pattern, a long text's rollout row), the same pass
        over each layer serves it, and the matrix goes into ``cache``: every layer's scores once, not twice."""
        reader = self._chunk_reader(trace, selection, cache)
        first = () if reader is None else reader.layers
        order = [*first, *sorted(set(range(trace.n_layers)) - set(first))]
        thumbnails: list = [None] * trace.n_layers
        stats: list = [None] * trace.n_layers
        layers = steps(order, desc="attention thumbnails", disable=trace.n_tokens < 1024, leave=False)
        for layer in layers:  # in query chunks: the full [heads, n, n] pattern is never built for the grid
            visit = reader.visitor(layer) if layer in first else None
            blocks, statistics = trace.attention_summary(layer, self.thumbnail_size, visit)
            if visit is not None:
                reader.end_layer(layer)
            thumbnails[layer] = quantise_unit(blocks.numpy())
            stats[layer] = statistics.numpy()
        if reader is not None:
            _cached(cache, self._detail_key(trace, *selection), lambda: DetailMatrix(reader.result()))
        return np.stack(thumbnails), np.stack(stats)

    def _chunk_reader(
        self, trace: Trace, selection: tuple[int, int, str, int] | None, cache: OrderedDict | None
    ) -> ChunkReader | None:
        """The selection's mode's reader of query chunks, if it has one (none for a selection that is not valid:
        the detail's own request says why)."""
        if selection is None or cache is None:
            return None
        try:
            key = self._detail_key(trace, *selection)
        except InputError:
            return None
        from_chunks = ATTENTION_MODES[key[0]].from_chunks
        return None if from_chunks is None else from_chunks(trace, *key[1:])

    # -- figures (to_svg) -------------------------------------------------------------------

    def _svg_detail(self, palette: Palette) -> Svg:
        """The detail panel as shown: the window (or the whole matrix) of ``_detail``, one cell per token pair
        when it is exact, else its block maxima as a pixelated image, with query and key labels."""
        detail = self._detail
        part = detail["window"] or detail["overview"]
        q0, q1, k0, k1 = part["bounds"]
        values = from_wire(part["pattern"]).astype(np.float32)
        query_starts, key_starts = from_wire(part["query_starts"]), from_wire(part["key_starts"])
        rows, cols = values.shape
        exact = rows == q1 - q0 and cols == k1 - k0
        scale, normalised = self.color_scale, self.normalize_rows
        top = _row_maxima(detail, part)[:, None] if normalised else detail["scale_max"]
        colours = palette.colours(scaled(values, top, scale))
        cell = float(np.clip(520 / max(rows, cols), 2, 18))
        font = min(11.0, cell * 0.8)
        every = 1 if font >= 6 else int(np.ceil(6 / font))
        font = max(font, 6.0)
        tokens = self._tokens
        longest = max((len(t) for t in tokens), default=1)
        label_w = min(longest, 16) * font * 0.62 + 8
        x0, y0 = 24 + label_w, 48 + label_w
        width, height = x0 + cols * cell + 20, y0 + rows * cell + 60
        head = f"head {detail['head']}" if detail["head"] >= 0 else "all heads"
        title = f"{self._model_label} · layer {detail['layer']} {head} · {detail['mode']}"
        svg = Svg(width, height, palette, title)
        svg.text(10, 18, title, 13, font_weight="bold", class_="title")
        svg.text(x0, y0 - label_w - 6, "keys →", 10, fill=hex_colour(palette.muted), class_="axis-label")
        middle = y0 + rows * cell / 2
        svg.text(12, middle, "← queries", 10, fill=hex_colour(palette.muted), text_anchor="middle",
                 transform=f"rotate(-90 12 {middle:.2f})", class_="axis-label")  # fmt: skip
        heatmap(svg, x0, y0, colours, (cell, cell), cells=exact)
        label = hex_colour(palette.text)
        for i in range(0, rows, every):
            y = y0 + (i + 0.5) * cell + font * 0.35
            svg.text(x0 - 4, y, tokens[int(query_starts[i])], font, text_anchor="end", fill=label, font_family=MONO,
                     class_="token query")  # fmt: skip
        for j in range(0, cols, every):
            x = x0 + (j + 0.5) * cell + font * 0.35
            svg.text(x, y0 - 4, tokens[int(key_starts[j])], font, transform=f"rotate(-90 {x:.2f} {y0 - 4:.2f})",
                     fill=label, font_family=MONO, class_="token key")  # fmt: skip
        high = "row maximum" if normalised else f"{detail['scale_max']:.3g}"
        legend = scale_legend(scale, normalised) + ("" if exact else ", block maxima")
        colour_bar(svg, x0, y0 + rows * cell + 16, 160, "sequential", legend, "0", high)
        return svg

    def _svg_grid(self, palette: Palette) -> Svg:
        """The head grid: one tile per layer × head, each thumbnail an embedded PNG (each head on its own scale,
        as in the view), layer and head labels as text, the selected head outlined."""
        thumbnails = from_wire(self._thumbnails)
        layers, heads = thumbnails.shape[:2]
        tile, gap = 44, 6
        x0, y0 = 44, 56
        svg = Svg(x0 + heads * (tile + gap) + 20, y0 + layers * (tile + gap) + 50, palette,
                  f"{self._model_label} · attention of every head")  # fmt: skip
        svg.text(10, 18, svg.title, 13, font_weight="bold", class_="title")
        roles = {(r["layer"], r["head"]): r["role"] for r in self._head_roles}
        top = thumbnails.max(axis=-1, keepdims=True) if self.normalize_rows else 255
        colours = palette.colours(scaled(thumbnails, top, self.color_scale))
        muted, text = hex_colour(palette.muted), hex_colour(palette.text)
        for h in range(heads):
            svg.text(x0 + h * (tile + gap) + tile / 2, y0 - 8, f"H{h}", 10, text_anchor="middle", class_="head-label")
        for layer in range(layers):
            y = y0 + layer * (tile + gap)
            svg.text(x0 - 8, y + tile / 2 + 4, f"L{layer}", 10, text_anchor="end", class_="layer-label")
            for h in range(heads):
                x = x0 + h * (tile + gap)
                selected = (layer, h) == (self.selected_layer, self.selected_head)
                svg.open("g", class_="head")
                svg.element("title", f"L{layer} H{h}" + (f": {roles[(layer, h)]}" if (layer, h) in roles else ""))
                svg.image(x, y, tile, tile, colours[layer, h])
                svg.rect(x, y, tile, tile, fill="none", stroke=text if selected else muted,
                         stroke_width=2 if selected else 0.5, class_="tile")  # fmt: skip
                svg.close("g")
        colour_bar(svg, x0, y0 + layers * (tile + gap) + 8, 160, "sequential", scale_legend(self.color_scale) +
                   ", each head to its own maximum", "0", "max")  # fmt: skip
        return svg


def _cached(cache: OrderedDict, key: tuple, compute: Callable[[], DetailMatrix]) -> DetailMatrix:
    """Detail matrices already sent, kept within ``DETAIL_CACHE_BYTES`` (rollout is worth keeping; the latest
    always, so zooming into a long text's head cuts windows from it)."""
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    cache[key] = matrix = compute()
    while len(cache) > 1 and sum(m.nbytes for m in cache.values()) > DETAIL_CACHE_BYTES:
        cache.popitem(last=False)
    return matrix


def _row_maxima(detail: dict[str, Any], part: dict[str, Any]) -> np.ndarray:
    """The maxima that normalise ``part``'s rows, as the view computes them (``rowMaxima`` in
    js/src/components/heatmap_raster.ts): the largest overview value over the overview rows a row overlaps,
    so a row keeps one maximum at every zoom."""
    overview = detail["overview"]
    maxima = from_wire(overview["pattern"]).astype(np.float32).max(axis=1)
    overview_starts = from_wire(overview["query_starts"])
    starts = from_wire(part["query_starts"])
    ends = np.append(starts[1:], part["bounds"][1])
    first = np.searchsorted(overview_starts, starts, side="right") - 1
    last = np.searchsorted(overview_starts, ends - 1, side="right") - 1
    return np.array([maxima[a : b + 1].max() for a, b in zip(first, last)], dtype=np.float32)
