/**
 * Toolbar controls for a heatmap's colour scale: a select of the scales (lib/scale.ts) and, where
 * the view offers it, a "normalise rows" checkbox. They show the `color_scale` / `normalize_rows`
 * traits and report the user's choice; the view saves it as view state.
 */
import { h, setOptions } from "../lib/dom";
import { COLOR_SCALES, type ColorScale, readScale } from "../lib/scale";

export interface ScaleControlsCallbacks {
  onScale(scale: ColorScale): void;
  /** Only for controls built with `rows: true`. */
  onNormaliseRows?(normalise: boolean): void;
}

export class ScaleControls {
  readonly el: HTMLSpanElement;
  private readonly select: HTMLSelectElement;
  private readonly rows: HTMLInputElement | null = null;

  constructor(callbacks: ScaleControlsCallbacks, signal: AbortSignal, rows = false) {
    this.select = h("select", {
      className: "ilw-color-scale",
      attrs: { title: "Colour scale of the heatmaps", "aria-label": "Colour scale" },
    });
    setOptions(this.select, COLOR_SCALES, "linear", (s) => s);
    this.select.addEventListener("change", () => callbacks.onScale(readScale(this.select.value)), { signal });
    const children: Node[] = [h("span", { text: "scale" }), this.select];
    if (rows) {
      const box = h("input", { className: "ilw-normalize-rows", attrs: { type: "checkbox" } });
      box.addEventListener("change", () => callbacks.onNormaliseRows?.(box.checked), { signal });
      this.rows = box;
      children.push(
        h("label", { attrs: { title: "Scale each query row to its own maximum" } }, [
          box,
          document.createTextNode(" normalise rows"),
        ]),
      );
    }
    this.el = h("span", { className: "ilw-scale-controls" }, children);
  }

  set(scale: ColorScale, normaliseRows = false): void {
    this.select.value = scale;
    if (this.rows) this.rows.checked = normaliseRows;
  }
}
