/**
 * The head difference grid: one cell per (layer, head), coloured by how much that head's
 * attention from the last token changed between the two runs on the sequential map of the page's
 * palette (0 is the page background, 1 the map's strong end), with the value in its tooltip, a
 * colour legend and the head that changed most named below. `repaint` recolours in the page's
 * current theme (the view calls it through `ViewShell.onTheme`).
 */

import type { HeadDiff } from "../failure/types";
import { cssColour } from "../lib/colormap";
import { h } from "../lib/dom";
import { paletteOf } from "../lib/theme";

export class HeadDiffGrid {
  readonly el: HTMLDivElement;
  private readonly title: HTMLDivElement;
  private readonly grid: HTMLDivElement;
  private readonly note: HTMLDivElement;
  private readonly scale: HTMLSpanElement;
  /** The cells shown, row-major `[layers, heads]`, and their values. */
  private cells: HTMLElement[] = [];
  private values: Float32Array = new Float32Array(0);

  constructor() {
    this.title = h("div", { className: "ilw-head-diff-title" });
    this.grid = h("div", { className: "ilw-head-diff-grid" });
    this.note = h("div", { className: "ilw-head-diff-note" });
    this.scale = h("span", { className: "ilw-head-diff-scale" });
    const legend = h("div", { className: "ilw-head-diff-legend" }, [
      h("span", { text: "0 same" }),
      this.scale,
      h("span", { text: "1 completely different" }),
    ]);
    this.el = h("div", { className: "ilw-head-diff" }, [this.title, this.grid, legend, this.note]);
  }

  /** Show `diff` under `label`; hidden without one. */
  set(diff: HeadDiff | null, label: string): void {
    this.el.hidden = diff === null;
    if (!diff) {
      this.grid.replaceChildren();
      this.cells = [];
      this.values = new Float32Array(0);
      return;
    }
    this.title.textContent = label;
    const { nLayers, nHeads, values } = diff;
    this.grid.style.gridTemplateColumns = `auto repeat(${nHeads}, var(--ilw-head-diff-cell))`;
    const children: HTMLElement[] = [h("span")];
    const cells: HTMLElement[] = [];
    for (let head = 0; head < nHeads; head++) {
      children.push(h("span", { className: "ilw-grid-label", text: `H${head}` }));
    }
    let best = -1;
    for (let layer = 0; layer < nLayers; layer++) {
      children.push(h("span", { className: "ilw-grid-label", text: `L${layer}` }));
      for (let head = 0; head < nHeads; head++) {
        const i = layer * nHeads + head;
        const v = values[i] as number;
        const cell = h("span", {
          className: "ilw-head-diff-cell",
          attrs: {
            "data-layer": String(layer),
            "data-head": String(head),
            title: `layer ${layer}, head ${head}: ${formatDiff(v)}`,
          },
        });
        cells.push(cell);
        children.push(cell);
        if (Number.isFinite(v) && (best < 0 || v > (values[best] as number))) best = i;
      }
    }
    this.grid.replaceChildren(...children);
    this.cells = cells;
    this.values = values;
    this.repaint();
    this.note.textContent =
      best < 0
        ? ""
        : `Changed most: layer ${Math.floor(best / nHeads)}, head ${best % nHeads} (${formatDiff(values[best] as number)})`;
  }

  /** Colour the cells and the legend in the page's current palette (after a theme change too). */
  repaint(): void {
    const palette = paletteOf(this.el);
    this.scale.style.background = `linear-gradient(to right, ${[0, 128, 255].map((i) => cssColour(i, palette)).join(", ")})`;
    this.cells.forEach((cell, i) => {
      const v = this.values[i] as number;
      cell.style.backgroundColor = Number.isFinite(v) ? cssColour(255 * v, palette) : "";
    });
  }
}

function formatDiff(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : String(v);
}
