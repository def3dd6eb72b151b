/**
 * A sequential white → dark blue colour map as a 256-entry RGB lookup table
 * (stops after ColorBrewer "Blues"). Index 0 is white, 255 is darkest.
 */
const STOPS: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 255, 255, 255],
  [0.25, 198, 219, 239],
  [0.5, 107, 174, 214],
  [0.75, 33, 113, 181],
  [1, 8, 48, 107],
];

function buildLut(): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    let s = 1;
    while (s < STOPS.length - 1 && (STOPS[s] as readonly number[])[0] < x) s++;
    const [x0, r0, g0, b0] = STOPS[s - 1] as readonly number[] as [number, number, number, number];
    const [x1, r1, g1, b1] = STOPS[s] as readonly number[] as [number, number, number, number];
    const f = (x - x0) / (x1 - x0);
    lut[3 * i] = Math.round(r0 + f * (r1 - r0));
    lut[3 * i + 1] = Math.round(g0 + f * (g1 - g0));
    lut[3 * i + 2] = Math.round(b0 + f * (b1 - b0));
  }
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
