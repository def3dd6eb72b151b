/** The input text box: edit, then "Run" (or Ctrl/Cmd+Enter) commits the text. */
import { h } from "../lib/dom";

export class TextInput {
  readonly el: HTMLDivElement;
  readonly textarea: HTMLTextAreaElement;

  constructor(onRun: (text: string) => void, signal: AbortSignal) {
    this.textarea = h("textarea", {
      className: "ilw-text",
      attrs: { rows: "3", spellcheck: "false", "aria-label": "Input text" },
    });
    const button = h("button", {
      className: "ilw-run",
      text: "Run",
      attrs: { type: "button", title: "Run the model on this text (Ctrl/Cmd+Enter)" },
    });
    button.addEventListener("click", () => onRun(this.textarea.value), { signal });
    this.textarea.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          onRun(this.textarea.value);
        }
      },
      { signal },
    );
    this.el = h("div", { className: "ilw-text-box" }, [this.textarea, button]);
  }

  setText(text: string): void {
    if (this.textarea.value !== text) this.textarea.value = text;
  }
}
