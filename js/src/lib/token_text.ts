/** How token text is shown: whitespace that would vanish is made visible, the rest is kept. */

const VISIBLE: Record<string, string> = { "\n": "↵", "\r": "␍", "\t": "⇥" };

/** Token text with newlines/tabs shown as symbols. Leading spaces are kept (CSS `white-space: pre`). */
export function visibleToken(token: string): string {
  return token.replace(/[\n\r\t]/g, (c) => VISIBLE[c] ?? c);
}

/** A short label for canvas axes: visible form, leading space as "·", at most `max` characters. */
export function shortLabel(token: string, max = 12): string {
  const text = visibleToken(token).replace(/^ /, "·");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `5 "·cat"`: index and quoted label, for tooltips. */
export function describeToken(tokens: readonly string[], index: number): string {
  const token = tokens[index];
  return token === undefined ? `${index}` : `${index} "${shortLabel(token, 24)}"`;
}
