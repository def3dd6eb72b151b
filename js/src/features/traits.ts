/** Readers of the feature explorer's traits (see lib/traits.ts for the conventions). */
import { asDict, bad, decode, ok, type Parsed, readEntries, shapeText, wrongField } from "../lib/traits";
import {
  type Context,
  type Dashboard,
  type Features,
  type Histogram,
  type LogitEffect,
  type Prompt,
  type Quantile,
  SORT_KEYS,
  type SortKey,
  type TokenFeature,
  type TopTokenCount,
} from "./types";

/** `sort_by`; anything unknown sorts by index. */
export function readSortBy(value: unknown): SortKey {
  return SORT_KEYS.find((k) => k === value) ?? "index";
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((t) => typeof t === "string");
const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((t) => typeof t === "number");

/** A float32 `[n]` wire array, or what is wrong with it. */
function vector(name: string, value: unknown, n: number): Float32Array | string {
  const decoded = decode(name, value);
  if (decoded.value === null) return decoded.problem;
  const { shape, data } = decoded.value;
  if (!(data instanceof Float32Array) || shape.length !== 1 || shape[0] !== n)
    return `${name}: expected float32 [${n}], got ${shapeText(shape)}`;
  return data;
}

/** One latent's `[[token, count], …]`, or null when malformed. */
function readTopCounts(value: unknown): TopTokenCount[] | null {
  if (!Array.isArray(value)) return null;
  const out: TopTokenCount[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [token, count] = entry;
    if (typeof token !== "string" || !Number.isInteger(count)) return null;
    out.push({ token, count });
  }
  return out;
}

/** `_features`: the arrays must have one entry per latent; a malformed top-token entry reads as none. */
export function readFeatures(value: unknown): Parsed<Features> {
  const dict = asDict("_features", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const wrong = wrongField(d, {
    n_latents: "integer",
    n_rows: "integer",
    layer: "integer",
    k: "integer",
    top_k: "integer",
  });
  if (wrong !== "") return bad(`_features.${wrong}`);
  const n = d.n_latents as number;
  const density = vector("_features.density", d.density, n);
  if (typeof density === "string") return bad(density);
  const maxActivation = vector("_features.max_activation", d.max_activation, n);
  if (typeof maxActivation === "string") return bad(maxActivation);
  if (!Array.isArray(d.top_tokens) || d.top_tokens.length !== n) {
    return bad(`_features.top_tokens must be a list of ${n} lists`);
  }
  let dropped = 0;
  const topTokens = d.top_tokens.map((entry) => {
    const counts = readTopCounts(entry);
    if (counts === null) dropped++;
    return counts ?? [];
  });
  return {
    value: {
      nLatents: n,
      nRows: d.n_rows as number,
      layer: d.layer as number,
      k: d.k as number,
      density,
      maxActivation,
      topTokens,
      topK: d.top_k as number,
    },
    problem:
      dropped > 0 ? `_features.top_tokens: ${dropped} of ${n} entries are not [token, count] pairs` : "",
  };
}

function readContext(d: Record<string, unknown>): Context | string {
  if (!isStrings(d.tokens)) return "tokens must be a list of strings";
  const n = d.tokens.length;
  // JSON has no NaN: Python may send null, which reads as NaN (drawn without colour).
  const values = Array.isArray(d.values)
    ? d.values.map((v) => (typeof v === "number" ? v : v === null ? Number.NaN : undefined))
    : [];
  if (values.length !== n || values.includes(undefined)) return `values must be ${n} numbers`;
  const wrong = wrongField(d, { focus: "integer", activation: "number" });
  if (wrong !== "") return wrong;
  const focus = d.focus as number;
  if (focus < 0 || focus >= n) return `focus ${focus} is not one of the ${n} tokens`;
  return {
    tokens: d.tokens,
    values: values as number[],
    focus,
    activation: d.activation as number,
    textIndex: Number.isInteger(d.text_index) ? (d.text_index as number) : -1,
  };
}

function readLogit(d: Record<string, unknown>): LogitEffect | string {
  const wrong = wrongField(d, { token: "string", logit: "number" });
  return wrong !== "" ? wrong : { token: d.token as string, logit: d.logit as number };
}

/** `_dashboard.histogram`: null when absent, a problem when malformed. */
function readHistogram(value: unknown): Histogram | null | string {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object") return "_dashboard.histogram is not an object";
  const { counts, edges } = value as Record<string, unknown>;
  if (!isNumbers(counts) || !isNumbers(edges))
    return "_dashboard.histogram: counts and edges must be numbers";
  if (edges.length !== counts.length + 1) {
    return `_dashboard.histogram: ${counts.length} counts need ${counts.length + 1} edges, got ${edges.length}`;
  }
  return { counts, edges };
}

/** `_dashboard`: `{}` (nothing selected) reads as null with no problem; malformed entries are dropped. */
export function readDashboard(value: unknown): Parsed<Dashboard> {
  const dict = asDict("_dashboard", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const wrong = wrongField(d, { feature: "integer", density: "number", max_activation: "number" });
  if (wrong !== "") return bad(`_dashboard.${wrong}`);
  const problems: string[] = [];
  const contexts = readEntries("_dashboard.contexts", d.contexts, readContext);
  const quantiles = readEntries("_dashboard.quantiles", d.quantiles, (q): Quantile | string => {
    const wrongQ = wrongField(q, { label: "string", low: "number", high: "number" });
    if (wrongQ !== "") return wrongQ;
    const inner = readEntries(`_dashboard.quantiles "${q.label}".contexts`, q.contexts, readContext);
    if (inner.value === null) return inner.problem;
    problems.push(inner.problem);
    return { label: q.label as string, low: q.low as number, high: q.high as number, contexts: inner.value };
  });
  const histogram = readHistogram(d.histogram);
  const promoted = readEntries("_dashboard.promoted", d.promoted, readLogit);
  const suppressed = readEntries("_dashboard.suppressed", d.suppressed, readLogit);
  problems.push(
    contexts.problem,
    quantiles.problem,
    typeof histogram === "string" ? histogram : "",
    promoted.problem,
    suppressed.problem,
  );
  return {
    value: {
      feature: d.feature as number,
      density: d.density as number,
      maxActivation: d.max_activation as number,
      contexts: contexts.value ?? [],
      quantiles: quantiles.value ?? [],
      histogram: typeof histogram === "string" ? null : histogram,
      promoted: promoted.value ?? [],
      suppressed: suppressed.value ?? [],
    },
    problem: problems.filter((p) => p !== "").join("\n"),
  };
}

function readTokenFeatures(value: unknown): TokenFeature[] | null {
  if (!Array.isArray(value)) return null;
  const out: TokenFeature[] = [];
  for (const entry of value) {
    if (typeof entry !== "object" || entry === null) return null;
    const { feature, activation } = entry as Record<string, unknown>;
    if (!Number.isInteger(feature) || (feature as number) < 0 || typeof activation !== "number") return null;
    out.push({ feature: feature as number, activation });
  }
  return out;
}

/** `_prompt`: one list of latents per token; the whole prompt is refused when the shapes disagree. */
export function readPrompt(value: unknown): Parsed<Prompt> {
  const dict = asDict("_prompt", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  if (!isStrings(d.tokens)) return bad("_prompt.tokens must be a list of strings");
  const n = d.tokens.length;
  const wrong = wrongField(d, { skipped: "integer", max_activation: "number" });
  if (wrong !== "") return bad(`_prompt.${wrong}`);
  if (!Array.isArray(d.features) || d.features.length !== n) {
    return bad(`_prompt.features must be one list per token (${n})`);
  }
  const features: TokenFeature[][] = [];
  for (const [i, entry] of d.features.entries()) {
    const list = readTokenFeatures(entry);
    if (list === null) return bad(`_prompt.features[${i}] must be a list of {feature, activation}`);
    features.push(list);
  }
  const skipped = d.skipped as number;
  if (skipped < 0 || skipped > n) return bad(`_prompt.skipped ${skipped} is outside 0..${n}`);
  return ok({ tokens: d.tokens, features, skipped, maxActivation: d.max_activation as number });
}
