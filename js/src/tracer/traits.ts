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
} from "../lib/traits";
import type { Thumbnails } from "../lib/types";
import type { HeadRow, StepAttention, TopK } from "./types";

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
