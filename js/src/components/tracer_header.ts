/** The generation tracer's header: model name, step count, metric select, busy indicator, error banner. */
import { h } from "../lib/dom";
import type { LensMetric } from "../lib/types";

const METRICS: ReadonlyArray<[LensMetric, string]> = [
  ["probability", "probability"],
  ["rank", "rank (log scale)"],
];

export class TracerHeader {
  readonly el: HTMLDivElement;
  readonly error: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly stepCount: HTMLSpanElement;
  private readonly metricSelect: HTMLSelectElement;
  private readonly busy: HTMLSpanElement;
  private readonly bar: HTMLDivElement;

  constructor(onMetric: (metric: LensMetric) => void, signal: AbortSignal) {
    this.modelName = h("span", { className: "ilw-model-name" });
    this.stepCount = h("span", { className: "ilw-step-count" });
    this.metricSelect = h(
      "select",
      { className: "ilw-metric", attrs: { "aria-label": "Lens heatmap colour" } },
      METRICS.map(([value, label]) => h("option", { text: label, attrs: { value } })),
    );
    this.metricSelect.addEventListener(
      "change",
      () => onMetric(this.metricSelect.value === "rank" ? "rank" : "probability"),
      { signal },
    );
    this.busy = h("span", {
      className: "ilw-busy",
      text: "computing…",
      attrs: { role: "status", hidden: "" },
    });
    this.error = h("div", { className: "ilw-error", attrs: { role: "alert", hidden: "" } });
    const metricLabel = h("label", { className: "ilw-metric-label" }, [
      document.createTextNode("colour by "),
      this.metricSelect,
    ]);
    this.bar = h("div", { className: "ilw-header-bar" }, [
      this.modelName,
      this.stepCount,
      metricLabel,
      this.busy,
    ]);
    this.el = h("div", { className: "ilw-header" }, [this.bar, this.error]);
  }

  /** Put the view's help toggle (components/help_panel.ts) at the end of the header bar. */
  addHelpToggle(toggle: HTMLElement): void {
    this.bar.appendChild(toggle);
  }

  setModelName(name: string): void {
    this.modelName.textContent = name;
  }

  setStepCount(n: number): void {
    this.stepCount.textContent = `${n} generated token${n === 1 ? "" : "s"}`;
  }

  setMetric(metric: string): void {
    this.metricSelect.value = metric === "rank" ? "rank" : "probability";
  }

  setBusy(busy: boolean): void {
    this.busy.hidden = !busy;
  }

  /** Show `message` in the banner; hide it when empty. */
  setError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = message === "";
  }
}
