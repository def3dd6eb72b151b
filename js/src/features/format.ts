/** How the feature explorer writes densities, activations, logit effects and top-token summaries. */
import { visibleToken } from "../lib/token_text";
import type { TopTokenCount } from "./types";

/** A share of tokens as a percentage with 2 significant digits ("1.2%", "0.0031%"); 0 is "dead". */
export function formatDensity(density: number): string {
  if (!Number.isFinite(density)) return "—";
  if (density === 0) return "dead";
  return `${Number((density * 100).toPrecision(2))}%`;
}

/** An activation with 3 significant digits ("3.21", "0.0452", "12.3"). */
export function formatActivation(value: number): string {
  if (!Number.isFinite(value)) return "—";
  return String(Number(value.toPrecision(3)));
}

/** A short activation for chips: 2 significant digits ("3.2", "12", "0.052"). */
export function formatShort(value: number): string {
  if (!Number.isFinite(value)) return "—";
  return String(Number(value.toPrecision(2)));
}

/** A logit effect with its sign and 2 decimals ("+1.23", "−0.45"). */
export function formatSigned(value: number): string {
  if (!Number.isFinite(value)) return "—";
  const text = Math.abs(value).toFixed(2);
  return value < 0 && text !== "0.00" ? `−${text}` : `+${text}`;
}

/** `the ×14 · a ×3`: token text with visible whitespace, then its count. */
export function topTokenSummary(tops: readonly TopTokenCount[]): string {
  return tops.map((t) => `${visibleToken(t.token)} ×${t.count}`).join(" · ");
}

/** 1500 → "1,500", whatever the browser's locale. */
export const formatCount = (n: number): string => n.toLocaleString("en-US");
