/**
 * The token strip: one span per token. Hovering previews a token, clicking pins it.
 * Token text is data: it is set with `textContent` only.
 *
 * Above PAGED_FROM tokens the strip shows one page of PAGE_SIZE tokens at a time, with ‹ › and
 * "tokens a–b of n", so an 8,192-token input never puts thousands of spans in the page. Hovering
 * or pinning a token from elsewhere (heatmap, lines) turns to the page that holds it.
 */
import { h, tokenIndexAt } from "../lib/dom";
import { visibleToken } from "../lib/token_text";

/** Inputs longer than this are paged. */
export const PAGED_FROM = 1024;
export const PAGE_SIZE = 512;

export interface TokenStripCallbacks {
  /** The pointer is over token `index` (-1 when it left the strip). */
  onHover(index: number): void;
  /** Token `index` was clicked. */
  onPin(index: number): void;
}

export class TokenStrip {
  readonly el: HTMLDivElement;
  private readonly strip: HTMLDivElement;
  private readonly pager: HTMLDivElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly label: HTMLSpanElement;
  private tokens: readonly string[] = [];
  /** Spans of the page shown; `spans[0]` is token `first`. */
  private spans: HTMLSpanElement[] = [];
  private first = 0;
  private pageSize = 0;
  private hover = -1;
  private pinned = -1;

  constructor(callbacks: TokenStripCallbacks, signal: AbortSignal) {
    this.strip = h("div", { className: "ilw-token-strip", attrs: { "aria-label": "Tokens" } });
    const button = (className: string, text: string, title: string) =>
      h("button", { className, text, attrs: { type: "button", title, "aria-label": title } });
    this.prev = button("ilw-strip-prev", "‹", "Previous tokens");
    this.next = button("ilw-strip-next", "›", "Next tokens");
    this.label = h("span", { className: "ilw-strip-page" });
    this.pager = h("div", { className: "ilw-strip-pager", attrs: { hidden: "" } }, [
      this.prev,
      this.label,
      this.next,
    ]);
    this.el = h("div", { className: "ilw-token-strip-box" }, [this.pager, this.strip]);
    const opts = { signal };
    this.prev.addEventListener("click", () => this.showPage(this.first - this.pageSize), opts);
    this.next.addEventListener("click", () => this.showPage(this.first + this.pageSize), opts);
    this.strip.addEventListener(
      "mouseover",
      (e) => {
        const i = tokenIndexAt(e.target, ".ilw-token");
        if (i >= 0) callbacks.onHover(i);
      },
      opts,
    );
    this.strip.addEventListener("mouseleave", () => callbacks.onHover(-1), opts);
    this.strip.addEventListener(
      "click",
      (e) => {
        const i = tokenIndexAt(e.target, ".ilw-token");
        if (i >= 0) callbacks.onPin(i);
      },
      opts,
    );
  }

  setTokens(tokens: readonly string[]): void {
    this.tokens = tokens;
    this.pageSize = tokens.length > PAGED_FROM ? PAGE_SIZE : Math.max(1, tokens.length);
    this.pager.hidden = tokens.length <= PAGED_FROM;
    this.hover = -1;
    this.pinned = -1;
    this.first = -1;
    this.showPage(0);
  }

  setHover(index: number): void {
    if (index === this.hover) return;
    this.turnTo(index);
    this.mark("ilw-hover", this.hover, index);
    this.hover = this.valid(index);
  }

  setPinned(index: number): void {
    if (index === this.pinned) return;
    this.turnTo(index);
    this.mark("ilw-pinned", this.pinned, index);
    this.pinned = this.valid(index);
  }

  private valid(index: number): number {
    return index >= 0 && index < this.tokens.length ? index : -1;
  }

  /** Show the page holding token `index`, if it is a token and not on the page shown. */
  private turnTo(index: number): void {
    if (this.valid(index) < 0) return;
    if (index < this.first || index >= this.first + this.spans.length) this.showPage(index);
  }

  /** Show the page that holds token `index` (clamped to the tokens). */
  private showPage(index: number): void {
    const n = this.tokens.length;
    const page = Math.floor(Math.min(Math.max(index, 0), Math.max(n - 1, 0)) / this.pageSize);
    const first = page * this.pageSize;
    if (first === this.first) return;
    this.first = first;
    const last = Math.min(n, first + this.pageSize);
    this.spans = this.tokens.slice(first, last).map((token, j) =>
      h("span", {
        className: token.startsWith(" ") ? "ilw-token ilw-lead-space" : "ilw-token",
        text: visibleToken(token),
        attrs: { "data-token-index": String(first + j), title: `${first + j}: ${JSON.stringify(token)}` },
      }),
    );
    this.strip.replaceChildren(...this.spans);
    this.label.textContent = `tokens ${first}–${last - 1} of ${n}`;
    this.prev.disabled = first === 0;
    this.next.disabled = last >= n;
    this.pager.dataset.first = String(first);
    for (const [cls, i] of [
      ["ilw-hover", this.hover],
      ["ilw-pinned", this.pinned],
    ] as const) {
      this.spanOf(i)?.classList.add(cls);
    }
  }

  private spanOf(index: number): HTMLSpanElement | undefined {
    return index >= this.first ? this.spans[index - this.first] : undefined;
  }

  /** Move `className` from token `from` to token `to` (either may be off the page or -1). */
  private mark(className: string, from: number, to: number): void {
    this.spanOf(from)?.classList.remove(className);
    this.spanOf(to)?.classList.add(className);
  }
}
