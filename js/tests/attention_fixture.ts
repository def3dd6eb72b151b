/**
 * Attention explorer fixtures: the example state, and `_detail` / `_detail_lines` built from a
 * value function over token pairs the way Python builds them (integer binning into at most
 * `maxBlocks` blocks per axis, each block its maximum; real int32 and float16 wire encodings).
 */
import type {
  AttentionExplorerTraits,
  DetailLinesWire,
  DetailPartWire,
  DetailWire,
  TokenWindow,
} from "../src/attention/types";
import { finiteMax } from "../src/lib/traits";
import { fromWire } from "../src/lib/wire";
import { toHalf, wire } from "./fake_model";

/** The value of the matrix at query `q`, key `k`. */
export type Values = (q: number, k: number) => number;

/** Causal and even: query 0 keeps 1 on itself, later queries 0.5 on themselves and 0.25 before. */
export const causal: Values = (q, k) => (k > q ? 0 : q === 0 ? 1 : k === q ? 0.5 : 0.25);

/** Python's binning: token t of lo..hi-1 is in block floor((t - lo) * r / (hi - lo)); the first token of each. */
export function blockStarts(lo: number, hi: number, r: number): number[] {
  return Array.from({ length: r }, (_, i) => lo + Math.ceil((i * (hi - lo)) / r));
}

const halves = (values: ArrayLike<number>) => Uint16Array.from(values, toHalf);

/** One `Part` over `bounds`: at most `maxBlocks` blocks per axis, each holding its maximum. */
export function part(values: Values, bounds: TokenWindow, maxBlocks = 256): DetailPartWire {
  const [q0, q1, k0, k1] = bounds;
  const rq = Math.min(maxBlocks, q1 - q0);
  const rk = Math.min(maxBlocks, k1 - k0);
  const qs = blockStarts(q0, q1, rq);
  const ks = blockStarts(k0, k1, rk);
  const out = new Float32Array(rq * rk);
  for (let i = 0; i < rq; i++) {
    const qEnd = qs[i + 1] ?? q1;
    for (let j = 0; j < rk; j++) {
      const kEnd = ks[j + 1] ?? k1;
      let max = 0;
      for (let q = qs[i] as number; q < qEnd; q++) {
        for (let k = ks[j] as number; k < kEnd; k++) max = Math.max(max, values(q, k));
      }
      out[i * rk + j] = max;
    }
  }
  return {
    bounds: [...bounds],
    query_starts: wire("int32", [rq], Int32Array.from(qs)),
    key_starts: wire("int32", [rk], Int32Array.from(ks)),
    pattern: wire("float16", [rq, rk], halves(out)),
  };
}

export interface DetailOptions {
  layer?: number;
  head?: number;
  mode?: string;
  /** The requested window (`[]` or absent: none). */
  window?: readonly number[];
  /** The only query rows computed; the others read as 0. */
  rows?: number[];
  maxBlocks?: number;
}

/** A `_detail` for an `[n, n]` matrix of `values`. */
export function detail(values: Values, n: number, options: DetailOptions = {}): DetailWire {
  const { layer = 0, head = 0, mode = "raw", window = [], rows, maxBlocks = 256 } = options;
  const computed = rows ? new Set(rows) : null;
  const shown: Values = computed ? (q, k) => (computed.has(q) ? values(q, k) : 0) : values;
  const overview = part(shown, [0, n, 0, n], maxBlocks);
  // The largest block maximum is the largest value of the matrix.
  const scaleMax = finiteMax(fromWire(overview.pattern).data as Float32Array);
  return {
    layer,
    head,
    mode,
    n,
    scale_max: scaleMax,
    rows: rows ? wire("int32", [rows.length], Int32Array.from(rows)) : null,
    overview,
    window: window.length === 4 ? part(shown, window as unknown as TokenWindow, maxBlocks) : null,
  };
}

/** Put `j` with weight `w` into the strongest-first list of `k` entries at `base`, if it is strong enough. */
function insert(
  indices: Int32Array,
  weights: Float64Array,
  base: number,
  k: number,
  j: number,
  w: number,
): void {
  if (!(w > (weights[base + k - 1] as number))) return;
  let at = k - 1;
  while (at > 0 && (weights[base + at - 1] as number) < w) {
    indices[base + at] = indices[base + at - 1] as number;
    weights[base + at] = weights[base + at - 1] as number;
    at--;
  }
  indices[base + at] = j;
  weights[base + at] = w;
}

/**
 * A `_detail_lines` for an `[n, n]` matrix of `values`: each query's `k` strongest keys and each
 * key's `k` strongest queries, strongest first (ties by index), -1 and 0 padding the rest.
 */
export function detailLines(
  values: Values,
  n: number,
  k: number,
  meta: { layer?: number; head?: number; mode?: string } = {},
): DetailLinesWire {
  const { layer = 0, head = 0, mode = "raw" } = meta;
  const topKeys = new Int32Array(n * k).fill(-1);
  const keyWeights = new Float64Array(n * k);
  const topQueries = new Int32Array(n * k).fill(-1);
  const queryWeights = new Float64Array(n * k);
  for (let q = 0; q < n; q++) {
    for (let c = 0; c < n; c++) {
      const w = values(q, c);
      if (!(w > 0)) continue;
      insert(topKeys, keyWeights, q * k, k, c, w);
      insert(topQueries, queryWeights, c * k, k, q, w);
    }
  }
  return {
    layer,
    head,
    mode,
    n,
    k,
    top_keys: wire("int32", [n, k], topKeys),
    top_key_weights: wire("float16", [n, k], halves(keyWeights)),
    top_queries: wire("int32", [n, k], topQueries),
    top_query_weights: wire("float16", [n, k], halves(queryWeights)),
  };
}

export function exampleState(overrides: Partial<AttentionExplorerTraits> = {}): AttentionExplorerTraits {
  const nLayers = 3;
  const nHeads = 4;
  const t = 4;
  const tokens = ["The", " cat", " sat", "\n"];
  const thumbs = new Uint8Array(nLayers * nHeads * t * t).map((_, i) => (i * 7) % 256);
  const stats = new Float32Array(nLayers * nHeads * 2).map((_, i) => i / 10);
  return {
    text: "The cat sat\n",
    selected_layer: 0,
    selected_head: 0,
    selected_token: -1,
    mode: "raw",
    detail_window: [],
    color_scale: "linear",
    normalize_rows: false,
    _model_label: "tiny-test-model",
    _n_layers: nLayers,
    _n_heads: nHeads,
    _causal: true,
    _tokens: tokens,
    _modes: ["raw", "rollout"],
    _thumbnails: wire("uint8", [nLayers, nHeads, t, t], thumbs),
    _head_stats: wire("float32", [nLayers, nHeads, 2], stats),
    _head_stat_names: ["entropy", "first_token"],
    _head_roles: [{ layer: 1, head: 2, role: "previous_token", score: 0.9 }],
    _detail: detail(causal, tokens.length),
    _detail_lines: detailLines(causal, tokens.length, 4),
    _request: 0,
    _status: { request: 0, state: "done", label: "", fraction: null },
    _error: "",
    ...overrides,
  };
}
