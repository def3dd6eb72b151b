/**
 * The detail heatmap: an `[n, n]` matrix (n up to 8,192) that is never held in full. It gets an
 * overview of the whole matrix and, once zoomed, a finer window, each cut into blocks that hold
 * the block maximum (attention/types.ts `HeatmapData`); coordinates are tokens throughout.
 *
 * A paint fills each device pixel of the plot with the largest block under it (of the window
 * where the window reaches, else of the overview; components/heatmap_raster.ts), so one strong
 * cell is never lost however many tokens share a pixel. Colour levels are computed once per part;
 * a paint is one ImageData plus overlays, at most once per animation frame. Wheel zooms
 * about the pointer, drag pans, double-click resets; once the view has rested for SETTLE_MS the
 * visible window goes to `onWindow` (`[]`: the whole matrix), for the kernel to send it finer.
 */

import { type Cell, cellAt, firstBetween, isWhole } from "../attention/blocks";
import type { DetailPart, HeatmapData, TokenWindow } from "../attention/types";
import { context2d, h, nextFrame } from "../lib/dom";
import type { ColorScale } from "../lib/scale";
import { paletteOf } from "../lib/theme";
import { describeToken, shortLabel } from "../lib/token_text";
import type { Axis } from "../lib/types";
import {
  colourLevels,
  type PartLevels,
  type PlotView,
  rasterise,
  rowMaxima,
  tokensUnder,
} from "./heatmap_raster";

/** CSS pixels of the canvas side, and of the label margin left of and above the plot. */
const SIZE = 480;
const MARGIN = 72;
const PLOT = SIZE - MARGIN - 4;
/** Labels are drawn once a token is at least this many CSS pixels. */
const LABEL_MIN_CELL = 10;
const MAX_CELL = 64;
/** How long the view must rest after a zoom or pan before its window is reported. */
export const SETTLE_MS = 150;
/** Bands and outlines stay at least this many CSS pixels thick when tokens are smaller. */
const MIN_MARK = 2;

export interface HeatmapFocus {
  hover: number;
  pinned: number;
  axis: Axis;
}

export interface HeatmapCallbacks {
  /** The view came to rest on a new window `[q0, q1, k0, k1]`, or `[]` for the whole matrix. */
  onWindow?(window: number[]): void;
}

/** A token rectangle, half-open: queries q0..q1-1, keys k0..k1-1. */
type TokenRect = Pick<Cell, "q0" | "q1" | "k0" | "k1">;

export class Heatmap {
  readonly el: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLDivElement;
  private readonly ctx: CanvasRenderingContext2D | null;
  private readonly dpr: number;
  private data: HeatmapData | null = null;
  private causal = false;
  private colorScale: ColorScale = "linear";
  private normaliseRows = false;
  /** Colour index (0..255) of each block of the overview and of the window. */
  private levels: PartLevels = { overview: new Uint8Array(0), window: new Uint8Array(0) };
  private image: ImageData | null = null;
  private tokens: readonly string[] = [];
  private focus: HeatmapFocus = { hover: -1, pinned: -1, axis: "query" };
  /** CSS px per token, and the plot position of token pair (0, 0). */
  private scale = 1;
  private x = 0;
  private y = 0;
  private hoverCell: TokenRect | null = null;
  private drag: { px: number; py: number; x: number; y: number; moved: boolean } | null = null;
  private cancelFrame: (() => void) | null = null;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  /** The window last asked for (`join(",")`; "" is the whole matrix). */
  private requested = "";

  constructor(
    signal: AbortSignal,
    private readonly callbacks: HeatmapCallbacks = {},
  ) {
    this.canvas = h("canvas", { className: "ilw-heatmap-canvas" });
    this.tooltip = h("div", { className: "ilw-heatmap-tooltip", attrs: { hidden: "", role: "status" } });
    this.el = h("div", { className: "ilw-heatmap" }, [this.canvas, this.tooltip]);
    const dpr = Math.max(1, Math.round(globalThis.devicePixelRatio || 1));
    this.dpr = dpr;
    this.canvas.width = SIZE * dpr;
    this.canvas.height = SIZE * dpr;
    this.canvas.style.width = `${SIZE}px`;
    this.canvas.style.height = `${SIZE}px`;
    this.ctx = context2d(this.canvas);
    this.ctx?.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.listen(signal);
    signal.addEventListener("abort", () => {
      this.cancelFrame?.();
      this.stopSettle();
    });
  }

  /** Show new data (or none) and paint it now. `causal` leaves the masked upper triangle blank. */
  setData(data: HeatmapData | null, causal: boolean): void {
    if (data?.n !== this.data?.n) this.resetView(data?.n ?? 0);
    this.data = data;
    this.causal = causal;
    this.computeLevels();
    this.hoverCell = null;
    this.tooltip.hidden = true;
    this.paint();
  }

  /** Colour scale and per-row normalisation (lib/scale.ts); repaints when they change. */
  setScale(scale: ColorScale, normaliseRows: boolean): void {
    if (scale === this.colorScale && normaliseRows === this.normaliseRows) return;
    this.colorScale = scale;
    this.normaliseRows = normaliseRows;
    this.computeLevels();
    this.paint();
  }

  private computeLevels(): void {
    const d = this.data;
    const levels = (part: DetailPart | null | undefined) =>
      d && part
        ? colourLevels(
            part,
            d.scaleMax,
            this.colorScale,
            this.normaliseRows ? rowMaxima(part, d.overview) : null,
          )
        : new Uint8Array(0);
    this.levels = { overview: levels(d?.overview), window: levels(d?.window) };
  }

  /** New tokens are a new text: the view goes back to the whole matrix. */
  setTokens(tokens: readonly string[]): void {
    this.tokens = tokens;
    this.stopSettle();
    this.resetView(this.data?.n ?? tokens.length);
    this.schedule();
  }

  /** What the kernel was last asked for (`detail_window`), so an equal window is not asked again. */
  setRequested(window: readonly number[]): void {
    this.requested = window.join(",");
  }

  setFocus(focus: HeatmapFocus): void {
    const f = this.focus;
    if (f.hover === focus.hover && f.pinned === focus.pinned && f.axis === focus.axis) return;
    this.focus = focus;
    this.schedule();
  }

  /** Paint now (cancelling a scheduled paint), in the colours of the page's theme as it is now. */
  paint(): void {
    this.cancelFrame?.();
    this.cancelFrame = null;
    this.markShown();
    const ctx = this.ctx;
    if (!ctx) return;
    ctx.clearRect(0, 0, SIZE, SIZE);
    const d = this.data;
    if (!d) return;
    this.paintCells(ctx, d);
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN, MARGIN, PLOT, PLOT);
    ctx.clip();
    ctx.translate(MARGIN + this.x, MARGIN + this.y);
    ctx.scale(this.scale, this.scale);
    this.drawHighlights(ctx, d.n);
    ctx.restore();
    this.drawLabels(ctx, d.n, textColour(this.el));
  }

  /** `data-window` and `data-exact` on the root: which part is painted on top, for tests and browsers. */
  private markShown(): void {
    const data = this.el.dataset;
    const d = this.data;
    if (!d) {
      delete data.window;
      delete data.exact;
      return;
    }
    const top = d.window ?? d.overview;
    data.window = top.bounds.join(",");
    data.exact = String(top.exact);
  }

  /** Fill the plot's ImageData from the parts (components/heatmap_raster.ts) and put it on the canvas. */
  private paintCells(ctx: CanvasRenderingContext2D, d: HeatmapData): void {
    const side = PLOT * this.dpr;
    if (this.image?.width !== side) this.image = ctx.createImageData(side, side);
    const image = this.image;
    const pixels = new Uint32Array(image.data.buffer, image.data.byteOffset, side * side);
    rasterise(pixels, side, this.plotView(), d, this.levels, this.causal, paletteOf(this.el));
    ctx.putImageData(image, MARGIN * this.dpr, MARGIN * this.dpr);
  }

  private plotView(): PlotView {
    return { n: this.data?.n ?? 0, scale: this.scale, x: this.x, y: this.y, dpr: this.dpr };
  }

  /** The token at the centre of device pixel `p` along an axis whose token 0 is at `offset`, or -1. */
  private tokenAt(p: number, offset: number): number {
    const n = this.data?.n ?? 0;
    const t = Math.floor(((p + 0.5) / this.dpr - offset) / this.scale);
    return t >= 0 && t < n ? t : -1;
  }

  /**
   * The query row that device row `r` shows, or -1 for background. When only some rows were
   * computed, a computed row anywhere under the pixel is the one shown (as `paintCells` does), so
   * one pinned token's row stays visible when many tokens share a pixel.
   */
  private queryAt(r: number): number {
    const d = this.data;
    if (!d) return -1;
    if (!d.rows) return this.tokenAt(r, this.y);
    const [first, last] = tokensUnder(this.plotView(), r, this.y);
    return first < 0 ? -1 : firstBetween(d.rows, first, last);
  }

  private schedule(): void {
    if (this.cancelFrame) return;
    this.cancelFrame = nextFrame(() => {
      this.cancelFrame = null;
      this.paint();
    });
  }

  /** Bands for the pinned and the hovered token, an outline for the hovered block (token units). */
  private drawHighlights(ctx: CanvasRenderingContext2D, n: number): void {
    const line = 1 / this.scale;
    const thick = Math.max(1, MIN_MARK / this.scale);
    const band = (i: number, fill: string, stroke: string) => {
      if (i < 0 || i >= n) return;
      const from = i + 0.5 - thick / 2;
      const [x, y, w, hgt] = this.focus.axis === "query" ? [0, from, n, thick] : [from, 0, thick, n];
      ctx.fillStyle = fill;
      ctx.fillRect(x, y, w, hgt);
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 2 * line;
      ctx.strokeRect(x, y, w, hgt);
    };
    band(this.focus.pinned, "rgba(255, 140, 0, 0.18)", "rgba(230, 100, 0, 0.9)");
    if (this.focus.hover !== this.focus.pinned)
      band(this.focus.hover, "rgba(255, 140, 0, 0.25)", "rgba(255, 140, 0, 0.6)");
    const cell = this.hoverCell;
    if (cell) {
      ctx.strokeStyle = "rgba(230, 60, 0, 1)";
      ctx.lineWidth = 2 * line;
      ctx.strokeRect(
        cell.k0,
        cell.q0,
        Math.max(cell.k1 - cell.k0, thick),
        Math.max(cell.q1 - cell.q0, thick),
      );
    }
  }

  /** Token labels on both axes when tokens are big enough (then every cell is one token), and the axis names. */
  private drawLabels(ctx: CanvasRenderingContext2D, n: number, colour: string): void {
    ctx.fillStyle = colour;
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "alphabetic";
    ctx.textAlign = "left";
    ctx.fillText("key →", 4, 14);
    ctx.fillText("query ↓", 4, 28);
    if (this.scale < LABEL_MIN_CELL) return;
    ctx.font = `${Math.min(12, Math.floor(this.scale) - 1)}px sans-serif`;
    ctx.textBaseline = "middle";
    const [firstRow, endRow, first, end] = this.visibleWindow(n);
    ctx.textAlign = "right";
    for (let q = firstRow; q < endRow; q++) {
      const cy = MARGIN + this.y + (q + 0.5) * this.scale;
      if (cy < MARGIN || cy > MARGIN + PLOT) continue;
      ctx.fillText(shortLabel(this.tokens[q] ?? String(q), 10), MARGIN - 4, cy, MARGIN - 6);
    }
    ctx.textAlign = "left";
    for (let k = first; k < end; k++) {
      const cx = MARGIN + this.x + (k + 0.5) * this.scale;
      if (cx < MARGIN || cx > MARGIN + PLOT) continue;
      ctx.save();
      ctx.translate(cx, MARGIN - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(shortLabel(this.tokens[k] ?? String(k), 10), 0, 0, MARGIN - 6);
      ctx.restore();
    }
  }

  /** The tokens the plot shows, `[q0, q1, k0, k1]` (half-open, within 0..n). */
  private visibleWindow(n: number): TokenWindow {
    const clamp = (t: number) => Math.min(n, Math.max(0, t));
    const from = (offset: number) => clamp(Math.floor(-offset / this.scale));
    const to = (offset: number) => clamp(Math.ceil((PLOT - offset) / this.scale));
    return [from(this.y), to(this.y), from(this.x), to(this.x)];
  }

  private resetView(n: number): void {
    this.scale = n > 0 ? PLOT / n : 1;
    this.x = 0;
    this.y = 0;
  }

  /** Keep the matrix covering the plot: no zooming out past it, no panning past its edges. */
  private clampView(): void {
    const n = this.data?.n ?? 0;
    if (n === 0) return;
    const fit = PLOT / n;
    this.scale = Math.min(Math.max(this.scale, fit), Math.max(MAX_CELL, fit));
    const side = n * this.scale;
    this.x = Math.min(0, Math.max(PLOT - side, this.x));
    this.y = Math.min(0, Math.max(PLOT - side, this.y));
  }

  /** Report the window in view once the view has rested for SETTLE_MS. */
  private settle(): void {
    this.stopSettle();
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      this.reportWindow();
    }, SETTLE_MS);
  }

  private stopSettle(): void {
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.settleTimer = null;
  }

  /** Ask for the window in view unless it is the one last asked for. */
  private reportWindow(): void {
    const d = this.data;
    const onWindow = this.callbacks.onWindow;
    if (!d || !onWindow) return;
    const visible = this.visibleWindow(d.n);
    const wanted = isWhole(visible, d.n) ? [] : [...visible];
    const key = wanted.join(",");
    if (key === this.requested) return;
    this.requested = key;
    onWindow(wanted);
  }

  /** Pointer position relative to the plot's top-left corner, in CSS px. */
  private plotPoint(event: MouseEvent): [number, number] {
    const rect = this.canvas.getBoundingClientRect();
    const px = event.clientX - rect.left - MARGIN;
    const py = event.clientY - rect.top - MARGIN;
    // Synthetic events may lack coordinates: fall back to the plot centre rather than NaN.
    return Number.isFinite(px) && Number.isFinite(py) ? [px, py] : [PLOT / 2, PLOT / 2];
  }

  private listen(signal: AbortSignal): void {
    const c = this.canvas;
    c.addEventListener(
      "wheel",
      (e) => {
        if (!this.data) return;
        e.preventDefault();
        const [px, py] = this.plotPoint(e);
        const old = this.scale;
        this.scale = old * Math.exp(-e.deltaY * 0.0015);
        this.clampView();
        const f = this.scale / old;
        this.x = px - (px - this.x) * f;
        this.y = py - (py - this.y) * f;
        this.clampView();
        this.schedule();
        this.settle();
      },
      { signal, passive: false },
    );
    c.addEventListener(
      "pointerdown",
      (e) => {
        if (!this.data || e.button !== 0) return;
        this.drag = { px: e.clientX, py: e.clientY, x: this.x, y: this.y, moved: false };
        c.setPointerCapture?.(e.pointerId);
      },
      { signal },
    );
    c.addEventListener("pointermove", (e) => this.onPointerMove(e), { signal });
    const endDrag = () => {
      if (this.drag?.moved) this.settle();
      this.drag = null;
    };
    c.addEventListener("pointerup", endDrag, { signal });
    c.addEventListener("pointercancel", endDrag, { signal });
    c.addEventListener(
      "pointerleave",
      () => {
        this.hoverCell = null;
        this.tooltip.hidden = true;
        this.schedule();
      },
      { signal },
    );
    c.addEventListener(
      "dblclick",
      () => {
        this.stopSettle();
        this.resetView(this.data?.n ?? 0);
        this.schedule();
        this.reportWindow();
      },
      { signal },
    );
  }

  private onPointerMove(e: PointerEvent): void {
    if (!this.data) return;
    if (this.drag) {
      this.x = this.drag.x + e.clientX - this.drag.px;
      this.y = this.drag.y + e.clientY - this.drag.py;
      this.drag.moved ||= e.clientX !== this.drag.px || e.clientY !== this.drag.py;
      this.clampView();
      this.schedule();
      return;
    }
    const [px, py] = this.plotPoint(e);
    const inside = px >= 0 && py >= 0 && px < PLOT && py < PLOT;
    const r = Math.floor(py * this.dpr);
    const k = inside ? this.tokenAt(Math.floor(px * this.dpr), this.x) : -1;
    const under = inside ? this.tokenAt(r, this.y) : -1;
    const shown = inside && k >= 0 && under >= 0;
    this.tooltip.hidden = !shown;
    this.hoverCell = null;
    if (shown) {
      const [text, cell] = this.describe(this.queryAt(r), under, k);
      this.hoverCell = cell;
      this.tooltip.textContent = text;
      this.tooltip.style.left = `${Math.min(px + MARGIN + 12, SIZE - 160)}px`;
      this.tooltip.style.top = `${py + MARGIN + 12}px`;
    }
    this.schedule();
  }

  /**
   * Tooltip text and outlined rectangle for the pixel showing query row `q` (-1: none computed)
   * under the pointer's token `under`, at key `k`.
   */
  private describe(q: number, under: number, k: number): [string, TokenRect] {
    const t = this.tokens;
    if (q < 0) {
      const text = `${describeToken(t, under)} → ${describeToken(t, k)}: not computed (pin a token)`;
      return [text, { q0: under, q1: under + 1, k0: k, k1: k + 1 }];
    }
    if (this.causal && k > q) {
      return [
        `${describeToken(t, q)} → ${describeToken(t, k)}: masked`,
        { q0: q, q1: q + 1, k0: k, k1: k + 1 },
      ];
    }
    const d = this.data as HeatmapData;
    let cell = (d.window && cellAt(d.window, q, k)) ?? (cellAt(d.overview, q, k) as Cell);
    if (d.rows && firstBetween(d.rows, cell.q0, q - 1) < 0 && firstBetween(d.rows, q + 1, cell.q1 - 1) < 0) {
      cell = { ...cell, q0: q, q1: q + 1 }; // the block's only computed row: its values are that row's
    }
    return [cellText(t, cell), cell];
  }
}

/** `2 "·sat" → 1 "·cat": 0.250` for one token pair; `16–31 → 0–15: max of 16 × 16 tokens: 0.412` for a block. */
export function cellText(tokens: readonly string[], cell: Cell): string {
  const span = (a: number, b: number) => (b - a === 1 ? describeToken(tokens, a) : `${a}–${b - 1}`);
  const where = `${span(cell.q0, cell.q1)} → ${span(cell.k0, cell.k1)}`;
  const rows = cell.q1 - cell.q0;
  const cols = cell.k1 - cell.k0;
  const value = formatWeight(cell.value);
  return rows * cols === 1 ? `${where}: ${value}` : `${where}: max of ${rows} × ${cols} tokens: ${value}`;
}

function textColour(el: Element): string {
  try {
    return getComputedStyle(el).color || "#222";
  } catch {
    return "#222";
  }
}

export function formatWeight(w: number): string {
  if (!Number.isFinite(w)) return String(w);
  return w !== 0 && Math.abs(w) < 0.001 ? w.toExponential(2) : w.toFixed(3);
}
