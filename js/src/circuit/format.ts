/** How the circuit explorer writes numbers, names and edges in labels and hover lines. */

const METHODS: Record<string, string> = { "eap-ig": "EAP-IG", eap: "EAP" };
const SELECTIONS: Record<string, string> = { topn: "top-n", greedy: "greedy" };

export const methodName = (method: string): string => METHODS[method] ?? method;
export const selectionName = (selection: string): string => SELECTIONS[selection] ?? selection;

/** A score with 3 significant digits ("0.627", "-12.3"); tiny ones in exponent form. */
export function formatScore(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 0.001) return value.toExponential(2);
  return String(Number(value.toPrecision(3)));
}

/** A metric with 2 decimals and a real minus sign ("6.38", "−0.86"); "—" for none. */
export function formatMetric(value: number | null): string {
  if (value === null || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  const text = value.toFixed(2);
  return text === "-0.00" ? "0.00" : text.replace("-", "−");
}

/** 1500 → "1,500", whatever the browser's locale. */
export const formatCount = (n: number): string => n.toLocaleString("en-US");

/** "a0.h2 → a1.g0<k>: 0.627". */
export const edgeText = (upstream: string, downstream: string, score: number): string =>
  `${upstream} → ${downstream}: ${formatScore(score)}`;

/** `text` cut to `max` characters with "…", newlines shown as spaces (for menus). */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
