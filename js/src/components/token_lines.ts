/**
 * Token-to-token view: query tokens on the left, key tokens on the right, a line from query q to
 * key k with opacity = weight / max weight.
 *
 * Built for inputs of thousands of tokens: rows have a fixed height, so each column is a scroll
 * area n × ROW_HEIGHT tall in which only the rows in view (plus a margin) exist as elements. The
 * lines' SVG spans the full height, so a line to a row out of view is still drawn and scrolls in
 * with it. Lines come from `_detail_lines`, each row's and column's strongest entries: with a
 * focused token its strongest keys (query axis) or queries (key axis), otherwise the strongest
 * entries of all rows. The whole matrix is never needed here.
 */

import type { DetailLines } from "../attention/types";
import { h, svg, tokenIndexAt } from "../lib/dom";
import { visibleToken } from "../lib/token_text";
import type { Axis } from "../lib/types";

/** Row height in CSS px; rows sit at fixed positions so lines and scrolling need no layout reads. */
export const ROW_HEIGHT = 18;
/** The scroll area's height when the DOM cannot say (keep in step with `.ilw-tl-body` max-height). */
const VIEW_HEIGHT = 480;
/** Rows kept above and below the visible ones, so a quick scroll does not show gaps. */
const MARGIN_ROWS = 30;
const LINES_WIDTH = 90;
const MAX_FOCUS_LINES = 48;
const MAX_OVERVIEW_LINES = 120;
/** Lines under this fraction of the max weight are invisible anyway. */
const MIN_RELATIVE_WEIGHT = 0.02;

export interface TokenLinesCallbacks {
  onHover(index: number): void;
  onPin(index: number): void;
}

/** A line: query row, key column, weight. */
type Edge = [number, number, number];

export class TokenLines {
  readonly el: HTMLDivElement;
  private readonly queries: HTMLDivElement;
  private readonly keys: HTMLDivElement;
  private readonly lines: SVGSVGElement;
  private readonly inner: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private tokens: readonly string[] = [];
  private data: DetailLines | null = null;
  private overview: Edge[] = [];
  private focus = -1;
  private axis: Axis = "query";
  /** The rows that exist as elements: from..to-1. */
  private from = 0;
  private to = 0;
  private marked: Element | null = null;

  constructor(callbacks: TokenLinesCallbacks, signal: AbortSignal) {
    this.queries = h("div", { className: "ilw-tl-column ilw-tl-queries" });
    this.keys = h("div", { className: "ilw-tl-column ilw-tl-keys" });
    this.lines = svg("svg", { class: "ilw-tl-lines", width: LINES_WIDTH, height: 0 });
    this.inner = h("div", { className: "ilw-tl-inner" }, [this.queries, this.lines, this.keys]);
    const body = h("div", { className: "ilw-tl-body" }, [this.inner]);
    this.body = body;
    const head = h("div", { className: "ilw-tl-head" }, [
      h("span", { text: "query" }),
      h("span", { text: "key" }),
    ]);
    this.el = h("div", { className: "ilw-token-lines" }, [head, body]);
    this.el.style.setProperty("--ilw-tl-row", `${ROW_HEIGHT}px`);
    const opts = { signal };
    body.addEventListener("scroll", () => this.renderRows(false), opts);
    body.addEventListener(
      "mouseover",
      (e) => {
        const i = tokenIndexAt(e.target, ".ilw-tl-token");
        if (i >= 0) callbacks.onHover(i);
      },
      opts,
    );
    body.addEventListener("mouseleave", () => callbacks.onHover(-1), opts);
    body.addEventListener(
      "click",
      (e) => {
        const i = tokenIndexAt(e.target, ".ilw-tl-token");
        if (i >= 0) callbacks.onPin(i);
      },
      opts,
    );
  }

  setTokens(tokens: readonly string[]): void {
    this.tokens = tokens;
    if (this.data && this.data.n !== tokens.length) {
      this.data = null;
      this.overview = [];
    }
    const height = `${tokens.length * ROW_HEIGHT}px`;
    this.inner.style.height = height;
    this.lines.setAttribute("height", String(tokens.length * ROW_HEIGHT));
    this.body.scrollTop = 0;
    this.renderRows(true);
    this.draw();
  }

  /** New lines (or none); lines for another token count than the tokens shown are ignored. */
  setLines(data: DetailLines | null): void {
    this.data = data && data.n === this.tokens.length ? data : null;
    this.overview = this.data ? topEdges(this.data, MAX_OVERVIEW_LINES) : [];
    this.draw();
  }

  setFocus(focus: number, axis: Axis): void {
    if (focus === this.focus && axis === this.axis) return;
    this.focus = focus;
    this.axis = axis;
    this.draw();
  }

  /** Scroll token `i`'s row into view if it is outside the visible part of a long list. */
  reveal(i: number): void {
    if (i < 0 || i >= this.tokens.length) return;
    const top = i * ROW_HEIGHT;
    const { scrollTop } = this.body;
    const height = this.viewHeight();
    if (top >= scrollTop && top + ROW_HEIGHT <= scrollTop + height) return;
    this.body.scrollTop = Math.max(0, top + ROW_HEIGHT / 2 - height / 2);
    this.renderRows(false); // now, not at the scroll event: the row is wanted at once
  }

  private viewHeight(): number {
    return this.body.clientHeight || VIEW_HEIGHT;
  }

  /** Make elements for the rows in view plus a margin (all of them when `force`, else only if the range moved). */
  private renderRows(force: boolean): void {
    const n = this.tokens.length;
    const top = this.body.scrollTop;
    const from = Math.max(0, Math.floor(top / ROW_HEIGHT) - MARGIN_ROWS);
    const to = Math.min(n, Math.ceil((top + this.viewHeight()) / ROW_HEIGHT) + MARGIN_ROWS);
    if (!force && from === this.from && to === this.to) return;
    this.from = from;
    this.to = to;
    const column = () => {
      const rows: HTMLDivElement[] = [];
      for (let i = from; i < to; i++) {
        const row = h("div", {
          className: "ilw-tl-token",
          text: visibleToken(this.tokens[i] as string),
          attrs: { "data-token-index": String(i) },
        });
        row.style.top = `${i * ROW_HEIGHT}px`;
        rows.push(row);
      }
      return rows;
    };
    this.queries.replaceChildren(...column());
    this.keys.replaceChildren(...column());
    this.marked = null;
    this.markFocus();
  }

  /** `ilw-tl-focus` on the focused token's row of the current axis, if that row exists. */
  private markFocus(): void {
    this.marked?.classList.remove("ilw-tl-focus");
    this.marked = null;
    if (this.focus < this.from || this.focus >= this.to) return;
    const column = this.axis === "query" ? this.queries : this.keys;
    const el = column.children[this.focus - this.from];
    el?.classList.add("ilw-tl-focus");
    this.marked = el ?? null;
  }

  private draw(): void {
    const d = this.data;
    const focused = d !== null && this.focus >= 0 && this.focus < d.n;
    const edges = !d ? [] : focused ? focusEdges(d, this.focus, this.axis, MAX_FOCUS_LINES) : this.overview;
    const max = d?.max ?? 0;
    const children = edges
      .filter(([, , w]) => max > 0 && w >= MIN_RELATIVE_WEIGHT * max)
      .map(([q, k, w]) =>
        svg("line", {
          class: "ilw-tl-line",
          x1: 0,
          y1: (q + 0.5) * ROW_HEIGHT,
          x2: LINES_WIDTH,
          y2: (k + 0.5) * ROW_HEIGHT,
          "stroke-opacity": Math.min(1, w / max).toFixed(3),
        }),
      );
    this.lines.replaceChildren(...children);
    this.markFocus();
  }
}

/** Token `i`'s strongest `limit` keys (query axis) or queries (key axis), strongest first. */
export function focusEdges(d: DetailLines, i: number, axis: Axis, limit: number): Edge[] {
  const [indices, weights] =
    axis === "query" ? [d.topKeys, d.topKeyWeights] : [d.topQueries, d.topQueryWeights];
  const edges: Edge[] = [];
  for (let j = i * d.k; j < (i + 1) * d.k; j++) {
    const other = indices[j] as number;
    const w = weights[j] as number;
    if (other >= 0 && w > 0) edges.push(axis === "query" ? [i, other, w] : [other, i, w]);
  }
  return edges.sort((a, b) => b[2] - a[2]).slice(0, limit);
}

/** The strongest `limit` entries among every query's top keys, in one pass with a small buffer. */
export function topEdges(d: DetailLines, limit: number): Edge[] {
  const best: Edge[] = [];
  let floor = 0; // smallest weight kept once the buffer is full
  for (let j = 0; j < d.topKeys.length; j++) {
    const key = d.topKeys[j] as number;
    const w = d.topKeyWeights[j] as number;
    if (key < 0 || !(w > floor)) continue;
    best.push([Math.floor(j / d.k), key, w]);
    if (best.length > 2 * limit) {
      best.sort((a, b) => b[2] - a[2]).length = limit;
      floor = (best[limit - 1] as Edge)[2];
    }
  }
  return best.sort((a, b) => b[2] - a[2]).slice(0, limit);
}
