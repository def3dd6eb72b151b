/**
 * The colour scale of every heatmap (attention thumbnails and detail, patching grid), in one
 * place because the Python SVG export applies the same transform and must match it exactly:
 * for a value `v` and scale maximum `m`, `t = m > 0 ? v / m : 0`; linear `t`, square root
 * `sqrt(t)`, log `t <= 0 ? 0 : clamp(1 + log10(t) / D, 0, 1)` with D = LOG_DECADES. Results are
 * clamped to 0..1; signed values are scaled by magnitude and keep their sign.
 */
import { LOG_DECADES } from "./colormap";

export type ColorScale = "linear" | "sqrt" | "log";

export const COLOR_SCALES: readonly ColorScale[] = ["linear", "sqrt", "log"];

/** A `color_scale` trait value, "linear" for anything else. */
export function readScale(value: unknown): ColorScale {
  return COLOR_SCALES.find((s) => s === value) ?? "linear";
}

/** `v` on `scale` with maximum `m`, in 0..1 (NaN, negative values and `m <= 0` give 0). */
export function scaleValue(v: number, m: number, scale: ColorScale): number {
  const t = m > 0 ? v / m : 0;
  if (!(t > 0)) return 0;
  if (scale === "sqrt") return Math.min(1, Math.sqrt(t));
  if (scale === "log") return Math.min(1, Math.max(0, 1 + Math.log10(t) / LOG_DECADES));
  return Math.min(1, t);
}

/** A signed `v` on `scale`: the magnitude scaled by `scaleValue`, the sign kept; -1..1, NaN stays NaN. */
export function scaleSigned(v: number, m: number, scale: ColorScale): number {
  if (Number.isNaN(v)) return Number.NaN;
  const s = scaleValue(Math.abs(v), m, scale);
  return v < 0 ? -s : s;
}

/** The inverse of `scaleValue` for m = 1: the value shown at position `u` (0..1) of the legend. */
export function unscale(u: number, scale: ColorScale): number {
  if (scale === "sqrt") return u * u;
  if (scale === "log") return u <= 0 ? 0 : 10 ** ((u - 1) * LOG_DECADES);
  return u;
}

/** Legend words for the scale: "linear scale", "sqrt scale", "log scale, 3 decades" (+ ", rows normalised"). */
export function scaleText(scale: ColorScale, rowsNormalised = false): string {
  const words = scale === "log" ? `log scale, ${LOG_DECADES} decades` : `${scale} scale`;
  return rowsNormalised ? `${words}, rows normalised` : words;
}

/**
 * Legend ticks as fractions of the maximum with their position on the bar (0..1): on a log scale
 * one per decade (0.001, 0.01, 0.1, 1), otherwise 0, ¼, ½, ¾, 1 of the maximum.
 */
export function scaleTicks(scale: ColorScale): Array<{ fraction: number; position: number }> {
  if (scale === "log") {
    return Array.from({ length: LOG_DECADES + 1 }, (_, i) => {
      const fraction = 10 ** (i - LOG_DECADES);
      return { fraction, position: scaleValue(fraction, 1, scale) };
    });
  }
  return [0, 0.25, 0.5, 0.75, 1].map((fraction) => ({ fraction, position: scaleValue(fraction, 1, scale) }));
}
