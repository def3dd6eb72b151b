/**
 * A token in its context as DOM: the text around it with the token in a `<mark>`. Built from
 * text nodes only, since source texts are untrusted data.
 */
import { h } from "../lib/dom";
import { contextParts } from "../lib/token_text";

/** `texts[text]` around `[start, end)`; an unknown text index gives an empty snippet. */
export function contextSnippet(
  texts: readonly string[],
  text: number,
  start: number,
  end: number,
): HTMLSpanElement {
  const source = texts[text];
  const el = h("span", { className: "ilw-context-text" });
  if (source === undefined) return el;
  const { before, span, after } = contextParts(source, start, end);
  el.append(document.createTextNode(before), h("mark", { text: span }), document.createTextNode(after));
  return el;
}
