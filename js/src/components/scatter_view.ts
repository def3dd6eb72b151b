/**
 * The scatterplot box: one canvas drawn by a renderer (scatter_gl.ts), an SVG overlay for the
 * hover ring and the box/lasso outline, and a tooltip. It owns the view transform and all
 * pointer interaction:
 *
 * - drag pans (pan mode), or draws a box (box mode, or Shift in pan mode) or a lasso; the
 *   selection test runs once, on release, against the spatial index;
 * - wheel zooms about the pointer, double-click refits;
 * - hover finds the nearest point within a few pixels through the index.
 *
 * Pan and zoom only change the transform; drawing is coalesced to one per animation frame.
 */
import { h, nextFrame, svg } from "../lib/dom";
import type { DragMode, ProjectionPoints } from "../projection/types";
import { createRenderer } from "./scatter_gl";
import { type Bounds, ScatterIndex } from "./scatter_index";
import type { ScatterRenderer, ViewTransform } from "./scatter_renderer";

/** Size of the box before layout tells the real one (and in DOMs without layout). */
export const DEFAULT_WIDTH = 640;
export const DEFAULT_HEIGHT = 480;
/** Hover picks the nearest point within this many CSS px. */
const HOVER_PX = 8;
/** Fraction of the box left empty on each side when fitting. */
const FIT_MARGIN = 0.05;
/** A box or lasso smaller than this (CSS px) is a click, not a selection. */
const CLICK_PX = 3;
/** A lasso vertex is added once the pointer has moved this far (CSS px). */
const LASSO_STEP_PX = 3;
/** Zoom limits relative to the fitted scale. */
const MIN_ZOOM = 0.25;
const MAX_ZOOM = 10_000;
/** Opacity of unselected points while a selection exists. */
const DIMMED_ALPHA = 0.12;

export interface ScatterCallbacks {
  /** A box or lasso was released over these point ids (ascending; possibly none). */
  onSelect(ids: Int32Array): void;
  /** Tooltip content for point `id`: text nodes and elements, never markup. */
  describe(id: number): Node[];
}

type Drag =
  | { kind: "pan"; x: number; y: number; tx: number; ty: number }
  | { kind: "box"; x0: number; y0: number; x1: number; y1: number }
  | { kind: "lasso"; points: number[]; path: string };

/** The transform that shows `bounds` centred, with a margin, in a `width × height` box. */
export function fitView(bounds: Bounds | null, width: number, height: number): ViewTransform {
  if (!bounds) return { scale: 1, tx: width / 2, ty: height / 2 };
  const w = bounds.maxX - bounds.minX;
  const hgt = bounds.maxY - bounds.minY;
  const fill = 1 - 2 * FIT_MARGIN;
  let scale = Math.min(w > 0 ? (width * fill) / w : Infinity, hgt > 0 ? (height * fill) / hgt : Infinity);
  if (!Number.isFinite(scale)) scale = 1; // a single point, or all points equal
  const cx = (bounds.minX + bounds.maxX) / 2;
  const cy = (bounds.minY + bounds.maxY) / 2;
  return { scale, tx: width / 2 - cx * scale, ty: height / 2 + cy * scale };
}

export function toScreen(v: ViewTransform, x: number, y: number): [number, number] {
  return [v.tx + x * v.scale, v.ty - y * v.scale];
}

export function toData(v: ViewTransform, sx: number, sy: number): [number, number] {
  return [(sx - v.tx) / v.scale, (v.ty - sy) / v.scale];
}

/** Point diameter in CSS px: smaller the more points there are, growing slowly when zoomed in. */
export function pointSize(n: number, zoom: number): number {
  const base = n > 50_000 ? 2.5 : n > 5_000 ? 3.5 : 5;
  return base * Math.min(4, Math.max(1, Math.sqrt(zoom)));
}

/** Opacity of points without a selection: lower the more there are, so dense regions read as dense. */
function baseAlpha(n: number): number {
  return Math.min(0.9, Math.max(0.35, 1.2 - 0.15 * Math.log10(Math.max(n, 1))));
}

export class ScatterView {
  readonly el: HTMLDivElement;
  private readonly renderer: ScatterRenderer;
  private readonly outline: SVGPathElement;
  private readonly ring: SVGCircleElement;
  private readonly tooltip: HTMLDivElement;
  private readonly empty: HTMLDivElement;
  private points: ProjectionPoints | null = null;
  private index: ScatterIndex | null = null;
  private view: ViewTransform = { scale: 1, tx: 0, ty: 0 };
  private fitScale = 1;
  private width = 0;
  private height = 0;
  /** The user panned or zoomed since the last fit (a resize then keeps the view instead of refitting). */
  private moved = false;
  private mode: DragMode = "pan";
  private drag: Drag | null = null;
  private hasSelection = false;
  /** The point under the pointer, and one shown from outside (a context hovered in the panel). */
  private hovered = -1;
  private highlighted = -1;
  private ringColour: [number, number, number] = [34, 34, 34];
  private cancelFrame: (() => void) | null = null;

  constructor(
    private readonly callbacks: ScatterCallbacks,
    signal: AbortSignal,
  ) {
    this.renderer = createRenderer(() => this.schedule());
    this.renderer.canvas.className = "ilw-scatter-canvas";
    this.outline = svg("path", { class: "ilw-selection-outline" });
    this.ring = svg("circle", { class: "ilw-hover-ring", r: 0, visibility: "hidden" });
    const overlay = svg("svg", { class: "ilw-scatter-overlay", "aria-hidden": "true" });
    overlay.append(this.outline, this.ring);
    this.tooltip = h("div", { className: "ilw-scatter-tooltip", attrs: { hidden: "", role: "status" } });
    this.empty = h("div", { className: "ilw-scatter-empty", text: "No projection yet." });
    this.el = h(
      "div",
      {
        className: "ilw-scatter",
        attrs: {
          tabindex: "0",
          "data-points": "0",
          "data-renderer": this.renderer.kind,
          "data-mode": this.mode,
          "aria-label":
            "Projected points. Drag to pan or select, wheel to zoom, Escape clears the selection.",
        },
      },
      [this.renderer.canvas, overlay, this.empty, this.tooltip],
    );
    this.measure();
    this.listen(signal);
    if (typeof ResizeObserver === "function") {
      const observer = new ResizeObserver(() => this.measure());
      observer.observe(this.el);
      signal.addEventListener("abort", () => observer.disconnect());
    }
    signal.addEventListener("abort", () => {
      this.cancelFrame?.();
      this.renderer.dispose();
    });
  }

  /** Show `points` (or none). `refit` fits the view to them; otherwise the view is kept. */
  setPoints(points: ProjectionPoints | null, refit: boolean): void {
    this.points = points;
    this.index = points ? new ScatterIndex(points.xy, points.n) : null;
    this.renderer.setPositions(points?.xy ?? new Float32Array(0), points?.n ?? 0);
    const data = this.el.dataset;
    data.points = String(points?.n ?? 0);
    if (points) {
      data.layer = String(points.layer);
      data.method = points.method;
    } else {
      delete data.layer;
      delete data.method;
    }
    this.empty.hidden = points !== null;
    this.setHover(-1);
    if (refit || !points) this.fit();
    this.schedule();
  }

  /** Per-point colour and selection bytes (see `pointBytes`) for the current points. */
  setColours(bytes: Uint8Array, hasSelection: boolean): void {
    this.renderer.setColours(bytes);
    this.hasSelection = hasSelection;
    this.schedule();
  }

  setMode(mode: DragMode): void {
    this.mode = mode;
    this.el.dataset.mode = mode;
  }

  /** Dim the points while they belong to another layer or method than the one asked for. */
  setStale(stale: boolean): void {
    this.el.classList.toggle("ilw-stale", stale);
  }

  /** Ring point `id` (-1: none) as if hovered, without a tooltip. */
  setHighlight(id: number): void {
    this.highlighted = id;
    this.placeHover();
  }

  /** Fit the view to the points. */
  fit(): void {
    this.view = fitView(this.index?.bounds ?? null, this.width, this.height);
    this.fitScale = this.view.scale;
    this.moved = false;
    this.schedule();
  }

  /** Abandon a drag in progress; false if there was none. */
  cancelDrag(): boolean {
    if (!this.drag) return false;
    this.endDrag();
    return true;
  }

  private schedule(): void {
    if (this.cancelFrame) return;
    this.cancelFrame = nextFrame(() => {
      this.cancelFrame = null;
      this.paint();
    });
  }

  private paint(): void {
    const n = this.points?.n ?? 0;
    this.renderer.draw(this.view, {
      size: pointSize(n, this.view.scale / this.fitScale),
      alpha: this.hasSelection ? DIMMED_ALPHA : baseAlpha(n),
      ring: this.ringColour,
    });
    this.placeHover();
  }

  /** Follow the box's size (CSS px) and the device pixel ratio; keeps the view centred once moved. */
  private measure(): void {
    const width = this.el.clientWidth || DEFAULT_WIDTH;
    const height = this.el.clientHeight || DEFAULT_HEIGHT;
    const dpr = globalThis.devicePixelRatio || 1;
    this.ringColour = parseRgb(this.el) ?? this.ringColour;
    if (
      width === this.width &&
      height === this.height &&
      this.renderer.canvas.width === Math.round(width * dpr)
    ) {
      return;
    }
    const [dx, dy] = [(width - this.width) / 2, (height - this.height) / 2];
    this.width = width;
    this.height = height;
    this.renderer.resize(width, height, dpr);
    if (this.moved) this.view = { ...this.view, tx: this.view.tx + dx, ty: this.view.ty + dy };
    else this.fit();
    this.schedule();
  }

  /** Pointer position in CSS px relative to the box; the centre for synthetic events without one. */
  private local(e: MouseEvent): [number, number] {
    const rect = this.el.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    return Number.isFinite(x) && Number.isFinite(y) ? [x, y] : [this.width / 2, this.height / 2];
  }

  private listen(signal: AbortSignal): void {
    const el = this.el;
    const on = <K extends keyof HTMLElementEventMap>(
      type: K,
      handler: (e: HTMLElementEventMap[K]) => void,
      passive = true,
    ) => el.addEventListener(type, handler, { signal, passive });
    on(
      "pointerdown",
      (e) => {
        if (!this.points || e.button !== 0) return;
        e.preventDefault(); // no text selection while dragging
        el.focus({ preventScroll: true });
        const [x, y] = this.local(e);
        const mode = this.mode === "pan" && e.shiftKey ? "box" : this.mode;
        if (mode === "pan") this.drag = { kind: "pan", x, y, tx: this.view.tx, ty: this.view.ty };
        else if (mode === "box") this.drag = { kind: "box", x0: x, y0: y, x1: x, y1: y };
        else this.drag = { kind: "lasso", points: [x, y], path: `M${x},${y}` };
        el.classList.add("ilw-dragging");
        this.setHover(-1);
        try {
          el.setPointerCapture(e.pointerId);
        } catch {
          // Synthetic pointers cannot be captured; the drag still works inside the box.
        }
      },
      false,
    );
    on("pointermove", (e) => this.onMove(e));
    on("pointerup", () => this.finishDrag());
    on("pointercancel", () => this.cancelDrag());
    on("pointerleave", () => {
      if (!this.drag) this.setHover(-1);
    });
    on("wheel", (e) => this.onWheel(e), false);
    on("dblclick", () => this.fit());
  }

  private onMove(e: PointerEvent): void {
    const [x, y] = this.local(e);
    const d = this.drag;
    if (d === null) {
      if (!this.index) return;
      const [dx, dy] = toData(this.view, x, y);
      this.setHover(this.index.nearest(dx, dy, HOVER_PX / this.view.scale));
      return;
    }
    if (d.kind === "pan") {
      this.view = { scale: this.view.scale, tx: d.tx + x - d.x, ty: d.ty + y - d.y };
      this.moved = true;
      this.schedule();
    } else if (d.kind === "box") {
      d.x1 = x;
      d.y1 = y;
      this.outline.setAttribute("d", `M${d.x0},${d.y0}H${x}V${y}H${d.x0}Z`);
    } else {
      const p = d.points;
      if (Math.hypot(x - (p[p.length - 2] as number), y - (p[p.length - 1] as number)) < LASSO_STEP_PX)
        return;
      p.push(x, y);
      d.path += `L${x},${y}`;
      this.outline.setAttribute("d", `${d.path}Z`);
    }
  }

  private onWheel(e: WheelEvent): void {
    if (!this.points) return;
    e.preventDefault();
    const [x, y] = this.local(e);
    const lines = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.height : 1;
    const v = this.view;
    const scale = Math.min(
      this.fitScale * MAX_ZOOM,
      Math.max(this.fitScale * MIN_ZOOM, v.scale * Math.exp(-e.deltaY * lines * 0.002)),
    );
    const f = scale / v.scale;
    this.view = { scale, tx: x - (x - v.tx) * f, ty: y - (y - v.ty) * f };
    this.moved = true;
    this.schedule();
  }

  /** End a box or lasso with its selection test (once, here), or a pan. */
  private finishDrag(): void {
    const d = this.drag;
    const index = this.index;
    this.endDrag();
    if (!d || !index) return;
    if (d.kind === "box") {
      if (Math.abs(d.x1 - d.x0) < CLICK_PX && Math.abs(d.y1 - d.y0) < CLICK_PX) return;
      const [ax, ay] = toData(this.view, d.x0, d.y0);
      const [bx, by] = toData(this.view, d.x1, d.y1);
      this.callbacks.onSelect(index.inBox(ax, ay, bx, by));
    } else if (d.kind === "lasso") {
      if (d.points.length < 6) return;
      const polygon = new Float64Array(d.points.length);
      for (let i = 0; i < d.points.length; i += 2) {
        const [x, y] = toData(this.view, d.points[i] as number, d.points[i + 1] as number);
        polygon[i] = x;
        polygon[i + 1] = y;
      }
      this.callbacks.onSelect(index.inPolygon(polygon));
    }
  }

  private endDrag(): void {
    this.drag = null;
    this.el.classList.remove("ilw-dragging");
    this.outline.removeAttribute("d");
  }

  private setHover(id: number): void {
    if (id === this.hovered) return;
    this.hovered = id;
    this.tooltip.hidden = id < 0;
    if (id >= 0) this.tooltip.replaceChildren(...this.callbacks.describe(id));
    this.placeHover();
  }

  /** Put the ring on the hovered (else highlighted) point and the tooltip next to the hovered one. */
  private placeHover(): void {
    const id = this.hovered >= 0 ? this.hovered : this.highlighted;
    const p = this.points;
    const [sx, sy] =
      p && id >= 0 && id < p.n
        ? toScreen(this.view, p.xy[2 * id] as number, p.xy[2 * id + 1] as number)
        : [NaN, NaN];
    const shown = Number.isFinite(sx) && Number.isFinite(sy);
    this.ring.setAttribute("visibility", shown ? "visible" : "hidden");
    if (!shown) return;
    const size = pointSize(p?.n ?? 0, this.view.scale / this.fitScale);
    this.ring.setAttribute("cx", sx.toFixed(1));
    this.ring.setAttribute("cy", sy.toFixed(1));
    this.ring.setAttribute("r", (size / 2 + 3).toFixed(1));
    if (this.hovered < 0) return;
    // Right of and below the point, flipped where it would leave the box.
    const t = this.tooltip;
    const left = sx + 12 + t.offsetWidth > this.width ? sx - 12 - t.offsetWidth : sx + 12;
    const top = sy + 12 + t.offsetHeight > this.height ? sy - 12 - t.offsetHeight : sy + 12;
    t.style.left = `${Math.max(0, left)}px`;
    t.style.top = `${Math.max(0, top)}px`;
  }
}

/** The element's text colour as RGB, for the ring around selected points; null if unreadable. */
function parseRgb(el: Element): [number, number, number] | null {
  try {
    const m = getComputedStyle(el).color.match(/rgba?\((\d+),\s*(\d+),\s*(\d+)/);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
  } catch {
    return null;
  }
}
