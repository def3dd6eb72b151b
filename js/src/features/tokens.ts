/**
 * Tokens coloured by a latent's activation, as in a dashboard's context rows: the sequential map of
 * lib/colormap.ts from transparent at 0 to full colour at the scale's top. Token text is data: set with
 * `textContent` only, whitespace made visible.
 */
import { cssColour } from "../lib/colormap";
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";
import { formatActivation } from "./format";
import type { Context } from "./types";

/** Beyond this fraction of the scale a background is dark enough for light text. */
const STRONG = 0.6;

/** The background of `value` on a scale up to `max`: "" (transparent) at or below 0 or when not finite. */
export function activationColour(value: number, max: number): string {
  if (!Number.isFinite(value) || value <= 0 || !(max > 0)) return "";
  return cssColour((255 * Math.min(value, max)) / max);
}

/** Colour `el` by `value` on a scale up to `max` (light text on the dark end). */
export function paintActivation(el: HTMLElement, value: number, max: number): void {
  el.style.backgroundColor = activationColour(value, max);
  el.classList.toggle("ilw-feature-strong", max > 0 && value / max > STRONG);
}

/** A token's text element: visible whitespace, a leading space marked by class. */
export function tokenText(className: string, token: string): HTMLSpanElement {
  return h("span", {
    className: `${className}${token.startsWith(" ") ? " ilw-lead-space" : ""}`,
    text: visibleToken(token),
  });
}

/** One context row: the focus activation, then the tokens coloured by activation, the focus outlined. */
export function contextRow(context: Context, max: number): HTMLDivElement {
  const tokens = context.tokens.map((token, i) => {
    const value = context.values[i] as number;
    const span = tokenText("ilw-feature-token", token);
    span.dataset.tokenIndex = String(i);
    span.title = `activation ${Number.isFinite(value) ? value.toFixed(2) : "—"}`;
    paintActivation(span, value, max);
    if (i === context.focus) span.classList.add("ilw-focus");
    return span;
  });
  return h(
    "div",
    { className: "ilw-feature-context", attrs: { "data-text-index": String(context.textIndex) } },
    [
      h("span", { className: "ilw-feature-context-value", text: formatActivation(context.activation) }),
      h("span", { className: "ilw-feature-context-tokens" }, tokens),
    ],
  );
}
