/**
 * The boundary between synced traits (snake_case, untrusted shapes) and view data
 * (camelCase, checked). Each reader returns the value or `null` plus a problem to
 * show in the error banner, and never throws.
 */
import type { DetailMatrix, HeadRole, HeadRow, HeadStats, StepAttention, Thumbnails, TopK } from "./types";
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
