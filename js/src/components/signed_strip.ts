/**
 * A heat strip of signed per-token scores (attributions): one cell per token, coloured on a
 * diverging scale symmetric around 0 whose ends are ± the largest |score| of the scored tokens,
 * and a legend of that scale. Tokens without a score (e.g. the kept first token) get no colour.
 * The colours are the diverging map of the page's palette (lib/theme.ts `paletteOf`; 0 is the page
 * background) and each cell's text colour follows its luminance; `repaint` recolours in the page's
 * current theme (views call it through `ViewShell.onTheme`). Token text is data: `textContent` only.
 */
import { divergingColour, divergingRgb, inkOn, LIGHT, type Palette, rgbCss } from "../lib/colormap";
import { h } from "../lib/dom";
import { paletteOf } from "../lib/theme";
import { visibleToken } from "../lib/token_text";

/** The largest finite |score| over the scored tokens (0 when none): both ends of the scale. */
export function symmetricScale(scores: Float32Array, scored: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = Math.abs(scores[i] as number);
    if (scored[i] && Number.isFinite(v) && v > max) max = v;
  }
  return max;
}

/** The background of `score` on a scale ending at ±`scale`: blue < 0 < red; "" when not finite. */
export function signedColour(score: number, scale: number, palette: Palette = LIGHT): string {
  if (!Number.isFinite(score)) return "";
  return divergingColour(scale > 0 ? score / scale : 0, palette);
}

/** A score in three significant digits (scores span orders of magnitude). */
export function formatScore(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return v === 0 ? "0" : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(3);
}

export class SignedStrip {
  readonly el: HTMLDivElement;
  private readonly cells: HTMLDivElement;
  private readonly low: HTMLSpanElement;
  private readonly high: HTMLSpanElement;
  private readonly bar: HTMLSpanElement;
  /** What `set` showed, for `repaint`: one cell per token, its score, whether it has one, the scale. */
  private shown: { cells: HTMLElement[]; scores: Float32Array; scored: Uint8Array; scale: number } = {
    cells: [],
    scores: new Float32Array(0),
    scored: new Uint8Array(0),
    scale: 0,
  };

  /** `meaning`: what red and blue say, for the legend (e.g. "red raises the target, blue lowers it"). */
  constructor(meaning: string) {
    this.cells = h("div", { className: "ilw-signed-cells", attrs: { "aria-label": "Tokens by score" } });
    this.low = h("span", { className: "ilw-signed-low" });
    this.high = h("span", { className: "ilw-signed-high" });
    this.bar = h("span", { className: "ilw-signed-bar" });
    const legend = h("div", { className: "ilw-signed-legend" }, [
      this.low,
      this.bar,
      this.high,
      h("span", { className: "ilw-signed-meaning", text: meaning }),
    ]);
    this.el = h("div", { className: "ilw-signed-strip" }, [this.cells, legend]);
  }

  /**
   * One cell per token; `scores` and `scored` have one entry per token (the reader checks).
   * `palette`: the page's colours, for a strip not yet in the page (default: read from the page).
   */
  set(tokens: readonly string[], scores: Float32Array, scored: Uint8Array, palette?: Palette): void {
    const scale = symmetricScale(scores, scored);
    this.low.textContent = formatScore(-scale);
    this.high.textContent = formatScore(scale);
    const cells = tokens.map((token, i) => {
      const score = scores[i] as number;
      const has = scored[i] !== 0;
      const cell = h("span", {
        className: `ilw-signed-cell${token.startsWith(" ") ? " ilw-lead-space" : ""}${has ? "" : " ilw-unscored"}`,
        text: visibleToken(token),
        attrs: {
          "data-token-index": String(i),
          "data-score": String(score),
          title: `${i} ${JSON.stringify(token)}: ${has ? formatScore(score) : "kept fixed, no score"}`,
        },
      });
      return cell;
    });
    this.cells.replaceChildren(...cells);
    this.shown = { cells, scores, scored, scale };
    this.repaint(palette);
  }

  /** Colour the cells and the legend in `palette` (default: the page's current one, after a theme change). */
  repaint(palette: Palette = paletteOf(this.el)): void {
    this.bar.style.background = `linear-gradient(to right, ${[-1, -0.5, 0, 0.5, 1].map((x) => signedColour(x, 1, palette)).join(", ")})`;
    const { cells, scores, scored, scale } = this.shown;
    cells.forEach((cell, i) => {
      const score = scores[i] as number;
      if (!scored[i] || !Number.isFinite(score)) {
        cell.style.backgroundColor = "";
        cell.style.color = "";
        return;
      }
      // Text that reads on the cell: white on the light map's dark ends, dark on the dark map's light ones.
      const rgb = divergingRgb(scale > 0 ? score / scale : 0, palette);
      cell.style.backgroundColor = rgbCss(rgb);
      cell.style.color = inkOn(rgb, palette);
    });
  }

  clear(): void {
    this.low.textContent = "";
    this.high.textContent = "";
    this.cells.replaceChildren();
    this.shown = { cells: [], scores: new Float32Array(0), scored: new Uint8Array(0), scale: 0 };
  }
}
