/**
 * Wire and view types of the patching explorer.
 *
 * `PatchingExplorerTraits` mirrors the synced traits of `PatchingExplorer` in
 * `interplab_widgets/widgets/patching_explorer.py`; change both together.
 */
import type { TopToken, WireArray } from "../lib/types";
import type { ShellTraits } from "../lib/view_shell";

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
export interface PatchingExplorerTraits extends ShellTraits {
  // Public, linked traits.
  component: string;
  /** "denoise" (clean into corrupted) or "noise" (corrupted into clean). */
  direction: string;
  /** Grid row, -1 for none. */
  selected_layer: number;
  /** Token position, -1 for none. */
  selected_position: number;
  /** Colour scale of the grid: "linear", "sqrt" or "log" (view state). */
  color_scale: string;
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
