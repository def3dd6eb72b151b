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

/** Text around a token: what precedes it, the token itself and what follows, each shown visibly. */
export interface ContextParts {
  before: string;
  span: string;
  after: string;
}

/**
 * The span `[start, end)` of `text` with about `radius` characters each side ("…" where cut).
 * Indices are Python `str` indices (code points), so texts with astral characters (emoji) are
 * sliced by code point, not UTF-16 unit. A very long span (a whole sentence) is cut to `maxSpan`.
 */
export function contextParts(
  text: string,
  start: number,
  end: number,
  radius = 60,
  maxSpan = 200,
): ContextParts {
  const chars: string | string[] = /[\uD800-\uDFFF]/.test(text) ? Array.from(text) : text;
  const slice = (a: number, b: number) => {
    const part = chars.slice(a, b);
    return typeof part === "string" ? part : part.join("");
  };
  const n = chars.length;
  const s = Math.min(Math.max(0, start), n);
  const e = Math.min(Math.max(s, end), n);
  const from = Math.max(0, s - radius);
  const to = Math.min(n, e + radius);
  const span = e - s > maxSpan ? `${slice(s, s + maxSpan)}…` : slice(s, e);
  return {
    before: visibleToken((from > 0 ? "…" : "") + slice(from, s)),
    span: visibleToken(span),
    after: visibleToken(slice(e, to) + (to < n ? "…" : "")),
  };
}
