/** Tiny DOM helpers. Text always goes in through `textContent`, never as markup. */

export interface ElementOptions {
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (options.className) el.className = options.className;
  if (options.text !== undefined) el.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) el.setAttribute(name, value);
  for (const child of children) el.appendChild(child);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

/** The canvas' 2D context, or null where there is none (test DOMs, lost contexts). */
export function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  try {
    return canvas.getContext("2d");
  } catch {
    return null;
  }
}

/** The index stored in `data-token-index` on the closest token element, or -1. */
export function tokenIndexAt(target: EventTarget | null, selector: string): number {
  if (!(target instanceof Element)) return -1;
  const el = target.closest<HTMLElement>(selector);
  const index = Number(el?.dataset.tokenIndex);
  return Number.isInteger(index) ? index : -1;
}

/** requestAnimationFrame with a timer fallback for DOMs that lack it. */
export function nextFrame(callback: () => void): () => void {
  if (typeof requestAnimationFrame === "function") {
    const id = requestAnimationFrame(callback);
    return () => cancelAnimationFrame(id);
  }
  const id = setTimeout(callback, 16);
  return () => clearTimeout(id);
}

/**
 * Make `select` offer `values` (plus `current` if it is not among them, so the trait is never
 * shown as something else) and show `current`. Options are rebuilt only when the list changes.
 */
export function setOptions(
  select: HTMLSelectElement,
  values: readonly string[],
  current: string,
  label: (value: string) => string,
): void {
  const wanted = values.includes(current) || current === "" ? [...values] : [...values, current];
  const have = [...select.options].map((o) => o.value);
  if (wanted.join("\u0000") !== have.join("\u0000")) {
    select.replaceChildren(...wanted.map((v) => h("option", { text: label(v), attrs: { value: v } })));
  }
  select.value = current;
}

/** Move `className` from element `from` to element `to` of `elements` (one marked at a time); the new
 * index, or -1 when `to` is no element. */
export function moveMark(elements: readonly Element[], className: string, from: number, to: number): number {
  if (from === to) return to;
  elements[from]?.classList.remove(className);
  const element = elements[to];
  element?.classList.add(className);
  return element ? to : -1;
}
