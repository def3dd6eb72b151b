/**
 * Wire and view types of the attribution view.
 *
 * `AttributionViewTraits` mirrors the synced traits of `AttributionView` in
 * `interplab_widgets/widgets/attribution_view.py`; change both together.
 */
import type { WireArray } from "../lib/types";
import type { ShellTraits } from "../lib/view_shell";

/** The curves of `faithfulness` as Python sends them, each float32 `[points]`. */
export const CURVES = ["deletion", "insertion", "random_deletion", "random_insertion"] as const;
export type Curve = (typeof CURVES)[number];

/** `faithfulness` of a row as Python sends it. */
export interface FaithfulnessWire {
  fractions: WireArray;
  deletion: WireArray;
  insertion: WireArray;
  random_deletion: WireArray;
  random_insertion: WireArray;
  deletion_area: number;
  insertion_area: number;
  random_deletion_area: number;
  random_insertion_area: number;
}

/** One entry of `_rows`: one method's attribution for the target, foil and baseline it names. */
export interface RowWire {
  method: string;
  /** The `target`, `foil` and `baseline` traits this row answers ("" = top prediction / no foil). */
  target_token: string;
  foil: string;
  baseline: string;
  /** The target in words, e.g. "log p(' Paris')". */
  target: string;
  /** The target on the input and on the all-baseline input. */
  value: number;
  baseline_value: number;
  /** Integrated gradients: the steps used and |Σ scores − (value − baseline_value)| / |value − baseline_value|. */
  steps: number | null;
  completeness_error: number | null;
  /** attention × gradient: the block read. */
  layer: number | null;
  /** Why these scores should not be trusted, "" when nothing is wrong. */
  warning: string;
  /** float32 `[tokens]`. */
  scores: WireArray;
  /** uint8 `[tokens]`: 0 where a token gets no score by construction (the kept first token). */
  attributed: WireArray;
  faithfulness: FaithfulnessWire | null;
}

/** Mirrors `interplab_widgets/widgets/attribution_view.py` (AttributionView traits). */
export interface AttributionViewTraits extends ShellTraits {
  // Public, linked traits.
  /** The methods shown as rows, in order. */
  methods: string[];
  /** The explained token, "" for the model's top prediction. */
  target: string;
  /** The contrast token, "" for none. */
  foil: string;
  baseline: string;
  /** The pinned token, -1 for none (view state: Python recomputes nothing). */
  selected_token: number;
  // Private traits, Python → JS.
  _model_label: string;
  /** The prompt's tokens. Data, never markup. */
  _tokens: string[];
  _all_methods: string[];
  _baselines: string[];
  _rows: RowWire[];
}

/** The decoded `faithfulness`: every curve has `fractions.length` points. */
export interface Faithfulness {
  fractions: Float32Array;
  curves: Record<Curve, Float32Array>;
  areas: Record<Curve, number>;
}

/** One decoded row of `_rows`, checked against the token count. */
export interface AttributionRow {
  method: string;
  targetToken: string;
  foil: string;
  baseline: string;
  target: string;
  value: number;
  baselineValue: number;
  steps: number | null;
  completenessError: number | null;
  layer: number | null;
  warning: string;
  scores: Float32Array;
  attributed: Uint8Array;
  faithfulness: Faithfulness | null;
}
