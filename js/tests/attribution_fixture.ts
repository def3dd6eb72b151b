/** Example state and mounting for the attribution view. */
import type { RenderProps } from "@anywidget/types";
import type { AttributionViewTraits, RowWire } from "../src/attribution/types";
import widget from "../src/attribution_view";
import { FakeModel, wire } from "./fake_model";

export const TOKENS = ["The", " E", "iffel", " Tower", " is"];
/** integrated gradients: -0.5 is the smallest, 2 the largest |score| (the first token is kept fixed). */
export const IG_SCORES = [0, 0.5, 2, 1, -0.5];
export const OCCLUSION_SCORES = [0, 0.25, 0.1, 0.4, 0];
export const FRACTIONS = [0, 0.25, 0.5, 0.75, 1];

const f32 = (values: number[]) => wire("float32", [values.length], new Float32Array(values));

export function exampleRow(overrides: Partial<RowWire> = {}): RowWire {
  return {
    method: "integrated_gradients",
    target_token: " Paris",
    foil: "",
    baseline: "zero",
    target: "log p(' Paris')",
    value: -0.5,
    baseline_value: -3.5,
    steps: 64,
    completeness_error: 0.012,
    layer: null,
    warning: "",
    scores: f32(IG_SCORES),
    attributed: wire("uint8", [TOKENS.length], new Uint8Array([0, 1, 1, 1, 1])),
    faithfulness: {
      fractions: f32(FRACTIONS),
      deletion: f32([-0.5, -2, -3, -3.2, -3.5]),
      insertion: f32([-3.5, -1, -0.8, -0.6, -0.5]),
      random_deletion: f32([-0.5, -1, -1.5, -2.5, -3.5]),
      random_insertion: f32([-3.5, -3, -2, -1, -0.5]),
      deletion_area: -2.55,
      insertion_area: -1.1,
      random_deletion_area: -1.75,
      random_insertion_area: -2.0,
    },
    ...overrides,
  };
}

export function occlusionRow(overrides: Partial<RowWire> = {}): RowWire {
  return exampleRow({
    method: "occlusion",
    steps: null,
    completeness_error: null,
    scores: f32(OCCLUSION_SCORES),
    faithfulness: null,
    ...overrides,
  });
}

export function attributionState(overrides: Partial<AttributionViewTraits> = {}): AttributionViewTraits {
  return {
    methods: ["integrated_gradients", "occlusion"],
    target: " Paris",
    foil: "",
    baseline: "zero",
    selected_token: -1,
    _model_label: "tiny-test-model",
    _tokens: TOKENS,
    _all_methods: ["integrated_gradients", "gradient_x_input", "occlusion", "attention_x_gradient"],
    _baselines: ["zero", "pad"],
    _rows: [exampleRow(), occlusionRow()],
    _request: 0,
    _status: { request: 0, state: "done", label: "", fraction: null },
    _error: "",
    ...overrides,
  };
}

export function mountAttribution(overrides: Partial<AttributionViewTraits> = {}) {
  const model = new FakeModel<AttributionViewTraits>(attributionState(overrides));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const props = { model, el } as unknown as RenderProps<AttributionViewTraits>;
  const cleanup = widget.render(props) as () => void;
  const q = <E extends Element = HTMLElement>(selector: string) => el.querySelector<E>(selector);
  const qa = <E extends Element = HTMLElement>(selector: string) => [...el.querySelectorAll<E>(selector)];
  return { model, el, cleanup, q, qa };
}
