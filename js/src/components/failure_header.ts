/** The failure explorer's header: model name, how many cases failed, busy indicator and error banner. */
import { h } from "../lib/dom";
import { plural } from "./failure_format";

export class FailureHeader {
  readonly el: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly counts: HTMLSpanElement;
  private readonly busy: HTMLSpanElement;
  private readonly error: HTMLDivElement;
  private readonly bar: HTMLDivElement;

  constructor() {
    this.modelName = h("span", { className: "ilw-model-name" });
    this.counts = h("span", { className: "ilw-failure-counts" });
    this.busy = h("span", {
      className: "ilw-busy",
      text: "computing…",
      attrs: { role: "status", hidden: "" },
    });
    this.error = h("div", { className: "ilw-error", attrs: { role: "alert", hidden: "" } });
    this.bar = h("div", { className: "ilw-header-bar" }, [this.modelName, this.counts, this.busy]);
    this.el = h("div", { className: "ilw-header" }, [this.bar, this.error]);
  }

  /** Put the view's help toggle (components/help_panel.ts) at the end of the header bar. */
  addHelpToggle(toggle: HTMLElement): void {
    this.bar.appendChild(toggle);
  }

  setModelName(name: string): void {
    this.modelName.textContent = name;
  }

  /** "N cases · F failed"; the failed part is marked when there are failures. */
  setCounts(n: number, failed: number): void {
    this.counts.textContent = `${plural(n, "case")} · ${failed.toLocaleString("en-US")} failed`;
    this.counts.classList.toggle("ilw-has-failures", failed > 0);
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
