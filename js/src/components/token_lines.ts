/**
 * Token-to-token view: query tokens on the left, key tokens on the right, a line from
 * query q to key k with opacity = weight / max weight.
 *
 * To stay fast on long inputs it never draws the whole matrix: with a focused token
 * (hovered or pinned) it draws that token's strongest lines along the current axis,
 * otherwise the strongest lines of the whole matrix (found once per matrix).
 */

import type { DetailMatrix } from "../attention/types";
import { h, svg, tokenIndexAt } from "../lib/dom";
import { visibleToken } from "../lib/token_text";
import type { Axis } from "../lib/types";

/** Row height in CSS px; rows are laid out at fixed positions so lines need no layout reads. */
export const ROW_HEIGHT = 18;
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
  private readonly body: HTMLDivElement;
  private tokens: readonly string[] = [];
  private matrix: DetailMatrix | null = null;
  private overview: Edge[] = [];
  private focus = -1;
  private axis: Axis = "query";
  private marked: Element[] = [];

  constructor(callbacks: TokenLinesCallbacks, signal: AbortSignal) {
    this.queries = h("div", { className: "ilw-tl-column ilw-tl-queries" });
    this.keys = h("div", { className: "ilw-tl-column ilw-tl-keys" });
    this.lines = svg("svg", { class: "ilw-tl-lines", width: LINES_WIDTH, height: 0 });
    const body = h("div", { className: "ilw-tl-body" }, [this.queries, this.lines, this.keys]);
    this.body = body;
    const head = h("div", { className: "ilw-tl-head" }, [
      h("span", { text: "query" }),
      h("span", { text: "key" }),
    ]);
    this.el = h("div", { className: "ilw-token-lines" }, [head, body]);
    this.el.style.setProperty("--ilw-tl-row", `${ROW_HEIGHT}px`);
    const opts = { signal };
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
    if (this.matrix && this.matrix.n !== tokens.length) {
      this.matrix = null;
      this.overview = [];
    }
    const column = () =>
      tokens.map((token, i) =>
        h("div", {
          className: "ilw-tl-token",
          text: visibleToken(token),
          attrs: { "data-token-index": String(i) },
        }),
      );
    this.queries.replaceChildren(...column());
    this.keys.replaceChildren(...column());
    this.lines.setAttribute("height", String(tokens.length * ROW_HEIGHT));
    this.marked = [];
    this.draw();
  }

  setMatrix(matrix: DetailMatrix | null): void {
    this.matrix = matrix && matrix.n === this.tokens.length ? matrix : null;
    this.overview = this.matrix ? topEdges(this.matrix, MAX_OVERVIEW_LINES) : [];
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
    const { scrollTop, clientHeight } = this.body;
    if (top >= scrollTop && top + ROW_HEIGHT <= scrollTop + clientHeight) return;
    this.body.scrollTop = Math.max(0, top + ROW_HEIGHT / 2 - clientHeight / 2);
  }

  private draw(): void {
    for (const el of this.marked) el.classList.remove("ilw-tl-focus");
    this.marked = [];
    const m = this.matrix;
    const focused = m !== null && this.focus >= 0 && this.focus < m.n;
    const edges = !m ? [] : focused ? focusEdges(m, this.focus, this.axis, MAX_FOCUS_LINES) : this.overview;
    const max = m?.max ?? 0;
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
    if (focused) {
      const column = this.axis === "query" ? this.queries : this.keys;
      const el = column.children[this.focus];
      if (el) {
        el.classList.add("ilw-tl-focus");
        this.marked.push(el);
      }
    }
  }
}

/** The strongest `limit` entries of row (query axis) or column (key axis) `i`. */
export function focusEdges(m: DetailMatrix, i: number, axis: Axis, limit: number): Edge[] {
  const edges: Edge[] = [];
  for (let j = 0; j < m.n; j++) {
    const [q, k] = axis === "query" ? [i, j] : [j, i];
    const w = m.values[q * m.n + k] as number;
    if (w > 0) edges.push([q, k, w]);
  }
  return edges.sort((a, b) => b[2] - a[2]).slice(0, limit);
}

/** The strongest `limit` entries of the whole matrix, in one pass with a small buffer. */
export function topEdges(m: DetailMatrix, limit: number): Edge[] {
  const best: Edge[] = [];
  let floor = 0; // smallest weight kept once the buffer is full
  const total = m.n * m.n;
  for (let i = 0; i < total; i++) {
    const w = m.values[i] as number;
    if (!(w > floor)) continue;
    best.push([Math.floor(i / m.n), i % m.n, w]);
    if (best.length > 2 * limit) {
      best.sort((a, b) => b[2] - a[2]).length = limit;
      floor = (best[limit - 1] as Edge)[2];
    }
  }
  return best.sort((a, b) => b[2] - a[2]).slice(0, limit);
}
