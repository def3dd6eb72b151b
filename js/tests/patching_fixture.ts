/** Example state and mounting for the patching explorer view. */
import type { RenderProps } from "@anywidget/types";
import type { PatchCellWire, PatchingExplorerTraits } from "../src/patching/types";
import widget from "../src/patching_explorer";
import { FakeModel, wire } from "./fake_model";

export const CLEAN = ["The", " capital", " of", " France"];
export const CORRUPTED = ["The", " capital", " of", " Italy"];
export const ROWS = ["emb", "1", "2", "3"];
/** effects[row, position]: below 0, 0, between, 1 and beyond 1 all occur. */
export const EFFECTS = [
  [0, 0, 0, 1],
  [0, 0, -0.5, 1],
  [0, 0, 0.5, 1.5],
  [0, 0, 0.25, 0.8],
];

export function exampleCell(overrides: Partial<PatchCellWire> = {}): PatchCellWire {
  return {
    component: "resid",
    direction: "denoise",
    layer: 2,
    position: 3,
    effect: 1.5,
    head_layer: 1,
    heads: wire("float32", [4], new Float32Array([0.5, -0.25, 0, 1])),
    top: {
      clean: [
        [" Paris", 0.8],
        [" the", 0.05],
      ],
      corrupted: [[" Rome", 0.7]],
      patched: [
        [" Paris", 0.6],
        [" Rome", 0.2],
        [" Lyon", 0.0001],
      ],
    },
    ...overrides,
  };
}

export function patchingState(overrides: Partial<PatchingExplorerTraits> = {}): PatchingExplorerTraits {
  return {
    component: "resid",
    direction: "denoise",
    selected_layer: 2,
    selected_position: 3,
    color_scale: "linear",
    _model_label: "tiny-test-model",
    _components: ["resid", "attn", "mlp"],
    _directions: ["denoise", "noise"],
    _clean_tokens: CLEAN,
    _corrupted_tokens: CORRUPTED,
    _metric_label: "logit(' Paris') − logit(' Rome') at the last token",
    _baseline: { clean: 3.25, corrupted: -1.5 },
    _grid: {
      component: "resid",
      direction: "denoise",
      rows: ROWS,
      effects: wire("float32", [ROWS.length, CLEAN.length], new Float32Array(EFFECTS.flat())),
    },
    _cell: exampleCell(),
    _request: 0,
    _status: { request: 0, state: "done", label: "", fraction: null },
    _error: "",
    ...overrides,
  };
}

export function mountPatching(overrides: Partial<PatchingExplorerTraits> = {}) {
  const model = new FakeModel<PatchingExplorerTraits>(patchingState(overrides));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const props = { model, el } as unknown as RenderProps<PatchingExplorerTraits>;
  const cleanup = widget.render(props) as () => void;
  const q = <E extends Element = HTMLElement>(selector: string) => el.querySelector<E>(selector);
  const qa = <E extends Element = HTMLElement>(selector: string) => [...el.querySelectorAll<E>(selector)];
  return { model, el, cleanup, q, qa };
}
