/**
 * The legend of the colour-by label set: one button per label name (swatch, name, count);
 * clicking one selects all points with that label. Unlabelled points are counted apart.
 */
import { categoricalCss } from "../lib/colormap";
import { h } from "../lib/dom";
import type { LabelSet } from "../projection/types";

export class Legend {
  readonly el: HTMLDivElement;
  private readonly title: HTMLDivElement;
  private readonly items: HTMLDivElement;
  private readonly other: HTMLDivElement;

  constructor(onSelectLabel: (label: number) => void, signal: AbortSignal) {
    this.title = h("div", { className: "ilw-panel-title" });
    this.items = h("div", { className: "ilw-legend-items" });
    this.other = h("div", { className: "ilw-legend-other" });
    this.el = h("div", { className: "ilw-legend", attrs: { hidden: "" } }, [
      this.title,
      this.items,
      this.other,
    ]);
    this.items.addEventListener(
      "click",
      (e) => {
        const item = e.target instanceof Element ? e.target.closest<HTMLElement>(".ilw-legend-item") : null;
        if (item) onSelectLabel(Number(item.dataset.label));
      },
      { signal },
    );
  }

  /** Show `set`'s labels, or hide the legend (one colour). */
  set(set: LabelSet | null): void {
    this.el.hidden = set === null;
    if (!set) {
      this.items.replaceChildren();
      return;
    }
    this.title.textContent = `${set.name} · click a label to select its points`;
    this.items.replaceChildren(
      ...set.names.map((name, label) =>
        h(
          "button",
          {
            className: "ilw-legend-item",
            attrs: { type: "button", "data-label": String(label), title: `Select all “${name}” points` },
          },
          [
            swatch(label),
            h("span", { className: "ilw-legend-name", text: name }),
            h("span", {
              className: "ilw-legend-count",
              text: (set.counts[label] ?? 0).toLocaleString("en-US"),
            }),
          ],
        ),
      ),
    );
    const labelled = set.counts.reduce((a, b) => a + b, 0);
    const unlabelled = set.values.length - labelled;
    this.other.hidden = unlabelled === 0;
    this.other.replaceChildren(
      swatch(-1),
      h("span", { className: "ilw-legend-name", text: "unlabelled" }),
      h("span", { className: "ilw-legend-count", text: unlabelled.toLocaleString("en-US") }),
    );
  }
}

/** A colour square for label `label` (-1: unlabelled grey). */
export function swatch(label: number): HTMLSpanElement {
  const el = h("span", { className: "ilw-swatch" });
  el.style.backgroundColor = categoricalCss(label);
  return el;
}
