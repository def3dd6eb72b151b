/**
 * The head grid: one small thumbnail canvas per (layer, head), drawn from `_thumbnails`.
 *
 * Each canvas is `height × width` device pixels (square in the attention explorer,
 * a `1 × t` strip in the generation tracer) scaled up by CSS, so a redraw is one
 * `putImageData` plus, when a token is highlighted, one translucent band. Redraws
 * happen only when the thumbnails or the band's thumbnail row/column change.
 */
import { level, type Palette, putColour } from "../lib/colormap";
import { context2d, h } from "../lib/dom";
import { type ColorScale, scaleValue } from "../lib/scale";
import { paletteOf } from "../lib/theme";
import type { Axis, HeadRole, HeadStats, Thumbnails } from "../lib/types";

export interface HeadGridCallbacks {
  /** A cell was clicked. */
  onSelect(layer: number, head: number): void;
  /** An arrow key asked to move the selection by (dLayer, dHead). */
  onMove(dLayer: number, dHead: number): void;
}

interface Cell {
  el: HTMLDivElement;
  canvas: HTMLCanvasElement;
  badge: HTMLSpanElement;
  ctx: CanvasRenderingContext2D | null;
  image: ImageData | null;
}

/** A highlighted token as thumbnail rows (query) or columns (key) `start` to `end` (exclusive). */
interface Band {
  axis: Axis;
  start: number;
  end: number;
}

const ARROWS: Record<string, [number, number]> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

/** Thumbnail row/column of token `i` among `nTokens`, for thumbnails of side `t`. */
export function thumbnailIndex(i: number, t: number, nTokens: number): number {
  return Math.floor((i * t) / nTokens);
}

export class HeadGrid {
  readonly el: HTMLDivElement;
  private cells: Cell[] = [];
  private nLayers = 0;
  private nHeads = 0;
  private thumbs: Thumbnails | null = null;
  private band: Band | null = null;
  private selected: Cell | null = null;
  private colorScale: ColorScale = "linear";
  private normaliseRows = false;

  constructor(callbacks: HeadGridCallbacks, signal: AbortSignal) {
    this.el = h("div", {
      className: "ilw-head-grid",
      attrs: {
        tabindex: "0",
        "aria-label": "Attention heads. Arrow keys move the selected head, Escape clears the pin.",
      },
    });
    this.el.addEventListener(
      "click",
      (event) => {
        const cell = (event.target as Element | null)?.closest<HTMLElement>(".ilw-head-cell");
        if (!cell) return;
        callbacks.onSelect(Number(cell.dataset.layer), Number(cell.dataset.head));
      },
      { signal },
    );
    this.el.addEventListener(
      "keydown",
      (event) => {
        const move = ARROWS[event.key];
        if (!move) return;
        event.preventDefault();
        callbacks.onMove(move[0], move[1]);
      },
      { signal },
    );
  }

  /** Rebuild the cells for `nLayers × nHeads` heads (only when the shape changes). */
  setShape(nLayers: number, nHeads: number): void {
    nLayers = Math.max(0, Math.floor(nLayers) || 0);
    nHeads = Math.max(0, Math.floor(nHeads) || 0);
    if (nLayers === this.nLayers && nHeads === this.nHeads) return;
    this.nLayers = nLayers;
    this.nHeads = nHeads;
    this.selected = null;
    this.el.replaceChildren();
    this.el.style.gridTemplateColumns = `auto repeat(${nHeads}, var(--ilw-cell-size))`;
    this.el.appendChild(h("span", { className: "ilw-grid-corner" }));
    for (let head = 0; head < nHeads; head++) {
      this.el.appendChild(h("span", { className: "ilw-grid-label", text: `H${head}` }));
    }
    this.cells = [];
    for (let layer = 0; layer < nLayers; layer++) {
      this.el.appendChild(h("span", { className: "ilw-grid-label", text: `L${layer}` }));
      for (let head = 0; head < nHeads; head++) {
        const canvas = h("canvas", { className: "ilw-thumb" });
        const badge = h("span", { className: "ilw-role-badge", attrs: { hidden: "" } });
        const el = h(
          "div",
          {
            className: "ilw-head-cell",
            attrs: { "data-layer": String(layer), "data-head": String(head) },
          },
          [canvas, badge],
        );
        this.el.appendChild(el);
        this.cells.push({ el, canvas, badge, ctx: null, image: null });
      }
    }
    this.setThumbnails(this.thumbs);
  }

  /** New thumbnails: rebuild every cell's image and redraw. */
  setThumbnails(thumbs: Thumbnails | null): void {
    this.thumbs = thumbs && thumbs.nLayers === this.nLayers && thumbs.nHeads === this.nHeads ? thumbs : null;
    const width = this.thumbs?.width ?? 0;
    const height = this.thumbs?.height ?? 0;
    this.cells.forEach((cell) => {
      if (cell.canvas.width !== width || cell.canvas.height !== height || cell.ctx === null) {
        cell.canvas.width = width;
        cell.canvas.height = height;
        cell.ctx = width > 0 && height > 0 ? context2d(cell.canvas) : null;
      }
    });
    this.repaint();
  }

  /** Colour scale and per-row normalisation (lib/scale.ts); repaints when they change. */
  setScale(scale: ColorScale, normaliseRows: boolean): void {
    if (scale === this.colorScale && normaliseRows === this.normaliseRows) return;
    this.colorScale = scale;
    this.normaliseRows = normaliseRows;
    this.repaint();
  }

  /** Rebuild every thumbnail's image in the page's current colours and redraw. */
  repaint(): void {
    const palette = paletteOf(this.el);
    this.cells.forEach((cell, i) => {
      cell.image = this.thumbs && cell.ctx ? this.buildImage(cell.ctx, this.thumbs, i, palette) : null;
      this.draw(cell);
    });
  }

  /** Title text (layer, head, stats, roles) and role badges. */
  setInfo(stats: HeadStats | null, roles: HeadRole[]): void {
    const rolesByCell = new Map<number, HeadRole[]>();
    for (const role of roles) {
      if (role.layer < 0 || role.layer >= this.nLayers || role.head < 0 || role.head >= this.nHeads) continue;
      const key = role.layer * this.nHeads + role.head;
      rolesByCell.set(key, [...(rolesByCell.get(key) ?? []), role]);
    }
    this.cells.forEach((cell, i) => {
      const layer = Math.floor(i / this.nHeads);
      const head = i % this.nHeads;
      const lines = [`Layer ${layer}, head ${head}`];
      if (stats) {
        stats.names.forEach((name, j) => {
          lines.push(`${name}: ${formatStat(stats.values[i * stats.k + j] as number)}`);
        });
      }
      const cellRoles = (rolesByCell.get(i) ?? []).sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
      for (const role of cellRoles) lines.push(`role: ${role.role} (${formatStat(role.score)})`);
      cell.el.title = lines.join("\n");
      const top = cellRoles[0];
      cell.badge.textContent = top ? top.role : "";
      cell.badge.hidden = !top;
    });
  }

  /** Outline the selected cell; touches only the old and the new cell. */
  setSelected(layer: number, head: number): void {
    const inRange = layer >= 0 && layer < this.nLayers && head >= 0 && head < this.nHeads;
    const cell = inRange ? (this.cells[layer * this.nHeads + head] ?? null) : null;
    if (cell === this.selected) return;
    this.selected?.el.classList.remove("ilw-selected");
    cell?.el.classList.add("ilw-selected");
    this.selected = cell;
  }

  /** Highlight token `token` (-1: none) as a band on every thumbnail. */
  setFocus(token: number, axis: Axis, nTokens: number): void {
    // Query rows run down the image, key columns across it.
    const t = (axis === "query" ? this.thumbs?.height : this.thumbs?.width) ?? 0;
    let band: Band | null = null;
    if (token >= 0 && token < nTokens && t > 0) {
      const start = thumbnailIndex(token, t, nTokens);
      band = { axis, start, end: Math.max(start + 1, thumbnailIndex(token + 1, t, nTokens)) };
    }
    const same =
      band?.axis === this.band?.axis && band?.start === this.band?.start && band?.end === this.band?.end;
    if (same) return;
    this.band = band;
    for (const cell of this.cells) this.draw(cell);
  }

  /**
   * One thumbnail's pixels: each is 0..255 of its head's own maximum, so the scale maximum is
   * 255, or the pixel row's largest value when rows are normalised.
   */
  private buildImage(
    ctx: CanvasRenderingContext2D,
    thumbs: Thumbnails,
    cellIndex: number,
    palette: Palette,
  ): ImageData {
    const { width, height } = thumbs;
    const image = ctx.createImageData(width, height);
    const offset = cellIndex * width * height;
    for (let r = 0; r < height; r++) {
      const row = offset + r * width;
      let m = 255;
      if (this.normaliseRows) {
        m = 0;
        for (let c = 0; c < width; c++) m = Math.max(m, thumbs.data[row + c] as number);
      }
      for (let c = 0; c < width; c++) {
        const t = scaleValue(thumbs.data[row + c] as number, m, this.colorScale);
        putColour(image.data, 4 * (r * width + c), level(t), palette);
      }
    }
    return image;
  }

  private draw(cell: Cell): void {
    const { ctx, image } = cell;
    if (!ctx) return;
    if (!image) {
      ctx.clearRect(0, 0, cell.canvas.width, cell.canvas.height);
      return;
    }
    ctx.putImageData(image, 0, 0);
    const band = this.band;
    if (band) {
      ctx.fillStyle = "rgba(255, 140, 0, 0.45)";
      if (band.axis === "query") ctx.fillRect(0, band.start, image.width, band.end - band.start);
      else ctx.fillRect(band.start, 0, band.end - band.start, image.height);
    }
  }
}

function formatStat(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}
