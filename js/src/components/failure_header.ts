/** The failure explorer's header: model name, how many cases failed (busy and errors: the view shell). */
import { h } from "../lib/dom";
import { plural } from "./failure_format";

export class FailureHeader {
  readonly el: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly counts: HTMLSpanElement;
  /** The bar of controls; the view shell adds its busy indicator and the help toggle. */
  readonly bar: HTMLDivElement;

  constructor() {
    this.modelName = h("span", { className: "ilw-model-name" });
    this.counts = h("span", { className: "ilw-failure-counts" });
    this.bar = h("div", { className: "ilw-header-bar" }, [this.modelName, this.counts]);
    this.el = h("div", { className: "ilw-header" }, [this.bar]);
  }

  setModelName(name: string): void {
    this.modelName.textContent = name;
  }

  /** "N cases · F failed"; the failed part is marked when there are failures. */
  setCounts(n: number, failed: number): void {
    this.counts.textContent = `${plural(n, "case")} · ${failed.toLocaleString("en-US")} failed`;
    this.counts.classList.toggle("ilw-has-failures", failed > 0);
  }
}
