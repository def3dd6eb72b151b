/**
 * The page's theme, for what CSS cannot colour by itself (canvases, WebGL, inline cell colours).
 *
 * Colours are read when a view paints: the background is the view root's `--ilw-bg` (lib/view.css:
 * JupyterLab's `--jp-layout-color1`, else light, or dark under `prefers-color-scheme: dark` or a
 * `dark`/`dark-theme` class on <html> or <body> as marimo sets). One shared watcher tells every
 * view to repaint when the theme may have changed: a MutationObserver on the attributes of
 * <html> and <body> (JupyterLab sets `data-jp-theme-light` and `data-jp-theme-name` on body) and a
 * `prefers-color-scheme` media listener.
 */
import { isDark, LIGHT_BACKGROUND, type Palette, paletteFor, type Rgb } from "./colormap";

/** `#rgb`, `#rrggbb` (alpha ignored) or `rgb()`/`rgba()` (comma or space syntax) as RGB; else null. */
export function parseColour(text: string): Rgb | null {
  const s = text.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3,8})$/.exec(s)?.[1];
  if (hex !== undefined) {
    if (hex.length === 3 || hex.length === 4) {
      return [0, 1, 2].map((i) => Number.parseInt((hex[i] as string).repeat(2), 16)) as unknown as Rgb;
    }
    if (hex.length === 6 || hex.length === 8) {
      return [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as unknown as Rgb;
    }
    return null;
  }
  const fn = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*(?:[,/]\s*([\d.]+%?)\s*)?\)$/.exec(s);
  if (!fn) return null;
  // Fully transparent (e.g. an unset background) says nothing about the page.
  if (fn[4] !== undefined && Number.parseFloat(fn[4]) === 0) return null;
  const channel = (c: string) => Math.min(255, Math.max(0, Math.round(Number(c))));
  return [channel(fn[1] as string), channel(fn[2] as string), channel(fn[3] as string)];
}

/** A colour the browser understands (e.g. a named one) as RGB, through a canvas; null without one. */
function normalise(text: string): Rgb | null {
  try {
    const ctx = document.createElement("canvas").getContext("2d");
    if (!ctx) return null;
    ctx.fillStyle = "#010203";
    ctx.fillStyle = text;
    const out = String(ctx.fillStyle);
    return out === "#010203" ? null : parseColour(out);
  } catch {
    return null;
  }
}

/**
 * The background under `el`: the `--ilw-bg` of its view root (`.ilw-view`, where lib/view.css
 * sets it), else the root's computed background colour, else white. Read at paint time, so a
 * theme switch shows at the next paint.
 */
export function backgroundOf(el: Element): Rgb {
  try {
    const style = getComputedStyle(el.closest(".ilw-view") ?? el);
    const custom = style.getPropertyValue("--ilw-bg").trim();
    if (custom !== "") {
      const rgb = parseColour(custom) ?? normalise(custom);
      if (rgb) return rgb;
    }
    return parseColour(style.backgroundColor ?? "") ?? LIGHT_BACKGROUND;
  } catch {
    return LIGHT_BACKGROUND;
  }
}

/** The colour maps for the background under `el`. */
export function paletteOf(el: Element): Palette {
  return paletteFor(backgroundOf(el));
}

/** "dark" or "light" for the background under `el` (the rule the colour maps use). */
export function themeOf(el: Element): "light" | "dark" {
  return isDark(backgroundOf(el)) ? "dark" : "light";
}

const listeners = new Set<() => void>();
let observer: MutationObserver | null = null;
let media: MediaQueryList | null = null;
let late: ReturnType<typeof setTimeout> | null = null;

/** Tell every listener now, and once more shortly after, for theme stylesheets still loading. */
function notify(): void {
  for (const listener of [...listeners]) listener();
  if (late !== null) clearTimeout(late);
  late = setTimeout(() => {
    late = null;
    for (const listener of [...listeners]) listener();
  }, 250);
}

function start(): void {
  if (typeof MutationObserver === "function") {
    observer = new MutationObserver(notify);
    const options = {
      attributes: true,
      attributeFilter: ["class", "data-jp-theme-light", "data-jp-theme-name", "data-theme"],
    };
    observer.observe(document.documentElement, options);
    if (document.body) observer.observe(document.body, options);
  }
  if (typeof matchMedia === "function") {
    media = matchMedia("(prefers-color-scheme: dark)");
    media.addEventListener?.("change", notify);
  }
}

function stop(): void {
  observer?.disconnect();
  observer = null;
  media?.removeEventListener?.("change", notify);
  media = null;
  if (late !== null) clearTimeout(late);
  late = null;
}

/**
 * Call `repaint` whenever the page's theme may have changed, until `signal` aborts. One observer
 * serves every view; it is disconnected when the last view goes.
 */
export function onThemeChange(repaint: () => void, signal: AbortSignal): void {
  if (signal.aborted) return;
  if (listeners.size === 0) start();
  listeners.add(repaint);
  signal.addEventListener("abort", () => {
    listeners.delete(repaint);
    if (listeners.size === 0) stop();
  });
}
