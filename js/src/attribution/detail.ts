/**
 * The hovered (or else the pinned) token's scores in every row: its text, then one line per
 * method with the score and its rank among the attributed tokens. Token text via `textContent`.
 */

import { formatScore } from "../components/signed_strip";
import { methodLabel } from "../components/tracer_attribution";
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";
import type { AttributionRow } from "./types";

/** 1 for the highest score among attributed tokens; 0 when `index` is not attributed. */
export function rankOf(row: AttributionRow, index: number): number {
  if (!row.attributed[index]) return 0;
  const score = row.scores[index] as number;
  let rank = 1;
  for (let i = 0; i < row.scores.length; i++) {
    if (row.attributed[i] && (row.scores[i] as number) > score) rank++;
  }
  return rank;
}

export class TokenDetail {
  readonly el: HTMLDivElement;

  constructor() {
    this.el = h("div", { className: "ilw-attr-detail", attrs: { "aria-live": "polite" } });
    this.set(-1, [], []);
  }

  /** Show token `index` (-1: the hint) in each of `rows`; `pinned` says it stays when the pointer leaves. */
  set(index: number, tokens: readonly string[], rows: readonly AttributionRow[], pinned = false): void {
    const token = tokens[index];
    this.el.dataset.tokenIndex = String(token === undefined ? -1 : index);
    if (token === undefined) {
      this.el.replaceChildren(
        h("span", {
          className: "ilw-attr-hint",
          text: "Hover a token to see its score in every row; click to pin it.",
        }),
      );
      return;
    }
    const count = (row: AttributionRow) => row.attributed.reduce((n, a) => n + (a ? 1 : 0), 0);
    this.el.replaceChildren(
      h("div", { className: "ilw-attr-detail-title" }, [
        h("span", { text: `${pinned ? "pinned" : "token"} ${index}: ` }),
        h("span", { className: "ilw-attr-detail-token", text: visibleToken(token) }),
      ]),
      ...rows.map((row) => {
        const rank = rankOf(row, index);
        return h("div", { className: "ilw-attr-detail-score", attrs: { "data-method": row.method } }, [
          h("span", { className: "ilw-attr-detail-method", text: methodLabel(row.method) }),
          h("span", {
            className: "ilw-attr-detail-value",
            text: rank === 0 ? "kept fixed, no score" : formatScore(row.scores[index] as number),
          }),
          h("span", {
            className: "ilw-attr-detail-rank",
            text: rank === 0 ? "" : `rank ${rank} of ${count(row)}`,
          }),
        ]);
      }),
    );
  }
}
