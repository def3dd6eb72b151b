/**
 * The selected head's attention row at one step: every context token (prompt + tokens
 * generated before the step) with background opacity = weight / max weight.
 */
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";
import type { HeadRow } from "../tracer/types";
import { formatWeight } from "./heatmap";

export class HeadRowPanel {
  readonly el: HTMLDivElement;
  private readonly caption: HTMLDivElement;
  private readonly tokens: HTMLDivElement;

  constructor() {
    this.caption = h("div", { className: "ilw-head-row-caption" });
    this.tokens = h("div", { className: "ilw-head-row-tokens" });
    this.el = h("div", { className: "ilw-head-row" }, [this.caption, this.tokens]);
  }

  /** `context` must have one token per weight (the reader checks the length). */
  set(row: HeadRow | null, context: readonly string[]): void {
    const data = this.el.dataset;
    if (!row || row.weights.length !== context.length) {
      delete data.layer;
      delete data.head;
      delete data.step;
      this.caption.textContent = "Click a head to see where the new token looks.";
      this.tokens.replaceChildren();
      return;
    }
    data.layer = String(row.layer);
    data.head = String(row.head);
    data.step = String(row.step);
    this.caption.textContent = `Layer ${row.layer}, head ${row.head} at step ${row.step} · max ${formatWeight(row.max)}`;
    const spans = context.map((token, i) => {
      const w = row.weights[i] as number;
      const span = h("span", {
        className: token.startsWith(" ") ? "ilw-context-token ilw-lead-space" : "ilw-context-token",
        text: visibleToken(token),
        attrs: { title: `${i} ${JSON.stringify(token)}: ${formatWeight(w)}` },
      });
      const alpha = row.max > 0 && w > 0 ? Math.min(1, w / row.max) : 0;
      span.style.setProperty("--ilw-weight", alpha.toFixed(3));
      return span;
    });
    this.tokens.replaceChildren(...spans);
  }
}
