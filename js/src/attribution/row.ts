/**
 * One method's row: its label (method, target, completeness error and steps for integrated
 * gradients, the warning when there is one), the prompt's tokens as the shared signed heat strip
 * (components/signed_strip.ts: diverging colours symmetric around 0, this row's largest |score| is
 * full colour, with its legend) and the faithfulness curves. Token text is data: `textContent` only.
 */
import { formatPercent } from "../components/patch_cell_panel";
import { formatValue } from "../components/patch_labels";
import { SignedStrip } from "../components/signed_strip";
import { methodLabel } from "../components/tracer_attribution";
import type { Palette } from "../lib/colormap";
import { h, moveMark } from "../lib/dom";
import { FaithfulnessChart } from "./curves";
import type { AttributionRow } from "./types";

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
  /** One cell per token, `data-token-index` = position. */
  private readonly cells: HTMLElement[];
  private readonly strip: SignedStrip;
  private hover = -1;
  private pinned = -1;

  constructor(
    readonly row: AttributionRow,
    tokens: readonly string[],
    /** The page's colours (lib/theme.ts `paletteOf`): the row is built before it is in the page. */
    palette: Palette,
  ) {
    const strip = new SignedStrip("red raises the target, blue lowers it");
    this.strip = strip;
    strip.set(tokens, row.scores, row.attributed, palette);
    this.cells = [...strip.el.querySelectorAll<HTMLElement>(".ilw-signed-cell")];

    const details = detailsText(row);
    const warning = h("div", {
      className: "ilw-attr-warning",
      text: row.warning === "" ? "" : `⚠ ${row.warning}`,
      attrs: row.warning === "" ? { hidden: "" } : { role: "note" },
    });
    const label = h("div", { className: "ilw-attr-row-label" }, [
      h("span", { className: "ilw-attr-method", text: methodLabel(row.method) }),
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
    const chart = new FaithfulnessChart();
    chart.set(row.faithfulness, row.target);
    this.el = h("div", { className: "ilw-attr-row", attrs: { "data-method": row.method } }, [
      h("div", { className: "ilw-attr-row-main" }, [label, strip.el, warning]),
      chart.el,
    ]);
  }

  /** Recolour the strip in the page's current colours (after a theme change). */
  repaint(): void {
    this.strip.repaint();
  }

  /** Dim the row while it answers other choices than the current ones. */
  setStale(stale: boolean): void {
    this.el.classList.toggle("ilw-stale", stale);
  }

  setHover(index: number): void {
    this.hover = moveMark(this.cells, "ilw-hover", this.hover, index);
  }

  setPinned(index: number): void {
    this.pinned = moveMark(this.cells, "ilw-pinned", this.pinned, index);
  }
}
