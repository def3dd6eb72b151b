/** Example state and mounting for the generation tracer view. */
import type { RenderProps } from "@anywidget/types";
import widget from "../src/generation_tracer";
import type { AttributionWire, GenerationTracerTraits } from "../src/tracer/types";
import { FakeModel, HALF, wire } from "./fake_model";

export const N_LAYERS = 3;
export const N_HEADS = 2;
export const PROMPT = ["The", " cat"];
export const GENERATED = [" sat", " on", " the", " mat"];

/**
 * The attribution of step 1's token (" on") to its context ["The", " cat", " sat"]: the first token kept
 * fixed (no score), " cat" half of the largest |score|, " sat" the largest, negative.
 */
export function attributionAt(overrides: Partial<AttributionWire> = {}): AttributionWire {
  return {
    step: 1,
    method: "integrated_gradients",
    target_kind: "token",
    foil: "",
    target: "log p(' on')",
    scores: wire("float32", [3], new Float32Array([0, 0.5, -1])),
    attributed: wire("uint8", [3], new Uint8Array([0, 1, 1])),
    value: -0.5,
    baseline_value: -3,
    baseline: "zero",
    steps: 64,
    layer: null,
    completeness_error: 0.031,
    warning: "completeness error 3.1% at 64 steps is above the tolerance 2.0%",
    faithfulness: null,
    ...overrides,
  };
}

export function tracerState(overrides: Partial<GenerationTracerTraits> = {}): GenerationTracerTraits {
  const steps = GENERATED.length;
  const rows = N_LAYERS + 1;
  const probs = new Float32Array(steps * rows).map((_, i) => (i % rows) / (rows - 1));
  const ranks = new Int32Array(steps * rows).map((_, i) => rows - 1 - (i % rows));
  const entropy = new Float32Array(steps * rows).fill(1.5);
  const t = 5;
  const thumbs = new Uint8Array(N_LAYERS * N_HEADS * t).map((_, i) => (i * 37) % 256);
  // step 1: context = 2 prompt tokens + 1 generated token
  const weights = new Uint16Array([HALF[0.25], HALF[0.75], HALF[0]]);
  return {
    step: 1,
    selected_layer: N_LAYERS,
    selected_attention_layer: -1,
    selected_head: -1,
    metric: "probability",
    show_attribution: false,
    attribution_method: "integrated_gradients",
    attribution_target: "token",
    attribution_foil: "",
    _model_label: "tiny-test-model",
    _n_layers: N_LAYERS,
    _n_heads: N_HEADS,
    _prompt_tokens: PROMPT,
    _tokens: GENERATED,
    _lens_probs: wire("float32", [steps, rows], probs),
    _lens_ranks: wire("int32", [steps, rows], ranks),
    _lens_entropy: wire("float32", [steps, rows], entropy),
    _topk: {
      step: 1,
      layer: N_LAYERS,
      tokens: [" on", " in", " at"],
      probs: wire("float32", [3], new Float32Array([0.5, 0.25, 0.125])),
    },
    _step_attention: { step: 1, thumbnails: wire("uint8", [N_LAYERS, N_HEADS, t], thumbs) },
    _head_row: { step: 1, layer: 0, head: 1, weights: wire("float16", [3], weights) },
    _attribution: attributionAt(),
    _request: 0,
    _status: { request: 0, state: "done", label: "", fraction: null },
    _error: "",
    ...overrides,
  };
}

export function mountTracer(overrides: Partial<GenerationTracerTraits> = {}) {
  const model = new FakeModel<GenerationTracerTraits>(tracerState(overrides));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const props = { model, el } as unknown as RenderProps<GenerationTracerTraits>;
  const cleanup = widget.render(props) as () => void;
  const q = <E extends Element = HTMLElement>(selector: string) => el.querySelector<E>(selector);
  const qa = <E extends Element = HTMLElement>(selector: string) => [...el.querySelectorAll<E>(selector)];
  return { model, el, cleanup, q, qa };
}
