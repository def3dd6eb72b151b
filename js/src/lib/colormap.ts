/**
 * Colour maps, read from the stops in `interplab_widgets/colormaps.json` (the Python SVG export
 * reads the same file, so a heatmap and its export match): a sequential map and a diverging map
 * per background, and a categorical palette for labels.
 *
 * The maps follow the page: for background `bg`, `dark = relativeLuminance(bg) < 0.5` picks the
 * file's "light" or "dark" stops, and the stop at x = 0 is replaced by `bg` itself, so a zero or
 * empty cell is exactly the page background and the diverging map's midpoint is the background.
 * A palette is built once per background (a 256-entry LUT) and cached.
 */
import maps from "../../../interplab_widgets/colormaps.json";

export type Rgb = readonly [number, number, number];

/** `[x, r, g, b]` stops, x ascending. */
type Stops = ReadonlyArray<readonly [number, number, number, number]>;

/** The light theme's background (white), used where no page background can be read. */
export const LIGHT_BACKGROUND: Rgb = maps.light_background as unknown as Rgb;
export const DARK_BACKGROUND: Rgb = maps.dark_background as unknown as Rgb;
/** Decades of the log colour scale (lib/scale.ts). */
export const LOG_DECADES: number = maps.log_decades;

/** WCAG relative luminance of an sRGB colour (channels 0..255), 0 (black) .. 1 (white). */
export function relativeLuminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** True for a dark background: its maps are the file's "dark" stops. */
export function isDark(bg: Rgb): boolean {
  return relativeLuminance(bg) < 0.5;
}

/** `stops` with the colour of the x = 0 stop replaced by `bg`. */
function withBackground(stops: Stops, bg: Rgb): Stops {
  return stops.map((s) => (s[0] === 0 ? ([0, bg[0], bg[1], bg[2]] as const) : s));
}

/** RGB at `x` (clamped to the stops' range), linearly interpolated, each channel rounded half up. */
function interpolate(stops: Stops, x: number): [number, number, number] {
  const first = stops[0] as Stops[number];
  const last = stops[stops.length - 1] as Stops[number];
  x = Math.min(last[0], Math.max(first[0], x));
  let s = 1;
  while (s < stops.length - 1 && (stops[s] as Stops[number])[0] < x) s++;
  const [x0, r0, g0, b0] = stops[s - 1] as Stops[number];
  const [x1, r1, g1, b1] = stops[s] as Stops[number];
  const f = (x - x0) / (x1 - x0);
  return [Math.round(r0 + f * (r1 - r0)), Math.round(g0 + f * (g1 - g0)), Math.round(b0 + f * (b1 - b0))];
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The colour maps for one background. */
export interface Palette {
  /** The background, `rgb(r, g, b)`; also the cache key. */
  readonly key: string;
  readonly bg: Rgb;
  readonly dark: boolean;
  /** Sequential LUT, `[256, 3]` RGB: level 0 is exactly `bg`, 255 the strongest colour. */
  readonly lut: Uint8Array;
  /** The same 256 colours as opaque RGBA pixels for a Uint32Array view of ImageData. */
  readonly packed: Uint32Array;
  /** The same 256 colours as CSS `rgb()` strings. */
  readonly css: readonly string[];
  /** Diverging stops, x in -1..1, the middle one `bg`. */
  readonly diverging: Stops;
}

const PALETTES = new Map<string, Palette>();

export function rgbCss([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** The palette of background `bg` (built once per background). */
export function paletteFor(bg: Rgb): Palette {
  const key = rgbCss(bg);
  const cached = PALETTES.get(key);
  if (cached) return cached;
  const dark = isDark(bg);
  const theme = dark ? "dark" : "light";
  const sequential = withBackground(maps.sequential[theme] as unknown as Stops, bg);
  const lut = new Uint8Array(256 * 3);
  const packed = new Uint32Array(256);
  const css: string[] = [];
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = interpolate(sequential, i / 255);
    lut.set([r, g, b], 3 * i);
    packed[i] = HOST_IS_LITTLE_ENDIAN
      ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0
      : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
    css.push(rgbCss([r, g, b]));
  }
  const diverging = withBackground(maps.diverging[theme] as unknown as Stops, bg);
  const palette: Palette = { key, bg: [bg[0], bg[1], bg[2]], dark, lut, packed, css, diverging };
  PALETTES.set(key, palette);
  return palette;
}

/** The light palette (white background): the default where a component has no page to read. */
export const LIGHT: Palette = paletteFor(LIGHT_BACKGROUND);

/** Sequential level (0..255) of a scaled value `t` in 0..1: `round(255 t)`, clamped; NaN is 0. */
export function level(t: number): number {
  return Math.min(255, Math.max(0, Math.round(255 * t) || 0));
}

/** Write sequential colour `index` (0..255) as an opaque RGBA pixel at byte `p` of `out`. */
export function putColour(out: Uint8ClampedArray, p: number, index: number, palette: Palette = LIGHT): void {
  const c = 3 * index;
  const lut = palette.lut;
  out[p] = lut[c] as number;
  out[p + 1] = lut[c + 1] as number;
  out[p + 2] = lut[c + 2] as number;
  out[p + 3] = 255;
}

/** Sequential colour `index` (0..255, rounded and clamped) as a CSS `rgb()` string. */
export function cssColour(index: number, palette: Palette = LIGHT): string {
  const i = Math.min(255, Math.max(0, Math.round(index) || 0));
  return palette.css[i] as string;
}

/** Sequential colour `index` (0..255, rounded and clamped) as RGB. */
export function sequentialRgb(index: number, palette: Palette = LIGHT): Rgb {
  const c = 3 * Math.min(255, Math.max(0, Math.round(index) || 0));
  const lut = palette.lut;
  return [lut[c] as number, lut[c + 1] as number, lut[c + 2] as number];
}

/**
 * Luminance where black and white text have the same WCAG contrast on a colour:
 * (L + 0.05) / 0.05 = 1.05 / (L + 0.05).
 */
const INK_LUMINANCE = Math.sqrt(1.05 * 0.05) - 0.05;

/**
 * The text colour for a cell painted `cell` in `palette`: "" (the page's own text colour) when the
 * cell is on the same side of the contrast threshold as the page background, else white on a dark
 * cell or near-black on a light one, whichever contrasts more (WCAG). So the light map's dark end
 * gets white text, the dark map's light end dark text, and cells near the background keep the page's.
 */
export function inkOn(cell: Rgb, palette: Palette = LIGHT): string {
  const darkCell = relativeLuminance(cell) < INK_LUMINANCE;
  const darkPage = relativeLuminance(palette.bg) < INK_LUMINANCE;
  if (darkCell === darkPage) return "";
  return darkCell ? "#fff" : "#111";
}

/** A signed value in -1..1 (saturating beyond) as RGB on the diverging map; 0 is the background. */
export function divergingRgb(value: number, palette: Palette = LIGHT): [number, number, number] {
  return interpolate(palette.diverging, value);
}

/**
 * A signed value as a CSS `rgb()`: blue below 0, the background at 0, red at 1, saturating beyond
 * ±1. Empty (no colour) for NaN, so the cell's own background shows.
 */
export function divergingColour(value: number, palette: Palette = LIGHT): string {
  if (Number.isNaN(value)) return "";
  return rgbCss(divergingRgb(value, palette));
}

/**
 * Twelve label colours after Tableau 10 (its grey left out, so it never reads as "unlabelled")
 * plus navy, olive and magenta. Labels beyond twelve reuse them in order.
 */
export const CATEGORICAL: ReadonlyArray<Rgb> = maps.categorical as unknown as Rgb[];

/** Unlabelled points (label -1). */
export const UNLABELLED: Rgb = maps.unlabelled as unknown as Rgb;

/** RGB of label `index`; grey for a negative index (unlabelled). */
export function categoricalRgb(index: number): Rgb {
  if (index < 0) return UNLABELLED;
  return CATEGORICAL[index % CATEGORICAL.length] as Rgb;
}

/** Label `index` as a CSS `rgb()` string, for swatches. */
export function categoricalCss(index: number): string {
  return rgbCss(categoricalRgb(index));
}
