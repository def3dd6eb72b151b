/**
 * The prompt followed by the generated tokens. The current step's token is marked
 * `ilw-current`; clicking a generated token selects its step. Text goes in via `textContent`.
 */
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";

export class GeneratedText {
  readonly el: HTMLDivElement;
  private generated: HTMLSpanElement[] = [];
  private current: HTMLSpanElement | null = null;

  constructor(onStep: (step: number) => void, signal: AbortSignal) {
    this.el = h("div", { className: "ilw-gen-text", attrs: { "aria-label": "Prompt and generated tokens" } });
    this.el.addEventListener(
      "click",
      (e) => {
        const span = (e.target as Element | null)?.closest<HTMLElement>(".ilw-gen-token");
        const step = Number(span?.dataset.step);
        if (span && Number.isInteger(step)) onStep(step);
      },
      { signal },
    );
  }

  setTokens(prompt: readonly string[], generated: readonly string[]): void {
    const span = (className: string, token: string, attrs: Record<string, string>) =>
      h("span", {
        className: token.startsWith(" ") ? `${className} ilw-lead-space` : className,
        text: visibleToken(token),
        attrs,
      });
    const promptSpans = prompt.map((token, i) =>
      span("ilw-prompt-token", token, { title: `prompt ${i}: ${JSON.stringify(token)}` }),
    );
    this.generated = generated.map((token, s) =>
      span("ilw-gen-token", token, { "data-step": String(s), title: `step ${s}: ${JSON.stringify(token)}` }),
    );
    this.el.replaceChildren(...promptSpans, ...this.generated);
    this.current = null;
  }

  setStep(step: number): void {
    const span = this.generated[step] ?? null;
    if (span === this.current) return;
    this.current?.classList.remove("ilw-current");
    span?.classList.add("ilw-current");
    this.current = span;
  }
}
