/**
 * The projection explorer's toolbar: model name, layer slider (stepping through the harvested
 * layers), projection method, colour-by label set, drag mode buttons and a fit button. The view
 * shell adds its busy indicator (with the progress bar) and the error banner.
 */
import { h, setOptions } from "../lib/dom";
import type { DragMode } from "../projection/types";

export interface ProjectionToolbarCallbacks {
  onLayer(layer: number): void;
  onMethod(method: string): void;
  onColorBy(name: string): void;
  onMode(mode: DragMode): void;
  onFit(): void;
}

const METHOD_LABELS: Record<string, string> = { pca: "PCA", umap: "UMAP", tsne: "t-SNE" };

const MODES: ReadonlyArray<[DragMode, string, string]> = [
  ["pan", "Pan", "Drag to pan (Shift-drag: box select)"],
  ["box", "Box", "Drag a rectangle to select"],
  ["lasso", "Lasso", "Draw around points to select"],
];

export class ProjectionToolbar {
  readonly el: HTMLDivElement;
  private readonly modelName: HTMLSpanElement;
  private readonly slider: HTMLInputElement;
  private readonly layerLabel: HTMLSpanElement;
  private readonly methodSelect: HTMLSelectElement;
  private readonly colorSelect: HTMLSelectElement;
  private readonly modeButtons: HTMLButtonElement[];
  /** The bar of controls; the view shell adds its busy indicator and the help toggle. */
  readonly bar: HTMLDivElement;
  private layers: number[] = [];

  constructor(callbacks: ProjectionToolbarCallbacks, signal: AbortSignal) {
    this.modelName = h("span", { className: "ilw-model-name" });
    this.slider = h("input", {
      className: "ilw-layer-slider",
      attrs: { type: "range", min: "0", max: "0", step: "1", value: "0", "aria-label": "Layer" },
    });
    this.layerLabel = h("span", { className: "ilw-layer-label" });
    // The label follows the thumb while dragging; the layer is written once, on release.
    this.slider.addEventListener("input", () => this.showLayer(this.layerAt()), { signal });
    this.slider.addEventListener(
      "change",
      () => {
        const layer = this.layerAt();
        if (layer !== undefined) callbacks.onLayer(layer);
      },
      { signal },
    );
    this.methodSelect = h("select", {
      className: "ilw-method",
      attrs: { "aria-label": "Projection method" },
    });
    this.methodSelect.addEventListener("change", () => callbacks.onMethod(this.methodSelect.value), {
      signal,
    });
    this.colorSelect = h("select", { className: "ilw-color-by", attrs: { "aria-label": "Colour by" } });
    this.colorSelect.addEventListener("change", () => callbacks.onColorBy(this.colorSelect.value), {
      signal,
    });
    this.modeButtons = MODES.map(([mode, label, title]) => {
      const button = h("button", {
        className: "ilw-mode",
        text: label,
        attrs: { type: "button", "data-mode": mode, title },
      });
      button.addEventListener("click", () => callbacks.onMode(mode), { signal });
      return button;
    });
    const fit = h("button", {
      className: "ilw-fit",
      text: "Fit",
      attrs: { type: "button", title: "Fit the view to the points (or double-click the plot)" },
    });
    fit.addEventListener("click", () => callbacks.onFit(), { signal });
    this.bar = h("div", { className: "ilw-header-bar" }, [
      this.modelName,
      h("label", { className: "ilw-layer-control" }, [this.layerLabel, this.slider]),
      h("label", {}, [document.createTextNode("method "), this.methodSelect]),
      h("label", {}, [document.createTextNode("colour by "), this.colorSelect]),
      h("span", { className: "ilw-modes", attrs: { role: "group", "aria-label": "Drag mode" } }, [
        ...this.modeButtons,
        fit,
      ]),
    ]);
    this.el = h("div", { className: "ilw-header" }, [this.bar]);
    this.setMode("pan");
  }

  setModelName(name: string): void {
    this.modelName.textContent = name;
  }

  /** The slider steps through `layers`; `selected` need not be among them (the label says which it is). */
  setLayers(layers: readonly number[], selected: number): void {
    this.layers = [...layers];
    this.slider.max = String(Math.max(0, layers.length - 1));
    this.slider.disabled = layers.length < 2;
    let nearest = 0;
    layers.forEach((layer, i) => {
      if (Math.abs(layer - selected) < Math.abs((layers[nearest] as number) - selected)) nearest = i;
    });
    this.slider.value = String(nearest);
    this.showLayer(selected);
  }

  setMethods(methods: readonly string[], current: string): void {
    setOptions(this.methodSelect, methods, current, (m) => METHOD_LABELS[m] ?? m);
  }

  /** "" (one colour) first, then the label sets. */
  setColorSets(names: readonly string[], current: string): void {
    setOptions(this.colorSelect, ["", ...names], current, (n) => (n === "" ? "none" : n));
  }

  setMode(mode: DragMode): void {
    for (const button of this.modeButtons) {
      const active = button.dataset.mode === mode;
      button.classList.toggle("ilw-active", active);
      button.setAttribute("aria-pressed", String(active));
    }
  }

  private layerAt(): number | undefined {
    return this.layers[Number(this.slider.value)];
  }

  private showLayer(layer: number | undefined): void {
    this.layerLabel.textContent = layer === undefined ? "layer" : `layer ${layer}`;
  }
}
