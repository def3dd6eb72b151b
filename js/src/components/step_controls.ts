/**
 * Step slider, play/pause button and the current step's token.
 *
 * Playing is view state: every `PLAY_INTERVAL_MS` the player asks for the next step, but only
 * once the reply to the step it asked for before has arrived (`ready`); until then it waits, and
 * `replied` moves it on as soon as the reply is there. So it never has more than one step request
 * in flight. It stops at the last step; the timer is cleared when the view is destroyed.
 */
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";

export const PLAY_INTERVAL_MS = 600;

export interface StepControlsCallbacks {
  /** The user (slider or player) asked for step `step`. */
  onStep(step: number): void;
  /** The current step: the model's, or the one waiting to be sent. */
  currentStep(): number;
  /** True once the step asked for last has been answered. */
  ready(): boolean;
}

export class StepControls {
  readonly el: HTMLDivElement;
  readonly slider: HTMLInputElement;
  private readonly playButton: HTMLButtonElement;
  private readonly label: HTMLSpanElement;
  private readonly token: HTMLSpanElement;
  private nSteps = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private isPlaying = false;
  /** The player is due to move on and waits for the reply to its last step. */
  private waiting = false;

  constructor(
    private readonly callbacks: StepControlsCallbacks,
    signal: AbortSignal,
  ) {
    this.slider = h("input", {
      className: "ilw-step",
      attrs: { type: "range", min: "0", max: "0", step: "1", value: "0", "aria-label": "Generation step" },
    });
    this.slider.addEventListener(
      "input",
      () => {
        const step = Number(this.slider.value);
        if (Number.isInteger(step)) callbacks.onStep(step);
      },
      { signal },
    );
    this.playButton = h("button", {
      className: "ilw-play",
      text: "▶ play",
      attrs: { type: "button", "aria-pressed": "false", title: "Step through the generation" },
    });
    this.playButton.addEventListener("click", () => (this.playing ? this.pause() : this.play()), { signal });
    this.label = h("span", { className: "ilw-step-label" });
    this.token = h("span", { className: "ilw-step-token" });
    this.el = h("div", { className: "ilw-step-controls" }, [
      this.playButton,
      this.slider,
      this.label,
      this.token,
    ]);
    signal.addEventListener("abort", () => this.pause());
  }

  get playing(): boolean {
    return this.isPlaying;
  }

  setRange(nSteps: number): void {
    this.nSteps = nSteps;
    this.slider.max = String(Math.max(0, nSteps - 1));
    this.slider.disabled = nSteps === 0;
    this.playButton.disabled = nSteps <= 1;
    if (nSteps <= 1) this.pause();
  }

  /** Show step `step` and its token (`undefined` when out of range). */
  setStep(step: number, token: string | undefined): void {
    this.slider.value = String(step);
    this.label.textContent = this.nSteps > 0 ? `step ${step + 1} / ${this.nSteps}` : "no steps";
    this.token.textContent = token === undefined ? "" : visibleToken(token);
    this.token.title = token === undefined ? "" : JSON.stringify(token);
  }

  play(): void {
    if (this.playing || this.nSteps <= 1) return;
    this.isPlaying = true;
    // From the end, play starts over.
    if (this.callbacks.currentStep() >= this.nSteps - 1) this.callbacks.onStep(0);
    this.schedule();
    this.playButton.textContent = "❚❚ pause";
    this.playButton.setAttribute("aria-pressed", "true");
  }

  pause(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.isPlaying = false;
    this.waiting = false;
    this.playButton.textContent = "▶ play";
    this.playButton.setAttribute("aria-pressed", "false");
  }

  /** The reply to a step arrived: a player that was waiting for it moves on now. */
  replied(): void {
    if (this.isPlaying && this.waiting && this.callbacks.ready()) this.advance();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.callbacks.ready()) this.advance();
      else this.waiting = true;
    }, PLAY_INTERVAL_MS);
  }

  private advance(): void {
    this.waiting = false;
    const next = this.callbacks.currentStep() + 1;
    if (next >= this.nSteps) {
      this.pause();
      return;
    }
    this.callbacks.onStep(next);
    if (next >= this.nSteps - 1) this.pause();
    else this.schedule();
  }
}
