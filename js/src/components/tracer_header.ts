/** The generation tracer's header: model name, step count, metric select (busy and errors: the view shell). */
import { h } from "../lib/dom";
import type { LensMetric } from "../tracer/types";

const METRICS: ReadonlyArray<[LensMetric, string]> = [
  ["probability", "probability"],
  ["rank", "rank (log scale)"],
];

export class TracerHeader {
  readonly el: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly stepCount: HTMLSpanElement;
  private readonly metricSelect: HTMLSelectElement;
  /** The bar of controls; the view shell adds its busy indicator and the help toggle. */
  readonly bar: HTMLDivElement;

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
    const metricLabel = h("label", { className: "ilw-metric-label" }, [
      document.createTextNode("colour by "),
      this.metricSelect,
    ]);
    this.bar = h("div", { className: "ilw-header-bar" }, [this.modelName, this.stepCount, metricLabel]);
    this.el = h("div", { className: "ilw-header" }, [this.bar]);
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
}
