/** Readers of the attention explorer's traits (see lib/traits.ts for the conventions). */
import {
  asDict,
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
import type { Decoded } from "../lib/wire";
import type { DetailLines, DetailPart, DetailViewport } from "./types";

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

const DETAIL_FIELDS: Record<string, FieldType> = {
  layer: "integer",
  head: "integer",
  mode: "string",
  n: "integer",
};

/**
 * Decode `_detail` (attention/types.ts `DetailWire`), checking it against the token count: the
 * overview covers the whole matrix, the window lies inside it, and each part's starts agree with
 * its pattern. A part that disagrees would paint values over the wrong tokens, so it is refused.
 */
export function readDetail(value: unknown, nTokens: number): Parsed<DetailViewport> {
  const dict = asDict("_detail", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const wrong = wrongField(d, { ...DETAIL_FIELDS, scale_max: "number" });
  if (wrong !== "") return bad(`_detail.${wrong}`);
  const n = d.n as number;
  if (n !== nTokens) return bad(`_detail is for ${n} tokens but there are ${nTokens} tokens`);
  const scaleMax = d.scale_max as number;
  if (!Number.isFinite(scaleMax) || scaleMax < 0) return bad("_detail.scale_max must be a finite number ≥ 0");
  const rows = readRows(d.rows, n);
  if (typeof rows === "string") return bad(rows);
  const overview = readPart("_detail.overview", d.overview, n);
  if (typeof overview === "string") return bad(overview);
  if (overview.bounds.join() !== [0, n, 0, n].join()) {
    return bad(`_detail.overview.bounds must be [0, ${n}, 0, ${n}], got [${overview.bounds.join(", ")}]`);
  }
  const window = d.window === null || d.window === undefined ? null : readPart("_detail.window", d.window, n);
  if (typeof window === "string") return bad(window);
  return ok({
    layer: d.layer as number,
    head: d.head as number,
    mode: d.mode as string,
    n,
    scaleMax,
    rows,
    overview,
    window,
  });
}

/** `_detail.rows`: null (every row), or int32 `[r]` query indices in 0..n-1, returned sorted. */
function readRows(value: unknown, n: number): Int32Array | null | string {
  if (value === null || value === undefined) return null;
  const decoded = decode("_detail.rows", value);
  if (decoded.value === null) return decoded.problem;
  const { shape, data } = decoded.value;
  if (!(data instanceof Int32Array) || shape.length !== 1) {
    return `_detail.rows: expected int32 [r], got ${arrayText(decoded.value)}`;
  }
  const rows = Int32Array.from(data).sort();
  if (rows.length > 0 && ((rows[0] as number) < 0 || (rows[rows.length - 1] as number) >= n)) {
    return `_detail.rows: a row is outside 0..${n - 1}`;
  }
  return rows;
}

/** "int32 [4, 4]": what a decoded array is, for problems about the wrong one. */
function arrayText({ shape, data }: Decoded): string {
  const type = data instanceof Int32Array ? "int32" : data instanceof Float32Array ? "float" : "uint8";
  return `${type} ${shapeText(shape)}`;
}

/** One `Part` of `_detail`: bounds inside `[0, n]`, starts and pattern of matching shapes. */
function readPart(name: string, value: unknown, n: number): DetailPart | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `${name} is not an object`;
  const p = value as Record<string, unknown>;
  const b = p.bounds;
  if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => Number.isInteger(v))) {
    return `${name}.bounds must be four integers [q0, q1, k0, k1]`;
  }
  const [q0, q1, k0, k1] = b as number[] as [number, number, number, number];
  if (!(0 <= q0 && q0 < q1 && q1 <= n && 0 <= k0 && k0 < k1 && k1 <= n)) {
    return `${name}.bounds [${b.join(", ")}] are not non-empty ranges inside [0, ${n}]`;
  }
  const pattern = decode(`${name}.pattern`, p.pattern);
  if (pattern.value === null) return pattern.problem;
  const { shape, data } = pattern.value;
  if (!(data instanceof Float32Array) || shape.length !== 2) {
    return `${name}.pattern: expected a float [rows, cols] matrix, got ${arrayText(pattern.value)}`;
  }
  const [rq, rk] = shape as [number, number];
  const queryStarts = readStarts(`${name}.query_starts`, p.query_starts, rq, q0, q1);
  if (typeof queryStarts === "string") return queryStarts;
  const keyStarts = readStarts(`${name}.key_starts`, p.key_starts, rk, k0, k1);
  if (typeof keyStarts === "string") return keyStarts;
  return {
    bounds: [q0, q1, k0, k1],
    queryStarts,
    keyStarts,
    values: data,
    exact: rq === q1 - q0 && rk === k1 - k0,
  };
}

/** Block starts along one axis: `count` of them, the first `lo`, strictly increasing, all below `hi`. */
function readStarts(
  name: string,
  value: unknown,
  count: number,
  lo: number,
  hi: number,
): Int32Array | string {
  const decoded = decode(name, value);
  if (decoded.value === null) return decoded.problem;
  const { shape, data } = decoded.value;
  if (!(data instanceof Int32Array) || shape.length !== 1) {
    return `${name}: expected int32 [r], got ${arrayText(decoded.value)}`;
  }
  if (data.length !== count) return `${name} has ${data.length} entries but the pattern has ${count}`;
  if (count === 0) return `${name}: a part needs at least one block`;
  if (data[0] !== lo) return `${name} must start at ${lo}, got ${data[0]}`;
  for (let i = 1; i < data.length; i++) {
    if ((data[i] as number) <= (data[i - 1] as number)) return `${name} is not strictly increasing`;
  }
  if ((data[data.length - 1] as number) >= hi) return `${name} has a start past the bounds (${hi})`;
  return data;
}

/**
 * Decode `_detail_lines` (attention/types.ts `DetailLinesWire`): four `[n, k]` arrays for the token
 * count, indices in -1..n-1 (-1 pads a list shorter than k).
 */
export function readDetailLines(value: unknown, nTokens: number): Parsed<DetailLines> {
  const dict = asDict("_detail_lines", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const wrong = wrongField(d, { ...DETAIL_FIELDS, k: "integer" });
  if (wrong !== "") return bad(`_detail_lines.${wrong}`);
  const n = d.n as number;
  const k = d.k as number;
  if (n !== nTokens) return bad(`_detail_lines is for ${n} tokens but there are ${nTokens} tokens`);
  const read = <A extends Int32Array | Float32Array>(field: string, type: "int32" | "float"): A | string => {
    const decoded = decode(`_detail_lines.${field}`, d[field]);
    if (decoded.value === null) return decoded.problem;
    const { shape, data } = decoded.value;
    const typed = type === "int32" ? data instanceof Int32Array : data instanceof Float32Array;
    if (!typed || shape.length !== 2 || shape[0] !== n || shape[1] !== k) {
      return `_detail_lines.${field}: expected ${type} [${n}, ${k}], got ${arrayText(decoded.value)}`;
    }
    if (data instanceof Int32Array && data.some((i) => i < -1 || i >= n)) {
      return `_detail_lines.${field}: an index is outside -1..${n - 1}`;
    }
    return data as A;
  };
  const topKeys = read<Int32Array>("top_keys", "int32");
  const topKeyWeights = read<Float32Array>("top_key_weights", "float");
  const topQueries = read<Int32Array>("top_queries", "int32");
  const topQueryWeights = read<Float32Array>("top_query_weights", "float");
  for (const part of [topKeys, topKeyWeights, topQueries, topQueryWeights]) {
    if (typeof part === "string") return bad(part);
  }
  const weights = topKeyWeights as Float32Array;
  return ok({
    layer: d.layer as number,
    head: d.head as number,
    mode: d.mode as string,
    n,
    k,
    topKeys: topKeys as Int32Array,
    topKeyWeights: weights,
    topQueries: topQueries as Int32Array,
    topQueryWeights: topQueryWeights as Float32Array,
    max: Math.max(finiteMax(weights), finiteMax(topQueryWeights as Float32Array)),
  });
}
