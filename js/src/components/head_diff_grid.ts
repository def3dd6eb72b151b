/**
 * The head difference grid: one cell per (layer, head), coloured by how much that head's
 * attention from the last token changed between the two runs (0 white → 1 dark), with the
 * value in its tooltip, a colour legend and the head that changed most named below.
 */

import type { HeadDiff } from "../failure/types";
import { cssColour } from "../lib/colormap";
import { h } from "../lib/dom";

export class HeadDiffGrid {
  readonly el: HTMLDivElement;
  private readonly title: HTMLDivElement;
  private readonly grid: HTMLDivElement;
  private readonly note: HTMLDivElement;

  constructor() {
    this.title = h("div", { className: "ilw-head-diff-title" });
    this.grid = h("div", { className: "ilw-head-diff-grid" });
    this.note = h("div", { className: "ilw-head-diff-note" });
    const scale = h("span", { className: "ilw-head-diff-scale" });
    scale.style.background = `linear-gradient(to right, ${cssColour(0)}, ${cssColour(128)}, ${cssColour(255)})`;
    const legend = h("div", { className: "ilw-head-diff-legend" }, [
      h("span", { text: "0 same" }),
      scale,
      h("span", { text: "1 completely different" }),
    ]);
    this.el = h("div", { className: "ilw-head-diff" }, [this.title, this.grid, legend, this.note]);
  }

  /** Show `diff` under `label`; hidden without one. */
  set(diff: HeadDiff | null, label: string): void {
    this.el.hidden = diff === null;
    if (!diff) {
      this.grid.replaceChildren();
      return;
    }
    this.title.textContent = label;
    const { nLayers, nHeads, values } = diff;
    this.grid.style.gridTemplateColumns = `auto repeat(${nHeads}, var(--ilw-head-diff-cell))`;
    const children: HTMLElement[] = [h("span")];
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
        cell.style.backgroundColor = Number.isFinite(v) ? cssColour(255 * v) : "";
        children.push(cell);
        if (Number.isFinite(v) && (best < 0 || v > (values[best] as number))) best = i;
      }
    }
    this.grid.replaceChildren(...children);
    this.note.textContent =
      best < 0
        ? ""
        : `Changed most: layer ${Math.floor(best / nHeads)}, head ${best % nHeads} (${formatDiff(values[best] as number)})`;
  }
}

function formatDiff(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : String(v);
}
