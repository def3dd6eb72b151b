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
