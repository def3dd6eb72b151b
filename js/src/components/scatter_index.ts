/**
 * A uniform grid over the points of a scatterplot, built once per data change in O(N) (a
 * counting sort of point ids by cell). Hover then finds the nearest point by looking only at
 * the few cells within the hover radius, and box/lasso selections test only the points in the
 * cells their bounding box touches. Points with a non-finite coordinate are left out.
 */

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Points per cell on average: a few, so a lookup reads little and the grid stays small. */
const POINTS_PER_CELL = 4;
const MAX_CELLS_PER_SIDE = 2048;

export class ScatterIndex {
  /** Bounds of the indexed points, null when there are none. */
  readonly bounds: Bounds | null;
  private readonly xy: Float32Array;
  private readonly cols: number;
  private readonly rows: number;
  private readonly cellsPerX: number;
  private readonly cellsPerY: number;
  /** Point ids of cell c are `order[cellStart[c] .. cellStart[c + 1])`, ascending. */
  private readonly cellStart: Uint32Array;
  private readonly order: Uint32Array;

  /** Index the first `n` points of `xy` (`[x0, y0, x1, y1, …]`). */
  constructor(xy: Float32Array, n: number) {
    this.xy = xy;
    const bounds = finiteBounds(xy, n);
    this.bounds = bounds;
    let indexed = 0;
    for (let i = 0; i < n; i++) if (isFinitePoint(xy, i)) indexed++;
    const w = bounds ? bounds.maxX - bounds.minX : 0;
    const hgt = bounds ? bounds.maxY - bounds.minY : 0;
    // Cells roughly square in data units; a degenerate axis (all x equal, say) gets one cell.
    const cells = Math.max(1, Math.ceil(indexed / POINTS_PER_CELL));
    this.cols = w > 0 ? clampInt(hgt > 0 ? Math.sqrt((cells * w) / hgt) : cells, 1, MAX_CELLS_PER_SIDE) : 1;
    this.rows = hgt > 0 ? clampInt(cells / this.cols, 1, MAX_CELLS_PER_SIDE) : 1;
    this.cellsPerX = w > 0 ? this.cols / w : 0;
    this.cellsPerY = hgt > 0 ? this.rows / hgt : 0;

    const cellOf = new Int32Array(n);
    const start = new Uint32Array(this.cols * this.rows + 1);
    for (let i = 0; i < n; i++) {
      const c = isFinitePoint(xy, i) ? this.cell(xy[2 * i] as number, xy[2 * i + 1] as number) : -1;
      cellOf[i] = c;
      if (c >= 0) (start[c + 1] as number)++;
    }
    for (let c = 1; c < start.length; c++) start[c] = (start[c] as number) + (start[c - 1] as number);
    const fill = start.slice(0, -1);
    const order = new Uint32Array(indexed);
    for (let i = 0; i < n; i++) {
      const c = cellOf[i] as number;
      if (c >= 0) order[(fill[c] as number)++] = i;
    }
    this.cellStart = start;
    this.order = order;
  }

  /**
   * The point nearest to (x, y) within `radius` (data units), or -1. On a tie the higher id
   * wins, as it is drawn on top.
   */
  nearest(x: number, y: number, radius: number): number {
    let best = -1;
    let bestD = radius * radius;
    this.forCandidates(x - radius, y - radius, x + radius, y + radius, (i, px, py) => {
      const d = (px - x) * (px - x) + (py - y) * (py - y);
      if (d < bestD || (d === bestD && i > best)) {
        best = i;
        bestD = d;
      }
    });
    return best;
  }

  /** Ids of the points inside the box (edges included), ascending. */
  inBox(x0: number, y0: number, x1: number, y1: number): Int32Array {
    const [ax, bx] = x0 <= x1 ? [x0, x1] : [x1, x0];
    const [ay, by] = y0 <= y1 ? [y0, y1] : [y1, y0];
    const hits: number[] = [];
    this.forCandidates(ax, ay, bx, by, (i, px, py) => {
      if (px >= ax && px <= bx && py >= ay && py <= by) hits.push(i);
    });
    return Int32Array.from(hits).sort();
  }

  /**
   * Ids of the points inside `polygon` (`[x0, y0, x1, y1, …]`, even-odd rule), ascending. Each
   * grid row tests its points only against the edges that reach into it (a few, not all).
   */
  inPolygon(polygon: ArrayLike<number>): Int32Array {
    const box = polygonBounds(polygon);
    const b = this.bounds;
    if (box === null || b === null) return new Int32Array(0);
    const hits: number[] = [];
    const nv = polygon.length >> 1;
    const rowHeight = this.cellsPerY > 0 ? 1 / this.cellsPerY : Number.POSITIVE_INFINITY;
    const c0 = this.column(box.minX);
    const c1 = this.column(box.maxX);
    const { xy, order, cellStart } = this;
    for (let r = this.row(box.minY); r <= this.row(box.maxY); r++) {
      // Half a row of slack each side, so rounding in `row()` can never drop an edge.
      const lo = b.minY + (r - 0.5) * rowHeight;
      const hi = b.minY + (r + 1.5) * rowHeight;
      const edges: number[] = [];
      for (let i = 0, j = nv - 1; i < nv; j = i++) {
        const yi = polygon[2 * i + 1] as number;
        const yj = polygon[2 * j + 1] as number;
        if (Math.max(yi, yj) >= lo && Math.min(yi, yj) <= hi) {
          edges.push(polygon[2 * i] as number, yi, polygon[2 * j] as number, yj);
        }
      }
      if (edges.length === 0) continue;
      const end = cellStart[r * this.cols + c1 + 1] as number;
      // The row's cells c0..c1 are contiguous in `order`.
      for (let k = cellStart[r * this.cols + c0] as number; k < end; k++) {
        const i = order[k] as number;
        const px = xy[2 * i] as number;
        const py = xy[2 * i + 1] as number;
        if (px < box.minX || px > box.maxX || py < box.minY || py > box.maxY) continue;
        let inside = false;
        for (let e = 0; e < edges.length; e += 4) {
          if (
            crosses(
              px,
              py,
              edges[e] as number,
              edges[e + 1] as number,
              edges[e + 2] as number,
              edges[e + 3] as number,
            )
          ) {
            inside = !inside;
          }
        }
        if (inside) hits.push(i);
      }
    }
    return Int32Array.from(hits).sort();
  }

  /** Call `visit` for every point in the cells that the box touches. */
  private forCandidates(
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    visit: (i: number, x: number, y: number) => void,
  ): void {
    const b = this.bounds;
    if (b === null || x1 < b.minX || y1 < b.minY || x0 > b.maxX || y0 > b.maxY) return;
    const c0 = this.column(x0);
    const c1 = this.column(x1);
    const r0 = this.row(y0);
    const r1 = this.row(y1);
    const { xy, order, cellStart } = this;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        const end = cellStart[cell + 1] as number;
        for (let k = cellStart[cell] as number; k < end; k++) {
          const i = order[k] as number;
          visit(i, xy[2 * i] as number, xy[2 * i + 1] as number);
        }
      }
    }
  }

  private column(x: number): number {
    const b = this.bounds as Bounds;
    return Math.min(this.cols - 1, Math.max(0, Math.floor((x - b.minX) * this.cellsPerX)));
  }

  private row(y: number): number {
    const b = this.bounds as Bounds;
    return Math.min(this.rows - 1, Math.max(0, Math.floor((y - b.minY) * this.cellsPerY)));
  }

  private cell(x: number, y: number): number {
    return this.row(y) * this.cols + this.column(x);
  }
}

/** Even-odd ray casting: is (x, y) inside `polygon` (`[x0, y0, x1, y1, …]`, implicitly closed)? */
export function pointInPolygon(x: number, y: number, polygon: ArrayLike<number>): boolean {
  const n = polygon.length >> 1;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = polygon[2 * i] as number;
    const yi = polygon[2 * i + 1] as number;
    const xj = polygon[2 * j] as number;
    const yj = polygon[2 * j + 1] as number;
    if (crosses(x, y, xi, yi, xj, yj)) inside = !inside;
  }
  return inside;
}

/** Does a ray from (x, y) towards +x cross the edge from (xi, yi) to (xj, yj)? */
function crosses(x: number, y: number, xi: number, yi: number, xj: number, yj: number): boolean {
  return yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi;
}

function isFinitePoint(xy: Float32Array, i: number): boolean {
  return Number.isFinite(xy[2 * i]) && Number.isFinite(xy[2 * i + 1]);
}

function finiteBounds(xy: Float32Array, n: number): Bounds | null {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (!isFinitePoint(xy, i)) continue;
    const x = xy[2 * i] as number;
    const y = xy[2 * i + 1] as number;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return minX <= maxX ? { minX, minY, maxX, maxY } : null;
}

function polygonBounds(polygon: ArrayLike<number>): Bounds | null {
  if (polygon.length < 6) return null;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i + 1 < polygon.length; i += 2) {
    xs.push(polygon[i] as number);
    ys.push(polygon[i + 1] as number);
  }
  return { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.ceil(v)));
}
