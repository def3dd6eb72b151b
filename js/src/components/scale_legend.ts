/**
 * The legend of a heatmap's colour scale: a bar of the map, ticks placed where their values land
 * on the scale (lib/scale.ts: a log scale puts one tick per decade at equal steps), and words
 * that name the scale ("sqrt scale", "log scale, 3 decades, rows normalised"). The bar's colours
 * come from the page's palette when it is drawn, so `repaint` follows a theme change.
 */
import { cssColour, divergingColour } from "../lib/colormap";
import { h } from "../lib/dom";
import { type ColorScale, scaleText, scaleTicks } from "../lib/scale";
import { paletteOf } from "../lib/theme";

export interface ScaleLegendState {
  scale: ColorScale;
  /** The value at the top of the scale; null when each matrix has its own (thumbnails). */
  max: number | null;
  rowsNormalised: boolean;
  /** What the top of the scale is, when `max` is null or rows are normalised (e.g. "each head's maximum"). */
  of?: string;
}

export class ScaleLegend {
  readonly el: HTMLDivElement;
  private readonly bar: HTMLDivElement;
  private readonly ticks: HTMLDivElement;
  private readonly text: HTMLSpanElement;

  /** `signed`: a diverging bar from -max to max (patching effects). */
  constructor(private readonly signed = false) {
    this.bar = h("div", { className: "ilw-scale-bar" });
    this.ticks = h("div", { className: "ilw-scale-ticks" });
    this.text = h("span", { className: "ilw-scale-text" });
    this.el = h("div", { className: "ilw-scale-legend" }, [
      h("div", { className: "ilw-scale-axis" }, [this.bar, this.ticks]),
      this.text,
    ]);
  }

  set(state: ScaleLegendState): void {
    const { scale, max, rowsNormalised, of } = state;
    this.el.dataset.scale = scale;
    const top = rowsNormalised ? (of ?? "each row's maximum") : max === null ? of : undefined;
    this.text.textContent = top
      ? `${scaleText(scale, rowsNormalised)} · 1 = ${top}`
      : scaleText(scale, rowsNormalised);
    const unit = rowsNormalised || max === null ? 1 : max;
    // A signed bar fits both halves in the same width: a "0" in the middle and two ticks a side.
    const ticks = this.signed
      ? [{ fraction: 0, position: 0 }, ...scaleTicks(scale).filter((t) => SIGNED_TICKS.includes(t.fraction))]
      : scaleTicks(scale);
    const marks = ticks.flatMap(({ fraction, position }) => {
      const at = (p: number) => (this.signed ? 50 + 50 * p : 100 * p);
      const one = (sign: number) => ({
        left: at(sign * position),
        label: formatTick(sign * fraction * unit),
      });
      return this.signed && fraction > 0 ? [one(-1), one(1)] : [one(1)];
    });
    marks.sort((a, b) => a.left - b.left);
    this.ticks.replaceChildren(
      ...marks.map(({ left, label }) => {
        const tick = h("span", { className: "ilw-scale-tick", text: label });
        tick.style.left = `${left.toFixed(2)}%`;
        return tick;
      }),
    );
    this.repaint();
  }

  /** Redraw the bar in the page's current colours. */
  repaint(): void {
    const palette = paletteOf(this.el);
    const stops = Array.from({ length: 11 }, (_, i) => i / 10).map((u) =>
      this.signed ? divergingColour(2 * u - 1, palette) : cssColour(255 * u, palette),
    );
    this.bar.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
  }
}

/** The tick fractions a signed legend keeps (0.5 on linear and sqrt scales, 0.1 on a log scale). */
const SIGNED_TICKS = [0.1, 0.5, 1];

function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  const text = a >= 0.01 ? String(Number(v.toPrecision(2))) : v.toExponential(0);
  return text.replace("-", "−");
}
