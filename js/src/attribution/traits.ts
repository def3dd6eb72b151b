/** Readers of the attribution view's traits (see lib/traits.ts for the conventions). */
import { decode, type Parsed, readEntries, shapeText, wrongField } from "../lib/traits";
import { type AttributionRow, CURVES, type Curve, type Faithfulness } from "./types";

/** An integer field that may be null (or absent), or undefined when it is neither. */
function nullableInt(d: Record<string, unknown>, key: string): number | null | undefined {
  const v = d[key];
  if (v === null || v === undefined) return null;
  return Number.isInteger(v) ? (v as number) : undefined;
}

/** A number field that may be null (or absent), or undefined when it is neither. */
function nullableNumber(d: Record<string, unknown>, key: string): number | null | undefined {
  const v = d[key];
  if (v === null || v === undefined) return null;
  return typeof v === "number" ? v : undefined;
}

const TYPES = { float32: Float32Array, uint8: Uint8Array } as const;
type Vector<D extends keyof typeof TYPES> = InstanceType<(typeof TYPES)[D]>;

/** A 1-D wire array of `dtype` with `length` entries (any length ≥ 0 for null), or what is wrong with it. */
function vector<D extends keyof typeof TYPES>(
  name: string,
  value: unknown,
  dtype: D,
  length: number | null,
): Vector<D> | string {
  const decoded = decode(name, value);
  if (decoded.value === null) return decoded.problem;
  const { shape, data } = decoded.value;
  if (!(data instanceof TYPES[dtype]) || shape.length !== 1 || (length !== null && shape[0] !== length)) {
    return `${name}: expected ${dtype} [${length ?? "points"}], got ${shapeText(shape)}`;
  }
  return data as Vector<D>;
}

/** `faithfulness`: five float32 curves of one length (≥ 2) and four areas; null stays null. */
function readFaithfulness(value: unknown): Faithfulness | null | string {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object") return "faithfulness is not an object";
  const d = value as Record<string, unknown>;
  const fractions = vector("faithfulness.fractions", d.fractions, "float32", null);
  if (typeof fractions === "string") return fractions;
  if (fractions.length < 2) return "faithfulness.fractions needs at least 2 points";
  const curves = {} as Record<Curve, Float32Array>;
  const areas = {} as Record<Curve, number>;
  for (const curve of CURVES) {
    const data = vector(`faithfulness.${curve}`, d[curve], "float32", fractions.length);
    if (typeof data === "string") return data;
    const area = d[`${curve}_area`];
    if (typeof area !== "number") return `faithfulness.${curve}_area must be a number`;
    curves[curve] = data;
    areas[curve] = area;
  }
  return { fractions, curves, areas };
}

/** One entry of `_rows`, or what is wrong with it. */
function readRow(d: Record<string, unknown>, nTokens: number): AttributionRow | string {
  const wrong = wrongField(d, {
    method: "string",
    target_token: "string",
    foil: "string",
    baseline: "string",
    target: "string",
    value: "number",
    baseline_value: "number",
    warning: "string",
  });
  if (wrong !== "") return wrong;
  const steps = nullableInt(d, "steps");
  const layer = nullableInt(d, "layer");
  const completenessError = nullableNumber(d, "completeness_error");
  if (steps === undefined) return "steps must be an integer or null";
  if (layer === undefined) return "layer must be an integer or null";
  if (completenessError === undefined) return "completeness_error must be a number or null";
  const scores = vector("scores", d.scores, "float32", nTokens);
  if (typeof scores === "string") return scores;
  const attributed = vector("attributed", d.attributed, "uint8", nTokens);
  if (typeof attributed === "string") return attributed;
  const faithfulness = readFaithfulness(d.faithfulness);
  if (typeof faithfulness === "string") return faithfulness;
  return {
    method: d.method as string,
    targetToken: d.target_token as string,
    foil: d.foil as string,
    baseline: d.baseline as string,
    target: d.target as string,
    value: d.value as number,
    baselineValue: d.baseline_value as number,
    steps,
    completenessError,
    layer,
    warning: d.warning as string,
    scores,
    attributed,
    faithfulness,
  };
}

/** `_rows`: the well-formed rows (checked against `nTokens`) and a problem naming the others. */
export function readRows(value: unknown, nTokens: number): Parsed<AttributionRow[]> {
  return readEntries("_rows", value, (d) => readRow(d, nTokens));
}
