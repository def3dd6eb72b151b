/**
 * The prompt: a text box (components/text_input.ts; Run asks Python to encode the text) and the
 * text's tokens, each with the strongest latents active on it as chips (a click on a chip selects that
 * latent). Tokens before `skipped` were not encoded. Hovering a token, or focusing one of its chips,
 * highlights it. Token text via `textContent` only.
 */
import { TextInput } from "../components/text_input";
import { h, moveMark, tokenIndexAt } from "../lib/dom";
import { paletteOf } from "../lib/theme";
import { formatShort } from "./format";
import { paintActivation, tokenText } from "./tokens";
import type { Prompt } from "./types";

/** Chips shown per token. */
export const CHIPS = 5;

export const NOT_ENCODED_TITLE =
  "Not encoded: the first token is the attention sink, which the SAE was not trained on.";

export interface PromptCallbacks {
  onRun(text: string): void;
  onSelect(feature: number): void;
}

export class PromptPanel {
  readonly el: HTMLDivElement;
  readonly input: TextInput;
  private readonly tokensEl: HTMLDivElement;
  private tokenEls: HTMLElement[] = [];
  private hover = -1;
  private selected = -1;

  constructor(callbacks: PromptCallbacks, signal: AbortSignal) {
    const opts = { signal };
    this.input = new TextInput((text) => callbacks.onRun(text), signal);
    this.tokensEl = h("div", {
      className: "ilw-feature-prompt-tokens",
      attrs: { "aria-label": "Prompt tokens" },
    });
    const hoverAt = (e: Event) => this.setHover(tokenIndexAt(e.target, ".ilw-feature-prompt-token"));
    this.tokensEl.addEventListener("mouseover", hoverAt, opts);
    this.tokensEl.addEventListener("focusin", hoverAt, opts);
    this.tokensEl.addEventListener("mouseleave", () => this.setHover(-1), opts);
    this.tokensEl.addEventListener("focusout", () => this.setHover(-1), opts);
    this.tokensEl.addEventListener(
      "click",
      (e) => {
        const chip = (e.target as Element | null)?.closest<HTMLElement>("button.ilw-feature-chip");
        const feature = Number(chip?.dataset.feature);
        if (Number.isInteger(feature)) callbacks.onSelect(feature);
      },
      opts,
    );
    this.el = h("div", { className: "ilw-feature-prompt" }, [
      h("div", { className: "ilw-feature-heading", text: "features of a prompt" }),
      this.input.el,
      this.tokensEl,
    ]);
  }

  setText(text: string): void {
    this.input.setText(text);
  }

  setPrompt(prompt: Prompt | null): void {
    this.hover = -1;
    const palette = paletteOf(this.el);
    this.tokenEls = (prompt?.tokens ?? []).map((token, i) => {
      const p = prompt as Prompt;
      const text = tokenText("ilw-feature-prompt-text", token);
      text.title = `${i}: ${JSON.stringify(token)}`;
      const skipped = i < p.skipped;
      const chips = skipped
        ? [
            h("span", {
              className: "ilw-feature-not-encoded",
              text: "not encoded",
              attrs: { title: NOT_ENCODED_TITLE },
            }),
          ]
        : (p.features[i] ?? []).slice(0, CHIPS).map((f) => {
            const chip = h("button", {
              className: `ilw-feature-chip${f.feature === this.selected ? " ilw-selected" : ""}`,
              text: `#${f.feature} ${formatShort(f.activation)}`,
              attrs: {
                type: "button",
                "data-feature": String(f.feature),
                title: `feature ${f.feature}: activation ${f.activation.toFixed(2)} (click for its dashboard)`,
              },
            });
            paintActivation(chip, f.activation, p.maxActivation, palette);
            return chip;
          });
      return h(
        "div",
        {
          className: `ilw-feature-prompt-token${skipped ? " ilw-feature-skipped" : ""}`,
          attrs: { "data-token-index": String(i) },
        },
        [text, h("div", { className: "ilw-feature-chips" }, chips)],
      );
    });
    this.tokensEl.replaceChildren(...this.tokenEls);
  }

  /** Mark the chips of the selected latent. */
  setSelected(feature: number): void {
    this.selected = feature;
    for (const chip of this.tokensEl.querySelectorAll<HTMLElement>("button.ilw-feature-chip")) {
      chip.classList.toggle("ilw-selected", chip.dataset.feature === String(feature));
    }
  }

  private setHover(index: number): void {
    this.hover = moveMark(this.tokenEls, "ilw-hover", this.hover, index);
  }
}
