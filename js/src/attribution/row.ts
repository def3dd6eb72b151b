/**
 * One method's row: its label (method, target, completeness error and steps for integrated
 * gradients, the warning when there is one), the prompt's tokens coloured by its scores on a scale
 * symmetric around 0 (this row's largest |score| is full colour), the scale's legend and the
 * faithfulness curves. Token text is data: set with `textContent` only.
 */

import { formatPercent } from "../components/patch_cell_panel";
import { formatValue } from "../components/patch_labels";
import { cssColour, divergingColour } from "../lib/colormap";
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";
import { FaithfulnessChart } from "./curves";
import { formatScore, methodName } from "./format";
import type { AttributionRow } from "./types";

/** The largest |score| over attributed tokens (0 when none): the end of this row's colour scale. */
export function scaleOf(row: AttributionRow): number {
  let max = 0;
  for (let i = 0; i < row.scores.length; i++) {
    const v = Math.abs(row.scores[i] as number);
    if (row.attributed[i] && Number.isFinite(v) && v > max) max = v;
  }
  return max;
}

/** The background of a token scored `score` in a row whose scale ends at `scale`. */
export function tokenColour(score: number, scale: number, signed: boolean): string {
  if (!Number.isFinite(score)) return "";
  const x = scale > 0 ? score / scale : 0;
  return signed ? divergingColour(x) : cssColour(Math.max(0, x) * 255);
}

/** What the label says about how far to trust the scores (integrated gradients, the layer read). */
export function detailsText(row: AttributionRow): string {
  const parts: string[] = [];
  if (row.completenessError !== null) {
    parts.push(`completeness error ${formatPercent(row.completenessError)}`);
  }
  if (row.steps !== null) parts.push(`${row.steps} steps`);
  if (row.layer !== null) parts.push(`layer ${row.layer}`);
  return parts.join(" · ");
}

export class AttributionRowView {
  readonly el: HTMLDivElement;
  /** One span per token, `data-token-index` = position. */
  private spans: HTMLSpanElement[] = [];
  private readonly tokensEl: HTMLDivElement;
  private readonly chart = new FaithfulnessChart();
  private hover = -1;
  private pinned = -1;

  constructor(
    readonly row: AttributionRow,
    tokens: readonly string[],
  ) {
    const scale = scaleOf(row);
    this.tokensEl = h("div", { className: "ilw-attr-tokens", attrs: { "aria-label": "Tokens" } });
    this.spans = tokens.map((token, i) => {
      const attributed = row.attributed[i] !== 0;
      const score = row.scores[i] as number;
      const span = h("span", {
        className: `ilw-attr-token${token.startsWith(" ") ? " ilw-lead-space" : ""}${attributed ? "" : " ilw-attr-fixed"}`,
        text: visibleToken(token),
        attrs: {
          "data-token-index": String(i),
          "data-score": String(score),
          title: `${i}: ${JSON.stringify(token)} ${attributed ? formatScore(score) : "kept fixed, no score"}`,
        },
      });
      if (attributed) span.style.backgroundColor = tokenColour(score, scale, row.signed);
      return span;
    });
    this.tokensEl.replaceChildren(...this.spans);

    const details = detailsText(row);
    const warning = h("div", {
      className: "ilw-attr-warning",
      text: row.warning === "" ? "" : `⚠ ${row.warning}`,
      attrs: row.warning === "" ? { hidden: "" } : { role: "note" },
    });
    const label = h("div", { className: "ilw-attr-row-label" }, [
      h("span", { className: "ilw-attr-method", text: methodName(row.method) }),
      h("span", {
        className: "ilw-attr-target",
        text: `${row.target} = ${formatValue(row.value)} (baseline ${formatValue(row.baselineValue)})`,
      }),
      h("span", {
        className: "ilw-attr-details",
        text: details,
        attrs: details === "" ? { hidden: "" } : {},
      }),
    ]);
    this.chart.set(row.faithfulness, row.target);
    this.el = h("div", { className: "ilw-attr-row", attrs: { "data-method": row.method } }, [
      h("div", { className: "ilw-attr-row-main" }, [
        label,
        this.tokensEl,
        legend(scale, row.signed),
        warning,
      ]),
      this.chart.el,
    ]);
  }

  /** Dim the row while it answers other choices than the current ones. */
  setStale(stale: boolean): void {
    this.el.classList.toggle("ilw-stale", stale);
  }

  setHover(index: number): void {
    this.hover = this.moveClass("ilw-hover", this.hover, index);
  }

  setPinned(index: number): void {
    this.pinned = this.moveClass("ilw-pinned", this.pinned, index);
  }

  private moveClass(className: string, from: number, to: number): number {
    if (from === to) return to;
    this.spans[from]?.classList.remove(className);
    const span = this.spans[to];
    span?.classList.add(className);
    return span ? to : -1;
  }
}

/** The colour scale of a row: −max … 0 … +max (signed) or 0 … max. */
function legend(scale: number, signed: boolean): HTMLDivElement {
  const bar = h("span", { className: "ilw-attr-legend-bar" });
  const stops = signed ? [-1, -0.5, 0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1];
  bar.style.background = `linear-gradient(to right, ${stops.map((x) => tokenColour(x, 1, signed)).join(", ")})`;
  return h("div", { className: "ilw-attr-legend" }, [
    h("span", { className: "ilw-attr-legend-low", text: signed ? formatScore(-scale) : "0" }),
    bar,
    h("span", { className: "ilw-attr-legend-high", text: formatScore(scale) }),
    h("span", {
      className: "ilw-attr-legend-text",
      text: signed ? "red raises the target, blue lowers it" : "darker: larger score",
    }),
  ]);
}
