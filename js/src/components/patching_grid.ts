/**
 * The patching grid: a CSS grid of `rows × positions` divs coloured by the effect of patching
 * there (diverging map, 0 = corrupted behaviour, 1 = clean), under two rows of token labels
 * (clean on top, corrupted below, positions whose tokens differ marked).
 *
 * A grid arrives once per computation, so `set` simply rebuilds every cell; selection and
 * staleness changes touch only a class. Hover shows one shared tooltip element.
 */
import { divergingColour } from "../lib/colormap";
import { h } from "../lib/dom";
import { type ColorScale, scaleSigned } from "../lib/scale";
import { paletteOf } from "../lib/theme";
import { visibleToken } from "../lib/token_text";
import type { PatchGrid } from "../patching/types";
import { axisTitle, formatValue, quoteToken, rowName } from "./patch_labels";
import { ScaleLegend } from "./scale_legend";

export interface PatchingGridCallbacks {
  /** A cell was clicked. */
  onSelect(layer: number, position: number): void;
  /** An arrow key asked to move the selection by (dLayer, dPosition). */
  onMove(dLayer: number, dPosition: number): void;
  /** Escape: clear the selection. */
  onClear(): void;
}

const ARROWS: Record<string, [number, number]> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

export class PatchingGrid {
  readonly el: HTMLDivElement;
  private readonly axis: HTMLDivElement;
  private readonly table: HTMLDivElement;
  private readonly tooltip: HTMLDivElement;
  private readonly empty: HTMLDivElement;
  private grid: PatchGrid | null = null;
  private clean: readonly string[] = [];
  private corrupted: readonly string[] = [];
  private nCols = 0;
  /** `cells[row * nCols + position]`. */
  private cells: HTMLDivElement[] = [];
  private selected: HTMLDivElement | null = null;
  private colorScale: ColorScale = "linear";
  private readonly legend = new ScaleLegend(true);

  constructor(callbacks: PatchingGridCallbacks, signal: AbortSignal) {
    this.axis = h("div", { className: "ilw-patch-axis-title" });
    this.table = h("div", { className: "ilw-patch-table" });
    this.tooltip = h("div", { className: "ilw-patch-tooltip", attrs: { hidden: "" } });
    this.empty = h("div", { className: "ilw-patch-empty", text: "No patching results yet." });
    this.legend.set({ scale: "linear", max: 1, rowsNormalised: false });
    const legend = h("div", { className: "ilw-patch-legend" }, [
      this.legend.el,
      h("span", { className: "ilw-patch-legend-text", text: "0 = corrupted, 1 = clean" }),
    ]);
    this.el = h(
      "div",
      {
        className: "ilw-patching-grid",
        attrs: {
          tabindex: "0",
          "aria-label": "Patching effects. Arrow keys move the selected cell, Escape clears it.",
        },
      },
      [h("div", { className: "ilw-patch-body" }, [this.axis, this.table]), this.empty, legend, this.tooltip],
    );

    this.table.addEventListener(
      "click",
      (e) => {
        const cell = cellAt(e.target);
        if (cell) callbacks.onSelect(Number(cell.dataset.layer), Number(cell.dataset.position));
      },
      { signal },
    );
    this.table.addEventListener("pointerover", (e) => this.showTooltip(cellAt(e.target)), { signal });
    this.table.addEventListener("pointerleave", () => this.showTooltip(null), { signal });
    this.el.addEventListener(
      "keydown",
      (e) => {
        const move = ARROWS[e.key];
        if (move) callbacks.onMove(move[0], move[1]);
        else if (e.key === "Escape") callbacks.onClear();
        else return;
        e.preventDefault();
      },
      { signal },
    );
  }

  get rowCount(): number {
    return this.grid?.rows.length ?? 0;
  }

  get colCount(): number {
    return this.nCols;
  }

  /** Rebuild labels and cells. `grid` (if any) must have one column per clean token. */
  set(grid: PatchGrid | null, clean: readonly string[], corrupted: readonly string[]): void {
    this.grid = grid;
    this.clean = clean;
    this.corrupted = corrupted;
    const n = grid ? grid.nCols : clean.length;
    this.nCols = n;
    this.selected = null;
    this.showTooltip(null);
    this.el.dataset.rows = String(this.rowCount);
    this.el.dataset.cols = String(n);
    this.axis.textContent = grid ? axisTitle(grid.component) : "";
    this.empty.hidden = grid !== null;
    this.table.style.gridTemplateColumns = `auto repeat(${n}, var(--ilw-patch-cell-width))`;

    const children: HTMLElement[] = [];
    for (const [run, tokens] of [
      ["clean", clean],
      ["corrupted", corrupted],
    ] as const) {
      children.push(h("span", { className: "ilw-patch-run-label", text: run }));
      for (let p = 0; p < n; p++) {
        const diff = clean[p] !== corrupted[p];
        children.push(
          h("span", {
            className: diff ? "ilw-patch-token ilw-token-diff" : "ilw-patch-token",
            text: visibleToken(tokens[p] ?? ""),
            attrs: { "data-run": run, "data-position": String(p), title: JSON.stringify(tokens[p] ?? "") },
          }),
        );
      }
    }
    this.cells = [];
    grid?.rows.forEach((label, row) => {
      children.push(h("span", { className: "ilw-patch-row-label", text: label }));
      for (let p = 0; p < n; p++) {
        const cell = h("div", {
          className: "ilw-patch-cell",
          attrs: { "data-layer": String(row), "data-position": String(p) },
        });
        this.cells.push(cell);
        children.push(cell);
      }
    });
    this.table.replaceChildren(...children);
    this.repaint();
  }

  /** The colour scale of the effects (lib/scale.ts; scale maximum 1 = the clean behaviour). */
  setScale(scale: ColorScale): void {
    if (scale === this.colorScale) return;
    this.colorScale = scale;
    this.legend.set({ scale, max: 1, rowsNormalised: false });
    this.repaint();
  }

  /** Recolour the cells and the legend in the page's current colours. */
  repaint(): void {
    const palette = paletteOf(this.el);
    const effects = this.grid?.effects;
    this.cells.forEach((cell, i) => {
      const v = effects ? (effects[i] as number) : Number.NaN;
      cell.style.backgroundColor = divergingColour(scaleSigned(v, 1, this.colorScale), palette);
    });
    this.legend.repaint();
  }

  /** Outline cell (layer, position); touches only the old and the new cell. */
  setSelected(layer: number, position: number): void {
    const inRange = layer >= 0 && layer < this.rowCount && position >= 0 && position < this.nCols;
    const cell = inRange ? (this.cells[layer * this.nCols + position] ?? null) : null;
    if (cell === this.selected) return;
    this.selected?.classList.remove("ilw-selected");
    cell?.classList.add("ilw-selected");
    this.selected = cell;
  }

  /** Dim the grid while it shows another component or direction than the one asked for. */
  setStale(stale: boolean): void {
    this.el.classList.toggle("ilw-stale", stale);
  }

  private showTooltip(cell: HTMLElement | null): void {
    const grid = this.grid;
    const row = Number(cell?.dataset.layer);
    const p = Number(cell?.dataset.position);
    if (!cell || !grid) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.textContent = [
      `${rowName(grid.component, grid.rows[row] ?? String(row))} · position ${p}`,
      `clean ${quoteToken(this.clean[p])} · corrupted ${quoteToken(this.corrupted[p])}`,
      `effect ${formatValue(grid.effects[row * grid.nCols + p] as number)}`,
    ].join("\n");
    this.tooltip.style.left = `${cell.offsetLeft + cell.offsetWidth + 6}px`;
    this.tooltip.style.top = `${cell.offsetTop}px`;
    this.tooltip.hidden = false;
  }
}

function cellAt(target: EventTarget | null): HTMLElement | null {
  return target instanceof Element ? target.closest<HTMLElement>(".ilw-patch-cell") : null;
}
