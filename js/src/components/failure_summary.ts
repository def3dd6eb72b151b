/**
 * The summary by perturbation kind: one row per kind (cases, failed, failure rate with a bar,
 * mean effect) under an "all kinds" row. Clicking a kind filters the cases table to it; clicking
 * it again or the "all" row clears the filter. Rows are focusable and answer Enter and Space too.
 */

import type { KindSummary } from "../failure/types";
import { h } from "../lib/dom";
import { formatEffect, formatPercent } from "./failure_format";

const COLUMNS = ["kind", "cases", "failed", "failure rate", "mean effect"];

export class FailureSummary {
  readonly el: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;
  private active = "";

  /** `onFilter(kind)`: show only `kind`'s cases, "" for all. */
  constructor(onFilter: (kind: string) => void, signal: AbortSignal) {
    this.body = h("tbody");
    this.el = h("table", { className: "ilw-failure-summary" }, [
      h("caption", { text: "By perturbation kind (click to filter)" }),
      h("thead", {}, [
        h(
          "tr",
          {},
          COLUMNS.map((text) => h("th", { text, attrs: { scope: "col" } })),
        ),
      ]),
      this.body,
    ]);
    const pick = (target: EventTarget | null) => {
      const row = target instanceof Element ? target.closest<HTMLElement>("tr[data-kind]") : null;
      if (!row) return false;
      const kind = row.dataset.kind ?? "";
      onFilter(kind === this.active ? "" : kind);
      return true;
    };
    this.body.addEventListener("click", (e) => pick(e.target), { signal });
    this.body.addEventListener(
      "keydown",
      (e) => {
        if ((e.key === "Enter" || e.key === " ") && pick(e.target)) e.preventDefault();
      },
      { signal },
    );
  }

  set(kinds: readonly KindSummary[]): void {
    let n = 0;
    let failed = 0;
    let effectSum = 0;
    for (const k of kinds) {
      n += k.n;
      failed += k.failed;
      effectSum += k.n * k.meanEffect;
    }
    const all: KindSummary = {
      kind: "",
      n,
      failed,
      failureRate: n > 0 ? failed / n : 0,
      meanEffect: n > 0 ? effectSum / n : 0,
    };
    this.body.replaceChildren(summaryRow(all, "all kinds"), ...kinds.map((k) => summaryRow(k, k.kind)));
    this.setActive(this.active);
  }

  /** Mark the row of the kind the table is filtered to ("" marks none). */
  setActive(kind: string): void {
    this.active = kind;
    for (const row of this.body.querySelectorAll<HTMLElement>("tr[data-kind]")) {
      const on = kind !== "" && row.dataset.kind === kind;
      row.classList.toggle("ilw-active", on);
      if (on) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  }
}

function summaryRow(k: KindSummary, label: string): HTMLTableRowElement {
  const bar = h("span", { className: "ilw-rate-bar" });
  bar.style.width = `${Math.min(100, Math.max(0, 100 * k.failureRate)).toFixed(1)}%`;
  return h(
    "tr",
    {
      className: k.kind === "" ? "ilw-summary-all" : "",
      attrs: { "data-kind": k.kind, tabindex: "0" },
    },
    [
      h("td", { className: "ilw-summary-kind", text: label }),
      h("td", { className: "ilw-num", text: k.n.toLocaleString("en-US") }),
      h("td", { className: "ilw-num", text: k.failed.toLocaleString("en-US") }),
      h("td", { className: "ilw-summary-rate" }, [
        h("span", { className: "ilw-rate-track" }, [bar]),
        h("span", { className: "ilw-num", text: formatPercent(k.failureRate) }),
      ]),
      h("td", { className: "ilw-num", text: formatEffect(k.meanEffect) }),
    ],
  );
}
