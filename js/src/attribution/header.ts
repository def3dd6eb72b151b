/**
 * The attribution view's header: model name, the target and foil boxes, the baseline menu and one
 * checkbox per method (busy and errors: the view shell). A box commits on Enter or when it loses
 * focus; the last method left cannot be unticked.
 */

import { methodLabel } from "../components/tracer_attribution";
import { h, setOptions } from "../lib/dom";

export interface AttributionHeaderCallbacks {
  onTarget(target: string): void;
  onFoil(foil: string): void;
  onBaseline(baseline: string): void;
  /** The box of `method` was ticked (`on`) or unticked. */
  onMethod(method: string, on: boolean): void;
}

export class AttributionHeader {
  readonly el: HTMLDivElement;
  /** The bar of controls; the view shell adds its busy indicator and the help toggle. */
  readonly bar: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly targetInput: HTMLInputElement;
  private readonly foilInput: HTMLInputElement;
  private readonly baselineSelect: HTMLSelectElement;
  private readonly methodsEl: HTMLSpanElement;
  private boxes: HTMLInputElement[] = [];

  constructor(
    private readonly callbacks: AttributionHeaderCallbacks,
    private readonly signal: AbortSignal,
  ) {
    this.modelName = h("span", { className: "ilw-model-name" });
    const box = (className: string, label: string, placeholder: string, commit: (v: string) => void) => {
      const input = h("input", {
        className,
        attrs: { type: "text", spellcheck: "false", placeholder, "aria-label": label, size: "12" },
      });
      input.addEventListener("change", () => commit(input.value), { signal });
      return input;
    };
    this.targetInput = box("ilw-attr-target-input", "Target token", "top prediction", (v) =>
      callbacks.onTarget(v),
    );
    this.foilInput = box("ilw-attr-foil-input", "Foil token", "none", (v) => callbacks.onFoil(v));
    this.baselineSelect = h("select", {
      className: "ilw-attr-baseline",
      attrs: { "aria-label": "Baseline" },
    });
    this.baselineSelect.addEventListener("change", () => callbacks.onBaseline(this.baselineSelect.value), {
      signal,
    });
    this.methodsEl = h("span", {
      className: "ilw-attr-methods",
      attrs: { role: "group", "aria-label": "Methods" },
    });
    this.bar = h("div", { className: "ilw-header-bar" }, [
      this.modelName,
      h("label", {}, [document.createTextNode("target "), this.targetInput]),
      h("label", {}, [document.createTextNode("foil "), this.foilInput]),
      h("label", {}, [document.createTextNode("baseline "), this.baselineSelect]),
    ]);
    const methodsBar = h("div", { className: "ilw-header-bar ilw-attr-methods-bar" }, [this.methodsEl]);
    this.el = h("div", { className: "ilw-header" }, [this.bar, methodsBar]);
  }

  setModelName(name: string): void {
    this.modelName.textContent = name;
  }

  /** Show the traits, unless the user is typing in that box. */
  setTarget(target: string, foil: string): void {
    if (document.activeElement !== this.targetInput) this.targetInput.value = target;
    if (document.activeElement !== this.foilInput) this.foilInput.value = foil;
  }

  setBaselines(baselines: readonly string[], current: string): void {
    setOptions(this.baselineSelect, baselines, current, (b) => b);
  }

  /** One box per method of `all` (plus any chosen one not among them), ticked when chosen. */
  setMethods(all: readonly string[], chosen: readonly string[]): void {
    const names = [...all, ...chosen.filter((m) => !all.includes(m))];
    if (names.join("\u0000") !== this.boxes.map((b) => b.value).join("\u0000")) {
      this.boxes = names.map((method) => {
        const input = h("input", { attrs: { type: "checkbox", value: method, "data-method": method } });
        input.addEventListener("change", () => this.callbacks.onMethod(method, input.checked), {
          signal: this.signal,
        });
        return input;
      });
      this.methodsEl.replaceChildren(
        h("span", { text: "methods:" }),
        ...this.boxes.map((input) =>
          h("label", { className: "ilw-attr-method-box" }, [
            input,
            document.createTextNode(methodLabel(input.value)),
          ]),
        ),
      );
    }
    for (const input of this.boxes) input.checked = chosen.includes(input.value);
    const only = chosen.length === 1;
    for (const input of this.boxes) input.disabled = only && input.checked;
  }
}
