/**
 * The "what am I looking at?" help of a view: a `?` toggle button for the view's header and a
 * panel (hidden until asked for) to put right under the header, with a title, a one-line intro,
 * "What you see" and "Try this" lists and one pitfall.
 *
 * Texts are static, one `HelpText` per view (src/help/<view>.ts), and go in through
 * `textContent` only: emphasis is a separate `<strong>` element, never markup.
 * The toggle is a real `<button>` (click, Enter, Space); Escape pressed inside the panel, or on
 * the toggle while the panel is open, closes it and returns focus to the toggle. That Escape
 * stops there, so it does not also clear the view's pin or selection.
 */
import { h } from "../lib/dom";

/** A run of text: plain, or `{ strong }` for a word to emphasise. */
export type HelpRun = string | { readonly strong: string };
/** One line: plain text, or runs of plain and emphasised text. */
export type HelpLine = string | readonly HelpRun[];

export interface HelpText {
  /** Panel title, e.g. "Attention explorer: where does each token look?". */
  title: string;
  /** One or two sentences before the lists. */
  intro: HelpLine;
  /** "What you see": 3–5 bullets naming the parts of the view and what colours mean. */
  see: readonly HelpLine[];
  /** "Try this": 2–4 bullets naming the actual controls. */
  tryThis: readonly HelpLine[];
  /** One common misreading, shown after "Careful:". */
  pitfall: HelpLine;
}

export const HELP_TOGGLE_TITLE = "What am I looking at?";

let instances = 0;

/** `line` as nodes: text nodes and `<strong>` elements, all set through `textContent`. */
function runs(line: HelpLine): Node[] {
  const parts: readonly HelpRun[] = typeof line === "string" ? [line] : line;
  return parts.map((part) =>
    typeof part === "string" ? document.createTextNode(part) : h("strong", { text: part.strong }),
  );
}

function section(className: string, heading: string, lines: readonly HelpLine[]): HTMLElement {
  return h("div", { className: `ilw-help-section ${className}` }, [
    h("div", { className: "ilw-help-heading", text: heading }),
    h(
      "ul",
      { className: "ilw-help-list" },
      lines.map((line) => h("li", {}, runs(line))),
    ),
  ]);
}

export class HelpPanel {
  /** The `?` button; goes in the view's header bar. */
  readonly toggle: HTMLButtonElement;
  /** The panel; goes right under the header. */
  readonly el: HTMLDivElement;

  constructor(text: HelpText, signal: AbortSignal) {
    const id = `ilw-help-${++instances}`;
    this.toggle = h("button", {
      className: "ilw-help-toggle",
      text: "?",
      attrs: {
        type: "button",
        title: HELP_TOGGLE_TITLE,
        "aria-label": HELP_TOGGLE_TITLE,
        "aria-expanded": "false",
        "aria-controls": id,
      },
    });
    this.el = h(
      "div",
      {
        className: "ilw-help",
        // tabindex -1: a click on the text focuses the panel, so Escape reaches it.
        attrs: { id, role: "region", "aria-labelledby": `${id}-title`, tabindex: "-1", hidden: "" },
      },
      [
        h("div", { className: "ilw-help-title", text: text.title, attrs: { id: `${id}-title` } }),
        h("p", { className: "ilw-help-intro" }, runs(text.intro)),
        section("ilw-help-see", "What you see", text.see),
        section("ilw-help-try", "Try this", text.tryThis),
        h("p", { className: "ilw-help-pitfall" }, [
          h("strong", { text: "Careful: " }),
          ...runs(text.pitfall),
        ]),
      ],
    );
    this.toggle.addEventListener("click", () => this.setOpen(!this.open), { signal });
    const onEscape = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || !this.open) return;
      this.setOpen(false);
      this.toggle.focus();
      e.preventDefault();
      e.stopPropagation();
    };
    this.el.addEventListener("keydown", onEscape, { signal });
    this.toggle.addEventListener("keydown", onEscape, { signal });
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  setOpen(open: boolean): void {
    this.el.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
  }
}
