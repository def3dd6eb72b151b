/**
 * Colour maps: a sequential white → dark blue map as a 256-entry RGB lookup table for
 * canvases and cell grids, a diverging blue – white – red map for signed effects, and a
 * categorical palette for labels.
 */

/** `[x, r, g, b]` stops, x ascending. */
type Stops = ReadonlyArray<readonly [number, number, number, number]>;

/** Stops after ColorBrewer "Blues". Index 0 is white, 255 is darkest. */
const STOPS: Stops = [
  [0, 255, 255, 255],
  [0.25, 198, 219, 239],
  [0.5, 107, 174, 214],
  [0.75, 33, 113, 181],
  [1, 8, 48, 107],
];

/** RGB at `x` (within the stops' range), linearly interpolated between the two stops around it. */
function interpolate(stops: Stops, x: number): [number, number, number] {
  let s = 1;
  while (s < stops.length - 1 && (stops[s] as Stops[number])[0] < x) s++;
  const [x0, r0, g0, b0] = stops[s - 1] as Stops[number];
  const [x1, r1, g1, b1] = stops[s] as Stops[number];
  const f = (x - x0) / (x1 - x0);
  return [Math.round(r0 + f * (r1 - r0)), Math.round(g0 + f * (g1 - g0)), Math.round(b0 + f * (b1 - b0))];
}

function buildLut(): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(interpolate(STOPS, i / 255), 3 * i);
  return lut;
}

export const BLUES: Uint8Array = buildLut();

/** Write colour `index` (0..255) as an opaque RGBA pixel at byte `p` of `out`. */
export function putColour(out: Uint8ClampedArray, p: number, index: number): void {
  const c = 3 * index;
  out[p] = BLUES[c] as number;
  out[p + 1] = BLUES[c + 1] as number;
  out[p + 2] = BLUES[c + 2] as number;
  out[p + 3] = 255;
}

let CSS_COLOURS: string[] | null = null;

/** Colour `index` (0..255, clamped) as a CSS `rgb()` string; the 256 strings are built once. */
export function cssColour(index: number): string {
  if (CSS_COLOURS === null) {
    CSS_COLOURS = [];
    for (let i = 0; i < 256; i++) {
      CSS_COLOURS.push(`rgb(${BLUES[3 * i]}, ${BLUES[3 * i + 1]}, ${BLUES[3 * i + 2]})`);
    }
  }
  const i = Math.min(255, Math.max(0, Math.round(index) || 0));
  return CSS_COLOURS[i] as string;
}

/** Stops after ColorBrewer "RdBu", reversed, with pure white at 0. */
const DIVERGING: Stops = [
  [-1, 33, 102, 172],
  [-0.5, 146, 197, 222],
  [0, 255, 255, 255],
  [0.5, 244, 165, 130],
  [1, 178, 24, 43],
];

/**
 * A signed value as a CSS `rgb()`: blue below 0, white at 0, red at 1, saturating beyond ±1.
 * Empty (no colour) for NaN, so the cell's own background shows.
 */
export function divergingColour(value: number): string {
  if (Number.isNaN(value)) return "";
  const [r, g, b] = interpolate(DIVERGING, Math.min(1, Math.max(-1, value)));
  return `rgb(${r}, ${g}, ${b})`;
}

/**
 * Twelve label colours after Tableau 10 (its grey left out, so it never reads as "unlabelled")
 * plus navy, olive and magenta. Labels beyond twelve reuse them in order.
 */
export const CATEGORICAL: ReadonlyArray<readonly [number, number, number]> = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [31, 58, 107],
  [188, 189, 34],
  [197, 27, 125],
];

/** Unlabelled points (label -1). */
export const UNLABELLED: readonly [number, number, number] = [180, 180, 180];

/** RGB of label `index`; grey for a negative index (unlabelled). */
export function categoricalRgb(index: number): readonly [number, number, number] {
  if (index < 0) return UNLABELLED;
  return CATEGORICAL[index % CATEGORICAL.length] as readonly [number, number, number];
}

/** Label `index` as a CSS `rgb()` string, for swatches. */
export function categoricalCss(index: number): string {
  const [r, g, b] = categoricalRgb(index);
  return `rgb(${r}, ${g}, ${b})`;
}
