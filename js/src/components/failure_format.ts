/** How the failure explorer writes effects, rates and probabilities. */
export { formatPercent } from "./patch_cell_panel";

/** A signed effect with 3 decimals and an explicit "+", so its direction reads at a glance. */
export function formatEffect(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = value.toFixed(3);
  if (text === "0.000" || text === "-0.000") return "0.000";
  return value > 0 ? `+${text}` : text;
}

/** `"n case(s)"`, with a thousands separator. */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}
