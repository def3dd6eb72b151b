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
from ..failures.cases import Case, CaseResult, run_cases, token_id
from ..failures.compare import changed_tokens, last_token_attention_shift, run_summary
from ..failures.suites import load_suite
from ..models import ModelHandle, load_model
from .live import LiveWidget
from .static_html import StaticExport
from .view_support import static_asset
from .wire import to_wire


class FailureExplorer(StaticExport, LiveWidget):
    """A behavioural test suite's results as a sortable table, with original vs perturbed internals per case.

    Args:
        model: a :class:`ModelHandle`, a name for :func:`load_model`, or a causal ``PreTrainedModel``.
        cases: a list of :class:`~interplab_widgets.failures.Case`, or shipped suite names
            (``"all"``, ``"negation"``, ``["typos", "bias"]``; see :data:`~interplab_widgets.failures.SUITES`).
        batch_size: prompts per forward pass.
    """

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
        if isinstance(cases, str) or (cases and all(isinstance(c, str) for c in cases)):
            cases = load_suite(cases if isinstance(cases, str) else list(cases), model=self.handle)
        self.results: list[CaseResult] = run_cases(self.handle, list(cases), batch_size=batch_size)
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
