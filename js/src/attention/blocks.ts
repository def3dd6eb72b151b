/**
 * Block geometry of a detail part (attention/types.ts `DetailPart`): which block holds a token
 * and which tokens a block covers. Blocks come from Python's integer binning, so they may differ
 * in size; every lookup goes through the starts Python sent, never through an assumed block size.
 */
import type { DetailPart, TokenWindow } from "./types";

/** Index of the block holding token `t`: the last start ≤ t (`starts` strictly increasing). */
export function blockOf(starts: Int32Array, t: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** One block of a part under a token pair: its indices, token ranges (half-open) and value. */
export interface Cell {
  row: number;
  col: number;
  q0: number;
  q1: number;
  k0: number;
  k1: number;
  value: number;
}

/** The block of `part` holding query `q` and key `k`, or null when the pair is outside its bounds. */
export function cellAt(part: DetailPart, q: number, k: number): Cell | null {
  const [pq0, pq1, pk0, pk1] = part.bounds;
  if (q < pq0 || q >= pq1 || k < pk0 || k >= pk1) return null;
  const row = blockOf(part.queryStarts, q);
  const col = blockOf(part.keyStarts, k);
  const rk = part.keyStarts.length;
  return {
    row,
    col,
    q0: part.queryStarts[row] as number,
    q1: (part.queryStarts[row + 1] as number | undefined) ?? pq1,
    k0: part.keyStarts[col] as number,
    k1: (part.keyStarts[col + 1] as number | undefined) ?? pk1,
    value: part.values[row * rk + col] as number,
  };
}

/** A whole `[n, n]` matrix held in full as an exact part (one token per block). */
export function exactPart(n: number, values: Float32Array): DetailPart {
  const starts = Int32Array.from({ length: n }, (_, i) => i);
  return { bounds: [0, n, 0, n], queryStarts: starts, keyStarts: starts, values, exact: true };
}

/** True when `w` is the whole `[n, n]` matrix. */
export function isWhole(w: TokenWindow, n: number): boolean {
  return w[0] === 0 && w[1] === n && w[2] === 0 && w[3] === n;
}

/** The first entry of sorted `values` in `lo..hi` (inclusive), or -1 when there is none. */
export function firstBetween(values: Int32Array, lo: number, hi: number): number {
  let a = 0;
  let b = values.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if ((values[mid] as number) < lo) a = mid + 1;
    else b = mid;
  }
  const v = values[a];
  return v !== undefined && v <= hi ? v : -1;
}
