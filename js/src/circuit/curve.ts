/**
 * The faithfulness curve and the circuit-size slider under it. The chart plots the faithfulness of the
 * circuit of each precomputed size (log x axis, size 0 at the left edge) with a dashed line at 0.8 and a
 * marker at the shown size; the slider moves along the curve's points, so every size it offers has a
 * measured faithfulness. The size is view state: moving the slider redraws, Python recomputes nothing.
 */
import { h, svg } from "../lib/dom";
import { formatCount, formatMetric } from "./format";
import type { Curve } from "./types";

const WIDTH = 300;
const HEIGHT = 120;
const MARGIN = { left: 30, right: 8, top: 6, bottom: 18 };
export const TARGET_FAITHFULNESS = 0.8;

/** The index of the size nearest `size` (the lower one on a tie), -1 when there are none. */
export function nearestIndex(sizes: readonly number[], size: number): number {
  let best = -1;
  for (let i = 0; i < sizes.length; i++) {
    const d = Math.abs((sizes[i] as number) - size);
    if (best < 0 || d < Math.abs((sizes[best] as number) - size)) best = i;
  }
  return best;
}

/** "12 edges · faithfulness 0.83" ("≈" when `size` is not a point of the curve). */
export function sizeLabel(curve: Curve | null, size: number): string {
  const edges = `${formatCount(size)} edge${size === 1 ? "" : "s"}`;
  const i = curve ? nearestIndex(curve.sizes, size) : -1;
  if (!curve || i < 0) return edges;
  const exact = curve.sizes[i] === size;
  return `${edges} · faithfulness ${exact ? "" : "≈ "}${formatMetric(curve.faithfulness[i] as number)}`;
}

export class SizeControl {
  readonly el: HTMLDivElement;
  private readonly chart: SVGSVGElement;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLSpanElement;
  private readonly target: HTMLButtonElement;
  private curve: Curve | null = null;

  constructor(onSize: (size: number) => void, signal: AbortSignal) {
    this.chart = svg("svg", {
      class: "ilw-circuit-curve",
      width: WIDTH,
      height: HEIGHT,
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: "img",
      "aria-label": "faithfulness against circuit size",
    });
    this.slider = h("input", {
      className: "ilw-circuit-size",
      attrs: { type: "range", min: "0", max: "0", step: "1", value: "0", "aria-label": "Circuit size" },
    });
    this.slider.addEventListener(
      "input",
      () => {
        const size = this.curve?.sizes[Number(this.slider.value)];
        if (size !== undefined) onSize(size);
      },
      { signal },
    );
    this.label = h("span", { className: "ilw-circuit-size-label" });
    this.target = h("button", {
      className: "ilw-circuit-target",
      attrs: {
        type: "button",
        title: "Show the smallest circuit whose faithfulness reaches 0.8",
        hidden: "",
      },
    });
    this.target.addEventListener(
      "click",
      () => {
        const size = this.curve?.targetSize;
        if (size !== null && size !== undefined) onSize(size);
      },
      { signal },
    );
    this.el = h("div", { className: "ilw-circuit-size-control" }, [
      h("div", { className: "ilw-panel-title", text: "Faithfulness of the circuit by size" }),
      this.chart,
      h("label", { className: "ilw-circuit-size-row" }, [this.slider, this.label]),
      this.target,
    ]);
  }

  /** Show `curve` (null: not computed yet) with the circuit of `size` edges marked. */
  set(curve: Curve | null, size: number): void {
    this.curve = curve;
    const n = curve?.sizes.length ?? 0;
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.disabled = n === 0;
    const index = curve ? nearestIndex(curve.sizes, size) : -1;
    this.slider.value = String(Math.max(0, index));
    this.label.textContent = sizeLabel(curve, size);
    const targetSize = curve?.targetSize ?? null;
    this.target.hidden = curve === null;
    this.target.disabled = targetSize === null || targetSize === size;
    this.target.textContent =
      targetSize === null
        ? "no circuit here reaches faithfulness 0.8"
        : `smallest with faithfulness ≥ 0.8: ${formatCount(targetSize)} edges`;
    this.draw(curve, size);
  }

  private draw(curve: Curve | null, size: number): void {
    if (!curve || curve.sizes.length === 0) {
      this.chart.replaceChildren();
      return;
    }
    const values = curve.faithfulness.filter(Number.isFinite);
    const low = Math.min(0, ...values);
    const high = Math.max(1, ...values);
    const maxSize = Math.max(1, curve.sizes[curve.sizes.length - 1] as number);
    const plotW = WIDTH - MARGIN.left - MARGIN.right;
    const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    const x = (s: number) => MARGIN.left + (Math.log1p(Math.max(0, s)) / Math.log1p(maxSize)) * plotW;
    const y = (f: number) => MARGIN.top + (1 - (f - low) / (high - low)) * plotH;
    let d = "";
    let pen = "M";
    curve.sizes.forEach((s, i) => {
      const f = curve.faithfulness[i] as number;
      if (!Number.isFinite(f)) {
        pen = "M";
        return;
      }
      d += `${pen}${x(s).toFixed(1)},${y(f).toFixed(1)}`;
      pen = "L";
    });
    const el = <K extends keyof SVGElementTagNameMap>(
      tag: K,
      attrs: Record<string, string | number>,
      text?: string,
    ) => {
      const e = svg(tag, attrs);
      if (text !== undefined) e.textContent = text;
      return e;
    };
    const bottom = HEIGHT - MARGIN.bottom;
    const right = WIDTH - MARGIN.right;
    const tick = { class: "ilw-circuit-tick", "font-size": 9, fill: "currentColor" };
    const axis = { class: "ilw-circuit-axis", stroke: "currentColor", "stroke-opacity": 0.5 };
    const children: SVGElement[] = [
      el("line", { ...axis, x1: MARGIN.left, y1: MARGIN.top, x2: MARGIN.left, y2: bottom }),
      el("line", { ...axis, x1: MARGIN.left, y1: bottom, x2: right, y2: bottom }),
      el("line", {
        class: "ilw-circuit-threshold",
        x1: MARGIN.left,
        x2: right,
        y1: y(TARGET_FAITHFULNESS).toFixed(1),
        y2: y(TARGET_FAITHFULNESS).toFixed(1),
        stroke: "#888",
        "stroke-dasharray": "4 3",
      }),
      el("text", { ...tick, x: MARGIN.left - 3, y: y(high) + 7, "text-anchor": "end" }, formatMetric(high)),
      el("text", { ...tick, x: MARGIN.left - 3, y: y(TARGET_FAITHFULNESS) + 3, "text-anchor": "end" }, "0.8"),
      el("text", { ...tick, x: MARGIN.left - 3, y: y(low), "text-anchor": "end" }, formatMetric(low)),
      el("text", { ...tick, x: MARGIN.left, y: HEIGHT - 4 }, "0"),
      el(
        "text",
        { ...tick, x: (MARGIN.left + right) / 2, y: HEIGHT - 4, "text-anchor": "middle" },
        "edges (log)",
      ),
      el("text", { ...tick, x: right, y: HEIGHT - 4, "text-anchor": "end" }, formatCount(maxSize)),
      el("path", {
        class: "ilw-circuit-curve-line",
        d,
        fill: "none",
        stroke: "#2166ac",
        "stroke-width": 1.5,
      }),
    ];
    const i = nearestIndex(curve.sizes, size);
    const f = curve.faithfulness[i];
    if (f !== undefined && Number.isFinite(f)) {
      const marker = el("circle", {
        class: "ilw-circuit-marker",
        cx: x(size).toFixed(1),
        cy: y(f).toFixed(1),
        r: 3.5,
        fill: "#e66400",
      });
      marker.appendChild(el("title", {}, sizeLabel(curve, size)));
      children.push(marker);
    }
    this.chart.replaceChildren(...children);
  }
}
