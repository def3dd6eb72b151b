/**
 * The boundary between synced traits (snake_case, untrusted shapes) and view data
 * (camelCase, checked). Each reader returns the value (or `null`, or for a few readers
 * the part that is well formed) plus a problem to show in the error banner, and never throws.
 */
import type {
  Baseline,
  DetailMatrix,
  FailureCase,
  FailureRun,
  HeadDiff,
  HeadRole,
  HeadRow,
  HeadStats,
  KindSummary,
  LabelSet,
  PatchCell,
  PatchGrid,
  PatchRun,
  PointContext,
  PointSource,
  ProbeResult,
  Progress,
  ProjectionPoints,
  SelectionSummary,
  SideBySide,
  StepAttention,
  Thumbnails,
  TopK,
  TopToken,
} from "./types";
import { fromWire, isWireArray } from "./wire";

export interface Parsed<T> {
  value: T | null;
  /** Empty when the trait is fine or simply not computed yet. */
  problem: string;
}

const ok = <T>(value: T): Parsed<T> => ({ value, problem: "" });
/** Not computed yet: nothing to show, nothing wrong. */
const none = <T>(): Parsed<T> => ({ value: null, problem: "" });
const bad = <T>(problem: string): Parsed<T> => ({ value: null, problem });

/** `{}` (or nothing) means "not computed yet", which is not a problem. */
function isEmpty(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    (typeof value === "object" && Object.keys(value as object).length === 0)
  );
}

function shapeText(shape: number[]): string {
  return `[${shape.join(", ")}]`;
}

function decode(name: string, value: unknown) {
  if (!isWireArray(value)) return bad<never>(`${name} is not a wire array`);
  try {
    return ok(fromWire(value));
  } catch (err) {
    return bad<never>(`${name}: ${(err as Error).message}`);
  }
}

export function readThumbnails(value: unknown, nLayers: number, nHeads: number): Parsed<Thumbnails> {
  if (isEmpty(value)) return none();
  const decoded = decode("_thumbnails", value);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  const [layers, heads, t, t2] = shape;
  if (
    !(data instanceof Uint8Array) ||
    shape.length !== 4 ||
    layers !== nLayers ||
    heads !== nHeads ||
    t !== t2
  ) {
    return bad(`_thumbnails: expected uint8 [${nLayers}, ${nHeads}, t, t], got ${shapeText(shape)}`);
  }
  return ok({ nLayers, nHeads, height: t as number, width: t as number, data });
}

export function readHeadStats(
  value: unknown,
  names: unknown,
  nLayers: number,
  nHeads: number,
): Parsed<HeadStats> {
  if (isEmpty(value)) return none();
  const decoded = decode("_head_stats", value);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  const statNames = Array.isArray(names) ? names.map(String) : [];
  if (!(data instanceof Float32Array) || shape.length !== 3 || shape[0] !== nLayers || shape[1] !== nHeads) {
    return bad(`_head_stats: expected float32 [${nLayers}, ${nHeads}, k], got ${shapeText(shape)}`);
  }
  const k = shape[2] as number;
  for (let i = statNames.length; i < k; i++) statNames.push(`stat ${i}`);
  return ok({ names: statNames.slice(0, k), values: data, k });
}

export function readRoles(value: unknown): HeadRole[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (r): r is HeadRole =>
      typeof r === "object" &&
      r !== null &&
      Number.isInteger(r.layer) &&
      Number.isInteger(r.head) &&
      typeof r.role === "string",
  );
}

/** An integer trait, or `fallback` for anything else (missing, NaN, fractional). */
export function int(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) ? n : fallback;
}

/** A list of strings (`_tokens`, `_modes`, …); anything else reads as empty. */
export function readStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map((t) => String(t)) : [];
}

/** Decode `_detail`, checking that its matrix is `[n, n]` with `n` the token count. */
export function readDetail(value: unknown, nTokens: number): Parsed<DetailMatrix> {
  if (isEmpty(value)) return none();
  if (typeof value !== "object" || value === null) return bad("_detail is not an object");
  const d = value as Record<string, unknown>;
  const decoded = decode("_detail.pattern", d.pattern);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  const n = shape[0] ?? 0;
  if (!(data instanceof Float32Array) || shape.length !== 2 || shape[1] !== n) {
    return bad(`_detail.pattern: expected a float [n, n] matrix, got ${shapeText(shape)}`);
  }
  if (n !== nTokens) {
    return bad(`_detail.pattern is ${n}×${n} but there are ${nTokens} tokens`);
  }
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v > max && v !== Number.POSITIVE_INFINITY) max = v;
  }
  return ok({
    layer: Number(d.layer),
    head: Number(d.head),
    mode: String(d.mode ?? ""),
    n,
    values: data,
    max,
  });
}

// -- Generation tracer ------------------------------------------------------------------

/** An integer field of a trait dict, or NaN. */
function intField(d: Record<string, unknown>, key: string): number {
  const v = Number(d[key]);
  return Number.isInteger(v) ? v : Number.NaN;
}

function asDict(name: string, value: unknown): Parsed<Record<string, unknown>> {
  if (isEmpty(value)) return none();
  if (typeof value !== "object" || value === null) return bad(`${name} is not an object`);
  return ok(value as Record<string, unknown>);
}

/**
 * One lens matrix (`_lens_probs`, `_lens_ranks`, `_lens_entropy`): `[nSteps, nRows]` of
 * the given array type. `{}` reads as not computed yet.
 */
export function readLensMatrix<A extends Float32Array | Int32Array>(
  name: string,
  value: unknown,
  type: { new (n: number): A },
  nSteps: number,
  nRows: number,
): Parsed<A> {
  if (isEmpty(value)) return none();
  const decoded = decode(name, value);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  const dtype = type === (Int32Array as unknown) ? "int32" : "float32";
  if (!(data instanceof type) || shape.length !== 2 || shape[0] !== nSteps || shape[1] !== nRows) {
    return bad(`${name}: expected ${dtype} [${nSteps}, ${nRows}], got ${shapeText(shape)}`);
  }
  return ok(data as A);
}

/** `_topk`: `{step, layer, tokens, probs: float32 [k]}`; tokens and probs must agree on k. */
export function readTopK(value: unknown): Parsed<TopK> {
  const dict = asDict("_topk", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const decoded = decode("_topk.probs", d.probs);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  const tokens = readStrings(d.tokens);
  if (!(data instanceof Float32Array) || shape.length !== 1 || shape[0] !== tokens.length) {
    return bad(
      `_topk: expected float32 probs [${tokens.length}] for ${tokens.length} tokens, got ${shapeText(shape)}`,
    );
  }
  return ok({ step: intField(d, "step"), layer: intField(d, "layer"), tokens, probs: data });
}

/** `_step_attention`: `{step, thumbnails: uint8 [layers, heads, t]}`, as `1 × t` thumbnails. */
export function readStepAttention(value: unknown, nLayers: number, nHeads: number): Parsed<StepAttention> {
  const dict = asDict("_step_attention", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const decoded = decode("_step_attention.thumbnails", d.thumbnails);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  if (!(data instanceof Uint8Array) || shape.length !== 3 || shape[0] !== nLayers || shape[1] !== nHeads) {
    return bad(
      `_step_attention.thumbnails: expected uint8 [${nLayers}, ${nHeads}, t], got ${shapeText(shape)}`,
    );
  }
  const thumbnails: Thumbnails = { nLayers, nHeads, height: 1, width: shape[2] as number, data };
  return ok({ step: intField(d, "step"), thumbnails });
}

/**
 * `_head_row`: `{step, layer, head, weights: float16 [context]}`. The context at step s is
 * the prompt plus the s tokens generated before it, so `weights` must have
 * `nPromptTokens + step` entries.
 */
export function readHeadRow(value: unknown, nPromptTokens: number): Parsed<HeadRow> {
  const dict = asDict("_head_row", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const decoded = decode("_head_row.weights", d.weights);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  const step = intField(d, "step");
  const context = nPromptTokens + step;
  if (!(data instanceof Float32Array) || shape.length !== 1 || shape[0] !== context) {
    return bad(
      `_head_row.weights: expected [${context}] (prompt + ${step} generated tokens), got ${shapeText(shape)}`,
    );
  }
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v > max && v !== Number.POSITIVE_INFINITY) max = v;
  }
  return ok({ step, layer: intField(d, "layer"), head: intField(d, "head"), weights: data, max });
}

// -- Patching explorer ------------------------------------------------------------------

/** `_grid`: `{component, direction, rows, effects: float32 [rows.length, nTokens]}`. */
export function readPatchGrid(value: unknown, nTokens: number): Parsed<PatchGrid> {
  const dict = asDict("_grid", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  if (typeof d.component !== "string" || typeof d.direction !== "string") {
    return bad("_grid: component and direction must be strings");
  }
  if (!Array.isArray(d.rows)) return bad("_grid.rows is not a list of row labels");
  const rows = readStrings(d.rows);
  const decoded = decode("_grid.effects", d.effects);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  if (
    !(data instanceof Float32Array) ||
    shape.length !== 2 ||
    shape[0] !== rows.length ||
    shape[1] !== nTokens
  ) {
    return bad(
      `_grid.effects: expected float32 [${rows.length}, ${nTokens}] (rows × tokens), got ${shapeText(shape)}`,
    );
  }
  return ok({ component: d.component, direction: d.direction, rows, nCols: nTokens, effects: data });
}

const RUNS: readonly PatchRun[] = ["clean", "corrupted", "patched"];

/** `[[token, prob], …]` as a list, or null if any entry is not a `[string, number]` pair. */
function readTopTokens(value: unknown): TopToken[] | null {
  if (!Array.isArray(value)) return null;
  const out: TopToken[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [token, prob] = entry;
    if (typeof token !== "string" || typeof prob !== "number") return null;
    out.push({ token, prob });
  }
  return out;
}

/**
 * `_cell`: one grid cell's breakdown. `heads` is a float32 `[n_heads]` wire array or null;
 * `top` holds `[[token, prob], …]` for each of the clean, corrupted and patched runs.
 */
export function readPatchCell(value: unknown): Parsed<PatchCell> {
  const dict = asDict("_cell", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const layer = intField(d, "layer");
  const position = intField(d, "position");
  if (typeof d.component !== "string" || typeof d.direction !== "string") {
    return bad("_cell: component and direction must be strings");
  }
  if (!(layer >= 0 && position >= 0)) return bad("_cell: layer and position must be integers ≥ 0");
  if (typeof d.effect !== "number") return bad("_cell.effect is not a number");
  const headLayer = d.head_layer === null || d.head_layer === undefined ? null : intField(d, "head_layer");
  if (Number.isNaN(headLayer)) return bad("_cell.head_layer must be an integer or null");
  let heads: Float32Array | null = null;
  if (d.heads !== null && d.heads !== undefined) {
    const decoded = decode("_cell.heads", d.heads);
    if (decoded.value === null) return bad(decoded.problem);
    const { shape, data } = decoded.value;
    if (!(data instanceof Float32Array) || shape.length !== 1) {
      return bad(`_cell.heads: expected float32 [n_heads], got ${shapeText(shape)}`);
    }
    heads = data;
  }
  const top = (typeof d.top === "object" && d.top !== null ? d.top : {}) as Record<string, unknown>;
  const lists = {} as Record<PatchRun, TopToken[]>;
  for (const run of RUNS) {
    const list = readTopTokens(top[run]);
    if (list === null) return bad(`_cell.top.${run}: expected [[token, prob], …]`);
    lists[run] = list;
  }
  return ok({
    component: d.component,
    direction: d.direction,
    layer,
    position,
    effect: d.effect,
    headLayer,
    heads,
    top: lists,
  });
}

/** `_baseline`: `{clean, corrupted}` raw metric values, or `{}`. */
export function readBaseline(value: unknown): Parsed<Baseline> {
  const dict = asDict("_baseline", value);
  if (dict.value === null) return bad(dict.problem);
  const { clean, corrupted } = dict.value;
  if (typeof clean !== "number" || typeof corrupted !== "number") {
    return bad("_baseline: expected {clean: number, corrupted: number}");
  }
  return ok({ clean, corrupted });
}

// -- Projection explorer ----------------------------------------------------------------

/** A list of integers (`_layers`); other entries are dropped. */
export function readInts(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => Number.isInteger(v)) : [];
}

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

/** `_selection`: `{count, by_label, contexts: [{point, text, start, end}]}`, or `{}`. */
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

/** A number field of a trait dict, or null when absent or not a number. */
function numberField(d: Record<string, unknown>, key: string): number | null {
  return typeof d[key] === "number" ? (d[key] as number) : null;
}

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

/** `_progress`: `{label, fraction}` with fraction in 0..1 or -1 (unknown), or `{}`. */
export function readProgress(value: unknown): Parsed<Progress> {
  const dict = asDict("_progress", value);
  if (dict.value === null) return bad(dict.problem);
  const { label, fraction } = dict.value;
  if (typeof fraction !== "number" || !(fraction === -1 || (fraction >= 0 && fraction <= 1))) {
    return bad("_progress.fraction must be a number in 0..1, or -1");
  }
  return ok({ label: typeof label === "string" ? label : "", fraction });
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

// -- Failure explorer -------------------------------------------------------------------

type FieldType = "integer" | "number" | "string" | "boolean";

/** What is wrong with the first field of `d` that is not of its type in `fields`, or "". */
function wrongField(d: Record<string, unknown>, fields: Record<string, FieldType>): string {
  for (const [key, type] of Object.entries(fields)) {
    const v = d[key];
    if (type === "integer" ? !Number.isInteger(v) : typeof v !== type) {
      return `${key} must be ${type === "integer" ? "an integer" : `a ${type}`}`;
    }
  }
  return "";
}

/**
 * A list of dicts, each read by `read` (which returns the entry or what is wrong with it).
 * Returns the well-formed entries and a problem counting the others and naming the first.
 */
function readEntries<T extends object>(
  name: string,
  value: unknown,
  read: (d: Record<string, unknown>) => T | string,
): Parsed<T[]> {
  if (value === null || value === undefined) return ok([]);
  if (!Array.isArray(value)) return bad(`${name} is not a list`);
  const out: T[] = [];
  let dropped = 0;
  let first = "";
  value.forEach((entry, i) => {
    const result =
      typeof entry === "object" && entry !== null && !Array.isArray(entry)
        ? read(entry as Record<string, unknown>)
        : "not an object";
    if (typeof result !== "string") out.push(result);
    else if (dropped++ === 0) first = `entry ${i}: ${result}`;
  });
  const problem =
    dropped > 0 ? `${name}: ${dropped} of ${value.length} entries are malformed (${first})` : "";
  return { value: out, problem };
}

const CASE_FIELDS: Record<string, FieldType> = {
  id: "integer",
  kind: "string",
  capability: "string",
  prompt: "string",
  expected: "string",
  passed: "boolean",
  top: "string",
  top_prob: "number",
  effect: "number",
};

/**
 * `_cases`: `[{id, kind, capability, prompt, original, expected, passed, top, top_prob,
 * effect, detail}]`. `original` and `detail` may be missing or null (read as ""). Malformed entries
 * and repeated ids are left out and named in the problem.
 */
export function readCases(value: unknown): Parsed<FailureCase[]> {
  const entries = readEntries("_cases", value, (d): FailureCase | string => {
    const wrong = wrongField(d, CASE_FIELDS);
    if (wrong !== "") return wrong;
    for (const key of ["original", "detail"]) {
      if (d[key] !== undefined && d[key] !== null && typeof d[key] !== "string") {
        return `${key} must be a string`;
      }
    }
    return {
      id: d.id as number,
      kind: d.kind as string,
      capability: d.capability as string,
      prompt: d.prompt as string,
      original: (d.original as string | null | undefined) ?? "",
      expected: d.expected as string,
      passed: d.passed as boolean,
      top: d.top as string,
      topProb: d.top_prob as number,
      effect: d.effect as number,
      detail: (d.detail as string | null | undefined) ?? "",
    };
  });
  if (entries.value === null) return entries;
  const seen = new Set<number>();
  const cases = entries.value.filter((c) => !seen.has(c.id) && seen.add(c.id));
  const repeated = entries.value.length - cases.length;
  const problems = [entries.problem, repeated > 0 ? `_cases: ${repeated} entries repeat an earlier id` : ""];
  return { value: cases, problem: problems.filter((p) => p !== "").join("\n") };
}

const SUMMARY_FIELDS: Record<string, FieldType> = {
  kind: "string",
  n: "integer",
  failed: "integer",
  failure_rate: "number",
  mean_effect: "number",
};

/** `_summary`: `[{kind, n, failed, failure_rate, mean_effect}]`; malformed entries are left out. */
export function readSummary(value: unknown): Parsed<KindSummary[]> {
  return readEntries("_summary", value, (d): KindSummary | string => {
    const wrong = wrongField(d, SUMMARY_FIELDS);
    if (wrong !== "") return wrong;
    return {
      kind: d.kind as string,
      n: d.n as number,
      failed: d.failed as number,
      failureRate: d.failure_rate as number,
      meanEffect: d.mean_effect as number,
    };
  });
}

/** A list whose entries all pass `test`, or null. */
function listOf<T>(value: unknown, test: (v: unknown) => v is T): T[] | null {
  return Array.isArray(value) && value.every(test) ? value : null;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";

/** One run of `_side_by_side`: tokens with a `changed` flag each, the top list and the lens. */
function readRun(name: string, value: unknown): Parsed<FailureRun> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return bad(`${name} is not an object`);
  }
  const d = value as Record<string, unknown>;
  const tokens = listOf(d.tokens, isString);
  const changed = listOf(d.changed, isBoolean);
  const lensTop = listOf(d.lens_top, isString);
  const top = readTopTokens(d.top);
  if (typeof d.prompt !== "string") return bad(`${name}.prompt must be a string`);
  if (tokens === null) return bad(`${name}.tokens must be a list of strings`);
  if (changed === null || changed.length !== tokens.length) {
    return bad(`${name}.changed must be ${tokens.length} booleans, one per token`);
  }
  if (top === null) return bad(`${name}.top: expected [[token, prob], …]`);
  if (lensTop === null) return bad(`${name}.lens_top must be a list of strings`);
  const decoded = decode(`${name}.lens_target`, d.lens_target);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  if (!(data instanceof Float32Array) || shape.length !== 1 || shape[0] !== lensTop.length) {
    return bad(
      `${name}.lens_target: expected float32 [${lensTop.length}] (one per lens_top entry), got ${shapeText(shape)}`,
    );
  }
  return ok({ prompt: d.prompt, tokens, changed, top, lensTop, lensTarget: data });
}

/** `head_diff`: float32 `[layers, heads]` with one row per layer (`nLayers`, when known). */
function readHeadDiff(value: unknown, nLayers: number | null): Parsed<HeadDiff> {
  const decoded = decode("_side_by_side.head_diff", value);
  if (decoded.value === null) return bad(decoded.problem);
  const { shape, data } = decoded.value;
  if (!(data instanceof Float32Array) || shape.length !== 2 || (nLayers !== null && shape[0] !== nLayers)) {
    const layers = nLayers === null ? "layers" : String(nLayers);
    return bad(`_side_by_side.head_diff: expected float32 [${layers}, heads], got ${shapeText(shape)}`);
  }
  return ok({ nLayers: shape[0] as number, nHeads: shape[1] as number, values: data });
}

/**
 * `_side_by_side`: `{case, target, original: RUN | null, perturbed: RUN, head_diff, head_diff_label}`,
 * or `{}`. Both runs must have the same number of lens rows (layers + 1) and `head_diff` one row
 * per layer. A malformed `head_diff` alone leaves the runs readable: it is dropped with a problem.
 */
export function readSideBySide(value: unknown): Parsed<SideBySide> {
  const dict = asDict("_side_by_side", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const caseId = intField(d, "case");
  if (Number.isNaN(caseId)) return bad("_side_by_side.case must be an integer");
  if (typeof d.target !== "string") return bad("_side_by_side.target must be a string");
  const perturbed = readRun("_side_by_side.perturbed", d.perturbed);
  if (perturbed.value === null) return bad(perturbed.problem);
  const nRows = perturbed.value.lensTop.length;
  let original: FailureRun | null = null;
  if (d.original !== null && d.original !== undefined) {
    const run = readRun("_side_by_side.original", d.original);
    if (run.value === null) return bad(run.problem);
    if (run.value.lensTop.length !== nRows) {
      return bad(
        `_side_by_side: the original run has ${run.value.lensTop.length} lens rows, the perturbed run ${nRows}`,
      );
    }
    original = run.value;
  }
  const headDiff =
    d.head_diff === null || d.head_diff === undefined
      ? none<HeadDiff>()
      : readHeadDiff(d.head_diff, nRows > 0 ? nRows - 1 : null);
  return {
    value: {
      caseId,
      target: d.target,
      original,
      perturbed: perturbed.value,
      headDiff: headDiff.value,
      headDiffLabel: typeof d.head_diff_label === "string" ? d.head_diff_label : "",
    },
    problem: headDiff.problem,
  };
}
