/** Readers of the patching explorer's traits (see lib/traits.ts for the conventions). */
import {
  asDict,
  bad,
  decode,
  intField,
  ok,
  type Parsed,
  readStrings,
  readTopTokens,
  shapeText,
} from "../lib/traits";
import type { TopToken } from "../lib/types";
import type { Baseline, PatchCell, PatchGrid, PatchRun } from "./types";

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
