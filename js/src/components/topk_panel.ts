/** The top-k tokens of one lens row at one step: token text, a probability bar and the number. */
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";
import type { TopK } from "../tracer/types";
import { formatProbability, lensRowLabel } from "./lens_heatmap";

export class TopKPanel {
  readonly el: HTMLDivElement;
  private readonly caption: HTMLDivElement;
  private readonly list: HTMLDivElement;

  constructor() {
    this.caption = h("div", { className: "ilw-topk-caption" });
    this.list = h("div", { className: "ilw-topk-list" });
    this.el = h("div", { className: "ilw-topk" }, [this.caption, this.list]);
  }

  /** Show `topk` (or nothing); `chosen` is the token generated at that step, highlighted if listed. */
  set(topk: TopK | null, nRows: number, chosen: string | undefined): void {
    const data = this.el.dataset;
    if (!topk) {
      delete data.step;
      delete data.layer;
      this.caption.textContent = "Click a heatmap cell to see the lens' top tokens there.";
      this.list.replaceChildren();
      return;
    }
    data.step = String(topk.step);
    data.layer = String(topk.layer);
    this.caption.textContent = `Top ${topk.tokens.length} at step ${topk.step}, ${lensRowLabel(topk.layer, nRows)}`;
    let max = 0;
    for (let i = 0; i < topk.probs.length; i++) max = Math.max(max, topk.probs[i] as number);
    const rows = topk.tokens.map((token, i) => {
      const p = topk.probs[i] as number;
      const bar = h("span", { className: "ilw-topk-bar" });
      bar.style.width = `${max > 0 && Number.isFinite(p) ? Math.max(0, (100 * p) / max) : 0}%`;
      return h(
        "div",
        {
          className: token === chosen ? "ilw-topk-row ilw-chosen" : "ilw-topk-row",
          attrs: { title: `${JSON.stringify(token)}: ${formatProbability(p)}` },
        },
        [
          h("span", { className: "ilw-topk-token", text: visibleToken(token) }),
          h("span", { className: "ilw-topk-bar-track" }, [bar]),
          h("span", { className: "ilw-topk-prob", text: formatProbability(p) }),
        ],
      );
    });
    this.list.replaceChildren(...rows);
  }
}
