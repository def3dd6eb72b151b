/**
 * Types shared by the attention explorer view.
 *
 * `AttentionExplorerTraits` mirrors the synced traits of `AttentionExplorer` in
 * `interplab_widgets/widgets/attention_explorer.py`; change both together. Trait names
 * stay snake_case here because they are the wire names; everything the view derives
 * from them (see `lib/traits.ts`) is camelCase.
 */

/** Element types a wire array may carry. float16 is widened to float32 when decoded. */
export type WireDtype = "uint8" | "float16" | "float32" | "int32";

/**
 * An n-dimensional array as Python sends it: C-order, little-endian bytes nested in a
 * dict. ipywidgets delivers the bytes as a `DataView` (possibly a window into a larger
 * buffer, so `byteOffset`/`byteLength` matter).
 */
export interface WireArray {
  dtype: WireDtype;
  shape: number[];
  data: DataView;
}

/** A trait that holds a wire array once computed, `{}` before. */
export type MaybeWire = WireArray | Record<string, never>;

/** One entry of `_head_roles`: a named behaviour detected for one head. */
export interface HeadRole {
  layer: number;
  head: number;
  role: string;
  score: number;
}

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
export interface AttentionExplorerTraits {
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
  _busy: boolean;
  _error: string;
}

/** Which line of the pattern a highlighted token lights: its query row or its key column. */
export type Axis = "query" | "key";

/**
 * Thumbnails after decoding: `layers × heads` images of `height × width` pixels
 * (square `t × t` for the attention explorer, `1 × t` strips for the generation tracer).
 */
export interface Thumbnails {
  nLayers: number;
  nHeads: number;
  height: number;
  width: number;
  /** `[layers, heads, height, width]`, 0..255. */
  data: Uint8Array;
}

/** Per-head statistics after decoding. */
export interface HeadStats {
  names: string[];
  /** `[layers, heads, k]`. */
  values: Float32Array;
  k: number;
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

// -- Generation tracer ------------------------------------------------------------------

/** What the lens heatmap colours. */
export type LensMetric = "probability" | "rank";

/** Mirrors `interplab_widgets/widgets/generation_tracer.py` (GenerationTracer traits). */
export interface GenerationTracerTraits {
  // Public, linked traits.
  prompt: string;
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
  _busy: boolean;
  _error: string;
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

// -- Patching explorer ------------------------------------------------------------------

/** The three runs whose top next tokens a patched cell shows. */
export type PatchRun = "clean" | "corrupted" | "patched";

/** `_grid` as Python sends it, or `{}` before the first computation. */
export interface PatchGridWire {
  component: string;
  direction: string;
  /** Row labels, e.g. "emb", "1", … for resid. */
  rows: string[];
  /** float32 `[rows, n]`: 0 = corrupted behaviour, 1 = clean behaviour. */
  effects: WireArray;
}

/** `_cell` as Python sends it, or `{}`. */
export interface PatchCellWire {
  component: string;
  direction: string;
  layer: number;
  position: number;
  effect: number;
  /** The block whose heads are broken down; null where there are none (the embeddings). */
  head_layer: number | null;
  /** float32 `[n_heads]` or null. */
  heads: WireArray | null;
  top: Record<PatchRun, Array<[string, number]>>;
}

/** Mirrors `interplab_widgets/widgets/patching_explorer.py` (PatchingExplorer traits). */
export interface PatchingExplorerTraits {
  // Public, linked traits.
  component: string;
  /** "denoise" (clean into corrupted) or "noise" (corrupted into clean). */
  direction: string;
  /** Grid row, -1 for none. */
  selected_layer: number;
  /** Token position, -1 for none. */
  selected_position: number;
  // Private traits, Python → JS.
  _model_label: string;
  _components: string[];
  _directions: string[];
  /** Token texts of the two prompts (same length). Data, never markup. */
  _clean_tokens: string[];
  _corrupted_tokens: string[];
  _metric_label: string;
  _baseline: { clean: number; corrupted: number } | Record<string, never>;
  _grid: PatchGridWire | Record<string, never>;
  _cell: PatchCellWire | Record<string, never>;
  _busy: boolean;
  _error: string;
}

/** The decoded `_grid`, checked against the token count. */
export interface PatchGrid {
  component: string;
  direction: string;
  rows: string[];
  /** Token positions; `effects` is `[rows.length, nCols]`. */
  nCols: number;
  effects: Float32Array;
}

export interface TopToken {
  token: string;
  prob: number;
}

/** The decoded `_cell`. */
export interface PatchCell {
  component: string;
  direction: string;
  layer: number;
  position: number;
  effect: number;
  headLayer: number | null;
  heads: Float32Array | null;
  top: Record<PatchRun, TopToken[]>;
}

export interface Baseline {
  clean: number;
  corrupted: number;
}

// -- Projection explorer ----------------------------------------------------------------

/** `_points` as Python sends it, or `{}` before the first projection. */
export interface ProjectionPointsWire {
  layer: number;
  method: string;
  /** float32 `[N, 2]`. */
  xy: WireArray;
}

/** One entry of `_label_sets`: a name per label index and each point's label. */
export interface LabelSetWire {
  names: string[];
  /** int32 `[N]`, -1 = unlabelled. */
  values: WireArray;
}

/** `_point_source`: which text each point comes from and its token's span in it. */
export interface PointSourceWire {
  text: WireArray;
  start: WireArray;
  end: WireArray;
}

/** Where one point comes from: index into `_texts` and a `[start, end)` span (Python str indices). */
export interface PointContext {
  point: number;
  text: number;
  start: number;
  end: number;
}

/** `_selection` as Python sends it, or `{}`. */
export interface SelectionWire {
  count: number;
  by_label: Record<string, number[]>;
  contexts: PointContext[];
}

export type ProbeStatus = "running" | "done" | "error";

/** `_probe` as Python sends it, or `{}`. */
export interface ProbeWire {
  status: ProbeStatus;
  accuracy?: number;
  control_accuracy?: number;
  n_train?: number;
  n_test?: number;
  message: string;
}

/** `_progress`: fraction in 0..1, or -1 when unknown. */
export interface ProgressWire {
  label: string;
  fraction: number;
}

/** How a drag on the scatter acts. */
export type DragMode = "pan" | "box" | "lasso";

/** Mirrors `interplab_widgets/widgets/projection_explorer.py` (ProjectionExplorer traits). */
export interface ProjectionExplorerTraits {
  // Public, linked traits.
  selected_layer: number;
  method: string;
  /** A key of `_label_sets`, or "" for one colour. */
  color_by: string;
  /** Ids (row indices) of the selected points. */
  selected_points: number[];
  // Private traits, Python → JS.
  _model_label: string;
  _layers: number[];
  _methods: string[];
  _n_points: number;
  _points: ProjectionPointsWire | Record<string, never>;
  _label_sets: Record<string, LabelSetWire>;
  /** Source texts. Data, never markup. */
  _texts: string[];
  _point_source: PointSourceWire | Record<string, never>;
  _selection: SelectionWire | Record<string, never>;
  _probe: ProbeWire | Record<string, never>;
  _progress: ProgressWire | Record<string, never>;
  _busy: boolean;
  _error: string;
}

/** The decoded `_points`, checked against `_n_points`. */
export interface ProjectionPoints {
  layer: number;
  method: string;
  n: number;
  /** `[n, 2]`: x, y of each point. */
  xy: Float32Array;
}

/** A decoded label set; every value is -1 or an index into `names`. */
export interface LabelSet {
  name: string;
  names: string[];
  values: Int32Array;
  /** Points per label name (unlabelled points are not counted). */
  counts: number[];
}

/** The decoded `_point_source`, `[N]` each. */
export interface PointSource {
  text: Int32Array;
  start: Int32Array;
  end: Int32Array;
}

/** The decoded `_selection`; per-label counts are computed by the view from the label sets. */
export interface SelectionSummary {
  count: number;
  contexts: PointContext[];
}

export interface ProbeResult {
  status: ProbeStatus;
  accuracy: number | null;
  controlAccuracy: number | null;
  nTrain: number | null;
  nTest: number | null;
  message: string;
}

export interface Progress {
  label: string;
  /** 0..1, or -1 when unknown. */
  fraction: number;
}

// -- Failure explorer -------------------------------------------------------------------

/** One entry of `_cases` as Python sends it. */
export interface CaseWire {
  id: number;
  /** Perturbation kind: "typo", "negation", "distractor", … */
  kind: string;
  /** CheckList capability: "MFT" | "INV" | "DIR" | "BIAS". */
  capability: string;
  /** The tested (perturbed) prompt. Data, never markup. */
  prompt: string;
  /** The unperturbed prompt, "" when the case has none. */
  original: string;
  /** The check in words, e.g. "same top token as original". */
  expected: string;
  passed: boolean;
  /** The tested prompt's top next token and its probability. */
  top: string;
  top_prob: number;
  /** Signed effect size (perturbed − original). */
  effect: number;
  detail: string;
}

/** One entry of `_summary`: the cases of one perturbation kind. */
export interface KindSummaryWire {
  kind: string;
  n: number;
  failed: number;
  failure_rate: number;
  mean_effect: number;
}

/** One run (original or perturbed prompt) of `_side_by_side`. */
export interface FailureRunWire {
  prompt: string;
  tokens: string[];
  /** Per token: it differs from the other run. */
  changed: boolean[];
  /** `[[token, prob], …]`, the top-5 next tokens. */
  top: Array<[string, number]>;
  /** Top-1 lens token at each lens row (layers + 1). */
  lens_top: string[];
  /** float32 `[layers + 1]`: probability of the target token at each lens row. */
  lens_target: WireArray;
}

/** `_side_by_side` as Python sends it, or `{}` before a case is computed. */
export interface SideBySideWire {
  case: number;
  /** The token whose probability the lens follows. */
  target: string;
  original: FailureRunWire | null;
  perturbed: FailureRunWire;
  /** float32 `[layers, heads]` in 0..1, or null. */
  head_diff: WireArray | null;
  head_diff_label: string;
}

/** Mirrors `interplab_widgets/widgets/failure_explorer.py` (FailureExplorer traits). */
export interface FailureExplorerTraits {
  // Public, linked trait.
  /** A case id, -1 for none. */
  selected_case: number;
  // Private traits, Python → JS.
  _model_label: string;
  _cases: CaseWire[];
  _summary: KindSummaryWire[];
  _side_by_side: SideBySideWire | Record<string, never>;
  _busy: boolean;
  _error: string;
}

/** A checked `_cases` entry. */
export interface FailureCase {
  id: number;
  kind: string;
  capability: string;
  prompt: string;
  original: string;
  expected: string;
  passed: boolean;
  top: string;
  topProb: number;
  effect: number;
  detail: string;
}

/** A checked `_summary` entry. */
export interface KindSummary {
  kind: string;
  n: number;
  failed: number;
  failureRate: number;
  meanEffect: number;
}

/** A checked run of `_side_by_side`; `lensTop` and `lensTarget` have one entry per lens row. */
export interface FailureRun {
  prompt: string;
  tokens: string[];
  changed: boolean[];
  top: TopToken[];
  lensTop: string[];
  lensTarget: Float32Array;
}

/** `head_diff` after decoding: `[nLayers, nHeads]` values in 0..1. */
export interface HeadDiff {
  nLayers: number;
  nHeads: number;
  values: Float32Array;
}

/** The decoded `_side_by_side`. */
export interface SideBySide {
  caseId: number;
  target: string;
  original: FailureRun | null;
  perturbed: FailureRun;
  headDiff: HeadDiff | null;
  headDiffLabel: string;
}
