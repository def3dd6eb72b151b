/**
 * The boundary between synced traits (snake_case, untrusted shapes) and view data
 * (camelCase, checked). Each reader returns the value or `null` plus a problem to
 * show in the error banner, and never throws.
 */
import type {
  Baseline,
  DetailMatrix,
  HeadRole,
  HeadRow,
  HeadStats,
  PatchCell,
  PatchGrid,
  PatchRun,
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
