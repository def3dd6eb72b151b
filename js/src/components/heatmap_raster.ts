/**
 * Rasterising the heatmap (components/heatmap.ts): every device pixel of the plot gets the largest
 * colour level among the blocks its tokens overlap, so one strong cell survives however many
 * tokens share a pixel, and blocks of unequal size land exactly on their own tokens. The window
 * part wins wherever a pixel reaches into it; the overview fills the rest.
 */
import { blockOf, firstBetween } from "../attention/blocks";
import type { DetailPart, HeatmapData } from "../attention/types";
import { level, type Palette } from "../lib/colormap";
import { type ColorScale, scaleValue } from "../lib/scale";

/** Where the matrix sits: `scale` CSS px a token, token (0, 0) at plot position (x, y). */
export interface PlotView {
  n: number;
  scale: number;
  x: number;
  y: number;
  dpr: number;
}

/** Colour index (0..255) per block of each part, from `colourLevels`. */
export interface PartLevels {
  overview: Uint8Array;
  window: Uint8Array;
}

/**
 * Each block's colour index: `level(scaleValue(v, m, scale))` (lib/scale.ts) with `m` = `max`, or
 * the block row's entry of `rowMax` when rows are normalised. Values <= 0 and NaN are level 0,
 * the background.
 */
export function colourLevels(
  part: DetailPart,
  max: number,
  scale: ColorScale = "linear",
  rowMax: ArrayLike<number> | null = null,
): Uint8Array {
  const width = part.keyStarts.length;
  const out = new Uint8Array(part.values.length);
  for (let i = 0; i < out.length; i++) {
    const m = rowMax ? (rowMax[Math.floor(i / width)] as number) : max;
    out[i] = level(scaleValue(part.values[i] as number, m, scale));
  }
  return out;
}

/**
 * The row maxima that normalise `part`'s block rows: the largest overview value over the
 * overview block rows that the block row overlaps, so a row has one maximum at every zoom (its
 * true maximum where the overview has one row per token; the maximum of its overview block
 * row otherwise, as the overview is made of block maxima).
 */
export function rowMaxima(part: DetailPart, overview: DetailPart): Float32Array {
  const width = overview.keyStarts.length;
  const overviewMax = new Float32Array(overview.queryStarts.length);
  for (let r = 0; r < overviewMax.length; r++) {
    let m = 0;
    for (let j = 0; j < width; j++) m = Math.max(m, overview.values[r * width + j] as number);
    overviewMax[r] = m;
  }
  if (part === overview) return overviewMax;
  const starts = part.queryStarts;
  const out = new Float32Array(starts.length);
  for (let r = 0; r < starts.length; r++) {
    const first = blockOf(overview.queryStarts, starts[r] as number);
    const last = blockOf(
      overview.queryStarts,
      (r + 1 < starts.length ? (starts[r + 1] as number) : part.bounds[1]) - 1,
    );
    let m = 0;
    for (let i = first; i <= last; i++) m = Math.max(m, overviewMax[i] as number);
    out[r] = m;
  }
  return out;
}

/** First and last token under device pixel `p` of an axis whose token 0 is at `offset`; [-1, -1] for none. */
export function tokensUnder(view: PlotView, p: number, offset: number): [number, number] {
  const at = (px: number) => (px / view.dpr - offset) / view.scale;
  const a = Math.max(0, Math.floor(at(p)));
  // The epsilon keeps a pixel that ends exactly on a token boundary from claiming the next token.
  const b = Math.min(view.n - 1, Math.ceil(at(p + 1) - 1e-9) - 1);
  return a > b ? [-1, -1] : [a, b];
}

/**
 * Fill `pixels` (`side × side`, RGBA as uint32) from `d`'s parts in `palette`'s colours. A pixel
 * whose keys all come after its queries (causal) or that holds no computed query row is the
 * opaque background (level 0), as is a zero: empty cells are the page, pixel for pixel.
 */
export function rasterise(
  pixels: Uint32Array,
  side: number,
  view: PlotView,
  d: HeatmapData,
  levels: PartLevels,
  causal: boolean,
  palette: Palette,
): void {
  const colours = palette.packed;
  const empty = colours[0] as number;
  const cols = pixelTokens(view, side, view.x);
  const rows = pixelTokens(view, side, view.y);
  const ov = d.overview;
  const win = d.window;
  const ovCols = blockSpans(cols, ov.keyStarts, ov.bounds[2], ov.bounds[3]);
  const ovRows = blockSpans(rows, ov.queryStarts, ov.bounds[0], ov.bounds[1]);
  const winCols = win ? blockSpans(cols, win.keyStarts, win.bounds[2], win.bounds[3]) : null;
  const winRows = win ? blockSpans(rows, win.queryStarts, win.bounds[0], win.bounds[1]) : null;
  const ovWidth = ov.keyStarts.length;
  const winWidth = win ? win.keyStarts.length : 0;
  // The levels of the block rows under one pixel row, folded into one row per part.
  const ovRow = new Uint8Array(ovWidth);
  const winRow = new Uint8Array(winWidth);
  for (let r = 0; r < side; r++) {
    const base = r * side;
    const qLo = rows.lo[r] as number;
    const qHi = rows.hi[r] as number;
    if (r > 0 && qLo === rows.lo[r - 1] && qHi === rows.hi[r - 1]) {
      // Same tokens as the row above (zoomed in): a pixel row depends on its tokens only.
      pixels.copyWithin(base, base - side, base);
      continue;
    }
    if (qLo < 0 || (d.rows && firstBetween(d.rows, qLo, qHi) < 0)) {
      pixels.fill(empty, base, base + side);
      continue;
    }
    foldRows(levels.overview, ovWidth, ovRows.from[r] as number, ovRows.to[r] as number, ovRow);
    const inWindow = winRows !== null && winCols !== null && (winRows.from[r] as number) >= 0;
    if (inWindow)
      foldRows(levels.window, winWidth, winRows.from[r] as number, winRows.to[r] as number, winRow);
    for (let c = 0; c < side; c++) {
      const kLo = cols.lo[c] as number;
      if (kLo < 0 || (causal && kLo > qHi)) {
        pixels[base + c] = empty;
        continue;
      }
      const level =
        inWindow && (winCols.from[c] as number) >= 0
          ? largestIn(winRow, winCols.from[c] as number, winCols.to[c] as number)
          : largestIn(ovRow, ovCols.from[c] as number, ovCols.to[c] as number);
      pixels[base + c] = colours[level] as number;
    }
  }
}

/** Per device pixel, an inclusive range (`lo` -1 where there is none). */
interface Span {
  lo: Int32Array;
  hi: Int32Array;
}

/** The tokens under each device pixel of an axis whose token 0 is at `offset`. */
function pixelTokens(view: PlotView, side: number, offset: number): Span {
  const lo = new Int32Array(side);
  const hi = new Int32Array(side);
  for (let p = 0; p < side; p++) {
    const [a, b] = tokensUnder(view, p, offset);
    lo[p] = a;
    hi[p] = b;
  }
  return { lo, hi };
}

/** Per device pixel, the inclusive range of the blocks (of an axis over tokens `t0..t1-1`) its tokens overlap. */
function blockSpans(
  tokens: Span,
  starts: Int32Array,
  t0: number,
  t1: number,
): { from: Int32Array; to: Int32Array } {
  const from = new Int32Array(tokens.lo.length).fill(-1);
  const to = new Int32Array(tokens.lo.length).fill(-1);
  for (let p = 0; p < from.length; p++) {
    const lo = tokens.lo[p] as number;
    const a = Math.max(lo, t0);
    const b = Math.min(tokens.hi[p] as number, t1 - 1);
    if (lo < 0 || a > b) continue;
    from[p] = blockOf(starts, a);
    to[p] = blockOf(starts, b);
  }
  return { from, to };
}

/** Into `out`, per block column of a `[.., width]` level grid, the largest level of block rows `from..to`. */
function foldRows(levels: Uint8Array, width: number, from: number, to: number, out: Uint8Array): void {
  out.set(levels.subarray(from * width, (from + 1) * width));
  for (let i = from + 1; i <= to; i++) {
    const row = i * width;
    for (let j = 0; j < width; j++) out[j] = Math.max(out[j] as number, levels[row + j] as number);
  }
}

/** The largest of `row[from..to]`. */
function largestIn(row: Uint8Array, from: number, to: number): number {
  let best = row[from] as number;
  for (let j = from + 1; j <= to; j++) best = Math.max(best, row[j] as number);
  return best;
}
