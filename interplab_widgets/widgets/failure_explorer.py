"""FailureExplorer: where a model's behaviour breaks, and what changes inside when it does.

The suite runs once, batched (each distinct prompt one forward pass). The view
(``js/src/failure_explorer.ts``) shows the table and the summary; clicking a case asks the kernel
for that case alone: both prompts traced, the logit lens at the answer position, and how much each
head's attention from the last token moved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import traitlets

from ..capture.trace import check_index
from ..errors import InputError
from ..failures.cases import Case, CaseResult, run_cases, token_id
from ..failures.compare import changed_tokens, last_token_attention_shift, run_summary
from ..failures.suites import load_suite
from ..models import ModelHandle, load_model
from .live import LiveWidget
from .static_html import StaticExport
from .svg import Palette, Svg, SvgExport, colour_bar, heatmap, hex_colour, token_strip
from .view_support import static_asset
from .wire import from_wire, to_wire


class FailureExplorer(SvgExport, StaticExport, LiveWidget):
    """A behavioural test suite's results as a sortable table, with original vs perturbed internals per case.

    Args:
        model: a :class:`ModelHandle`, a name for :func:`load_model`, or a causal ``PreTrainedModel``.
        cases: a list of :class:`~interplab_widgets.failures.Case`, or shipped suite names
            (``"all"``, ``"negation"``, ``["typos", "bias"]``; see :data:`~interplab_widgets.failures.SUITES`).
        batch_size: prompts per forward pass.

    ``to_svg(path)`` writes the selected case's side-by-side as an SVG file.
    """

    svg_figures = ("side_by_side",)

    live_inputs = ("selected_case",)

    selected_case = traitlets.Int(-1).tag(sync=True)
    """Id (index in :attr:`results`) of the case shown side by side, -1 for none."""

    _model_label = traitlets.Unicode().tag(sync=True)
    _cases = traitlets.List(traitlets.Dict()).tag(sync=True)
    _summary = traitlets.List(traitlets.Dict()).tag(sync=True)
    _side_by_side = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        model: Any,
        cases: Sequence[Case] | str | Sequence[str] = "all",
        *,
        batch_size: int = 16,
        selected_case: int = -1,
        tokenizer: Any = None,
    ) -> None:
        self._esm = static_asset("failure_explorer.js").read_text()
        self._css = static_asset("failure_explorer.css").read_text()
        self.handle: ModelHandle = load_model(model, tokenizer=tokenizer)
        names = isinstance(cases, (list, tuple)) and cases and all(isinstance(c, str) for c in cases)
        if isinstance(cases, str) or names:
            cases = load_suite(cases if isinstance(cases, str) else list(cases), model=self.handle)
        # run_cases names the first item that is not a Case (FailureExplorer([None]) -> "cases[0] is NoneType").
        self.results: list[CaseResult] = run_cases(self.handle, cases, batch_size=batch_size)
        self._side_by_sides: dict[int, dict[str, Any]] = {}
        super().__init__(
            selected_case=selected_case,
            _model_label=self.handle.name,
            _cases=[_case_row(i, r) for i, r in enumerate(self.results)],
            _summary=summarise(self.results),
        )
        if selected_case != -1:
            self._side_by_side = self.side_by_side(selected_case)
        self.start_live()

    def refresh(self) -> None:
        index = self.selected_case
        self.request(
            f"tracing case {index} side by side",
            lambda: {} if index == -1 else self.side_by_side(index),
            lambda payload: setattr(self, "_side_by_side", payload),
            ready=index == -1 or index in self._side_by_sides,
        )

    def side_by_side(self, index: int) -> dict[str, Any]:
        """Both prompts of one case traced: tokens with the change marked, lens, attention shift per head."""
        check_index("case", index, len(self.results), "the suite has cases")
        if index not in self._side_by_sides:
            self._side_by_sides[index] = self._side_by_side_of(index)
        return self._side_by_sides[index]

    def _side_by_side_of(self, index: int) -> dict[str, Any]:
        result = self.results[index]
        case = result.case
        target_text = case.tokens[0] if case.tokens else (result.original_top or result.top)
        target = token_id(self.handle, target_text)
        perturbed = self.handle.run(case.prompt)
        if not case.original:
            only = run_summary(perturbed, target, [False] * len(perturbed.tokens))
            return {
                "case": index,
                "target": target_text,
                "original": None,
                "perturbed": _wire_run(only),
                "head_diff": None,
                "head_diff_label": "",
            }
        original = self.handle.run(case.original)
        changed_a, changed_b, _ = changed_tokens(original.tokens, perturbed.tokens)
        return {
            "case": index,
            "target": target_text,
            "original": _wire_run(run_summary(original, target, changed_a)),
            "perturbed": _wire_run(run_summary(perturbed, target, changed_b)),
            "head_diff": to_wire(last_token_attention_shift(original, perturbed), "float32"),
            "head_diff_label": "How much each head's attention from the last token moved "
            "(total variation, keys aligned on shared tokens); rows are blocks L0… (the lens row Ln is the "
            "residual after n blocks)",
        }

    def _svg_side_by_side(self, palette: Palette) -> Svg:
        """The selected case as shown: each run's tokens (changed ones marked), its top next tokens and the
        lens at the answer position (the target's probability per lens row), then how much each head's
        attention from the last token moved."""
        sbs = self._side_by_side
        if not sbs:
            raise InputError("No case is selected: set selected_case (or click a case) before exporting it.")
        case = self._cases[sbs["case"]]
        title = f"{self._model_label} · case {sbs['case']}: {case['kind']} · {case['expected']}"
        runs = [("original prompt", sbs["original"])] if sbs["original"] else []
        runs.append(("perturbed prompt" if sbs["original"] else "tested prompt", sbs["perturbed"]))
        n_rows = len(sbs["perturbed"]["lens_top"])
        svg = Svg(400, 120 + len(runs) * (150 + 14 * n_rows) + 40 * (sbs["head_diff"] is not None), palette, title)
        svg.text(10, 18, title, 13, font_weight="bold", class_="title")
        muted = hex_colour(palette.muted)
        svg.text(10, 36, f"target {sbs['target']!r}", 10, fill=muted, class_="subtitle")
        mark = hex_colour(palette.colours(0.3))
        y = 56.0
        for name, run in runs:
            svg.text(10, y, name, 11, font_weight="bold", class_="run-title")
            token_strip(svg, 10, y + 6, run["tokens"], [mark if c else None for c in run["changed"]])
            y += 40
            for token, prob in run["top"]:
                svg.text(10, y, token, 10, font_family="monospace", class_="top-token")
                svg.text(120, y, f"{100 * prob:.1f} %", 10, fill=muted, class_="top-prob")
                y += 13
            probs = np.asarray(from_wire(run["lens_target"]), dtype=np.float64).reshape(-1)
            svg.text(10, y + 8, f"lens: p({sbs['target']!r}) and top-1 by lens row", 10, fill=muted)
            y += 14
            colours = palette.colours(np.clip(np.nan_to_num(probs[::-1]), 0, 1)).reshape(-1, 1, 3)
            heatmap(svg, 60, y, colours, (40, 12))
            for i, top in enumerate(run["lens_top"][::-1]):
                row = n_rows - 1 - i
                label = "out" if row == n_rows - 1 else "emb" if row == 0 else f"L{row}"
                svg.text(54, y + 10 + 12 * i, label, 9, text_anchor="end", class_="row-label")
                svg.text(106, y + 10 + 12 * i, top, 9, font_family="monospace", class_="lens-token")
            y += 12 * n_rows + 24
        if sbs["head_diff"] is not None:
            diff = from_wire(sbs["head_diff"]).astype(np.float64)
            svg.text(10, y, sbs["head_diff_label"], 10, fill=muted, class_="subtitle")
            y += 10
            heatmap(svg, 40, y, palette.colours(np.clip(np.nan_to_num(diff), 0, 1)), (14, 12))
            for layer in range(diff.shape[0]):
                svg.text(36, y + 10 + 12 * layer, f"L{layer}", 9, text_anchor="end", class_="row-label")
            y += 12 * diff.shape[0] + 8
            colour_bar(svg, 40, y, 160, "sequential", "total variation, linear scale", "0", "1")
            y += 30
        svg.height = y + 10
        return svg


def summarise(results: Sequence[CaseResult]) -> list[dict[str, Any]]:
    """Cases, failures, failure rate and mean effect per perturbation kind, in first-seen order."""
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        groups[result.case.kind].append(result)
    return [
        {
            "kind": kind,
            "n": len(group),
            "failed": sum(not r.passed for r in group),
            "failure_rate": sum(not r.passed for r in group) / len(group),
            "mean_effect": float(np.mean([r.effect for r in group])),
        }
        for kind, group in groups.items()
    ]


def _case_row(index: int, result: CaseResult) -> dict[str, Any]:
    case = result.case
    return {
        "id": index,
        "kind": case.kind,
        "capability": case.capability,
        "prompt": case.prompt,
        "original": case.original,
        "expected": case.describe(),
        "passed": result.passed,
        "top": result.top,
        "top_prob": result.top_prob,
        "effect": result.effect,
        "detail": case.note or result.detail,
    }


def _wire_run(summary: dict[str, Any]) -> dict[str, Any]:
    return {**summary, "lens_target": to_wire(summary["lens_target"], "float32")}
