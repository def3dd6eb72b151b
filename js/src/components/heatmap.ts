/**
 * The detail heatmap: `_detail.pattern` (`[query, key]`, n up to a few thousand) on a canvas.
 *
 * The matrix is coloured once into offscreen canvases when it arrives: full resolution
 * plus, when n exceeds the plot's pixels, 2×2 max-pooled levels, so a one-cell-wide
 * line (a previous-token diagonal, say) survives being shown smaller than a pixel.
 * Every later paint (zoom, pan, hover, highlight) is one scaled `drawImage` plus
 * overlays, scheduled at most once per animation frame. Wheel zooms about the pointer,
 * drag pans, double-click resets.
 */

import type { DetailMatrix } from "../attention/types";
import { putColour } from "../lib/colormap";
import { context2d, h, nextFrame } from "../lib/dom";
import { describeToken, shortLabel } from "../lib/token_text";
import type { Axis } from "../lib/types";

/** CSS pixels of the canvas side, and of the label margin left of and above the plot. */
const SIZE = 480;
const MARGIN = 72;
const PLOT = SIZE - MARGIN - 4;
/** Labels are drawn once a cell is at least this many CSS pixels. */
const LABEL_MIN_CELL = 10;
const MAX_CELL = 64;

export interface HeatmapFocus {
  hover: number;
  pinned: number;
  axis: Axis;
}

export class Heatmap {
  readonly el: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLDivElement;
  private readonly ctx: CanvasRenderingContext2D | null;
  private matrix: DetailMatrix | null = null;
  private causal = false;
  /** Coloured matrix, full resolution first, then max-pooled by 2, 4, … */
  private levels: Level[] = [];
  private readonly dpr: number;
  private tokens: readonly string[] = [];
  private focus: HeatmapFocus = { hover: -1, pinned: -1, axis: "query" };
  /** Cell size in CSS px, and the plot position of cell (0, 0). */
  private scale = 1;
  private x = 0;
  private y = 0;
  private hoverCell: { q: number; k: number } | null = null;
  private drag: { px: number; py: number; x: number; y: number } | null = null;
  private cancelFrame: (() => void) | null = null;

  constructor(signal: AbortSignal) {
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
    signal.addEventListener("abort", () => this.cancelFrame?.());
  }

  /** Show a new matrix (or none) and paint it now. `causal` greys out the masked upper triangle. */
  setMatrix(matrix: DetailMatrix | null, causal: boolean): void {
    if (matrix?.n !== this.matrix?.n) this.resetView(matrix?.n ?? 0);
    this.matrix = matrix;
    this.causal = causal;
    const fitFactor = matrix ? (matrix.n * this.dpr) / PLOT : 1;
    this.levels = matrix ? buildLevels(matrix, causal, fitFactor) : [];
    this.hoverCell = null;
    this.tooltip.hidden = true;
    this.paint();
  }

  setTokens(tokens: readonly string[]): void {
    this.tokens = tokens;
    this.schedule();
  }

  setFocus(focus: HeatmapFocus): void {
    const f = this.focus;
    if (f.hover === focus.hover && f.pinned === focus.pinned && f.axis === focus.axis) return;
    this.focus = focus;
    this.schedule();
  }

  /** Paint now (cancelling a scheduled paint). */
  paint(): void {
    this.cancelFrame?.();
    this.cancelFrame = null;
    const ctx = this.ctx;
    if (!ctx) return;
    ctx.clearRect(0, 0, SIZE, SIZE);
    const m = this.matrix;
    const level = this.pickLevel();
    if (!m || !level) return;
    const colour = textColour(this.el);
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN, MARGIN, PLOT, PLOT);
    ctx.clip();
    ctx.translate(MARGIN + this.x, MARGIN + this.y);
    ctx.scale(this.scale, this.scale);
    ctx.beginPath();
    ctx.rect(0, 0, m.n, m.n); // a pooled level's last cell may overhang the matrix
    ctx.clip();
    ctx.imageSmoothingEnabled = false;
    const side = level.size * level.factor;
    ctx.drawImage(level.canvas, 0, 0, side, side);
    this.drawHighlights(ctx, m.n);
    ctx.restore();
    this.drawLabels(ctx, m.n, colour);
  }

  /** The coarsest level whose cells still cover at least one device pixel each. */
  private pickLevel(): Level | null {
    const need = 1 / (this.scale * this.dpr);
    let chosen: Level | null = null;
    for (const level of this.levels) {
      chosen = level;
      if (level.factor >= need) break;
    }
    return chosen;
  }

  private schedule(): void {
    if (this.cancelFrame) return;
    this.cancelFrame = nextFrame(() => {
      this.cancelFrame = null;
      this.paint();
    });
  }

  /** Bands for the pinned and the hovered token, an outline for the hovered cell (matrix units). */
  private drawHighlights(ctx: CanvasRenderingContext2D, n: number): void {
    const line = 1 / this.scale;
    const band = (i: number, fill: string, stroke: string) => {
      if (i < 0 || i >= n) return;
      const [x, y, w, hgt] = this.focus.axis === "query" ? [0, i, n, 1] : [i, 0, 1, n];
      ctx.fillStyle = fill;
      ctx.fillRect(x, y, w, hgt);
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 2 * line;
      ctx.strokeRect(x, y, w, hgt);
    };
    band(this.focus.pinned, "rgba(255, 140, 0, 0.18)", "rgba(230, 100, 0, 0.9)");
    if (this.focus.hover !== this.focus.pinned)
      band(this.focus.hover, "rgba(255, 140, 0, 0.25)", "rgba(255, 140, 0, 0.6)");
    if (this.hoverCell) {
      ctx.strokeStyle = "rgba(230, 60, 0, 1)";
      ctx.lineWidth = 2 * line;
      ctx.strokeRect(this.hoverCell.k, this.hoverCell.q, 1, 1);
    }
  }

  /** Token labels on both axes when cells are big enough, and the axis names. */
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
    const first = Math.max(0, Math.floor(-this.x / this.scale));
    const last = Math.min(n - 1, Math.ceil((PLOT - this.x) / this.scale));
    const firstRow = Math.max(0, Math.floor(-this.y / this.scale));
    const lastRow = Math.min(n - 1, Math.ceil((PLOT - this.y) / this.scale));
    ctx.textAlign = "right";
    for (let q = firstRow; q <= lastRow; q++) {
      const cy = MARGIN + this.y + (q + 0.5) * this.scale;
      if (cy < MARGIN || cy > MARGIN + PLOT) continue;
      ctx.fillText(shortLabel(this.tokens[q] ?? String(q), 10), MARGIN - 4, cy, MARGIN - 6);
    }
    ctx.textAlign = "left";
    for (let k = first; k <= last; k++) {
      const cx = MARGIN + this.x + (k + 0.5) * this.scale;
      if (cx < MARGIN || cx > MARGIN + PLOT) continue;
      ctx.save();
      ctx.translate(cx, MARGIN - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(shortLabel(this.tokens[k] ?? String(k), 10), 0, 0, MARGIN - 6);
      ctx.restore();
    }
  }

  private resetView(n: number): void {
    this.scale = n > 0 ? PLOT / n : 1;
    this.x = 0;
    this.y = 0;
  }

  /** Keep the matrix covering the plot: no panning past its edges. */
  private clampView(): void {
    const n = this.matrix?.n ?? 0;
    if (n === 0) return;
    this.scale = Math.min(Math.max(this.scale, PLOT / n), MAX_CELL);
    const side = n * this.scale;
    this.x = Math.min(0, Math.max(PLOT - side, this.x));
    this.y = Math.min(0, Math.max(PLOT - side, this.y));
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
        if (!this.matrix) return;
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
      },
      { signal, passive: false },
    );
    c.addEventListener(
      "pointerdown",
      (e) => {
        if (!this.matrix || e.button !== 0) return;
        this.drag = { px: e.clientX, py: e.clientY, x: this.x, y: this.y };
        c.setPointerCapture?.(e.pointerId);
      },
      { signal },
    );
    c.addEventListener("pointermove", (e) => this.onPointerMove(e), { signal });
    const endDrag = () => {
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
        this.resetView(this.matrix?.n ?? 0);
        this.schedule();
      },
      { signal },
    );
  }

  private onPointerMove(e: PointerEvent): void {
    const m = this.matrix;
    if (!m) return;
    if (this.drag) {
      this.x = this.drag.x + e.clientX - this.drag.px;
      this.y = this.drag.y + e.clientY - this.drag.py;
      this.clampView();
      this.schedule();
      return;
    }
    const [px, py] = this.plotPoint(e);
    const q = Math.floor((py - this.y) / this.scale);
    const k = Math.floor((px - this.x) / this.scale);
    const inside = px >= 0 && py >= 0 && px < PLOT && py < PLOT && q >= 0 && k >= 0 && q < m.n && k < m.n;
    this.hoverCell = inside ? { q, k } : null;
    this.tooltip.hidden = !inside;
    if (inside) {
      const w = m.values[q * m.n + k] as number;
      const masked = this.causal && k > q;
      this.tooltip.textContent = `${describeToken(this.tokens, q)} → ${describeToken(this.tokens, k)}: ${
        masked ? "masked" : formatWeight(w)
      }`;
      this.tooltip.style.left = `${Math.min(px + MARGIN + 12, SIZE - 160)}px`;
      this.tooltip.style.top = `${py + MARGIN + 12}px`;
    }
    this.schedule();
  }
}

interface Level {
  /** Matrix cells per level cell along each axis (1, 2, 4, …). */
  factor: number;
  /** Side of this level in cells. */
  size: number;
  canvas: HTMLCanvasElement;
}

/** Full resolution, then 2×2 max-pooled levels until one cell per device pixel at fit zoom. */
function buildLevels(m: DetailMatrix, causal: boolean, fitFactor: number): Level[] {
  const levels: Level[] = [];
  let values = m.values;
  let size = m.n;
  let factor = 1;
  for (;;) {
    const canvas = colourise(values, size, m.max, causal);
    if (!canvas) break; // no 2D context
    levels.push({ factor, size, canvas });
    if (factor >= fitFactor || size <= 1) break;
    values = maxPool(values, size);
    size = Math.ceil(size / 2);
    factor *= 2;
  }
  return levels;
}

/** 2×2 max pooling of a square `[size, size]` matrix (the last row/column may be a half block). */
export function maxPool(values: Float32Array, size: number): Float32Array {
  const half = Math.ceil(size / 2);
  const out = new Float32Array(half * half);
  for (let r = 0; r < size; r++) {
    const row = r * size;
    const outRow = (r >> 1) * half;
    for (let c = 0; c < size; c++) {
      const v = values[row + c] as number;
      const o = outRow + (c >> 1);
      if (v > (out[o] as number)) out[o] = v;
    }
  }
  return out;
}

/**
 * Colour a `[size, size]` matrix into a canvas, scaled so `max` is the darkest colour.
 * With `causal`, cells right of the diagonal (wholly masked, at any pooling level) are
 * left transparent so the background shows through.
 */
function colourise(
  values: Float32Array,
  size: number,
  max: number,
  causal: boolean,
): HTMLCanvasElement | null {
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  const ctx = context2d(canvas);
  if (!ctx || size === 0) return null;
  const image = ctx.createImageData(size, size);
  const out = image.data;
  const scale = max > 0 ? 255 / max : 0;
  for (let q = 0; q < size; q++) {
    const row = q * size;
    for (let k = 0; k < size; k++) {
      const p = 4 * (row + k);
      if (causal && k > q) continue; // createImageData is transparent black
      const v = values[row + k] as number;
      putColour(out, p, v > 0 ? Math.min(255, Math.round(v * scale)) : 0);
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
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
