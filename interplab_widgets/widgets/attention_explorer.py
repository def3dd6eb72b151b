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
from .attention_modes import ATTENTION_MODES
from .attention_viewport import DetailMatrix
from .live import LiveWidget
from .static_html import StaticExport
from .view_support import static_asset
from .wire import quantise_unit, to_wire

DETAIL_CACHE_BYTES = 128 * 2**20
READY_TOKENS = 2048
"""Up to this many tokens a cached matrix's window is cut on the kernel's thread (a few ms); beyond, on the worker."""


class AttentionExplorer(StaticExport, LiveWidget):
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
    """

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
        thumbnails, stats = self._summaries(trace)
        self.trace = trace
        self.mode, self.selected_layer, self.selected_head, self.text = mode, selected_layer, selected_head, text
        self._tokens = trace.tokens
        self._thumbnails = to_wire(thumbnails, "uint8")
        self._head_stats = to_wire(stats, "float32")
        self._detail, self._detail_lines = self._answer(selected_layer, selected_head, mode, trace, -1, [])
        self.start_live()

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
            with share(1, 2):
                summaries = self._summaries(trace)
            pin = token if token < trace.n_tokens else -1
            cache: OrderedDict[tuple, DetailMatrix] = OrderedDict()
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

    def _summaries(self, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        """Thumbnails ``uint8 [layers, heads, t, t]`` (each head scaled to its own max: the grid compares
        shapes, not strengths) and head statistics ``[layers, heads, k]``, one layer at a time."""
        thumbnails, stats = [], []
        layers = steps(range(trace.n_layers), desc="attention thumbnails", disable=trace.n_tokens < 1024, leave=False)
        for layer in layers:  # in query chunks: the full [heads, n, n] pattern is never built for the grid
            blocks, statistics = trace.attention_summary(layer, self.thumbnail_size)
            thumbnails.append(quantise_unit(blocks.numpy()))
            stats.append(statistics.numpy())
        return np.stack(thumbnails), np.stack(stats)


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
