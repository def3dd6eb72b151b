/** Readers of the generation tracer's traits (see lib/traits.ts for the conventions). */
import {
  asDict,
  bad,
  decode,
  finiteMax,
  intField,
  isEmpty,
  none,
  ok,
  type Parsed,
  readStrings,
  shapeText,
  wrongField,
} from "../lib/traits";
import type { Thumbnails } from "../lib/types";
import type { FaithfulnessAreas, HeadRow, StepAttention, StepAttribution, TopK } from "./types";

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
  return ok({
    step,
    layer: intField(d, "layer"),
    head: intField(d, "head"),
    weights: data,
    max: finiteMax(data),
  });
}

/** A field that is a number or null (absent reads as null); undefined when it is something else. */
function numberOrNull(d: Record<string, unknown>, key: string, integer: boolean): number | null | undefined {
  const v = d[key];
  if (v === null || v === undefined) return null;
  if (typeof v !== "number" || (integer && !Number.isInteger(v))) return undefined;
  return v;
}

const AREAS = ["deletion_area", "insertion_area", "random_deletion_area", "random_insertion_area"] as const;

/**
 * `_attribution`: `{step, method, target_kind, foil, target, scores: float32 [context],
 * attributed: uint8 [context], value, baseline_value, baseline, steps, layer, completeness_error,
 * warning, faithfulness}`. The context at step s is the prompt plus the s tokens generated
 * before it, as for `_head_row`.
 */
export function readAttribution(value: unknown, nPromptTokens: number): Parsed<StepAttribution> {
  const dict = asDict("_attribution", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const wrong = wrongField(d, {
    step: "integer",
    method: "string",
    target_kind: "string",
    foil: "string",
    target: "string",
    value: "number",
    baseline_value: "number",
    baseline: "string",
    warning: "string",
  });
  if (wrong !== "") return bad(`_attribution: ${wrong}`);
  const steps = numberOrNull(d, "steps", true);
  const layer = numberOrNull(d, "layer", true);
  const completenessError = numberOrNull(d, "completeness_error", false);
  if (steps === undefined || layer === undefined || completenessError === undefined) {
    return bad("_attribution: steps, layer and completeness_error must be numbers or null");
  }
  let faithfulness: FaithfulnessAreas | null = null;
  if (d.faithfulness !== null && d.faithfulness !== undefined) {
    const f = d.faithfulness as Record<string, unknown>;
    if (typeof f !== "object" || AREAS.some((key) => typeof f[key] !== "number")) {
      return bad(`_attribution.faithfulness must be null or {${AREAS.join(", ")}} numbers`);
    }
    faithfulness = Object.fromEntries(
      AREAS.map((key) => [key, f[key] as number]),
    ) as unknown as FaithfulnessAreas;
  }
  const step = d.step as number;
  const context = nPromptTokens + step;
  const scores = decode("_attribution.scores", d.scores);
  if (scores.value === null) return bad(scores.problem);
  const attributed = decode("_attribution.attributed", d.attributed);
  if (attributed.value === null) return bad(attributed.problem);
  for (const [name, decoded, type] of [
    ["scores", scores.value, "float32"],
    ["attributed", attributed.value, "uint8"],
  ] as const) {
    const typed =
      type === "float32" ? decoded.data instanceof Float32Array : decoded.data instanceof Uint8Array;
    if (!typed || decoded.shape.length !== 1 || decoded.shape[0] !== context) {
      return bad(
        `_attribution.${name}: expected ${type} [${context}] (prompt + ${step} generated tokens), got ${shapeText(decoded.shape)}`,
      );
    }
  }
  return ok({
    step,
    method: d.method as string,
    targetKind: d.target_kind as string,
    foil: d.foil as string,
    target: d.target as string,
    scores: scores.value.data as Float32Array,
    attributed: attributed.value.data as Uint8Array,
    value: d.value as number,
    baselineValue: d.baseline_value as number,
    baseline: d.baseline as string,
    steps,
    layer,
    completenessError,
    warning: d.warning as string,
    faithfulness,
  });
}
