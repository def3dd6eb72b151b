/**
 * Wire and view types of the failure explorer.
 *
 * `FailureExplorerTraits` mirrors the synced traits of `FailureExplorer` in
 * `interplab_widgets/widgets/failure_explorer.py`; change both together.
 */
import type { TopToken, WireArray } from "../lib/types";
import type { ShellTraits } from "../lib/view_shell";

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
export interface FailureExplorerTraits extends ShellTraits {
  // Public, linked trait.
  /** A case id, -1 for none. */
  selected_case: number;
  // Private traits, Python → JS.
  _model_label: string;
  _cases: CaseWire[];
  _summary: KindSummaryWire[];
  _side_by_side: SideBySideWire | Record<string, never>;
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
