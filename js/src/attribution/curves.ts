/**
 * The faithfulness curves of one row as a small SVG chart: the target as tokens are deleted (set
 * to the baseline) or inserted in attribution order, against the mean of random orders, with the
 * four areas printed under it. A faithful attribution deletes below random and inserts above it.
 */

import { formatValue } from "../components/patch_labels";
import { h, svg } from "../lib/dom";
import type { Curve, Faithfulness } from "./types";

const WIDTH = 168;
const HEIGHT = 84;
const MARGIN = { left: 34, right: 4, top: 4, bottom: 14 };

const LABELS: Record<Curve, string> = {
  deletion: "deletion",
  insertion: "insertion",
  random_deletion: "random deletion",
  random_insertion: "random insertion",
};

/** An axis tick: 3 significant digits ("-21.2", "-0.354"). */
export function tickLabel(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(3))) : String(value);
}

/** `[low, high]` over every curve, widened when flat so the lines stay inside the plot. */
function valueRange(f: Faithfulness): [number, number] {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const data of Object.values(f.curves)) {
    for (const v of data) {
      if (!Number.isFinite(v)) continue;
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
  }
  if (!(low <= high)) return [0, 1];
  return low === high ? [low - 1, high + 1] : [low, high];
}

/** The `d` of a polyline through `(fractions[i], values[i])`; non-finite points break the line. */
export function pathData(fractions: Float32Array, values: Float32Array, range: [number, number]): string {
  const [low, high] = range;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  let d = "";
  let pen = "M";
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      pen = "M";
      continue;
    }
    const x = MARGIN.left + (fractions[i] as number) * plotW;
    const y = MARGIN.top + (1 - (v - low) / (high - low)) * plotH;
    d += `${pen}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = "L";
  }
  return d;
}

export class FaithfulnessChart {
  readonly el: HTMLDivElement;
  private readonly chart: SVGSVGElement;
  private readonly areas: HTMLDivElement;

  constructor() {
    this.chart = svg("svg", {
      class: "ilw-attr-chart",
      width: WIDTH,
      height: HEIGHT,
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: "img",
    });
    this.areas = h("div", { className: "ilw-attr-areas" });
    this.el = h("div", { className: "ilw-attr-curves" }, [this.chart, this.areas]);
  }

  /** Draw `f`, or say that the curves were not measured. */
  set(f: Faithfulness | null, target: string): void {
    this.el.classList.toggle("ilw-attr-no-curves", f === null);
    if (f === null) {
      this.chart.replaceChildren();
      this.chart.setAttribute("aria-label", "faithfulness not measured");
      this.areas.replaceChildren(h("span", { text: "faithfulness not measured (faithfulness=False)" }));
      return;
    }
    const range = valueRange(f);
    const plot = <K extends keyof SVGElementTagNameMap>(
      tag: K,
      attrs: Record<string, string | number>,
      text?: string,
    ) => {
      const el = svg(tag, attrs);
      if (text !== undefined) el.textContent = text;
      return el;
    };
    const bottom = HEIGHT - MARGIN.bottom;
    this.chart.setAttribute(
      "aria-label",
      `${target} as tokens are deleted or inserted in attribution order and in random orders`,
    );
    this.chart.replaceChildren(
      plot("line", { class: "ilw-attr-axis", x1: MARGIN.left, y1: MARGIN.top, x2: MARGIN.left, y2: bottom }),
      plot("line", {
        class: "ilw-attr-axis",
        x1: MARGIN.left,
        y1: bottom,
        x2: WIDTH - MARGIN.right,
        y2: bottom,
      }),
      plot(
        "text",
        { class: "ilw-attr-tick", x: MARGIN.left - 3, y: MARGIN.top + 7, "text-anchor": "end" },
        tickLabel(range[1]),
      ),
      plot(
        "text",
        { class: "ilw-attr-tick", x: MARGIN.left - 3, y: bottom, "text-anchor": "end" },
        tickLabel(range[0]),
      ),
      plot("text", { class: "ilw-attr-tick", x: MARGIN.left, y: HEIGHT - 2 }, "0"),
      plot(
        "text",
        { class: "ilw-attr-tick", x: WIDTH - MARGIN.right, y: HEIGHT - 2, "text-anchor": "end" },
        "all tokens",
      ),
      ...(["random_deletion", "random_insertion", "deletion", "insertion"] as const).map((curve) => {
        const path = plot("path", {
          class: `ilw-curve ilw-curve-${curve.replace("random_", "")}${curve.startsWith("random") ? " ilw-curve-random" : ""}`,
          "data-curve": curve,
          d: pathData(f.fractions, f.curves[curve], range),
        });
        path.appendChild(plot("title", {}, `${LABELS[curve]}: area ${formatValue(f.areas[curve])}`));
        return path;
      }),
    );
    const deletionFaithful = f.areas.deletion < f.areas.random_deletion;
    const insertionFaithful = f.areas.insertion > f.areas.random_insertion;
    this.areas.replaceChildren(
      area("deletion", f.areas.deletion, f.areas.random_deletion, deletionFaithful, "below"),
      area("insertion", f.areas.insertion, f.areas.random_insertion, insertionFaithful, "above"),
    );
  }
}

/** "deletion area 1.234 (random 2.345) ✓": `faithful` when it is on the good side of random. */
function area(
  kind: "deletion" | "insertion",
  value: number,
  random: number,
  faithful: boolean,
  side: string,
) {
  return h(
    "div",
    {
      className: `ilw-attr-area ilw-attr-area-${kind}`,
      attrs: {
        "data-faithful": String(faithful),
        title: faithful
          ? `${kind} area is ${side} random: the order of the scores matters`
          : `${kind} area is not ${side} random: the scores do no better than a random order here`,
      },
    },
    [
      h("span", { className: "ilw-attr-swatch" }),
      h("span", { text: `${kind} ${formatValue(value)}` }),
      h("span", { className: "ilw-attr-random", text: ` (random ${formatValue(random)})` }),
      h("span", { className: "ilw-attr-verdict", text: faithful ? " ✓" : " ✗" }),
    ],
  );
}
