/** How the patching explorer names rows, tokens and values in titles and tooltips. */
import { visibleToken } from "../lib/token_text";

/** A metric or effect value with 3 decimals (NaN and ±Infinity as words). */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = value.toFixed(3);
  return text === "-0.000" ? "0.000" : text; // a tiny negative effect is no effect
}

/** Title of the grid's row axis: resid rows are the residual stream after each block. */
export function axisTitle(component: string): string {
  return component === "resid" ? "residual after layer" : "layer";
}

/** A grid row in words: "embeddings", "residual after layer 3", "attn layer 3". */
export function rowName(component: string, label: string): string {
  if (label === "emb") return "embeddings";
  return component === "resid" ? `residual after layer ${label}` : `${component} layer ${label}`;
}

/** A token in quotes with visible whitespace, for text that mixes tokens and words. */
export function quoteToken(token: string | undefined): string {
  return token === undefined ? "?" : `"${visibleToken(token)}"`;
}
