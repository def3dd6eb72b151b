"""AttentionExplorer: every head of a model at a glance, one head in full, linked by tokens.

The view (``js/src/attention_explorer.ts``) gets thumbnails and per-head statistics on
first paint, and the full pattern of a head only when it is selected. Selections
arrive as trait changes; Python answers by setting ``_detail``. Nothing re-runs the
model unless ``text`` changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import anywidget
import numpy as np
import traitlets
from tqdm.auto import tqdm

from ..analysis.head_roles import head_roles
from ..analysis.head_summary import HEAD_STATISTICS, downsample, head_statistics
from ..capture.trace import Trace, check_index
from ..errors import InputError
from ..models import ModelHandle, load_model
from .attention_modes import ATTENTION_MODES
from .static_html import StaticExport
from .view_support import errors_to_view, static_asset
from .wire import quantise_unit, to_wire

DETAIL_CACHE_BYTES = 128 * 2**20


class AttentionExplorer(StaticExport, anywidget.AnyWidget):
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
            model on inputs it builds itself, a few seconds) and show the labels as badges.
    """

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

    _model_label = traitlets.Unicode().tag(sync=True)
    _n_layers = traitlets.Int().tag(sync=True)
    _n_heads = traitlets.Int().tag(sync=True)
    _causal = traitlets.Bool().tag(sync=True)
    _modes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _thumbnails = traitlets.Dict().tag(sync=True)  # uint8 [layers, heads, t, t], each head scaled to max 255
    _thumbnail_scale = traitlets.Dict().tag(sync=True)  # float32 [layers, heads]: the max each was scaled by
    _head_stats = traitlets.Dict().tag(sync=True)  # float32 [layers, heads, len(HEAD_STATISTICS)]
    _head_stat_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _head_roles = traitlets.List(traitlets.Dict()).tag(sync=True)  # [{layer, head, role, score}]
    _detail = traitlets.Dict().tag(sync=True)  # {layer, head, mode, pattern: float16 [query, key]}
    _busy = traitlets.Bool(False).tag(sync=True)
    _error = traitlets.Unicode("").tag(sync=True)

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
    ) -> None:
        self._esm = static_asset("attention_explorer.js").read_text()
        self._css = static_asset("attention_explorer.css").read_text()
        self.handle: ModelHandle = load_model(model, tokenizer=tokenizer)
        self.trace: Trace | None = None
        self.thumbnail_size = thumbnail_size
        self._detail_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
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
            if "head_roles" not in handle.memo:
                handle.memo["head_roles"] = head_roles(handle)
            self._head_roles = [
                {"layer": r.layer, "head": r.head, "role": r.role, "score": round(float(r.score), 3)}
                for r in handle.memo["head_roles"]
            ]
        self.mode, self.selected_layer, self.selected_head = mode, selected_layer, selected_head  # no trace yet
        self.retrace(text)
        if self.trace is None:
            raise InputError(self._error)

    # -- Python -> view -------------------------------------------------------------------
    @traitlets.observe("text")
    def _on_text(self, change: dict) -> None:
        if self.trace is None or change["new"] != self.trace.text:
            self.retrace(change["new"])

    @traitlets.observe("selected_layer", "selected_head", "mode")
    def _on_selection(self, change: dict) -> None:
        self.refresh_detail()

    @traitlets.observe("selected_token")
    def _on_token(self, change: dict) -> None:
        with errors_to_view(self):
            if self.trace is not None and change["new"] != -1:
                check_index("token", change["new"], self.trace.n_tokens, "this text has tokens")
            mode = ATTENTION_MODES.get(self.mode)
            if mode is not None and mode.per_token:
                self.refresh_detail()

    def retrace(self, text: str) -> None:
        """Trace ``text`` and send the new tokens, thumbnails, statistics and detail; errors go to the view."""
        with errors_to_view(self):
            self._busy = True
            trace = self.handle.run(text)
            thumbnails, scales, stats = self._summaries(trace)
            self.trace = trace
            self._detail_cache.clear()
            with self.hold_sync():
                if self.text != text:
                    self.text = text
                self._tokens = trace.tokens
                self._thumbnails = to_wire(thumbnails, "uint8")
                self._thumbnail_scale = to_wire(scales, "float32")
                self._head_stats = to_wire(stats, "float32")
                if self.selected_token >= trace.n_tokens:
                    self.selected_token = -1
                self._error = ""
                self.refresh_detail()

    def refresh_detail(self) -> None:
        """Compute and send the selected head's full pattern in the current mode."""
        if self.trace is None:
            return
        with errors_to_view(self):
            self._detail = self.detail_payload(self.selected_layer, self.selected_head, self.mode)
            self._error = ""

    def detail_payload(self, layer: int, head: int, mode_name: str) -> dict[str, Any]:
        """``{layer, head, mode, pattern}`` for one selection, ``pattern`` float16 ``[query, key]``."""
        trace = self.trace
        if trace is None:
            raise InputError("No text has been traced yet.")
        check_index("layer", layer, trace.n_layers, "this model has layers")
        check_index("head", head, trace.n_heads, "this model has heads")
        mode = ATTENTION_MODES.get(mode_name)
        if mode is None:
            raise InputError(f"Unknown mode {mode_name!r}: choose one of {', '.join(ATTENTION_MODES)}.")
        token = self.selected_token
        key = (mode.name, layer, head if mode.per_head else -1, token if mode.per_token else -1)
        matrix = self._cached(key, lambda: mode.compute(trace, layer, head, token))
        return {
            "layer": layer,
            "head": head if mode.per_head else -1,
            "mode": mode.name,
            "pattern": to_wire(matrix, "float16"),
        }

    def _summaries(self, trace: Trace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Thumbnails ``uint8 [layers, heads, t, t]``, their scales and head statistics, one layer at a time."""
        thumbnails, scales, stats = [], [], []
        layers = tqdm(
            trace.attentions(),
            total=trace.n_layers,
            desc="attention thumbnails",
            disable=trace.n_tokens < 1024,
            leave=False,
        )
        for _, pattern in layers:
            quantised, scale = quantise_unit(downsample(pattern, self.thumbnail_size))
            thumbnails.append(quantised)
            scales.append(scale)
            stats.append(head_statistics(pattern))
        return np.stack(thumbnails), np.stack(scales), np.stack(stats)

    def _cached(self, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Detail matrices already sent, kept within ``DETAIL_CACHE_BYTES`` (rollout is worth keeping)."""
        cache = self._detail_cache
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        cache[key] = matrix = compute()
        while len(cache) > 1 and sum(m.nbytes for m in cache.values()) > DETAIL_CACHE_BYTES:
            cache.popitem(last=False)
        return matrix
