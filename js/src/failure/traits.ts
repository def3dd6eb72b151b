/** Readers of the failure explorer's traits (see lib/traits.ts for the conventions). */
import {
  asDict,
  bad,
  decode,
  type FieldType,
  intField,
  none,
  ok,
  type Parsed,
  readEntries,
  readTopTokens,
  shapeText,
  wrongField,
} from "../lib/traits";
import type { FailureCase, FailureRun, HeadDiff, KindSummary, SideBySide } from "./types";

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
