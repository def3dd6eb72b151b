/**
 * A heat strip of signed per-token scores (attributions): one cell per token, coloured on a
 * diverging scale symmetric around 0 whose ends are ± the largest |score| of the scored tokens,
 * and a legend of that scale. Tokens without a score (e.g. the kept first token) get no colour.
 * Token text is data: set with `textContent` only.
 */
import { divergingColour } from "../lib/colormap";
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";

/** Beyond this fraction of the scale a cell's background is dark enough for light text. */
const STRONG = 0.6;

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
export function signedColour(score: number, scale: number): string {
  if (!Number.isFinite(score)) return "";
  return divergingColour(scale > 0 ? score / scale : 0);
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

  /** `meaning`: what red and blue say, for the legend (e.g. "red raises the target, blue lowers it"). */
  constructor(meaning: string) {
    this.cells = h("div", { className: "ilw-signed-cells", attrs: { "aria-label": "Tokens by score" } });
    this.low = h("span", { className: "ilw-signed-low" });
    this.high = h("span", { className: "ilw-signed-high" });
    const bar = h("span", { className: "ilw-signed-bar" });
    bar.style.background = `linear-gradient(to right, ${[-1, -0.5, 0, 0.5, 1].map((x) => signedColour(x, 1)).join(", ")})`;
    const legend = h("div", { className: "ilw-signed-legend" }, [
      this.low,
      bar,
      this.high,
      h("span", { className: "ilw-signed-meaning", text: meaning }),
    ]);
    this.el = h("div", { className: "ilw-signed-strip" }, [this.cells, legend]);
  }

  /** One cell per token; `scores` and `scored` have one entry per token (the reader checks). */
  set(tokens: readonly string[], scores: Float32Array, scored: Uint8Array): void {
    const scale = symmetricScale(scores, scored);
    this.low.textContent = formatScore(-scale);
    this.high.textContent = formatScore(scale);
    this.cells.replaceChildren(
      ...tokens.map((token, i) => {
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
        if (has) cell.style.backgroundColor = signedColour(score, scale);
        // Light text on the dark ends of the scale.
        if (has && scale > 0 && Math.abs(score) / scale > STRONG) cell.classList.add("ilw-signed-strong");
        return cell;
      }),
    );
  }

  clear(): void {
    this.low.textContent = "";
    this.high.textContent = "";
    this.cells.replaceChildren();
  }
}
