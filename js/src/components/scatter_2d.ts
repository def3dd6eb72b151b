/**
 * Canvas2D scatter renderer, the fallback where WebGL is unavailable. Every draw walks all
 * points (squares are much cheaper than arcs here), unselected first so that selected points,
 * drawn larger and outlined, stay on top. Without any 2D context (test DOMs) it draws nothing.
 */
import { context2d } from "../lib/dom";
import {
  type PointStyle,
  type ScatterRenderer,
  SELECTED_ALPHA,
  SELECTED_GROWTH,
  type ViewTransform,
} from "./scatter_renderer";

export class Canvas2dRenderer implements ScatterRenderer {
  readonly kind = "canvas2d";
  private readonly ctx: CanvasRenderingContext2D | null;
  private xy: Float32Array = new Float32Array(0);
  private n = 0;
  private colours: Uint8Array = new Uint8Array(0);
  private width = 0;
  private height = 0;
  private dpr = 1;
  /** CSS colour strings by packed RGB, so fillStyle is not reformatted per point. */
  private readonly css = new Map<number, string>();

  constructor(readonly canvas: HTMLCanvasElement) {
    this.ctx = context2d(canvas);
  }

  resize(width: number, height: number, dpr: number): void {
    this.width = width;
    this.height = height;
    this.dpr = dpr;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
  }

  setPositions(xy: Float32Array, n: number): void {
    this.xy = xy;
    this.n = n;
  }

  setColours(bytes: Uint8Array): void {
    this.colours = bytes;
  }

  draw(view: ViewTransform, style: PointStyle): void {
    const ctx = this.ctx;
    if (!ctx) return;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    if (this.colours.length < 4 * this.n) return;
    const [r, g, b] = style.ring;
    ctx.strokeStyle = `rgb(${r}, ${g}, ${b})`;
    ctx.lineWidth = 1;
    for (const selected of [false, true]) {
      const size = selected ? style.size + SELECTED_GROWTH : style.size;
      ctx.globalAlpha = selected ? SELECTED_ALPHA : style.alpha;
      let last = -1;
      for (let i = 0; i < this.n; i++) {
        if ((this.colours[4 * i + 3] === 255) !== selected) continue;
        const sx = view.tx + (this.xy[2 * i] as number) * view.scale - size / 2;
        const sy = view.ty - (this.xy[2 * i + 1] as number) * view.scale - size / 2;
        if (!(sx > -size && sy > -size && sx < this.width && sy < this.height)) continue;
        const rgb = ((this.colours[4 * i] as number) << 16) | ((this.colours[4 * i + 1] as number) << 8);
        const key = rgb | (this.colours[4 * i + 2] as number);
        if (key !== last) {
          ctx.fillStyle = this.cssColour(key);
          last = key;
        }
        ctx.fillRect(sx, sy, size, size);
        if (selected) ctx.strokeRect(sx, sy, size, size);
      }
    }
    ctx.globalAlpha = 1;
  }

  dispose(): void {
    this.xy = new Float32Array(0);
    this.colours = new Uint8Array(0);
    this.n = 0;
  }

  private cssColour(key: number): string {
    let css = this.css.get(key);
    if (css === undefined) {
      css = `rgb(${key >> 16}, ${(key >> 8) & 255}, ${key & 255})`;
      this.css.set(key, css);
    }
    return css;
  }
}
