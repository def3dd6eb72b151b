/**
 * Wire and view types of the generation tracer.
 *
 * `GenerationTracerTraits` mirrors the synced traits of `GenerationTracer` in
 * `interplab_widgets/widgets/generation_tracer.py`; change both together.
 */
import type { MaybeWire, Thumbnails, WireArray } from "../lib/types";
import type { ShellTraits } from "../lib/view_shell";

/** What the lens heatmap colours. */
export type LensMetric = "probability" | "rank";

/** Attribution methods, as `METHODS` in `interplab_widgets/analysis/attribution.py`, with their labels. */
export const ATTRIBUTION_METHODS: ReadonlyArray<readonly [string, string]> = [
  ["integrated_gradients", "integrated gradients"],
  ["gradient_x_input", "gradient × input"],
  ["occlusion", "occlusion"],
  ["attention_x_gradient", "attention × gradient"],
];

/** What the attribution mode explains, as `ATTRIBUTION_TARGETS` in `widgets/generation_tracer.py`. */
export type AttributionTarget = "token" | "alternative" | "foil";

/** Mirrors `interplab_widgets/widgets/generation_tracer.py` (GenerationTracer traits). */
export interface GenerationTracerTraits extends ShellTraits {
  // Public, linked traits.
  /** Generation step shown, 0..n_steps-1. */
  step: number;
  /** A lens row: 0 = embeddings … `_n_layers` = model output. */
  selected_layer: number;
  /** Block index of the head whose attention row is shown, -1 for none. */
  selected_attention_layer: number;
  selected_head: number;
  metric: LensMetric;
  /** The attribution mode: the step's token attributed to its context. */
  show_attribution: boolean;
  /** One of `ATTRIBUTION_METHODS`. */
  attribution_method: string;
  attribution_target: AttributionTarget;
  /** The foil token of the "foil" target, as typed. */
  attribution_foil: string;
  // Private traits, Python → JS.
  _model_label: string;
  _n_layers: number;
  _n_heads: number;
  _prompt_tokens: string[];
  /** The token generated at each step. Data, never markup. */
  _tokens: string[];
  /** float32 `[steps, layers + 1]`: probability of the chosen token at each lens row. */
  _lens_probs: MaybeWire;
  /** int32 `[steps, layers + 1]`: its rank, 0 = top-1. */
  _lens_ranks: MaybeWire;
  /** float32 `[steps, layers + 1]`: entropy of the lens distribution, bits. */
  _lens_entropy: MaybeWire;
  /** The top-k of lens row `layer` at `step` (`probs` float32 `[k]`), or `{}`. */
  _topk: { step: number; layer: number; tokens: string[]; probs: WireArray } | Record<string, never>;
  /** uint8 `[layers, heads, t]`: each head's attention row of the new token, or `{}`. */
  _step_attention: { step: number; thumbnails: WireArray } | Record<string, never>;
  /** float16 `[context]`: the selected head's full attention row, or `{}`. */
  _head_row: { step: number; layer: number; head: number; weights: WireArray } | Record<string, never>;
  /** The step's attribution (`scores` float32 `[context]`, `attributed` uint8 `[context]`), or `{}`. */
  _attribution: AttributionWire | Record<string, never>;
}

/** `_attribution` as `_attribution_wire()` in `widgets/generation_tracer.py` sends it. */
export interface AttributionWire {
  step: number;
  method: string;
  target_kind: string;
  /** The typed foil for the "foil" target, else "". */
  foil: string;
  /** What is explained, in words: `log p(' Paris')` or `log p(' Paris') − log p(' London')`. */
  target: string;
  scores: WireArray;
  attributed: WireArray;
  value: number;
  baseline_value: number;
  baseline: string;
  steps: number | null;
  layer: number | null;
  completeness_error: number | null;
  warning: string;
  faithfulness: FaithfulnessAreas | null;
}

/** Areas under the deletion and insertion curves, and under the same curves for random orders. */
export interface FaithfulnessAreas {
  deletion_area: number;
  insertion_area: number;
  random_deletion_area: number;
  random_insertion_area: number;
}

/** `_attribution` after decoding. */
export interface StepAttribution {
  step: number;
  method: string;
  targetKind: string;
  foil: string;
  target: string;
  /** One score per context token (prompt + tokens generated before the step). */
  scores: Float32Array;
  /** 0 where a token gets no score by construction (the kept first token). */
  attributed: Uint8Array;
  value: number;
  baselineValue: number;
  baseline: string;
  steps: number | null;
  layer: number | null;
  completenessError: number | null;
  warning: string;
  faithfulness: FaithfulnessAreas | null;
}

/** `_lens_probs` / `_lens_ranks` / `_lens_entropy` after decoding, `[steps, rows]` each (any may be null). */
export interface LensData {
  nSteps: number;
  nRows: number;
  probs: Float32Array | null;
  ranks: Int32Array | null;
  entropy: Float32Array | null;
}

export interface TopK {
  step: number;
  layer: number;
  tokens: string[];
  probs: Float32Array;
}

export interface StepAttention {
  step: number;
  thumbnails: Thumbnails;
}

export interface HeadRow {
  step: number;
  layer: number;
  head: number;
  weights: Float32Array;
  /** Largest finite weight (0 when all ≤ 0). */
  max: number;
}
