/**
 * The side-by-side of the selected case: what the case checks, the original and perturbed runs
 * next to each other (tokens, top next tokens, logit lens) and the grid of how much each
 * head's attention changed. A hint stands in while no case is selected or computed; a case
 * other than the selected one stays on screen dimmed until Python sends the new one.
 */

import type { FailureCase, SideBySide } from "../failure/types";
import { h } from "../lib/dom";
import { runColumn } from "./failure_run";
import { HeadDiffGrid } from "./head_diff_grid";
import { quoteToken } from "./patch_labels";

export class SideBySidePanel {
  readonly el: HTMLDivElement;
  private readonly hint: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly title: HTMLDivElement;
  private readonly detail: HTMLDivElement;
  private readonly target: HTMLDivElement;
  private readonly runs: HTMLDivElement;
  private readonly noOriginal: HTMLDivElement;
  private readonly heads = new HeadDiffGrid();
  private shown: SideBySide | null = null;

  constructor() {
    this.hint = h("div", { className: "ilw-side-hint" });
    this.title = h("div", { className: "ilw-side-title" });
    this.detail = h("div", { className: "ilw-side-detail" });
    this.target = h("div", { className: "ilw-side-target" });
    this.runs = h("div", { className: "ilw-runs" });
    this.noOriginal = h("div", {
      className: "ilw-no-original",
      text: "This case has no original prompt, so there is nothing to compare: only the tested prompt is shown.",
    });
    this.body = h("div", { className: "ilw-side-body" }, [
      this.title,
      this.detail,
      this.target,
      this.noOriginal,
      h("div", { className: "ilw-side-main" }, [this.runs, this.heads.el]),
    ]);
    this.el = h("div", { className: "ilw-side-by-side" }, [this.hint, this.body]);
  }

  /**
   * Show `sbs` for the case `selected` (-1: none). `info` is the table entry of `sbs`'s case,
   * for the title. Runs are rebuilt only when `sbs` is a new object.
   */
  set(sbs: SideBySide | null, selected: number, info: FailureCase | undefined): void {
    const stale = sbs !== null && sbs.caseId !== selected;
    this.el.classList.toggle("ilw-stale", selected >= 0 && stale);
    if (sbs && selected >= 0) this.el.dataset.case = String(sbs.caseId);
    else delete this.el.dataset.case;
    if (selected < 0 || sbs === null) {
      this.hint.textContent =
        selected < 0
          ? "Click a case in the table to look inside the model: original and perturbed runs side by side."
          : `Computing case ${selected}…`;
      this.hint.hidden = false;
      this.body.hidden = true;
      return;
    }
    this.hint.hidden = !stale;
    this.hint.textContent = stale ? `Computing case ${selected}… (still showing case ${sbs.caseId})` : "";
    this.body.hidden = false;
    this.setTitle(sbs, info);
    if (sbs === this.shown) return;
    this.shown = sbs;
    const runs = [
      runColumn("perturbed", sbs.original ? "perturbed prompt" : "tested prompt", sbs.perturbed, sbs.target),
    ];
    if (sbs.original) runs.unshift(runColumn("original", "original prompt", sbs.original, sbs.target));
    this.runs.replaceChildren(...runs);
    this.noOriginal.hidden = sbs.original !== null;
    this.heads.set(sbs.headDiff, sbs.headDiffLabel);
  }

  /** Recolour what is painted in the page's colours (the head difference grid), after a theme change. */
  repaint(): void {
    this.heads.repaint();
  }

  private setTitle(sbs: SideBySide, info: FailureCase | undefined): void {
    const parts: Node[] = [h("span", { className: "ilw-side-case", text: `Case ${sbs.caseId}` })];
    if (info) {
      parts.unshift(
        h("span", {
          className: info.passed ? "ilw-badge ilw-badge-pass" : "ilw-badge ilw-badge-fail",
          text: info.passed ? "✓ pass" : "✗ fail",
        }),
      );
      parts.push(
        h("span", { className: "ilw-case-kind", text: info.kind }),
        h("span", { className: "ilw-case-capability", text: info.capability }),
        h("span", { className: "ilw-side-expected", text: `check: ${info.expected}` }),
      );
    }
    this.title.replaceChildren(...parts);
    this.detail.textContent = info?.detail ?? "";
    this.detail.hidden = !info?.detail;
    this.target.textContent = `Lens bars: the probability of ${quoteToken(sbs.target)} read out at each layer.`;
  }
}
