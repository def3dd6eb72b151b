/** Readers of the attention explorer's traits (see lib/traits.ts for the conventions). */
import {
  bad,
  decode,
  type FieldType,
  finiteMax,
  isEmpty,
  none,
  ok,
  type Parsed,
  readEntries,
  shapeText,
  wrongField,
} from "../lib/traits";
import type { HeadRole, HeadStats, Thumbnails } from "../lib/types";
import type { DetailMatrix } from "./types";

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

const ROLE_FIELDS: Record<string, FieldType> = {
  layer: "integer",
  head: "integer",
  role: "string",
  score: "number",
};

/** `_head_roles`: `[{layer, head, role, score}]`; malformed entries are left out and named in the problem. */
export function readRoles(value: unknown): Parsed<HeadRole[]> {
  return readEntries("_head_roles", value, (d): HeadRole | string => {
    const wrong = wrongField(d, ROLE_FIELDS);
    if (wrong !== "") return wrong;
    return {
      layer: d.layer as number,
      head: d.head as number,
      role: d.role as string,
      score: d.score as number,
    };
  });
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
  return ok({
    layer: Number(d.layer),
    head: Number(d.head),
    mode: String(d.mode ?? ""),
    n,
    values: data,
    max: finiteMax(data),
  });
}
