/**
 * The header: model name, token count, mode select and "highlight as" toggle. The view shell
 * adds its busy indicator and error banner.
 */
import { h } from "../lib/dom";
import type { Axis } from "../lib/types";

export interface HeaderCallbacks {
  onMode(mode: string): void;
  onAxis(axis: Axis): void;
}

let instances = 0;

export class Header {
  readonly el: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly tokenCount: HTMLSpanElement;
  private readonly modeSelect: HTMLSelectElement;
  private modes: string[] = [];
  /** The bar of controls; the view shell adds its busy indicator and the help toggle. */
  readonly bar: HTMLDivElement;

  constructor(callbacks: HeaderCallbacks, signal: AbortSignal) {
    this.modelName = h("span", { className: "ilw-model-name" });
    this.tokenCount = h("span", { className: "ilw-token-count" });
    this.modeSelect = h("select", { className: "ilw-mode", attrs: { "aria-label": "Detail mode" } });
    this.modeSelect.addEventListener("change", () => callbacks.onMode(this.modeSelect.value), { signal });

    // Radio names must be unique per rendered view, or two outputs of one widget would share a group.
    const group = `ilw-axis-${++instances}`;
    const radio = (axis: Axis, label: string, checked: boolean) => {
      const input = h("input", { attrs: { type: "radio", name: group, value: axis } });
      input.checked = checked;
      input.addEventListener("change", () => input.checked && callbacks.onAxis(axis), { signal });
      return h("label", {}, [input, document.createTextNode(label)]);
    };
    const axisToggle = h("span", { className: "ilw-axis", attrs: { role: "radiogroup" } }, [
      h("span", { text: "highlight as:" }),
      radio("query", "query row", true),
      radio("key", "key column", false),
    ]);
    const modeLabel = h("label", { className: "ilw-mode-label" }, [
      document.createTextNode("mode "),
      this.modeSelect,
    ]);
    this.bar = h("div", { className: "ilw-header-bar" }, [
      this.modelName,
      this.tokenCount,
      modeLabel,
      axisToggle,
    ]);
    this.el = h("div", { className: "ilw-header" }, [this.bar]);
  }

  setModelName(name: string): void {
    this.modelName.textContent = name;
  }

  setTokenCount(n: number): void {
    this.tokenCount.textContent = `${n} token${n === 1 ? "" : "s"}`;
  }

  /** Options come from `_modes`; a `mode` not among them is shown as an extra option. */
  setModes(modes: readonly string[], current: string): void {
    const wanted = modes.includes(current) || current === "" ? [...modes] : [...modes, current];
    if (wanted.join("\u0000") !== this.modes.join("\u0000")) {
      this.modes = wanted;
      this.modeSelect.replaceChildren(...wanted.map((m) => h("option", { text: m, attrs: { value: m } })));
    }
    this.modeSelect.value = current;
  }
}
