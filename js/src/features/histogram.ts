/**
 * A latent's activation histogram as an SVG bar chart: one `rect` per bin. The bins are on
 * log-spaced activation edges, so they are drawn equally wide (a log x axis) and the axis is labelled
 * with the first and last edge; each bar's `<title>` gives its range and count. The bars take the
 * sequential map's 0.75 stop of the page's palette (lib/theme.ts), read at paint time;
 * `repaintHistograms` recolours them after a theme change (the view calls it through `ViewShell.onTheme`).
 */
import { cssColour, LIGHT, level, type Palette } from "../lib/colormap";
import { svg } from "../lib/dom";
import { paletteOf } from "../lib/theme";
import { formatActivation, formatCount } from "./format";
import type { Histogram } from "./types";

const WIDTH = 320;
const HEIGHT = 110;
const PLOT = 86;

/** The bars' colour in `palette`: its sequential map at 0.75 (`#2171b5` on a light page). */
export function barColour(palette: Palette = LIGHT): string {
  return cssColour(level(0.75), palette);
}

/** Recolour the bars of every histogram under `root` in the page's current palette. */
export function repaintHistograms(root: HTMLElement): void {
  const fill = barColour(paletteOf(root));
  for (const rect of root.querySelectorAll("rect.ilw-feature-histogram-bar")) rect.setAttribute("fill", fill);
}

export function histogramSvg(histogram: Histogram, palette: Palette = LIGHT): SVGSVGElement {
  const fill = barColour(palette);
  const { counts, edges } = histogram;
  const root = svg("svg", {
    class: "ilw-feature-histogram",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    width: WIDTH,
    height: HEIGHT,
    role: "img",
    "aria-label": "Activation histogram",
  });
  const top = Math.max(1, ...counts.filter((c) => Number.isFinite(c)));
  const w = counts.length > 0 ? WIDTH / counts.length : WIDTH;
  counts.forEach((count, i) => {
    const c = Number.isFinite(count) ? Math.max(0, count) : 0;
    const height = (PLOT * c) / top;
    const rect = svg("rect", {
      class: "ilw-feature-histogram-bar",
      x: (i * w).toFixed(2),
      y: (PLOT - height).toFixed(2),
      width: Math.max(0.5, w - 1).toFixed(2),
      height: height.toFixed(2),
      fill,
      "data-count": String(c),
    });
    const title = svg("title");
    title.textContent = `${formatActivation(edges[i] as number)}–${formatActivation(edges[i + 1] as number)}: ${formatCount(c)}`;
    rect.append(title);
    root.append(rect);
  });
  root.append(svg("line", { x1: 0, y1: PLOT + 0.5, x2: WIDTH, y2: PLOT + 0.5, stroke: "currentColor" }));
  const label = (x: number, anchor: string, text: string) => {
    const t = svg("text", { x, y: HEIGHT - 6, "text-anchor": anchor, "font-size": 11, fill: "currentColor" });
    t.textContent = text;
    return t;
  };
  if (edges.length > 0) {
    root.append(
      label(0, "start", formatActivation(edges[0] as number)),
      label(WIDTH / 2, "middle", "activation (log scale)"),
      label(WIDTH, "end", formatActivation(edges[edges.length - 1] as number)),
    );
  }
  return root;
}
