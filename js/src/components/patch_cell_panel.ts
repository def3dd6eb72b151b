/**
 * The selected grid cell in detail: a title naming it, one bar per attention head (the effect
 * of patching that head alone, negative to the left of a zero line) and the top next tokens
 * of the clean, corrupted and patched runs.
 */
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";
import type { TopToken } from "../lib/types";
import type { PatchCell, PatchRun } from "../patching/types";
import { formatValue, quoteToken, rowName } from "./patch_labels";

const RUN_TITLES: ReadonlyArray<[PatchRun, string]> = [
  ["clean", "clean run"],
  ["corrupted", "corrupted run"],
  ["patched", "patched run"],
];

export class PatchCellPanel {
  readonly el: HTMLDivElement;
  private readonly title: HTMLDivElement;
  private readonly headsCaption: HTMLDivElement;
  private readonly bars: HTMLDivElement;
  private readonly lists = new Map<PatchRun, HTMLOListElement>();
  private readonly details: HTMLDivElement;

  constructor() {
    this.title = h("div", { className: "ilw-patch-cell-title" });
    this.headsCaption = h("div", { className: "ilw-panel-title" });
    this.bars = h("div", { className: "ilw-head-bars" });
    const boxes = RUN_TITLES.map(([run, title]) => {
      const list = h("ol", { className: "ilw-patch-top", attrs: { "data-run": run } });
      this.lists.set(run, list);
      return h("div", { className: "ilw-patch-top-box" }, [
        h("div", { className: "ilw-panel-title", text: title }),
        list,
      ]);
    });
    this.details = h("div", { className: "ilw-patch-cell-details" }, [
      h("div", { className: "ilw-patch-heads" }, [this.headsCaption, this.bars]),
      h("div", { className: "ilw-patch-tops" }, boxes),
    ]);
    this.el = h("div", { className: "ilw-patch-cell-panel" }, [this.title, this.details]);
  }

  /** Show `cell` (or a hint); `rows` are its component's row labels (may be empty), the tokens the prompts'. */
  set(
    cell: PatchCell | null,
    rows: readonly string[],
    clean: readonly string[],
    corrupted: readonly string[],
  ): void {
    const data = this.el.dataset;
    this.details.hidden = cell === null;
    if (!cell) {
      for (const key of ["component", "direction", "layer", "position"]) delete data[key];
      this.title.textContent =
        "Click a grid cell to break its effect down by head and see the top next tokens.";
      this.bars.replaceChildren();
      for (const list of this.lists.values()) list.replaceChildren();
      return;
    }
    data.component = cell.component;
    data.direction = cell.direction;
    data.layer = String(cell.layer);
    data.position = String(cell.position);
    const p = cell.position;
    this.title.textContent =
      `${rowName(cell.component, rows[cell.layer] ?? String(cell.layer))} · position ${p} ` +
      `(clean ${quoteToken(clean[p])}, corrupted ${quoteToken(corrupted[p])}) · effect ${formatValue(cell.effect)}`;
    this.setHeads(cell);
    for (const [run, list] of this.lists) list.replaceChildren(...cell.top[run].map(topItem));
  }

  /** Dim the panel while it shows another cell than the one selected. */
  setStale(stale: boolean): void {
    this.el.classList.toggle("ilw-stale", stale);
  }

  private setHeads(cell: PatchCell): void {
    const heads = cell.heads;
    if (!heads) {
      this.headsCaption.textContent = noHeadsReason(cell);
      this.bars.replaceChildren();
      return;
    }
    const block = cell.headLayer === null ? "" : ` of block ${cell.headLayer}`;
    this.headsCaption.textContent = `Effect of patching each head${block} alone at position ${cell.position}`;
    // The scale spans 0 and every finite head value; the zero line sits where 0 falls.
    let lo = 0;
    let hi = 0;
    for (const v of heads) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    const span = hi - lo || 1;
    const percent = (v: number) => `${((100 * v) / span).toFixed(2)}%`;
    const bars = [...heads].map((v, head) => {
      const fill = h("span", { className: v < 0 ? "ilw-head-bar-fill ilw-negative" : "ilw-head-bar-fill" });
      if (Number.isFinite(v)) {
        fill.style.left = percent(Math.min(v, 0) - lo);
        fill.style.width = percent(Math.abs(v));
      }
      const zero = h("span", { className: "ilw-head-bar-zero" });
      zero.style.left = percent(-lo);
      return h("div", { className: "ilw-head-bar", attrs: { "data-head": String(head) } }, [
        h("span", { className: "ilw-head-bar-label", text: `H${head}` }),
        h("span", { className: "ilw-head-bar-track" }, [zero, fill]),
        h("span", { className: "ilw-head-bar-value", text: formatValue(v) }),
      ]);
    });
    this.bars.replaceChildren(...bars);
  }
}

/** Why a cell has no per-head breakdown: without a block (`head_layer` null) it is the embeddings. */
function noHeadsReason(cell: PatchCell): string {
  return cell.headLayer === null
    ? "No per-head breakdown: the embeddings have no heads."
    : "No per-head breakdown for this cell.";
}

function topItem({ token, prob }: TopToken): HTMLLIElement {
  return h("li", {}, [
    h("span", { className: "ilw-patch-top-token", text: visibleToken(token) }),
    h("span", { className: "ilw-patch-top-prob", text: formatPercent(prob) }),
  ]);
}

/** A probability as a percentage with one decimal; tiny non-zero values as "<0.1%". */
export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  return p > 0 && p < 0.0005 ? "<0.1%" : `${(100 * p).toFixed(1)}%`;
}
