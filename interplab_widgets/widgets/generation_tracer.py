"""GenerationTracer: step through a generation and see at which depth each token forms.

The first paint sends the generated tokens and the logit lens of every layer at every
step (probability, rank and entropy of the chosen token: ``[steps, layers + 1]`` each);
the top-k of one (step, layer) cell, the step's attention and one head's full row are
sent when the user picks them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..analysis.generation import GenerationRecord, trace_generation
from ..analysis.head_summary import thumbnail_bins
from ..capture.trace import check_index
from ..errors import InputError
from ..models import ModelHandle, load_model
from .live import LiveWidget
from .static_html import StaticExport
from .view_support import static_asset
from .wire import quantise_unit, to_wire

#: Bins of a head's attention row in the step grid.
ROW_BINS = 64


class GenerationTracer(StaticExport, LiveWidget):
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
    """

    live_inputs = ("step", "selected_layer", "selected_attention_layer", "selected_head", "metric")

    step = traitlets.Int(0).tag(sync=True)
    """The step shown: the slider."""
    selected_layer = traitlets.Int(0).tag(sync=True)
    """Lens row whose top-k is shown (``n_layers`` = the model's output)."""
    selected_attention_layer = traitlets.Int(-1).tag(sync=True)
    """Block of the head whose attention row is shown, -1 for none."""
    selected_head = traitlets.Int(-1).tag(sync=True)
    """Head whose attention row is shown, -1 for none."""
    metric = traitlets.Unicode("probability").tag(sync=True)
    """What the heatmap colours: ``"probability"`` or ``"rank"`` of the chosen token."""

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
    ) -> None:
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
        self._step_attention = self.step_attention_payload(0)
        self.start_live()

    def refresh(self) -> None:
        """Send what the current selection needs; a bad index shows an error in the view."""
        step, layer, metric = self.step, self.selected_layer, self.metric
        attention_layer, head = self.selected_attention_layer, self.selected_head
        new_step = self._step_attention.get("step") != step

        def compute() -> dict[str, Any]:
            check_index("step", step, self.record.n_steps, "this generation has steps")
            check_index("layer", layer, self.handle.n_layers + 1, "the lens has rows")
            if metric not in ("probability", "rank"):
                raise InputError(f"metric must be 'probability' or 'rank', got {metric!r}.")
            answer = {"_topk": self.topk_payload(step, layer)}
            if new_step:
                answer["_step_attention"] = self.step_attention_payload(step)
            answer["_head_row"] = self.head_row_payload(step, attention_layer, head) if head >= 0 else {}
            return answer

        def apply(answer: dict[str, Any]) -> None:
            for name, value in answer.items():
                setattr(self, name, value)

        # Lens read-outs are cached arrays; a new step's attention recomputes every layer's pattern.
        self.request(f"step {step}", compute, apply, ready=not new_step and head < 0)

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
        rows = self.record.step_attention(step)  # [layers, heads, context]
        starts = thumbnail_bins(rows.shape[-1], ROW_BINS)
        binned = np.add.reduceat(rows, starts, axis=-1)
        return {"step": step, "thumbnails": to_wire(quantise_unit(binned, ndim=1), "uint8")}

    def head_row_payload(self, step: int, layer: int, head: int) -> dict[str, Any]:
        """One head's full attention row over the context at ``step``."""
        check_index("layer", layer, self.handle.n_layers, "this model has layers")
        check_index("head", head, self.handle.n_heads, "this model has heads")
        generation = self.record.generation
        position = generation.positions[step]
        row = generation.trace.head_attention(layer, head)[position, : position + 1].numpy()  # one head, not all
        return {"step": step, "layer": layer, "head": head, "weights": to_wire(row, "float16")}
