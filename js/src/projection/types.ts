/**
 * Wire and view types of the projection explorer.
 *
 * `ProjectionExplorerTraits` mirrors the synced traits of `ProjectionExplorer` in
 * `interplab_widgets/widgets/projection_explorer.py`; change both together.
 */
import type { WireArray } from "../lib/types";
import type { ShellTraits } from "../lib/view_shell";

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

/** How a drag on the scatter acts. */
export type DragMode = "pan" | "box" | "lasso";

/** Mirrors `interplab_widgets/widgets/projection_explorer.py` (ProjectionExplorer traits). */
export interface ProjectionExplorerTraits extends ShellTraits {
  // Public, linked traits.
  selected_layer: number;
  method: string;
  /** A key of `_label_sets`, or "" for one colour. View state: changing it is not a request. */
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
