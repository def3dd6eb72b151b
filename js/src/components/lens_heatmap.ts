/**
 * The logit-lens heatmap: a CSS grid of `(layers + 1) × steps` divs. Rows are lens rows
 * (top = model output, bottom = embeddings), columns are generation steps; colour is the
 * probability (or log-scaled rank) of the token finally chosen at that step.
 *
 * Cells are built once per shape. Data changes recolour them; step and selection changes
 * touch only the old and new column (or cell), so stepping through 256 × 31 cells stays cheap.
 */
import { cssColour } from "../lib/colormap";
import { h } from "../lib/dom";
import { paletteOf } from "../lib/theme";
import { shortLabel } from "../lib/token_text";
import type { LensData, LensMetric } from "../tracer/types";

/** Label of lens row `row` among `nRows` (`nRows - 1` = output, 0 = embeddings). */
export function lensRowLabel(row: number, nRows: number): string {
  if (row === nRows - 1) return "out";
  if (row === 0) return "emb";
  return `L${row}`;
}

/** Colour-scale index 0..255 for a probability (1 → darkest). */
export function probabilityIndex(p: number): number {
  return Number.isFinite(p) ? Math.round(Math.min(1, Math.max(0, p)) * 255) : 0;
}

/** Colour-scale index 0..255 for a rank on a log scale: rank 0 → 255, `maxRank` → 0. */
export function rankIndex(rank: number, maxRank: number): number {
  if (!(rank >= 0)) return 0;
  if (maxRank <= 0) return 255;
  return Math.round(255 * (1 - Math.log1p(Math.min(rank, maxRank)) / Math.log1p(maxRank)));
}

export class LensHeatmap {
  readonly el: HTMLDivElement;
  private readonly grid: HTMLDivElement;
  private nSteps = 0;
  private nRows = 0;
  /** `cells[step * nRows + row]`. */
  private cells: HTMLDivElement[] = [];
  private currentStep = -1;
  private selected: HTMLDivElement | null = null;
  /** The last `setData` arguments, for `repaint`. */
  private shown: [LensData | null, LensMetric, readonly string[]] = [null, "probability", []];

  constructor(onSelect: (step: number, row: number) => void, signal: AbortSignal) {
    this.grid = h("div", { className: "ilw-lens-grid" });
    this.el = h("div", { className: "ilw-lens-heatmap", attrs: { "aria-label": "Logit lens" } }, [this.grid]);
    this.el.addEventListener(
      "click",
      (e) => {
        const cell = (e.target as Element | null)?.closest<HTMLElement>(".ilw-lens-cell");
        if (!cell) return;
        const step = Number(cell.dataset.step);
        const row = Number(cell.dataset.layer);
        if (Number.isInteger(step) && Number.isInteger(row)) onSelect(step, row);
      },
      { signal },
    );
  }

  /** Rebuild the cells for `nSteps` columns and `nRows` lens rows (only when the shape changes). */
  setShape(nSteps: number, nRows: number): void {
    if (nSteps === this.nSteps && nRows === this.nRows) return;
    this.nSteps = nSteps;
    this.nRows = nRows;
    this.currentStep = -1;
    this.selected = null;
    this.grid.style.setProperty("--ilw-lens-steps", String(nSteps));
    this.cells = new Array(nSteps * nRows);
    const children: HTMLElement[] = [];
    for (let row = nRows - 1; row >= 0; row--) {
      children.push(h("span", { className: "ilw-lens-label", text: lensRowLabel(row, nRows) }));
      for (let step = 0; step < nSteps; step++) {
        const cell = h("div", {
          className: "ilw-lens-cell",
          attrs: { "data-layer": String(row), "data-step": String(step) },
        });
        this.cells[step * nRows + row] = cell;
        children.push(cell);
      }
    }
    this.grid.replaceChildren(...children);
  }

  /** Recolour every cell and rewrite its title. `lens` must match the current shape (or be null). */
  setData(lens: LensData | null, metric: LensMetric, tokens: readonly string[]): void {
    this.shown = [lens, metric, tokens];
    const palette = paletteOf(this.el);
    const n = this.nSteps * this.nRows;
    const ok = lens !== null && lens.nSteps === this.nSteps && lens.nRows === this.nRows;
    const probs = ok ? lens.probs : null;
    const ranks = ok ? lens.ranks : null;
    const entropy = ok ? lens.entropy : null;
    let maxRank = 0;
    if (ranks) for (let i = 0; i < ranks.length; i++) maxRank = Math.max(maxRank, ranks[i] as number);
    const useRank = metric === "rank" && ranks !== null;
    for (let i = 0; i < n; i++) {
      const cell = this.cells[i] as HTMLDivElement;
      const step = Math.floor(i / this.nRows);
      const row = i % this.nRows;
      // Data is [steps, rows] row-major, the same order as `cells`.
      const p = probs ? (probs[i] as number) : Number.NaN;
      const r = ranks ? (ranks[i] as number) : Number.NaN;
      const e = entropy ? (entropy[i] as number) : Number.NaN;
      const colour = useRank ? rankIndex(r, maxRank) : probs ? probabilityIndex(p) : -1;
      cell.style.backgroundColor = colour >= 0 ? cssColour(colour, palette) : "";
      const token = tokens[step];
      const lines = [
        `step ${step}${token === undefined ? "" : ` "${shortLabel(token, 24)}"`} · ${lensRowLabel(row, this.nRows)}`,
      ];
      if (probs) lines.push(`p = ${formatProbability(p)}`);
      if (ranks) lines.push(`rank ${r + 1}`);
      if (entropy) lines.push(`entropy ${Number.isFinite(e) ? e.toFixed(2) : String(e)} bits`);
      cell.setAttribute("title", lines.join("\n"));
    }
  }

  /** Recolour the cells in the page's current colours (after a theme change). */
  repaint(): void {
    this.setData(...this.shown);
  }

  /** Mark column `step` as the current step (touches only the old and the new column). */
  setCurrentStep(step: number): void {
    if (step === this.currentStep) return;
    this.toggleColumn(this.currentStep, false);
    this.currentStep = step >= 0 && step < this.nSteps ? step : -1;
    this.toggleColumn(this.currentStep, true);
  }

  /** Outline cell (step, row). */
  setSelected(step: number, row: number): void {
    const inRange = step >= 0 && step < this.nSteps && row >= 0 && row < this.nRows;
    const cell = inRange ? (this.cells[step * this.nRows + row] ?? null) : null;
    if (cell === this.selected) return;
    this.selected?.classList.remove("ilw-selected");
    cell?.classList.add("ilw-selected");
    this.selected = cell;
  }

  private toggleColumn(step: number, on: boolean): void {
    if (step < 0) return;
    for (let row = 0; row < this.nRows; row++) {
      this.cells[step * this.nRows + row]?.classList.toggle("ilw-current-step", on);
    }
  }
}

export function formatProbability(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  return p !== 0 && p < 0.001 ? p.toExponential(2) : p.toFixed(3);
}
