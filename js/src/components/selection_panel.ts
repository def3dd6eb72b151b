/**
 * The selection panel: how many points are selected and how they split over the colour-by
 * labels (counted here from the label set, so it is right the moment a selection is made),
 * the contexts of the first selected points as Python sends them, and the probe button with
 * its result. Context text is untrusted data and goes in as text nodes only.
 */
import { h } from "../lib/dom";
import type { LabelSet, ProbeResult, SelectionSummary } from "../projection/types";
import { contextSnippet } from "./context_snippet";
import { swatch } from "./legend";

export interface SelectionPanelCallbacks {
  /** Train a probe of the selection vs the rest. */
  onProbe(): void;
  /** A context is hovered (its point id), or none (-1). */
  onHoverPoint(id: number): void;
}

export class SelectionPanel {
  readonly el: HTMLDivElement;
  private readonly count: HTMLDivElement;
  private readonly hint: HTMLDivElement;
  private readonly labels: HTMLUListElement;
  private readonly contexts: HTMLOListElement;
  private readonly contextNote: HTMLDivElement;
  private readonly probeButton: HTMLButtonElement;
  private readonly probeResult: HTMLDivElement;
  private selected = 0;
  private probeRunning = false;

  constructor(callbacks: SelectionPanelCallbacks, signal: AbortSignal) {
    this.count = h("div", { className: "ilw-selection-count" });
    this.hint = h("div", {
      className: "ilw-selection-hint",
      text: "Drag a box or lasso on the plot, or click a legend label, to select points.",
    });
    this.labels = h("ul", { className: "ilw-selection-labels" });
    this.contextNote = h("div", { className: "ilw-panel-title" });
    this.contexts = h("ol", { className: "ilw-contexts" });
    this.contexts.addEventListener(
      "pointerover",
      (e) => {
        const li = e.target instanceof Element ? e.target.closest<HTMLElement>(".ilw-context") : null;
        callbacks.onHoverPoint(li ? Number(li.dataset.point) : -1);
      },
      { signal },
    );
    this.contexts.addEventListener("pointerleave", () => callbacks.onHoverPoint(-1), { signal });
    this.probeButton = h("button", {
      className: "ilw-probe-selection",
      text: "Probe: selection vs rest at this layer",
      attrs: {
        type: "button",
        title: "Train a linear probe to tell the selected points from the others at the current layer",
      },
    });
    this.probeButton.addEventListener("click", () => callbacks.onProbe(), { signal });
    this.probeResult = h("div", { className: "ilw-probe-result", attrs: { role: "status" } });
    this.el = h("div", { className: "ilw-selection-panel" }, [
      this.count,
      this.hint,
      this.labels,
      h("div", { className: "ilw-probe" }, [this.probeButton, this.probeResult]),
      this.contextNote,
      this.contexts,
    ]);
    this.updateButton();
  }

  /** The selected ids (ascending) and their split over `set`'s labels. */
  setSelection(ids: readonly number[], set: LabelSet | null): void {
    const n = ids.length;
    this.selected = n;
    this.count.textContent = `${n.toLocaleString("en-US")} point${n === 1 ? "" : "s"} selected`;
    this.hint.hidden = n > 0;
    this.updateButton();
    if (!set || n === 0) {
      this.labels.replaceChildren();
      return;
    }
    const counts = new Map<number, number>();
    for (const id of ids) {
      const label = set.values[id] as number;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    // Most frequent first; unlabelled last.
    const rows = [...counts].sort(
      (a, b) => Number(a[0] < 0) - Number(b[0] < 0) || b[1] - a[1] || a[0] - b[0],
    );
    this.labels.replaceChildren(
      ...rows.map(([label, count]) =>
        h("li", { attrs: { "data-label": String(label) } }, [
          swatch(label),
          h("span", {
            className: "ilw-selection-label-name",
            text: label < 0 ? "unlabelled" : (set.names[label] ?? "?"),
          }),
          h("span", {
            className: "ilw-selection-label-count",
            text: `${count.toLocaleString("en-US")} (${((100 * count) / n).toFixed(0)}%)`,
          }),
        ]),
      ),
    );
  }

  /**
   * Contexts of the first selected points. `stale` dims them while Python has not yet answered
   * for the current selection.
   */
  setContexts(
    summary: SelectionSummary | null,
    texts: readonly string[],
    set: LabelSet | null,
    stale: boolean,
  ): void {
    const contexts = this.selected > 0 && summary ? summary.contexts : [];
    this.contexts.classList.toggle("ilw-stale", stale);
    this.contextNote.textContent =
      contexts.length === 0
        ? ""
        : summary && summary.count > contexts.length
          ? `first ${contexts.length} of ${summary.count.toLocaleString("en-US")} selected points`
          : "selected points";
    this.contexts.replaceChildren(
      ...contexts.map((c) => {
        const label = set ? (set.values[c.point] ?? -1) : null;
        return h("li", { className: "ilw-context", attrs: { "data-point": String(c.point) } }, [
          h("span", { className: "ilw-context-id", text: `#${c.point}` }),
          ...(label === null
            ? []
            : [
                swatch(label),
                h("span", {
                  className: "ilw-context-label",
                  text: label < 0 ? "unlabelled" : (set?.names[label] ?? "?"),
                }),
              ]),
          contextSnippet(texts, c.text, c.start, c.end),
        ]);
      }),
    );
  }

  setProbe(probe: ProbeResult | null): void {
    this.probeRunning = probe?.status === "running";
    this.updateButton();
    this.probeResult.classList.toggle("ilw-probe-error", probe?.status === "error");
    this.probeResult.textContent = probe ? probeText(probe) : "";
  }

  private updateButton(): void {
    this.probeButton.disabled = this.selected === 0 || this.probeRunning;
  }
}

function percent(x: number | null): string {
  return x === null ? "?" : `${(100 * x).toFixed(1)}%`;
}

/** One or two lines saying what the probe found (or that it is running, or failed). */
export function probeText(probe: ProbeResult): string {
  if (probe.status === "running") return `Training probe…${probe.message ? ` ${probe.message}` : ""}`;
  if (probe.status === "error") return `Probe failed: ${probe.message}`;
  const parts = [`accuracy ${percent(probe.accuracy)}`];
  if (probe.controlAccuracy !== null) parts.push(`control ${percent(probe.controlAccuracy)}`);
  if (probe.nTrain !== null && probe.nTest !== null)
    parts.push(`${probe.nTrain} train / ${probe.nTest} test`);
  return `Probe ${parts.join(" · ")}${probe.message ? `\n${probe.message}` : ""}`;
}
