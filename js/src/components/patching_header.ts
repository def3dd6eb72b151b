/**
 * The patching explorer's header: model name, metric and its two baseline values, the
 * component and direction selects (busy and errors: the view shell).
 */
import { h, setOptions } from "../lib/dom";
import type { Baseline } from "../patching/types";
import { formatValue } from "./patch_labels";

export interface PatchingHeaderCallbacks {
  onComponent(component: string): void;
  onDirection(direction: string): void;
}

/** Readable names of the directions; an unknown direction is shown as is. */
const DIRECTION_LABELS: Record<string, string> = {
  denoise: "clean → corrupted (denoise)",
  noise: "corrupted → clean (noise)",
};

export class PatchingHeader {
  readonly el: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly metric: HTMLSpanElement;
  private readonly baseline: HTMLSpanElement;
  private readonly componentSelect: HTMLSelectElement;
  private readonly directionSelect: HTMLSelectElement;
  /** The bar of controls; the view shell adds its busy indicator and the help toggle. */
  readonly bar: HTMLDivElement;

  constructor(callbacks: PatchingHeaderCallbacks, signal: AbortSignal) {
    this.modelName = h("span", { className: "ilw-model-name" });
    this.metric = h("span", { className: "ilw-patch-metric" });
    this.baseline = h("span", { className: "ilw-patch-baseline" });
    this.componentSelect = h("select", {
      className: "ilw-component",
      attrs: { "aria-label": "Patched component" },
    });
    this.directionSelect = h("select", {
      className: "ilw-direction",
      attrs: { "aria-label": "Patching direction" },
    });
    this.componentSelect.addEventListener("change", () => callbacks.onComponent(this.componentSelect.value), {
      signal,
    });
    this.directionSelect.addEventListener("change", () => callbacks.onDirection(this.directionSelect.value), {
      signal,
    });
    this.bar = h("div", { className: "ilw-header-bar" }, [
      this.modelName,
      h("label", {}, [document.createTextNode("patch "), this.componentSelect]),
      h("label", {}, [document.createTextNode("direction "), this.directionSelect]),
    ]);
    const metricBar = h("div", { className: "ilw-header-bar ilw-patch-metric-bar" }, [
      this.metric,
      this.baseline,
    ]);
    this.el = h("div", { className: "ilw-header" }, [this.bar, metricBar]);
  }

  setModelName(name: string): void {
    this.modelName.textContent = name;
  }

  setMetric(label: string, baseline: Baseline | null): void {
    this.metric.textContent = label === "" ? "" : `metric: ${label}`;
    this.baseline.textContent = baseline
      ? `clean ${formatValue(baseline.clean)} · corrupted ${formatValue(baseline.corrupted)}`
      : "";
  }

  setComponents(components: readonly string[], current: string): void {
    setOptions(this.componentSelect, components, current, (c) => c);
  }

  setDirections(directions: readonly string[], current: string): void {
    setOptions(this.directionSelect, directions, current, (d) => DIRECTION_LABELS[d] ?? d);
  }
}
