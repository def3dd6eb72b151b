"""GenerationTracer: step through a generation and see at which depth each token forms.

The first paint sends the generated tokens and the logit lens of every layer at every
step (probability, rank and entropy of the chosen token: ``[steps, layers + 1]`` each);
the top-k of one (step, layer) cell, the step's attention and one head's full row are
sent when the user picks them. In the attribution mode (``show_attribution``), the step's token
is attributed to its context (prompt and earlier output) with
:func:`~interplab_widgets.analysis.attribution.attribute_generation` on the model's worker, and
the answer is cached per (step, method, target).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import traitlets

from ..analysis.attribution import Attribution, attribute_generation, attribute_ids
from ..analysis.generation import GenerationRecord, trace_generation
from ..analysis.head_summary import thumbnail_bins
from ..capture.trace import check_index
from ..errors import InputError
from ..models import ModelHandle, load_model
from ..progress import steps
from .live import LiveWidget
from .static_html import StaticExport
from .svg import MONO, Palette, Svg, SvgExport, colour_bar, heatmap, hex_colour
from .view_support import static_asset
from .wire import attribution_wire, from_wire, quantise_unit, to_wire

#: Bins of a head's attention row in the step grid.
ROW_BINS = 64

#: What the attribution mode explains: the generated token, it against the model's most likely other
#: token at that step, or it against a foil token the user types.
ATTRIBUTION_TARGETS = ("token", "alternative", "foil")

#: Options of :func:`~interplab_widgets.analysis.attribution.attribute` the tracer uses unless told
#: otherwise: no faithfulness curves (a few dozen extra forward passes per step), and integrated
#: gradients doubles its steps at most to 64 (the legend shows the completeness error it reached).
ATTRIBUTION_OPTIONS: dict[str, Any] = {"faithfulness": False, "max_steps": 64}

#: Options a user may set through ``attribution_options`` (the method and target are traits).
_ATTRIBUTION_KEYS = frozenset(inspect.signature(attribute_ids).parameters) - {
    "handle", "ids", "target", "method", "progress", "tokens",
}  # fmt: skip


class GenerationTracer(SvgExport, StaticExport, LiveWidget):
    """Generate from a prompt and trace every step: lens heatmap, top-k, the step's attention.

    Args:
        model: a :class:`ModelHandle`, a name for :func:`load_model`, or a causal ``PreTrainedModel``.
        prompt: the prompt text.
        max_new_tokens: passed to :func:`interplab_widgets.trace_generation`.
        do_sample: passed to :func:`interplab_widgets.trace_generation`.
        temperature: passed to :func:`interplab_widgets.trace_generation`.
        top_k: passed to :func:`interplab_widgets.trace_generation`.
        chat: passed to :func:`interplab_widgets.trace_generation`.
        seed: passed to :func:`interplab_widgets.trace_generation`.
        tokenizer: the tokenizer of a ``PreTrainedModel`` given as ``model``.
        attribution_options: options of :func:`interplab_widgets.attribute` for the attribution mode
            (``baseline``, ``steps``, ``max_steps``, ``tolerance``, ``window``, ``layer``, ``faithfulness``…),
            over :data:`ATTRIBUTION_OPTIONS`.

    ``to_svg(path)`` writes the logit-lens heatmap (coloured by :attr:`metric`) as an SVG file.
    """

    svg_figures = ("lens",)

    live_inputs = (
        "step",
        "selected_layer",
        "selected_attention_layer",
        "selected_head",
        "metric",
        "show_attribution",
        "attribution_method",
        "attribution_target",
        "attribution_foil",
    )

    step = traitlets.Int(0).tag(sync=True)
    """The step shown: the slider, 0 to the generation's steps − 1 (another value is answered with an error)."""
    selected_layer = traitlets.Int(0).tag(sync=True)
    """Lens row whose top-k is shown: 0 (the embeddings) to ``n_layers`` (the model's output)."""
    selected_attention_layer = traitlets.Int(-1).tag(sync=True)
    """Block of the head whose attention row is shown: 0 to ``n_layers`` − 1, or -1 for none."""
    selected_head = traitlets.Int(-1).tag(sync=True)
    """Head whose attention row is shown: 0 to ``n_heads`` − 1, or -1 for none (with it the block may be -1)."""
    metric = traitlets.Unicode("probability").tag(sync=True)
    """What the heatmap colours: ``"probability"`` or ``"rank"`` of the chosen token."""
    show_attribution = traitlets.Bool(False).tag(sync=True)
    """The attribution mode: the step's token attributed to its context, shown as a heat strip."""
    attribution_method = traitlets.Unicode("integrated_gradients").tag(sync=True)
    """One of :data:`interplab_widgets.analysis.attribution.METHODS`."""
    attribution_target = traitlets.Unicode("token").tag(sync=True)
    """One of :data:`ATTRIBUTION_TARGETS`: log p(generated token), or log p(generated) − log p(foil) with the
    foil the model's most likely other token at the step (``"alternative"``) or ``attribution_foil``."""
    attribution_foil = traitlets.Unicode("").tag(sync=True)
    """The foil token of ``attribution_target="foil"`` (one token, e.g. ``" London"``)."""

    _model_label = traitlets.Unicode().tag(sync=True)
    _n_layers = traitlets.Int().tag(sync=True)
    _n_heads = traitlets.Int().tag(sync=True)
    _prompt_tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _lens_probs = traitlets.Dict().tag(sync=True)  # float32 [steps, layers + 1]
    _lens_ranks = traitlets.Dict().tag(sync=True)  # int32 [steps, layers + 1]
    _lens_entropy = traitlets.Dict().tag(sync=True)  # float32 [steps, layers + 1], bits
    _topk = traitlets.Dict().tag(sync=True)  # {step, layer, tokens, probs: float32 [k]}
    _step_attention = traitlets.Dict().tag(sync=True)  # {step, thumbnails: uint8 [layers, heads, t]}
    _head_row = traitlets.Dict().tag(sync=True)  # {step, layer, head, weights: float16 [context]}
    _attribution = traitlets.Dict().tag(sync=True)  # attribution_payload(): scores float32 [context], …

    def __init__(
        self,
        model: Any,
        prompt: str,
        max_new_tokens: int = 40,
        *,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_k: int | None = None,
        chat: bool | None = None,
        seed: int | None = None,
        tokenizer: Any = None,
        attribution_options: dict[str, Any] | None = None,
    ) -> None:
        unknown = set(attribution_options or {}) - _ATTRIBUTION_KEYS
        if unknown:
            raise InputError(
                f"attribution_options does not take {', '.join(sorted(unknown))}; it takes "
                f"{', '.join(sorted(_ATTRIBUTION_KEYS))} (the method and target are the view's own choices)."
            )
        self._attribution_options = {**ATTRIBUTION_OPTIONS, **(attribution_options or {})}
        self._attributions: dict[tuple[int, str, str, str], dict[str, Any]] = {}
        self._esm = static_asset("generation_tracer.js").read_text()
        self._css = static_asset("generation_tracer.css").read_text()
        self.handle: ModelHandle = load_model(model, tokenizer=tokenizer)
        self.record: GenerationRecord = trace_generation(
            self.handle,
            prompt,
            max_new_tokens,
            do_sample=do_sample,
            temperature=temperature,
            top_k=top_k,
            chat=chat,
            seed=seed,
        )
        lens = self.record.lens
        super().__init__(
            selected_layer=self.handle.n_layers,
            _model_label=self.handle.name,
            _n_layers=self.handle.n_layers,
            _n_heads=self.handle.n_heads,
            _prompt_tokens=self.record.prompt_tokens,
            _tokens=self.record.tokens,
            _lens_probs=to_wire(lens.target_probs, "float32"),
            _lens_ranks=to_wire(lens.target_ranks, "int32"),
            _lens_entropy=to_wire(lens.entropy, "float32"),
        )
        self._topk = self.topk_payload(0, self.handle.n_layers)
        self._step_thumbnails = self._bin_step_attention()
        self._step_attention = self.step_attention_payload(0)
        self.start_live()

    def refresh(self) -> None:
        """Send what the current selection needs (only what changed); a bad index or foil shows an error in the view."""
        step, layer, metric = self.step, self.selected_layer, self.metric
        attention_layer, head = self.selected_attention_layer, self.selected_head
        new_step = self._step_attention.get("step") != step
        row = self._head_row
        new_row = head >= 0 and (row.get("step"), row.get("layer"), row.get("head")) != (step, attention_layer, head)
        attribution = self._attribution_key(step) if self.show_attribution else None
        new_attribution = attribution is not None and attribution not in self._attributions

        def compute() -> dict[str, Any]:
            check_index("step", step, self.record.n_steps, "this generation has steps")
            check_index("layer", layer, self.handle.n_layers + 1, "the lens has rows")
            if metric not in ("probability", "rank"):
                raise InputError(f"metric must be 'probability' or 'rank', got {metric!r}.")
            if head != -1:  # -1 is "no head"; any other value names a head of a block
                check_index("head", head, self.handle.n_heads, "this model has heads (or -1 for none)")
                check_index("layer", attention_layer, self.handle.n_layers, "this model has blocks")
            answer = {"_topk": self.topk_payload(step, layer)}
            if new_step:
                answer["_step_attention"] = self.step_attention_payload(step)
            if head < 0:
                answer["_head_row"] = {}
            elif new_row:
                answer["_head_row"] = self.head_row_payload(step, attention_layer, head)
            if attribution is not None:
                answer["_attribution"] = self.attribution_payload(*attribution)
            return answer

        def apply(answer: dict[str, Any]) -> None:
            for name, value in answer.items():
                setattr(self, name, value)

        # Lens read-outs and every step's attention thumbnails are cached arrays, and so are attributions already
        # computed; a head row recomputes one layer's scores for one row, an attribution runs the model.
        label = f"attributing step {step} ({self.attribution_method})" if new_attribution else f"step {step}"
        self.request(label, compute, apply, ready=not (new_row or new_attribution))

    def _attribution_key(self, step: int) -> tuple[int, str, str, str]:
        """What an attribution answer depends on: (step, method, target, foil — for the foil target only)."""
        target = self.attribution_target
        return (step, self.attribution_method, target, self.attribution_foil if target == "foil" else "")

    def attribution_payload(self, step: int, method: str, target: str, foil: str = "") -> dict[str, Any]:
        """The attribution of step ``step``'s token to its context ``[prompt + step]`` (cached per argument)."""
        key = (step, method, target, foil if target == "foil" else "")
        cached = self._attributions.get(key)
        if cached is not None:
            return cached
        check_index("step", step, self.record.n_steps, "this generation has steps")
        result = attribute_generation(
            self.record, step, method=method, foil=self.attribution_foil_id(step, target, foil),
            **self._attribution_options,
        )  # fmt: skip
        payload = _attribution_wire(result, step, target, key[3])
        self._attributions[key] = payload
        return payload

    def attribution_foil_id(self, step: int, target: str, foil: str = "") -> str | int | None:
        """The foil of ``target`` at ``step``: none, the model's most likely token other than the generated one,
        or the typed ``foil``."""
        if target == "token":
            return None
        if target == "alternative":
            chosen = int(self.record.token_ids[step])
            return next(int(i) for i in self.record.lens.top_ids[step, self.handle.n_layers] if int(i) != chosen)
        if target == "foil":
            if foil == "":
                raise InputError("Type a foil token (e.g. ' London') to contrast the generated token with.")
            return foil
        raise InputError(f"attribution_target must be one of {', '.join(ATTRIBUTION_TARGETS)}; got {target!r}.")

    def topk_payload(self, step: int, layer: int) -> dict[str, Any]:
        """The lens's top-k at one (step, lens row)."""
        lens = self.record.lens
        decode = self.handle.tokenizer.decode
        return {
            "step": step,
            "layer": layer,
            "tokens": [decode([int(i)]) for i in lens.top_ids[step, layer]],
            "probs": to_wire(lens.top_probs[step, layer], "float32"),
        }

    def step_attention_payload(self, step: int) -> dict[str, Any]:
        """Each head's attention row of the step's new token, downsampled to ``ROW_BINS`` bins."""
        bins = min(self.record.generation.positions[step] + 1, ROW_BINS)
        return {"step": step, "thumbnails": to_wire(self._step_thumbnails[step, ..., :bins], "uint8")}

    def _bin_step_attention(self) -> np.ndarray:
        """Every step's rows of every head binned, ``uint8 [steps, layers, heads, ≤ ROW_BINS]``: one pass of
        scores a layer for all steps at once, so a step click is a lookup."""
        positions = self.record.generation.positions
        thumbnails = np.zeros((len(positions), self.handle.n_layers, self.handle.n_heads, ROW_BINS), dtype=np.uint8)
        long = positions[-1] >= 1024
        layers = steps(range(self.handle.n_layers), desc="attention of every step", disable=not long, leave=False)
        for layer in layers:
            rows = self.record.step_attention_rows(layer).numpy()  # [heads, steps, n]
            for step, position in enumerate(positions):
                starts = thumbnail_bins(position + 1, ROW_BINS)
                binned = np.add.reduceat(rows[:, step, : position + 1], starts, axis=-1)
                thumbnails[step, layer, :, : len(starts)] = quantise_unit(binned, ndim=1)
        return thumbnails

    def head_row_payload(self, step: int, layer: int, head: int) -> dict[str, Any]:
        """One head's full attention row over the context at ``step``."""
        check_index("layer", layer, self.handle.n_layers, "this model has layers")
        check_index("head", head, self.handle.n_heads, "this model has heads")
        generation = self.record.generation
        position = generation.positions[step]
        row = generation.trace.attention_rows(layer, range(position, position + 1), [head])[
            0, 0, : position + 1
        ].numpy()
        return {"step": step, "layer": layer, "head": head, "weights": to_wire(row, "float16")}

    def _svg_lens(self, palette: Palette) -> Svg:
        """The lens heatmap as shown: lens rows (output on top, embeddings at the bottom) × steps, coloured by
        the chosen token's probability, or its rank on a log scale (as ``js/src/components/lens_heatmap.ts``)."""
        rank = self.metric == "rank"
        values = from_wire(self._lens_ranks if rank else self._lens_probs).astype(np.float64)  # [steps, rows]
        if rank:
            top = max(float(values.max()), 0.0)
            t = 1 - np.log1p(np.clip(values, 0, top)) / np.log1p(top) if top > 0 else np.ones_like(values)
        else:
            t = np.clip(np.nan_to_num(values), 0, 1)
        colours = palette.colours(t.T[::-1])  # [rows, steps], output row first
        n_steps, n_rows = values.shape
        tokens = self._tokens
        w, h = float(np.clip(720 / n_steps, 12, 30)), float(np.clip(420 / n_rows, 8, 22))
        font = min(11.0, w * 0.8)
        label_w = max((len(t) for t in tokens), default=1) * font * 0.62 + 8
        x0, y0 = 48, 56
        title = f"{self._model_label} · logit lens of the generated tokens"
        svg = Svg(x0 + n_steps * w + 20, y0 + n_rows * h + label_w + 60, palette, title)
        svg.text(10, 18, title, 13, font_weight="bold", class_="title")
        muted = hex_colour(palette.muted)
        svg.text(10, 36, "prompt: " + self.record.prompt, 10, fill=muted, class_="prompt")

        def row_label(r: int) -> str:
            row = n_rows - 1 - r
            return "out" if row == n_rows - 1 else "emb" if row == 0 else f"L{row}"

        heatmap(svg, x0, y0, colours, (w, h), titles=lambda r, c: f"{row_label(r)} · step {c}: "
                f"{'rank' if rank else 'p'} {values[c, n_rows - 1 - r]:.3g}")  # fmt: skip
        for r in range(n_rows):
            svg.text(x0 - 4, y0 + (r + 0.5) * h + 3.5, row_label(r), min(10.0, h * 0.9), text_anchor="end",
                     class_="row-label")  # fmt: skip
        bottom = y0 + n_rows * h + 4
        for step, token in enumerate(tokens):
            x = x0 + (step + 0.5) * w - font * 0.35
            svg.text(x, bottom, token, font, transform=f"rotate(90 {x:.2f} {bottom:.2f})", font_family=MONO,
                     class_="token")  # fmt: skip
        legend = "rank of the chosen token, log scale" if rank else "probability of the chosen token, linear scale"
        high = "rank 0" if rank else "1"
        low = f"rank {int(values.max())}" if rank else "0"
        colour_bar(svg, x0, bottom + label_w + 8, 160, "sequential", legend, low, high)
        return svg


def _attribution_wire(result: Attribution, step: int, target: str, foil: str) -> dict[str, Any]:
    """``_attribution``: the scores ``float32 [context]`` with what the legend says about them (areas, no curves)."""
    return {**attribution_wire(result, curves=False), "step": step, "target_kind": target, "foil": foil}
