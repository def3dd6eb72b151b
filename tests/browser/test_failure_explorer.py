"""FailureExplorer end to end: SmolLM2-135M runs the negation, typo and bias suites in a real kernel; the view in
JupyterLab 4 shows the table and summary, and a click on a case brings its side-by-side from the kernel.

DOM contract checked here (the view is ``js/src/failure_explorer.ts``; /tmp/contracts/failure_view.md):

- root ``.ilw-failure-explorer`` (``data-lm-suppress-shortcuts``), ``ilw-is-busy`` while Python computes; header
  ``.ilw-failure-counts`` ("N cases · F failed"); error banner ``.ilw-error``;
- summary ``table.ilw-failure-summary`` with one ``tr[data-kind]`` per kind under an "all" row ``tr[data-kind=""]``;
- cases ``table.ilw-cases``: ``th[data-sort]`` headers (``aria-sort`` on the active one), one
  ``tr.ilw-case[data-case]`` per case, ``ilw-failed`` for failures, ``ilw-selected`` for the selected one;
- side-by-side ``.ilw-side-by-side`` (``data-case``; ``ilw-stale`` while it shows another case than the selected
  one): ``.ilw-run[data-run=original|perturbed]`` with ``.ilw-token`` (``ilw-changed``), ``ol.ilw-run-top li`` and
  ``.ilw-lens-layer[data-layer]`` rows; ``.ilw-head-diff`` with ``.ilw-head-diff-cell[data-layer][data-head]``;
  ``.ilw-no-original`` when the case has no original prompt.

Kernel traits: ``selected_case``, ``_cases``, ``_summary``, ``_side_by_side``, ``_busy``, ``_error``.

Run with ``-s`` to see the timings.
"""

from __future__ import annotations

import json
import math
import re
import time

import pytest
from playwright.sync_api import Locator, expect

pytestmark = pytest.mark.slow  # loads SmolLM2-135M in the kernel and runs 120 cases

N_LAYERS, N_HEADS = 30, 9  # SmolLM2-135M
N_LENS_ROWS = N_LAYERS + 1  # the embeddings, then the residual after each block
SUITES = ["negation", "typos", "bias"]
NEGATED = "The Eiffel Tower is not located in the city of"  # negation of a fact: " Paris" must not come next
BIAS_PROMPT = "The nurse said that"  # a bias probe: no original prompt, so nothing to compare

# Model load + 120 cases (each distinct prompt once, batched): about a minute on a busy 2-core machine.
RUN_ALL_TIMEOUT = 480.0
SIDE_TIMEOUT_MS = 120_000  # both prompts traced, lens and attention shift, from a comm message

STALE = re.compile(r"(^|\s)ilw-stale(\s|$)")
SELECTED = re.compile(r"(^|\s)ilw-selected(\s|$)")
BUSY = re.compile(r"(^|\s)ilw-is-busy(\s|$)")

EXPLORER_CELL = f"from interplab_widgets import FailureExplorer\nw = FailureExplorer('smollm2-135m', {SUITES!r})\nw"

# Runs in the page, before the click: records when the row is clicked (capture phase, so before the
# table's own handler) and when the side-by-side first shows that case (not stale, its runs and lens rows).
_ARM_TIMING_JS = """
([root, caseId, nRuns, nLens]) => {
  const side = root.querySelector('.ilw-side-by-side');
  const row = root.querySelector(`tr.ilw-case[data-case="${caseId}"]`);
  const timing = { clickedAt: null, shownAt: null };
  root.__ilwTiming = timing;
  const shows = () => !side.classList.contains('ilw-stale')
    && side.dataset.case === String(caseId)
    && side.querySelectorAll('.ilw-run').length === nRuns
    && [...side.querySelectorAll('.ilw-run')].every(r => r.querySelectorAll('.ilw-lens-layer').length === nLens);
  row.addEventListener('click', () => { timing.clickedAt = performance.now(); }, { capture: true, once: true });
  const obs = new MutationObserver(() => {
    if (timing.clickedAt !== null && shows()) { timing.shownAt = performance.now(); obs.disconnect(); }
  });
  obs.observe(root, { attributes: true, childList: true, subtree: true, characterData: true });
}
"""


def explorer(nb, code_cell: int) -> Locator:
    """The FailureExplorer root displayed by the ``code_cell``-th code cell."""
    return nb.code_cell(code_cell).locator(".ilw-failure-explorer")


def kernel_json(nb, expression: str):
    return json.loads(nb.kernel_eval(f"__import__('json').dumps({expression})"))


def _num(x: float) -> float:
    """As the view compares: NaN is the smallest number."""
    return -math.inf if math.isnan(x) else x


def default_order(cases: list[dict]) -> list[int]:
    """The view's order before any header is clicked: failures first, then largest |effect|, then id."""
    return [c["id"] for c in sorted(cases, key=lambda c: (c["passed"], -_num(abs(c["effect"])), c["id"]))]


def effect_descending(cases: list[dict]) -> list[int]:
    """The view's order after one click on the effect header: largest effect first, ties as by default."""
    key = lambda c: (-_num(c["effect"]), c["passed"], -_num(abs(c["effect"])), c["id"])  # noqa: E731
    return [c["id"] for c in sorted(cases, key=key)]


def shown_order(rows: Locator) -> list[int]:
    return rows.evaluate_all("els => els.map(e => Number(e.dataset.case))")


def texts(locator: Locator) -> list[str]:
    # textContent, not Playwright's whitespace-normalised text: the leading space is part of a token.
    return locator.evaluate_all("els => els.map(e => e.textContent)")


def click_case(nb, root: Locator, case_id: int, n_runs: int, *, replaces_shown: bool = False) -> float:
    """Click case ``case_id``'s row; wait until the side-by-side shows it in ``n_runs`` runs; returns
    click-to-shown ms. ``replaces_shown``: another case is shown, and must stay (dimmed) until the new one comes."""
    row = root.locator(f'tr.ilw-case[data-case="{case_id}"]')
    row.scroll_into_view_if_needed()
    nb.page.evaluate(_ARM_TIMING_JS, [root.element_handle(), case_id, n_runs, N_LENS_ROWS])
    row.locator("td.ilw-case-id").click()
    if replaces_shown:
        expect(root.locator(".ilw-side-by-side")).to_have_class(STALE)
    expect(row).to_have_class(SELECTED)
    expect(root.locator("tr.ilw-case.ilw-selected")).to_have_count(1)
    nb.page.wait_for_function(
        "root => root.__ilwTiming.shownAt !== null", arg=root.element_handle(), timeout=SIDE_TIMEOUT_MS, polling=100
    )
    timing = root.evaluate("root => root.__ilwTiming")
    return timing["shownAt"] - timing["clickedAt"]


def kernel_run(nb, run: str) -> dict:
    """``w._side_by_side[run]`` as JSON, the lens target probabilities decoded from the wire."""
    code = (
        "import json as _json\n"
        "from interplab_widgets.widgets.wire import from_wire as _from_wire\n"
        f"_run = w._side_by_side[{run!r}]\n"
        "print(_json.dumps({**_run, 'lens_target': _from_wire(_run['lens_target']).tolist()}))"
    )
    return json.loads(nb.kernel_exec(code))


def check_run(run: Locator, expected: dict) -> None:
    """One run column shows the kernel's tokens (changed ones marked), top-5 and one lens row per layer,
    each with a bar as wide as the target's probability there."""
    assert texts(run.locator(".ilw-token")) == expected["tokens"]
    changed = run.locator(".ilw-token").evaluate_all("els => els.map(e => e.classList.contains('ilw-changed'))")
    assert changed == expected["changed"]
    expect(run.locator("ol.ilw-run-top li")).to_have_count(len(expected["top"]))
    lens = run.locator(".ilw-lens-column .ilw-lens-layer[data-layer]")
    expect(lens).to_have_count(N_LENS_ROWS)
    assert lens.evaluate_all("els => els.map(e => e.dataset.layer)") == [str(i) for i in range(N_LENS_ROWS)]
    assert texts(lens.locator(".ilw-lens-top")) == expected["lens_top"]
    widths = lens.locator(".ilw-lens-prob .ilw-bar").evaluate_all("els => els.map(e => parseFloat(e.style.width))")
    assert len(widths) == N_LENS_ROWS
    for width, p in zip(widths, expected["lens_target"], strict=True):
        assert abs(width - 100 * p) <= 0.051, (width, p)


def test_failure_explorer_table_and_side_by_side(jupyter, open_notebook):
    name = "failure_explorer.ipynb"
    jupyter.write_notebook(name, [EXPLORER_CELL])
    nb = open_notebook(name, "lab")
    started = time.monotonic()
    nb.run_all(timeout=RUN_ALL_TIMEOUT)
    root = nb.wait_rendered(explorer(nb, 0), timeout=120)
    print(f"\nrun all + render s: {time.monotonic() - started:.1f}  (model load + {SUITES} suites, JupyterLab)")

    cases = kernel_json(nb, "w._cases")
    summary = kernel_json(nb, "w._summary")
    assert nb.kernel_eval("(len(w._cases), len(w.results), w.selected_case, w._error)") == (
        f"({len(cases)}, {len(cases)}, -1, '')"
    )
    failed = {c["id"] for c in cases if not c["passed"]}
    assert 0 < len(failed) < len(cases)
    assert sorted(s["kind"] for s in summary) == ["bias", "negation", "typo"]
    print(
        f"cases: {len(cases)}, failed {len(failed)}; "
        + ", ".join(f"{s['kind']} {s['failed']}/{s['n']}" for s in summary)
    )

    # The header, and no error.
    expect(root).to_have_attribute("data-lm-suppress-shortcuts", "true")
    expect(root.locator(".ilw-error")).to_be_hidden()
    expect(root).not_to_have_class(BUSY)
    expect(root.locator(".ilw-failure-counts")).to_have_text(f"{len(cases)} cases · {len(failed)} failed")

    # The summary: one row per kind, with the kernel's counts, under the "all kinds" row.
    kinds = root.locator('table.ilw-failure-summary tr[data-kind]:not([data-kind=""])')
    expect(kinds).to_have_count(len(summary))
    shown = kinds.evaluate_all(
        "els => els.map(e => [e.dataset.kind, ...[...e.cells].slice(1, 3).map(c => c.textContent)])"
    )
    assert shown == [[s["kind"], str(s["n"]), str(s["failed"])] for s in summary]
    all_row = root.locator('table.ilw-failure-summary tr[data-kind=""]')
    expect(all_row).to_have_count(1)
    assert texts(all_row.locator("td").nth(1)) + texts(all_row.locator("td").nth(2)) == [
        str(len(cases)),
        str(len(failed)),
    ]

    # The table: one row per kernel case, failures marked, in the default order (failures, then |effect|).
    table = root.locator("table.ilw-cases")
    rows = table.locator("tbody tr.ilw-case")
    expect(rows).to_have_count(len(cases))
    expect(table.locator("tr.ilw-case.ilw-failed")).to_have_count(len(failed))
    failed_shown = table.locator("tr.ilw-case.ilw-failed").evaluate_all("els => els.map(e => Number(e.dataset.case))")
    assert set(failed_shown) == failed
    before = shown_order(rows)
    assert before == default_order(cases)
    expect(table.locator("th[aria-sort]")).to_have_count(0)
    expect(root.locator("tr.ilw-case.ilw-selected")).to_have_count(0)
    expect(root.locator(".ilw-side-by-side .ilw-run")).to_have_count(0)

    # Sorting by effect: the same rows, largest effect first.
    effect_header = table.locator('th[data-sort="effect"]')
    effect_header.click()
    expect(effect_header).to_have_attribute("aria-sort", "descending")
    expect(table.locator("th[aria-sort]")).to_have_count(1)
    after = shown_order(rows)
    assert after == effect_descending(cases)
    assert after[0] != before[0], "sorting by effect left the same case first"
    print(f"first row: case {before[0]} by default, case {after[0]} by effect")

    # View -> kernel -> view: a click on the negated Eiffel Tower case brings both runs from the kernel.
    (eiffel,) = [c for c in cases if c["prompt"] == NEGATED]
    assert eiffel["kind"] == "negation" and eiffel["original"] == NEGATED.replace(" not", "")
    click_ms = click_case(nb, root, eiffel["id"], 2)
    print(f"click-to-side-by-side ms: {click_ms:.1f}  (case {eiffel['id']}, negation: 2 runs traced in the kernel)")
    nb.wait_kernel_value("(w.selected_case, w._side_by_side['case'])", f"({eiffel['id']}, {eiffel['id']})")
    side = root.locator(".ilw-side-by-side")
    expect(side).not_to_have_class(STALE)
    expect(side).to_have_attribute("data-case", str(eiffel["id"]))
    runs = side.locator(".ilw-run")
    expect(runs).to_have_count(2)
    assert runs.evaluate_all("els => els.map(e => e.dataset.run)") == ["original", "perturbed"]
    for run in ("original", "perturbed"):
        check_run(side.locator(f'.ilw-run[data-run="{run}"]'), kernel_run(nb, run))
    perturbed_changed = side.locator('.ilw-run[data-run="perturbed"] .ilw-token.ilw-changed')
    expect(perturbed_changed).to_have_count(1)
    assert texts(perturbed_changed) == [" not"]
    expect(side.locator('.ilw-run[data-run="original"] .ilw-token.ilw-changed')).to_have_count(0)
    cells = side.locator(".ilw-head-diff .ilw-head-diff-cell[data-layer][data-head]")
    expect(cells).to_have_count(N_LAYERS * N_HEADS)
    pairs = cells.evaluate_all("els => els.map(e => `${e.dataset.layer},${e.dataset.head}`)")
    assert pairs == [f"{layer},{head}" for layer in range(N_LAYERS) for head in range(N_HEADS)]
    expect(side.locator(".ilw-no-original")).to_be_hidden()
    expect(root.locator(".ilw-error")).to_be_hidden()
    nb.screenshot("failure_explorer", root)  # header, summary, the table sorted by effect, the selected row
    nb.screenshot("failure_explorer_side_by_side", side)
    nb.screenshot_dark("failure_explorer_dark", side)

    # A bias probe has no original: only the tested prompt's column, no head grid.
    (bias,) = [c for c in cases if c["prompt"] == BIAS_PROMPT]
    assert bias["kind"] == "bias" and bias["original"] == ""
    click_ms = click_case(nb, root, bias["id"], 1, replaces_shown=True)
    print(f"click-to-side-by-side ms: {click_ms:.1f}  (case {bias['id']}, bias: 1 run traced in the kernel)")
    nb.wait_kernel_value("(w.selected_case, w._side_by_side['case'])", f"({bias['id']}, {bias['id']})")
    expect(side).not_to_have_class(STALE)
    expect(side).to_have_attribute("data-case", str(bias["id"]))
    expect(runs).to_have_count(1)
    assert runs.evaluate_all("els => els.map(e => e.dataset.run)") == ["perturbed"]
    assert nb.kernel_eval("(w._side_by_side['original'], w._side_by_side['head_diff'])") == "(None, None)"
    check_run(side.locator('.ilw-run[data-run="perturbed"]'), kernel_run(nb, "perturbed"))
    expect(side.locator(".ilw-token.ilw-changed")).to_have_count(0)
    expect(side.locator(".ilw-no-original")).to_be_visible()
    expect(side.locator(".ilw-head-diff")).to_be_hidden()
    expect(side.locator(".ilw-head-diff-cell")).to_have_count(0)
    expect(root.locator(".ilw-error")).to_be_hidden()
    expect(root).not_to_have_class(BUSY)
    nb.screenshot("failure_explorer_bias", side)
