/**
 * Wire and view types of the attention explorer.
 *
 * `AttentionExplorerTraits` mirrors the synced traits of `AttentionExplorer` in
 * `interplab_widgets/widgets/attention_explorer.py`; change both together.
 */
import type { HeadRole, MaybeWire, WireArray } from "../lib/types";
import type { ShellTraits } from "../lib/view_shell";

/**
 * `[q0, q1, k0, k1]`: half-open token ranges, queries q0..q1-1 and keys k0..k1-1. As the
 * `detail_window` trait, `[]` stands for the whole matrix.
 */
export type TokenWindow = readonly [number, number, number, number];

/**
 * One reduced piece of a matrix as Python sends it: the tokens in `bounds`, cut into at most
 * 256 × 256 blocks (integer binning, so blocks may differ in size by one token).
 */
export interface DetailPartWire {
  bounds: number[];
  /** int32 `[rq]`: first query token of each block row; `[0]` is q0, strictly increasing. */
  query_starts: WireArray;
  /** int32 `[rk]`: the same for key columns. */
  key_starts: WireArray;
  /** float16 `[rq, rk]`: each block's maximum, so one strong key is never averaged away. */
  pattern: WireArray;
}

/** `_detail`: the selected matrix as an overview plus the requested window, or `{}`. */
export interface DetailWire {
  layer: number;
  /** -1 for head-independent modes such as rollout. */
  head: number;
  mode: string;
  /** Token count. */
  n: number;
  /** Largest value of the whole matrix: the top of the colour scale, the same at every zoom. */
  scale_max: number;
  /** int32 `[r]`: the only query rows computed (rollout/flow of one pinned token); null: all. */
  rows: WireArray | null;
  /** The whole matrix, bounds `[0, n, 0, n]`. */
  overview: DetailPartWire;
  /** The part `detail_window` asked for; null when it is `[]`. */
  window: DetailPartWire | null;
}

/** `_detail_lines`: each row's and each column's strongest entries, for the lines view, or `{}`. */
export interface DetailLinesWire {
  layer: number;
  head: number;
  mode: string;
  n: number;
  k: number;
  /** int32 `[n, k]`: per query, its k strongest keys, strongest first; -1 pads. */
  top_keys: WireArray;
  /** float16 `[n, k]`. */
  top_key_weights: WireArray;
  /** int32 `[n, k]`: per key, its k strongest queries. */
  top_queries: WireArray;
  /** float16 `[n, k]`. */
  top_query_weights: WireArray;
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
  /** The part of the detail matrix the heatmap shows, `[q0, q1, k0, k1]`; `[]` for all of it. */
  detail_window: number[];
  /** Colour scale of the thumbnails and the detail heatmap: "linear", "sqrt" or "log" (view state). */
  color_scale: string;
  /** Scale each query row to its own maximum (view state). */
  normalize_rows: boolean;
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
  _detail_lines: DetailLinesWire | Record<string, never>;
}

/** A decoded part: `values` is `[rows, cols]` block maxima over the token ranges in `bounds`. */
export interface DetailPart {
  bounds: TokenWindow;
  queryStarts: Int32Array;
  keyStarts: Int32Array;
  values: Float32Array;
  /** One token per block on both axes: the values are the matrix itself. */
  exact: boolean;
}

/** What the heatmap paints: a whole-matrix overview and, on top, a finer window. */
export interface HeatmapData {
  /** Token count: the matrix is `[n, n]`, rows = queries, cols = keys. */
  n: number;
  /** Top of the colour scale. */
  scaleMax: number;
  /** Sorted query rows that were computed; null when all were. */
  rows: Int32Array | null;
  overview: DetailPart;
  window: DetailPart | null;
}

/** The decoded `_detail`, checked against the token count. */
export interface DetailViewport extends HeatmapData {
  layer: number;
  head: number;
  mode: string;
}

/** The decoded `_detail_lines`: arrays are `[n, k]`, row i for token i. */
export interface DetailLines {
  layer: number;
  head: number;
  mode: string;
  n: number;
  k: number;
  topKeys: Int32Array;
  topKeyWeights: Float32Array;
  topQueries: Int32Array;
  topQueryWeights: Float32Array;
  /** Largest weight listed: lines are drawn with opacity weight / max. */
  max: number;
}
