/**
 * The generation tracer's attribution mode: a toggle, the method and target choices, and — when
 * on — the step's token attributed to its context (prompt + earlier output) as a signed heat
 * strip, with a legend that says the method, the target and how far to trust the scores
 * (integrated gradients: steps and completeness error; any warning; faithfulness areas when
 * computed). Choosing "vs a foil" with no foil typed yet only opens the foil box: nothing is
 * asked until there is a foil.
 */
import { h } from "../lib/dom";
import { shortLabel } from "../lib/token_text";
import { ATTRIBUTION_METHODS, type AttributionTarget, type StepAttribution } from "../tracer/types";
import { formatPercent } from "./patch_cell_panel";
import { formatScore, SignedStrip } from "./signed_strip";

const TARGETS: ReadonlyArray<readonly [AttributionTarget, string]> = [
  ["token", "the generated token"],
  ["alternative", "vs the model's top alternative"],
  ["foil", "vs a foil…"],
];

export interface TracerAttributionCallbacks {
  onShow(show: boolean): void;
  onMethod(method: string): void;
  /** A target was chosen (`foil` is the typed foil for the "foil" target, else ""). */
  onTarget(target: AttributionTarget, foil: string): void;
}

/** The current choices (the traits), to mark an answer to other choices as stale. */
export interface AttributionChoices {
  show: boolean;
  step: number;
  method: string;
  target: string;
  foil: string;
}

export function methodLabel(method: string): string {
  return ATTRIBUTION_METHODS.find(([m]) => m === method)?.[1] ?? method;
}

/** What the legend says about how the scores were computed and how far to trust them. */
export function detailsText(a: StepAttribution): string {
  const parts = [`baseline ${a.baseline}`];
  if (a.steps !== null) parts.push(`${a.steps} steps`);
  if (a.completenessError !== null) parts.push(`completeness error ${formatPercent(a.completenessError)}`);
  if (a.layer !== null) parts.push(`layer ${a.layer}`);
  const f = a.faithfulness;
  if (f !== null) {
    parts.push(
      `deletion area ${formatScore(f.deletion_area)} (random ${formatScore(f.random_deletion_area)})`,
      `insertion area ${formatScore(f.insertion_area)} (random ${formatScore(f.random_insertion_area)})`,
    );
  }
  return parts.join(" · ");
}

/** True when `a` answers `choices` (same step, method, target and foil). */
export function answers(a: StepAttribution, choices: AttributionChoices): boolean {
  const foil = choices.target === "foil" ? choices.foil : "";
  return (
    a.step === choices.step &&
    a.method === choices.method &&
    a.targetKind === choices.target &&
    a.foil === foil
  );
}

export class TracerAttributionPanel {
  readonly el: HTMLDivElement;
  private readonly toggle: HTMLInputElement;
  private readonly methodSelect: HTMLSelectElement;
  private readonly targetSelect: HTMLSelectElement;
  private readonly foilInput: HTMLInputElement;
  private readonly body: HTMLDivElement;
  private readonly caption: HTMLDivElement;
  private readonly method: HTMLSpanElement;
  private readonly target: HTMLSpanElement;
  private readonly details: HTMLSpanElement;
  private readonly warning: HTMLDivElement;
  private readonly strip = new SignedStrip("red raises the target, blue lowers it");

  constructor(callbacks: TracerAttributionCallbacks, signal: AbortSignal) {
    const opts = { signal };
    this.toggle = h("input", { className: "ilw-attr-toggle", attrs: { type: "checkbox" } });
    this.toggle.addEventListener("change", () => callbacks.onShow(this.toggle.checked), opts);
    this.methodSelect = h(
      "select",
      { className: "ilw-attr-method-select", attrs: { "aria-label": "Attribution method" } },
      ATTRIBUTION_METHODS.map(([value, label]) => h("option", { text: label, attrs: { value } })),
    );
    this.methodSelect.addEventListener("change", () => callbacks.onMethod(this.methodSelect.value), opts);
    this.targetSelect = h(
      "select",
      { className: "ilw-attr-target-select", attrs: { "aria-label": "Attribution target" } },
      TARGETS.map(([value, label]) => h("option", { text: label, attrs: { value } })),
    );
    this.foilInput = h("input", {
      className: "ilw-attr-foil",
      attrs: {
        type: "text",
        placeholder: 'foil token, e.g. " London"',
        "aria-label": "Foil token",
        hidden: "",
      },
    });
    this.targetSelect.addEventListener(
      "change",
      () => {
        const target = this.targetSelect.value as AttributionTarget;
        this.foilInput.hidden = target !== "foil";
        if (target !== "foil") callbacks.onTarget(target, "");
        else if (this.foilInput.value !== "") callbacks.onTarget("foil", this.foilInput.value);
        else this.foilInput.focus();
      },
      opts,
    );
    // "change": Enter or leaving the box, not every keystroke.
    this.foilInput.addEventListener("change", () => callbacks.onTarget("foil", this.foilInput.value), opts);
    const bar = h("div", { className: "ilw-attr-bar" }, [
      h("label", { className: "ilw-attr-toggle-label" }, [
        this.toggle,
        document.createTextNode(" attribution of the step's token to its context"),
      ]),
      this.methodSelect,
      h("label", { className: "ilw-attr-target-label" }, [
        document.createTextNode("target "),
        this.targetSelect,
      ]),
      this.foilInput,
    ]);
    this.caption = h("div", { className: "ilw-attr-caption" });
    this.method = h("span", { className: "ilw-attr-method" });
    this.target = h("span", { className: "ilw-attr-target" });
    this.details = h("span", { className: "ilw-attr-details" });
    this.warning = h("div", { className: "ilw-attr-warning", attrs: { role: "note", hidden: "" } });
    this.body = h("div", { className: "ilw-attr-body", attrs: { hidden: "" } }, [
      this.caption,
      h("div", { className: "ilw-attr-legend" }, [this.method, this.target, this.details]),
      this.warning,
      this.strip.el,
    ]);
    this.el = h("div", { className: "ilw-tracer-attribution" }, [bar, this.body]);
  }

  /** Show the traits' choices in the controls; the strip shows only while the mode is on. */
  setChoices(choices: AttributionChoices): void {
    this.toggle.checked = choices.show;
    this.body.hidden = !choices.show;
    this.methodSelect.value = choices.method;
    this.targetSelect.value = choices.target;
    this.foilInput.hidden = choices.target !== "foil";
    if (choices.target === "foil") this.foilInput.value = choices.foil;
  }

  /**
   * The attribution to show (or none yet); `context` has one token per score (the reader checks),
   * `token` is the one generated at the attribution's step.
   */
  set(a: StepAttribution | null, context: readonly string[], token: string | undefined): void {
    const data = this.el.dataset;
    if (!a || a.scores.length !== context.length) {
      delete data.step;
      delete data.method;
      delete data.target;
      this.caption.textContent = "The step's attribution appears here once computed.";
      this.method.textContent = "";
      this.target.textContent = "";
      this.details.textContent = "";
      this.warning.hidden = true;
      this.strip.clear();
      return;
    }
    data.step = String(a.step);
    data.method = a.method;
    data.target = a.targetKind;
    const written = token === undefined ? "" : ` "${shortLabel(token, 24)}"`;
    this.caption.textContent = `Step ${a.step}${written}: how much each earlier token moved the target`;
    this.method.textContent = methodLabel(a.method);
    this.target.textContent = `${a.target} = ${formatScore(a.value)} (baseline ${formatScore(a.baselineValue)})`;
    this.details.textContent = detailsText(a);
    this.warning.textContent = a.warning === "" ? "" : `⚠ ${a.warning}`;
    this.warning.hidden = a.warning === "";
    this.strip.set(context, a.scores, a.attributed);
  }

  /** Recolour the strip in the page's current colours (after a theme change). */
  repaint(): void {
    this.strip.repaint();
  }

  /** Dim what is shown while it answers other choices than the current ones. */
  setStale(stale: boolean): void {
    this.body.classList.toggle("ilw-stale", stale);
  }
}
