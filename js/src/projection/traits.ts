/** Readers of the projection explorer's traits (see lib/traits.ts for the conventions). */
import {
  asDict,
  bad,
  decode,
  intField,
  isEmpty,
  numberField,
  ok,
  type Parsed,
  readStrings,
  shapeText,
} from "../lib/traits";
import type {
  LabelSet,
  PointContext,
  PointSource,
  ProbeResult,
  ProjectionPoints,
  SelectionSummary,
} from "./types";

/** Decode an int32 `[n]` wire array (`name` for messages). */
function readIds(name: string, value: unknown, n: number): Parsed<Int32Array> {
  const decoded = decode(name, value);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  if (!(data instanceof Int32Array) || shape.length !== 1 || shape[0] !== n) {
    return bad(`${name}: expected int32 [${n}], got ${shapeText(shape)}`);
  }
  return ok(data);
}

/** `_points`: `{layer, method, xy: float32 [N, 2]}` with N = `_n_points`. */
export function readPoints(value: unknown, nPoints: number): Parsed<ProjectionPoints> {
  const dict = asDict("_points", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const layer = intField(d, "layer");
  if (Number.isNaN(layer) || typeof d.method !== "string") {
    return bad("_points: layer must be an integer and method a string");
  }
  const decoded = decode("_points.xy", d.xy);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  if (!(data instanceof Float32Array) || shape.length !== 2 || shape[1] !== 2) {
    return bad(`_points.xy: expected float32 [N, 2], got ${shapeText(shape)}`);
  }
  if (shape[0] !== nPoints) return bad(`_points.xy has ${shape[0]} points but _n_points is ${nPoints}`);
  return ok({ layer, method: d.method, n: nPoints, xy: data });
}

/**
 * `_label_sets`: `{name: {names, values: int32 [N]}}`, values -1 (unlabelled) or an index into
 * `names`. Returns the well-formed sets, in order, and a problem naming the others.
 */
export function readLabelSets(value: unknown, nPoints: number): Parsed<LabelSet[]> {
  if (isEmpty(value)) return ok([]);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return bad("_label_sets is not an object");
  }
  const sets: LabelSet[] = [];
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(value as Record<string, unknown>)) {
    const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    if (!Array.isArray(e.names)) {
      problems.push(`_label_sets.${name}: names must be a list of strings`);
      continue;
    }
    const names = readStrings(e.names);
    const values = readIds(`_label_sets.${name}.values`, e.values, nPoints);
    if (values.value === null) {
      problems.push(values.problem);
      continue;
    }
    const counts = new Array<number>(names.length).fill(0);
    let outOfRange = 0;
    for (const v of values.value) {
      if (v >= 0 && v < names.length) (counts[v] as number)++;
      else if (v !== -1) outOfRange++;
    }
    if (outOfRange > 0) {
      problems.push(`_label_sets.${name}: ${outOfRange} values are neither -1 nor a label index`);
      continue;
    }
    sets.push({ name, names, values: values.value, counts });
  }
  return { value: sets, problem: problems.join("\n") };
}

/** `_point_source`: `{text, start, end}`, int32 `[N]` each. */
export function readPointSource(value: unknown, nPoints: number): Parsed<PointSource> {
  const dict = asDict("_point_source", value);
  if (dict.value === null) return bad(dict.problem);
  const fields: Partial<Record<keyof PointSource, Int32Array>> = {};
  for (const key of ["text", "start", "end"] as const) {
    const ids = readIds(`_point_source.${key}`, dict.value[key], nPoints);
    if (ids.value === null) return bad(ids.problem);
    fields[key] = ids.value;
  }
  return ok(fields as PointSource);
}

function readContext(value: unknown): PointContext | null {
  if (typeof value !== "object" || value === null) return null;
  const d = value as Record<string, unknown>;
  const c = {
    point: intField(d, "point"),
    text: intField(d, "text"),
    start: intField(d, "start"),
    end: intField(d, "end"),
  };
  return Object.values(c).every((v) => v >= 0) ? c : null;
}

/** `_selection`: `{count, contexts: [{point, text, start, end}]}` (the view counts labels itself), or `{}`. */
export function readSelection(value: unknown): Parsed<SelectionSummary> {
  const dict = asDict("_selection", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const count = intField(d, "count");
  if (!(count >= 0)) return bad("_selection.count must be an integer ≥ 0");
  if (!Array.isArray(d.contexts)) return bad("_selection.contexts must be a list");
  const contexts = d.contexts.map(readContext);
  if (contexts.some((c) => c === null)) {
    return bad("_selection.contexts: expected [{point, text, start, end}] with integers ≥ 0");
  }
  return ok({ count, contexts: contexts as PointContext[] });
}

const PROBE_STATUSES = ["running", "done", "error"];

/** `_probe`: `{status, accuracy?, control_accuracy?, n_train?, n_test?, message}`, or `{}`. */
export function readProbe(value: unknown): Parsed<ProbeResult> {
  const dict = asDict("_probe", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  if (typeof d.status !== "string" || !PROBE_STATUSES.includes(d.status)) {
    return bad(`_probe.status must be one of ${PROBE_STATUSES.join(", ")}`);
  }
  return ok({
    status: d.status as ProbeResult["status"],
    accuracy: numberField(d, "accuracy"),
    controlAccuracy: numberField(d, "control_accuracy"),
    nTrain: numberField(d, "n_train"),
    nTest: numberField(d, "n_test"),
    message: typeof d.message === "string" ? d.message : "",
  });
}

/**
 * `selected_points`: ids in 0..n-1, returned sorted and without duplicates; ids out of range
 * are dropped and named in the problem.
 */
export function readSelectedIds(value: unknown, nPoints: number): Parsed<number[]> {
  if (!Array.isArray(value)) return bad("selected_points is not a list");
  const ids = new Set<number>();
  let dropped = 0;
  for (const v of value) {
    if (Number.isInteger(v) && v >= 0 && v < nPoints) ids.add(v);
    else dropped++;
  }
  return {
    value: [...ids].sort((a, b) => a - b),
    problem: dropped > 0 ? `selected_points: ${dropped} ids are not points 0..${nPoints - 1}` : "",
  };
}
