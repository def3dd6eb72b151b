/**
 * Tokens coloured by a latent's activation, as in a dashboard's context rows: the sequential map of
 * the page's palette (lib/theme.ts `paletteOf`), which starts at the page background, from
 * transparent at 0 to full colour at the scale's top; the text colour follows each colour's
 * luminance. Painted elements keep their value in `data-activation` / `data-activation-max`, so
 * `repaintActivations` recolours them after a theme change (the view calls it through
 * `ViewShell.onTheme`). Token text is data: set with `textContent` only, whitespace made visible.
 */
import { cssColour, inkOn, LIGHT, type Palette, sequentialRgb } from "../lib/colormap";
import { h } from "../lib/dom";
import { paletteOf } from "../lib/theme";
import { visibleToken } from "../lib/token_text";
import { formatActivation } from "./format";
import type { Context } from "./types";

/** Sequential level (0..255) of `value` on a scale up to `max`; -1 (no colour) at or below 0 or when not finite. */
function activationLevel(value: number, max: number): number {
  if (!Number.isFinite(value) || value <= 0 || !(max > 0)) return -1;
  return (255 * Math.min(value, max)) / max;
}

/** The background of `value` on a scale up to `max`: "" (transparent) at or below 0 or when not finite. */
export function activationColour(value: number, max: number, palette: Palette = LIGHT): string {
  const index = activationLevel(value, max);
  return index < 0 ? "" : cssColour(index, palette);
}

/** Colour `el` by `value` on a scale up to `max` in `palette`, its text colour read from the colour's luminance. */
export function paintActivation(el: HTMLElement, value: number, max: number, palette: Palette): void {
  el.dataset.activation = String(value);
  el.dataset.activationMax = String(max);
  const index = activationLevel(value, max);
  el.style.backgroundColor = index < 0 ? "" : cssColour(index, palette);
  el.style.color = index < 0 ? "" : inkOn(sequentialRgb(index, palette), palette);
}

/** Recolour every element under `root` that `paintActivation` painted, in the page's current palette. */
export function repaintActivations(root: HTMLElement): void {
  const palette = paletteOf(root);
  for (const el of root.querySelectorAll<HTMLElement>("[data-activation]")) {
    paintActivation(el, Number(el.dataset.activation), Number(el.dataset.activationMax), palette);
  }
}

/** A token's text element: visible whitespace, a leading space marked by class. */
export function tokenText(className: string, token: string): HTMLSpanElement {
  return h("span", {
    className: `${className}${token.startsWith(" ") ? " ilw-lead-space" : ""}`,
    text: visibleToken(token),
  });
}

/**
 * One context row: the focus activation, then the tokens coloured by activation in `palette` (the
 * page's: the row is built before it is in the page), the focus outlined.
 */
export function contextRow(context: Context, max: number, palette: Palette): HTMLDivElement {
  const tokens = context.tokens.map((token, i) => {
    const value = context.values[i] as number;
    const span = tokenText("ilw-feature-token", token);
    span.dataset.tokenIndex = String(i);
    span.title = `activation ${Number.isFinite(value) ? value.toFixed(2) : "—"}`;
    paintActivation(span, value, max, palette);
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
