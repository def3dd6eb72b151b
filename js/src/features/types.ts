/**
 * Wire and view types of the feature explorer (sparse-autoencoder latents of one layer).
 *
 * `FeatureExplorerTraits` mirrors the synced traits of `FeatureExplorer` in
 * `interplab_widgets/widgets/feature_explorer.py`; change both together. Token text is data, never
 * markup, everywhere below.
 */
import type { WireArray } from "../lib/types";
import type { ShellTraits } from "../lib/view_shell";

export const SORT_KEYS = ["index", "density", "max_activation"] as const;
/** How the feature list is sorted: index ascending, the numeric columns descending. */
export type SortKey = (typeof SORT_KEYS)[number];

/** `_features`: one entry per SAE latent. */
export interface FeaturesWire {
  n_latents: number;
  /** Tokens (residual rows) the statistics are over. */
  n_rows: number;
  /** The layer whose residual stream the SAE reads. */
  layer: number;
  /** Latents active per token (TopK SAE). */
  k: number;
  /** float32 `[n_latents]`: share of tokens where the latent fires (0: dead). */
  density: WireArray;
  /** float32 `[n_latents]`: its largest activation. */
  max_activation: WireArray;
  /** Per latent, up to 3 `[token text, count]` pairs, most common first ([] for dead latents). */
  top_tokens: Array<Array<[string, number]>>;
  /** How many top contexts per latent the counts are out of. */
  top_k: number;
}

/** One context: a window of tokens around the focus token, with the latent's activation on each. */
export interface ContextWire {
  tokens: string[];
  /** One per token. */
  values: number[];
  /** Index into `tokens` of the token the context is about. */
  focus: number;
  /** The activation at the focus token. */
  activation: number;
  /** Which harvested text it is from. */
  text_index: number;
}

export interface QuantileWire {
  /** E.g. "0.50–0.75 of max". */
  label: string;
  low: number;
  high: number;
  contexts: ContextWire[];
}

export interface LogitWire {
  token: string;
  logit: number;
}

/** `_dashboard`: the selected latent, `{}` when none. */
export interface DashboardWire {
  feature: number;
  density: number;
  max_activation: number;
  /** The top-activating contexts, strongest first. */
  contexts: ContextWire[];
  /** Samples from lower activation ranges. */
  quantiles: QuantileWire[];
  /** `edges` has one more entry than `counts` (log-spaced activation edges). */
  histogram: { counts: number[]; edges: number[] };
  /** Output tokens the decoder direction promotes / suppresses (through the final norm's scale and the unembedding). */
  promoted: LogitWire[];
  suppressed: LogitWire[];
}

/** `_prompt`: the latents active on each token of `text`, `{}` before any. */
export interface PromptWire {
  tokens: string[];
  /** One list per token, strongest first, possibly empty. */
  features: Array<Array<{ feature: number; activation: number }>>;
  /** Tokens before this index were not encoded (the first token: the attention sink). */
  skipped: number;
  max_activation: number;
}

type Empty = Record<string, never>;

/** Mirrors `interplab_widgets/widgets/feature_explorer.py` (FeatureExplorer traits). */
export interface FeatureExplorerTraits extends ShellTraits {
  /** View state (no request): how the list is sorted. */
  sort_by: string;
  /** The latent whose dashboard shows, -1 for none (a request). */
  selected_feature: number;
  /** The prompt whose tokens' latents show (a request). */
  text: string;
  _model_label: string;
  _features: FeaturesWire | Empty;
  _dashboard: DashboardWire | Empty;
  _prompt: PromptWire | Empty;
}

// -- decoded ------------------------------------------------------------------------

export interface TopTokenCount {
  token: string;
  count: number;
}

export interface Features {
  nLatents: number;
  nRows: number;
  layer: number;
  k: number;
  density: Float32Array;
  maxActivation: Float32Array;
  /** One list per latent (empty for dead or malformed entries). */
  topTokens: TopTokenCount[][];
  topK: number;
}

export interface Context {
  tokens: string[];
  values: number[];
  focus: number;
  activation: number;
  textIndex: number;
}

export interface Quantile {
  label: string;
  low: number;
  high: number;
  contexts: Context[];
}

export interface LogitEffect {
  token: string;
  logit: number;
}

export interface Histogram {
  counts: number[];
  edges: number[];
}

export interface Dashboard {
  feature: number;
  density: number;
  maxActivation: number;
  contexts: Context[];
  quantiles: Quantile[];
  histogram: Histogram | null;
  promoted: LogitEffect[];
  suppressed: LogitEffect[];
}

export interface TokenFeature {
  feature: number;
  activation: number;
}

export interface Prompt {
  tokens: string[];
  features: TokenFeature[][];
  skipped: number;
  maxActivation: number;
}
