/**
 * The circuit explorer's header: model name, the scoring method, EAP-IG's steps and the selection
 * menus, the JSON download (the figure's SVG/PNG export is the shared export menu's), and under
 * them the task in one line (busy and errors: the view shell; the help toggle goes at the end of
 * the bar).
 */
import { h, setOptions } from "../lib/dom";
import { formatMetric, methodName, selectionName } from "./format";
import type { Curve, Task } from "./types";

export interface CircuitHeaderCallbacks {
  onMethod(method: string): void;
  onSteps(steps: number): void;
  onSelection(selection: string): void;
  onExportJson(): void;
}

/** "16 pairs · metric: logit difference · clean 6.38 · corrupted −0.86". */
export function taskSummary(task: Task | null, curve: Curve | null): string {
  const parts: string[] = [];
  if (task) {
    parts.push(`${task.nPairs} pair${task.nPairs === 1 ? "" : "s"}`);
    if (task.metric !== "") parts.push(`metric: ${task.metric}`);
  }
  if (curve) {
    parts.push(
      `clean ${formatMetric(curve.cleanMetric)}`,
      `corrupted ${formatMetric(curve.corruptedMetric)}`,
    );
  }
  return parts.join(" · ");
}

export class CircuitHeader {
  readonly el: HTMLDivElement;
  /** The bar of controls; the view shell adds its busy indicator and the help toggle. */
  readonly bar: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly methodSelect: HTMLSelectElement;
  private readonly stepsInput: HTMLInputElement;
  private readonly stepsLabel: HTMLLabelElement;
  private readonly selectionSelect: HTMLSelectElement;
  private readonly summary: HTMLDivElement;
  private steps = 0;

  constructor(callbacks: CircuitHeaderCallbacks, signal: AbortSignal) {
    const opts = { signal };
    this.modelName = h("span", { className: "ilw-model-name" });
    this.methodSelect = h("select", {
      className: "ilw-circuit-method",
      attrs: { "aria-label": "Edge scores" },
    });
    this.methodSelect.addEventListener("change", () => callbacks.onMethod(this.methodSelect.value), opts);
    this.stepsInput = h("input", {
      className: "ilw-circuit-steps",
      attrs: { type: "number", min: "1", step: "1", "aria-label": "EAP-IG steps" },
    });
    this.stepsInput.addEventListener(
      "change",
      () => {
        const steps = Number(this.stepsInput.value);
        if (Number.isInteger(steps) && steps >= 1) callbacks.onSteps(steps);
        else this.stepsInput.value = String(this.steps);
      },
      opts,
    );
    this.stepsLabel = h("label", { className: "ilw-circuit-steps-label" }, [
      document.createTextNode("steps "),
      this.stepsInput,
    ]);
    this.selectionSelect = h("select", {
      className: "ilw-circuit-selection",
      attrs: { "aria-label": "Circuit selection" },
    });
    this.selectionSelect.addEventListener(
      "change",
      () => callbacks.onSelection(this.selectionSelect.value),
      opts,
    );
    const button = (className: string, text: string, title: string, click: () => void) => {
      const b = h("button", { className, text, attrs: { type: "button", title } });
      b.addEventListener("click", click, opts);
      return b;
    };
    this.bar = h("div", { className: "ilw-header-bar" }, [
      this.modelName,
      h("label", {}, [document.createTextNode("scores "), this.methodSelect]),
      this.stepsLabel,
      h("label", {}, [document.createTextNode("circuits "), this.selectionSelect]),
      h("span", { className: "ilw-circuit-export" }, [
        button(
          "ilw-circuit-export-json",
          "JSON",
          "Download the circuit's edges, curve and task as JSON",
          () => callbacks.onExportJson(),
        ),
      ]),
    ]);
    this.summary = h("div", { className: "ilw-circuit-task" });
    this.el = h("div", { className: "ilw-header" }, [this.bar, this.summary]);
  }

  setModelName(name: string): void {
    this.modelName.textContent = name;
  }

  setMethods(methods: readonly string[], current: string): void {
    setOptions(this.methodSelect, methods, current, methodName);
  }

  setSelections(selections: readonly string[], current: string): void {
    setOptions(this.selectionSelect, selections, current, selectionName);
  }

  /** EAP-IG's steps; the box shows only while the method is EAP-IG (EAP has no steps). */
  setSteps(steps: number, relevant: boolean): void {
    this.steps = steps;
    if (document.activeElement !== this.stepsInput) this.stepsInput.value = String(steps);
    this.stepsLabel.hidden = !relevant;
  }

  setSummary(text: string): void {
    this.summary.textContent = text;
  }
}
