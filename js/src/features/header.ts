/**
 * The feature explorer's header: model name, what the SAE reads ("layer 6 · 16,384 latents · k = 32 ·
 * 1,000,000 tokens") and a JSON download of the shown dashboard (busy and errors: the view shell; the
 * help toggle goes at the end of the bar).
 */
import { h } from "../lib/dom";
import { formatCount } from "./format";
import type { Features } from "./types";

/** "layer 6 · 16,384 latents · k = 32 · 1,000,000 tokens"; "" before the statistics came. */
export function featuresSummary(f: Features | null): string {
  if (f === null) return "";
  return `layer ${f.layer} · ${formatCount(f.nLatents)} latents · k = ${f.k} · ${formatCount(f.nRows)} tokens`;
}

export class FeatureHeader {
  readonly el: HTMLDivElement;
  /** The bar; the view shell adds its busy indicator and the help toggle. */
  readonly bar: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly summary: HTMLSpanElement;
  private readonly exportButton: HTMLButtonElement;

  constructor(onExportJson: () => void, signal: AbortSignal) {
    this.modelName = h("span", { className: "ilw-model-name" });
    this.summary = h("span", { className: "ilw-feature-summary" });
    this.exportButton = h("button", {
      className: "ilw-feature-export-json",
      text: "JSON",
      attrs: { type: "button", title: "Download the shown dashboard as JSON", disabled: "" },
    });
    this.exportButton.addEventListener("click", onExportJson, { signal });
    this.bar = h("div", { className: "ilw-header-bar" }, [this.modelName, this.summary, this.exportButton]);
    this.el = h("div", { className: "ilw-header" }, [this.bar]);
  }

  setModelName(name: string): void {
    this.modelName.textContent = name;
  }

  setSummary(text: string): void {
    this.summary.textContent = text;
  }

  /** The download is offered only while there is a dashboard. */
  setExportable(exportable: boolean): void {
    this.exportButton.disabled = !exportable;
  }
}
