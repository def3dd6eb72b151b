/**
 * The selected node's details, as Python computed them (`_detail`): its name and kind, its exact
 * direct effect on the metric and its edge score to the logits, its strongest incoming and outgoing
 * edges and, for a head, its attention pattern on one task pair (components/heatmap.ts: tokens on
 * hover) with a menu of the pairs. Token and node text via `textContent` only.
 */
import { exactPart } from "../attention/blocks";
import { Heatmap } from "../components/heatmap";
import { h, setOptions } from "../lib/dom";
import { edgeText, formatScore, truncate } from "./format";
import { NEGATIVE, POSITIVE } from "./graph";
import type { EdgeRef, NodeDetail, Task } from "./types";

/** Edges listed per direction. */
const LIST_MAX = 6;

export interface DetailState {
  /** `selected_node`: "" for none. */
  selected: string;
  detail: NodeDetail | null;
  task: Task | null;
  selectedPair: number;
  /** A request is unanswered (a detail for another node is about to arrive). */
  busy: boolean;
}

/** "attention head 2 of layer 1", "MLP of layer 1", "the output, where the metric is read". */
export function kindText(d: NodeDetail): string {
  if (d.kind === "head") return `attention head ${d.head} of layer ${d.layer}`;
  if (d.kind === "mlp") return `MLP of layer ${d.layer}`;
  return "the output, where the metric is read";
}

export class NodeDetailPanel {
  readonly el: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly pairRow: HTMLLabelElement;
  private readonly pairSelect: HTMLSelectElement;
  private readonly patternEl: HTMLDivElement;
  private readonly heatmap: Heatmap;
  private shownPattern: NodeDetail | null = null;

  constructor(onPair: (pair: number) => void, signal: AbortSignal) {
    this.body = h("div", { className: "ilw-circuit-detail-body" });
    this.pairSelect = h("select", { className: "ilw-circuit-pair", attrs: { "aria-label": "Task pair" } });
    this.pairSelect.addEventListener("change", () => onPair(Number(this.pairSelect.value)), { signal });
    this.pairRow = h("label", { className: "ilw-circuit-pair-row", attrs: { hidden: "" } }, [
      document.createTextNode("pattern on pair "),
      this.pairSelect,
    ]);
    this.heatmap = new Heatmap(signal);
    this.patternEl = h("div", { className: "ilw-circuit-pattern", attrs: { hidden: "" } }, [this.heatmap.el]);
    this.el = h("div", { className: "ilw-circuit-detail", attrs: { "aria-live": "polite" } }, [
      this.body,
      this.pairRow,
      this.patternEl,
    ]);
    this.set({ selected: "", detail: null, task: null, selectedPair: 0, busy: false });
  }

  set(state: DetailState): void {
    const { selected, detail, task, selectedPair, busy } = state;
    const current = detail !== null && detail.node === selected ? detail : null;
    this.el.dataset.node = current?.node ?? "";
    this.el.classList.toggle("ilw-stale", busy && current !== null);
    const isHead = current?.kind === "head";
    this.pairRow.hidden = !isHead;
    if (task) {
      const pairs = task.clean.map((_, i) => String(i));
      setOptions(
        this.pairSelect,
        pairs,
        String(selectedPair),
        (i) => `${i}: ${truncate(task.clean[Number(i)] ?? "", 40)}`,
      );
    }
    this.showPattern(isHead ? current : null, selectedPair);
    if (selected === "") {
      this.body.replaceChildren(
        h("span", {
          className: "ilw-circuit-hint",
          text: "Click a node to see its direct effect on the metric, its strongest edges and, for a head, its attention pattern.",
        }),
      );
      return;
    }
    if (current === null) {
      this.body.replaceChildren(
        h("div", { className: "ilw-circuit-detail-title", text: selected }),
        h("span", {
          className: "ilw-circuit-hint",
          text: busy
            ? "waiting for the kernel…"
            : "no details computed for this node (a static snapshot has them only for the node selected when it was saved)",
        }),
      );
      return;
    }
    const d = current;
    const lines: HTMLElement[] = [
      h("div", { className: "ilw-circuit-detail-title" }, [
        h("span", { className: "ilw-circuit-detail-name", text: d.node }),
        h("span", { className: "ilw-circuit-detail-kind", text: ` · ${kindText(d)}` }),
      ]),
    ];
    if (d.kind !== "logits") {
      lines.push(
        number("direct effect on the metric (exact)", d.directEffect, "direct-effect"),
        number("edge score to logits", d.directScore, "direct-score"),
      );
    }
    lines.push(edgeList("strongest incoming edges", d.incoming, "incoming"));
    if (d.kind !== "logits") lines.push(edgeList("strongest outgoing edges", d.outgoing, "outgoing"));
    this.body.replaceChildren(...lines);
  }

  /** The head's pattern (drawn once per new detail); stale when it is for another pair than chosen. */
  private showPattern(detail: NodeDetail | null, selectedPair: number): void {
    const pattern = detail?.pattern ?? null;
    this.patternEl.hidden = pattern === null;
    this.patternEl.classList.toggle("ilw-stale", detail !== null && detail.pair !== selectedPair);
    this.patternEl.dataset.pair = detail ? String(detail.pair) : "";
    this.patternEl.dataset.n = pattern ? String(pattern.n) : "";
    if (detail === this.shownPattern) return;
    this.shownPattern = detail;
    if (detail && pattern) {
      this.heatmap.setTokens(detail.tokens);
      const { n, values, max } = pattern;
      this.heatmap.setData(
        { n, scaleMax: max, rows: null, overview: exactPart(n, values), window: null },
        true,
      );
    } else {
      this.heatmap.setData(null, true);
    }
  }
}

function number(label: string, value: number | null, key: string): HTMLElement {
  return h("div", { className: "ilw-circuit-number", attrs: { "data-value": key } }, [
    h("span", { text: `${label}: ` }),
    h("span", { className: "ilw-circuit-number-value", text: value === null ? "—" : formatScore(value) }),
  ]);
}

function edgeList(title: string, edges: readonly EdgeRef[], key: string): HTMLElement {
  const items = edges.slice(0, LIST_MAX).map((e) =>
    h("li", { className: "ilw-circuit-edge-item" }, [
      h("span", {
        className: "ilw-circuit-swatch",
        attrs: { style: `background: ${e.score >= 0 ? POSITIVE : NEGATIVE}` },
      }),
      h("span", { text: edgeText(e.upstream, e.downstream, e.score) }),
    ]),
  );
  return h("div", { className: "ilw-circuit-edge-list", attrs: { "data-list": key } }, [
    h("div", { className: "ilw-circuit-list-title", text: title }),
    items.length > 0 ? h("ul", {}, items) : h("span", { className: "ilw-circuit-hint", text: "none" }),
  ]);
}
