/**
 * What the scatterplot needs from a renderer (WebGL in scatter_gl.ts, Canvas2D in
 * scatter_2d.ts). Positions and colours are handed over once per data change; a pan or zoom
 * is only a new `ViewTransform` passed to `draw`.
 */
import { categoricalRgb } from "../lib/colormap";

/** Data → CSS pixels of the canvas: `sx = tx + x * scale`, `sy = ty - y * scale` (y points up). */
export interface ViewTransform {
  scale: number;
  tx: number;
  ty: number;
}

export interface PointStyle {
  /** Diameter of a point, CSS px; selected points are drawn `SELECTED_GROWTH` px larger. */
  size: number;
  /** Opacity of unselected points (lower while a selection exists). */
  alpha: number;
  /** Ring colour of selected points, RGB 0..255. */
  ring: readonly [number, number, number];
}

export const SELECTED_GROWTH = 3;
export const SELECTED_ALPHA = 0.95;

export type RendererKind = "webgl" | "canvas2d";

export interface ScatterRenderer {
  readonly kind: RendererKind;
  /** The canvas it draws on, made for it (a canvas holds one kind of context for life). */
  readonly canvas: HTMLCanvasElement;
  /** Canvas size in CSS px, and device pixels per CSS px. */
  resize(width: number, height: number, dpr: number): void;
  /** `[x0, y0, x1, y1, …]` of `n` points; kept until the next call. */
  setPositions(xy: Float32Array, n: number): void;
  /** Four bytes per point, as made by `pointBytes`. */
  setColours(bytes: Uint8Array): void;
  draw(view: ViewTransform, style: PointStyle): void;
  dispose(): void;
}

/**
 * Per point its label's colour (r, g, b) and, in the fourth byte, 255 when selected: one
 * 4-byte attribute carries both, so a selection change re-uploads n × 4 bytes and nothing else.
 * `labels` null colours every point like label 0.
 */
export function pointBytes(n: number, labels: Int32Array | null, selected: Uint8Array | null): Uint8Array {
  const out = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = categoricalRgb(labels ? (labels[i] as number) : 0);
    out[4 * i] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = selected?.[i] ? 255 : 0;
  }
  return out;
}
