/**
 * Wire and view types of the attention explorer.
 *
 * `AttentionExplorerTraits` mirrors the synced traits of `AttentionExplorer` in
 * `interplab_widgets/widgets/attention_explorer.py`; change both together.
 */
import type { HeadRole, MaybeWire, WireArray } from "../lib/types";
import type { ShellTraits } from "../lib/view_shell";

/** `_detail`: the full-resolution matrix shown in the detail panel, or `{}`. */
export interface DetailWire {
  layer: number;
  /** -1 for head-independent modes such as rollout. */
  head: number;
  mode: string;
  /** float16 `[query, key]`; for causal models the upper triangle is 0. */
  pattern: WireArray;
}

/** Mirrors `interplab_widgets/widgets/attention_explorer.py` (AttentionExplorer traits). */
export interface AttentionExplorerTraits extends ShellTraits {
  // Public, linked traits.
  text: string;
  selected_layer: number;
  selected_head: number;
  /** Pinned token index, -1 for none. */
  selected_token: number;
  mode: string;
  // Private traits, Python → JS.
  _model_label: string;
  _n_layers: number;
  _n_heads: number;
  _causal: boolean;
  /** Display text of each token. Data, never markup. */
  _tokens: string[];
  _modes: string[];
  /** uint8 `[layers, heads, t, t]`, each head scaled so its max is 255; t ≤ 32. */
  _thumbnails: MaybeWire;
  /** float32 `[layers, heads, k]`, named by `_head_stat_names`. */
  _head_stats: MaybeWire;
  _head_stat_names: string[];
  _head_roles: HeadRole[];
  _detail: DetailWire | Record<string, never>;
}

/** The decoded `_detail`, checked against the token count. */
export interface DetailMatrix {
  layer: number;
  head: number;
  mode: string;
  /** Number of tokens; `values` is `[n, n]`, rows = queries, cols = keys. */
  n: number;
  values: Float32Array;
  /** Largest finite value, the top of the colour scale (0 when all ≤ 0). */
  max: number;
}
