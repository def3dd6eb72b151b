/**
 * The token strip: one span per token. Hovering previews a token, clicking pins it.
 * Token text is data: it is set with `textContent` only.
 */
import { h, moveMark, tokenIndexAt } from "../lib/dom";
import { visibleToken } from "../lib/token_text";

export interface TokenStripCallbacks {
  /** The pointer is over token `index` (-1 when it left the strip). */
  onHover(index: number): void;
  /** Token `index` was clicked. */
  onPin(index: number): void;
}

export class TokenStrip {
  readonly el: HTMLDivElement;
  private spans: HTMLSpanElement[] = [];
  private hover = -1;
  private pinned = -1;

  constructor(callbacks: TokenStripCallbacks, signal: AbortSignal) {
    this.el = h("div", { className: "ilw-token-strip", attrs: { "aria-label": "Tokens" } });
    const opts = { signal };
    this.el.addEventListener(
      "mouseover",
      (e) => {
        const i = tokenIndexAt(e.target, ".ilw-token");
        if (i >= 0) callbacks.onHover(i);
      },
      opts,
    );
    this.el.addEventListener("mouseleave", () => callbacks.onHover(-1), opts);
    this.el.addEventListener(
      "click",
      (e) => {
        const i = tokenIndexAt(e.target, ".ilw-token");
        if (i >= 0) callbacks.onPin(i);
      },
      opts,
    );
  }

  setTokens(tokens: readonly string[]): void {
    this.spans = tokens.map((token, i) => {
      const span = h("span", {
        className: token.startsWith(" ") ? "ilw-token ilw-lead-space" : "ilw-token",
        text: visibleToken(token),
        attrs: { "data-token-index": String(i), title: `${i}: ${JSON.stringify(token)}` },
      });
      return span;
    });
    this.el.replaceChildren(...this.spans);
    this.hover = -1;
    this.pinned = -1;
  }

  setHover(index: number): void {
    this.hover = moveMark(this.spans, "ilw-hover", this.hover, index);
  }

  setPinned(index: number): void {
    this.pinned = moveMark(this.spans, "ilw-pinned", this.pinned, index);
  }
}
