/**
 * Generation tracer view (anywidget front end of
 * `interplab_widgets/widgets/generation_tracer.py`).
 *
 * Shows a generation step by step: a logit-lens heatmap (lens rows × steps) of the
 * chosen token's probability or rank, the top-k of one lens row, every head's attention
 * row for the new token, and one head's full row over the context. In the attribution mode,
 * the step's token attributed to its context as a signed heat strip (computed by Python).
 *
 * Built on the view shell (lib/view_shell.ts), which batches `change:<trait>` events and sends
 * every user action as a request. Playing through the steps is view state; it only writes
 * `step`. The slider and the player keep at most one step request in flight: a newer step waits
 * for the reply to the last one (latest wins), so neither a drag nor a play queues requests.
 */
import type { AnyModel } from "@anywidget/types";
import { ExportMenu } from "./components/export_menu";
import { GeneratedText } from "./components/generated_text";
import { HeadGrid } from "./components/head_grid";
import { HeadRowPanel } from "./components/head_row";
import { HelpPanel } from "./components/help_panel";
import { LensHeatmap } from "./components/lens_heatmap";
import { StepControls } from "./components/step_controls";
import { TopKPanel } from "./components/topk_panel";
import { answers, TracerAttributionPanel } from "./components/tracer_attribution";
import { TracerHeader } from "./components/tracer_header";
import { TRACER_HELP } from "./help/generation_tracer";
import { h } from "./lib/dom";
import { clampIndex, int, readStrings } from "./lib/traits";
import { changedAny, ViewShell, viewModule } from "./lib/view_shell";
import { readAttribution, readHeadRow, readLensMatrix, readStepAttention, readTopK } from "./tracer/traits";
import type { GenerationTracerTraits, LensData, LensMetric, StepAttribution } from "./tracer/types";

type Model = AnyModel<GenerationTracerTraits>;
type Trait = keyof GenerationTracerTraits;

const TRAITS: Trait[] = [
  "step",
  "selected_layer",
  "selected_attention_layer",
  "selected_head",
  "metric",
  "show_attribution",
  "attribution_method",
  "attribution_target",
  "attribution_foil",
  "_model_label",
  "_n_layers",
  "_n_heads",
  "_prompt_tokens",
  "_tokens",
  "_lens_probs",
  "_lens_ranks",
  "_lens_entropy",
  "_topk",
  "_step_attention",
  "_head_row",
  "_attribution",
];

class GenerationTracerView {
  readonly shell: ViewShell<GenerationTracerTraits>;
  private readonly header: TracerHeader;
  private readonly controls: StepControls;
  private readonly text: GeneratedText;
  private readonly lens: LensHeatmap;
  private readonly topk: TopKPanel;
  private readonly grid: HeadGrid;
  private readonly gridBox: HTMLDivElement;
  private readonly headRow: HeadRowPanel;
  private readonly attribution: TracerAttributionPanel;

  private promptTokens: string[] = [];
  private tokens: string[] = [];
  /** The attribution the strip shows (null: none yet, or malformed). */
  private shownAttribution: StepAttribution | null = null;
  /** The request id of the last step sent by the slider or the player. */
  private stepRequest = 0;
  /** A step asked for while `stepRequest` was unanswered; sent when the reply arrives. */
  private queuedStep: number | null = null;

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    this.shell = new ViewShell(model, { name: "generation tracer", className: "ilw-generation-tracer" });
    const signal = this.shell.signal;
    this.header = new TracerHeader((metric) => this.commit({ metric }), signal);
    this.controls = new StepControls(
      {
        onStep: (step) => this.requestStep(step),
        currentStep: () => this.queuedStep ?? this.step(),
        ready: () => this.stepAnswered(),
      },
      signal,
    );
    this.text = new GeneratedText((step) => this.commit({ step }), signal);
    this.lens = new LensHeatmap((step, row) => this.commit({ step, selected_layer: row }), signal);
    this.topk = new TopKPanel();
    this.grid = new HeadGrid(
      {
        onSelect: (layer, head) => this.selectHead(layer, head),
        onMove: (dl, dh) => this.moveHead(dl, dh),
      },
      signal,
    );
    this.gridBox = h("div", { className: "ilw-step-attention" }, [
      h("div", { className: "ilw-panel-title", text: "Attention of the new token, per head" }),
      this.grid.el,
    ]);
    this.headRow = new HeadRowPanel();
    this.attribution = new TracerAttributionPanel(
      {
        onShow: (show) => this.commit({ show_attribution: show }),
        onMethod: (method) => this.commit({ attribution_method: method }),
        onTarget: (target, foil) =>
          this.commit(
            target === "foil"
              ? { attribution_target: target, attribution_foil: foil }
              : { attribution_target: target },
          ),
      },
      signal,
    );
    const layout = {
      header: this.header,
      help: new HelpPanel(TRACER_HELP, signal),
      body: [
        this.controls.el,
        this.text.el,
        this.attribution.el,
        h("div", { className: "ilw-lens-row" }, [this.lens.el, this.topk.el]),
        h("div", { className: "ilw-attention-row" }, [this.gridBox, this.headRow.el]),
      ],
    };
    // Destroying the shell aborts `signal`, which also stops the player.
    layout.header.bar.append(new ExportMenu(model, this.shell, undefined, el).el);
    this.shell.mount(el, layout, TRAITS, (changed) => this.apply(changed));
    this.shell.onTheme(() => {
      this.lens.repaint();
      this.grid.repaint();
      this.attribution.repaint();
    });
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = changedAny(dirty);
    const nLayers = Math.max(0, int(m.get("_n_layers"), 0));
    const nHeads = Math.max(0, int(m.get("_n_heads"), 0));
    const nRows = nLayers + 1;

    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("metric")) this.header.setMetric(String(m.get("metric")));
    if (has("_status")) this.onStatus();
    const tokensChanged = has("_tokens", "_prompt_tokens");
    if (tokensChanged) {
      this.promptTokens = readStrings(m.get("_prompt_tokens"));
      this.tokens = readStrings(m.get("_tokens"));
      this.header.setStepCount(this.tokens.length);
      this.text.setTokens(this.promptTokens, this.tokens);
      this.controls.setRange(this.tokens.length);
    }
    const nSteps = this.tokens.length;
    const lensShape = tokensChanged || has("_n_layers");
    if (lensShape) this.lens.setShape(nSteps, nRows);
    if (lensShape || has("_lens_probs", "_lens_ranks", "_lens_entropy", "metric")) {
      this.lens.setData(this.readLens(nSteps, nRows), this.metric(), this.tokens);
    }

    const step = this.step();
    if (tokensChanged || has("step")) {
      this.controls.setStep(step, this.tokens[step]);
      this.text.setStep(step);
    }
    if (lensShape || has("step")) this.lens.setCurrentStep(step);
    if (lensShape || has("step", "selected_layer")) {
      this.lens.setSelected(step, int(m.get("selected_layer"), nLayers));
    }
    if (lensShape || has("_topk")) {
      const topk = readTopK(m.get("_topk"));
      this.shell.problems.set("topk", topk.problem);
      this.topk.set(topk.value, nRows, topk.value ? this.tokens[topk.value.step] : undefined);
    }

    const gridShape = has("_n_layers", "_n_heads");
    if (gridShape) {
      this.grid.setShape(nLayers, nHeads);
      this.grid.setInfo(null, []);
    }
    if (gridShape || has("_step_attention")) this.grid.setThumbnails(this.readStepAttention(nLayers, nHeads));
    if (gridShape || has("_step_attention", "step")) {
      // Attention of another step than the current one is dimmed until Python answers.
      const shown = this.gridBox.dataset.step;
      this.gridBox.classList.toggle("ilw-stale", shown !== undefined && shown !== String(step));
    }
    if (gridShape || has("selected_attention_layer", "selected_head")) {
      this.grid.setSelected(int(m.get("selected_attention_layer"), -1), int(m.get("selected_head"), -1));
    }
    if (tokensChanged || has("_head_row")) {
      const row = readHeadRow(m.get("_head_row"), this.promptTokens.length);
      this.shell.problems.set("head_row", row.problem);
      const context = row.value ? [...this.promptTokens, ...this.tokens.slice(0, row.value.step)] : [];
      if (row.value && context.length !== row.value.weights.length) {
        this.shell.problems.set(
          "head_row",
          `_head_row: step ${row.value.step} is past the ${nSteps} generated tokens`,
        );
      }
      this.headRow.set(row.value, context);
    }
    if (tokensChanged || has("_head_row", "step")) {
      const shown = this.headRow.el.dataset.step;
      this.headRow.el.classList.toggle("ilw-stale", shown !== undefined && shown !== String(step));
    }
    this.applyAttribution(has, tokensChanged, step);
  }

  private applyAttribution(has: (...traits: Trait[]) => boolean, tokensChanged: boolean, step: number): void {
    const m = this.model;
    const choices = {
      show: m.get("show_attribution") === true,
      step,
      method: String(m.get("attribution_method") ?? ""),
      target: String(m.get("attribution_target") ?? ""),
      foil: String(m.get("attribution_foil") ?? ""),
    };
    const choicesChanged = has(
      "show_attribution",
      "attribution_method",
      "attribution_target",
      "attribution_foil",
    );
    if (choicesChanged) this.attribution.setChoices(choices);
    if (tokensChanged || has("_attribution")) {
      const read = readAttribution(m.get("_attribution"), this.promptTokens.length);
      this.shell.problems.set("attribution", read.problem);
      this.shownAttribution = read.value;
      const a = read.value;
      const context = a ? [...this.promptTokens, ...this.tokens.slice(0, a.step)] : [];
      if (a && a.step >= this.tokens.length) {
        this.shell.problems.set(
          "attribution",
          `_attribution: step ${a.step} is past the ${this.tokens.length} generated tokens`,
        );
      }
      this.attribution.set(a, context, a ? this.tokens[a.step] : undefined);
    }
    if (tokensChanged || choicesChanged || has("_attribution", "step")) {
      const a = this.shownAttribution;
      this.attribution.setStale(a !== null && !answers(a, choices));
    }
  }

  /**
   * `_status` changed. An error or a cancel of the last step (or a later request) stops the
   * player and drops a waiting step; once the last step is answered, a waiting step goes out and
   * the player may move on.
   */
  private onStatus(): void {
    const { state, request } = this.shell.status;
    if ((state === "error" || state === "cancelled") && request >= this.stepRequest) {
      this.queuedStep = null;
      this.controls.pause();
      return;
    }
    if (!this.shell.replied(this.stepRequest)) return;
    if (this.queuedStep !== null) this.requestStep(this.queuedStep);
    else this.controls.replied();
  }

  /** Decode `_step_attention` into the grid's thumbnails, recording its step on the grid box. */
  private readStepAttention(nLayers: number, nHeads: number) {
    const attention = readStepAttention(this.model.get("_step_attention"), nLayers, nHeads);
    this.shell.problems.set("step_attention", attention.problem);
    if (attention.value) this.gridBox.dataset.step = String(attention.value.step);
    else delete this.gridBox.dataset.step;
    return attention.value?.thumbnails ?? null;
  }

  private readLens(nSteps: number, nRows: number): LensData {
    const m = this.model;
    const probs = readLensMatrix("_lens_probs", m.get("_lens_probs"), Float32Array, nSteps, nRows);
    const ranks = readLensMatrix("_lens_ranks", m.get("_lens_ranks"), Int32Array, nSteps, nRows);
    const entropy = readLensMatrix("_lens_entropy", m.get("_lens_entropy"), Float32Array, nSteps, nRows);
    this.shell.problems.set("lens_probs", probs.problem);
    this.shell.problems.set("lens_ranks", ranks.problem);
    this.shell.problems.set("lens_entropy", entropy.problem);
    return { nSteps, nRows, probs: probs.value, ranks: ranks.value, entropy: entropy.value };
  }

  // -- view state ---------------------------------------------------------------------

  private step(): number {
    return int(this.model.get("step"), 0);
  }

  private metric(): LensMetric {
    return this.model.get("metric") === "rank" ? "rank" : "probability";
  }

  // -- view → model -------------------------------------------------------------------

  private commit(changes: Partial<GenerationTracerTraits>): void {
    this.shell.request(changes);
  }

  /** True when no step of the slider or player is waiting for its reply. */
  private stepAnswered(): boolean {
    return this.queuedStep === null && this.shell.replied(this.stepRequest);
  }

  /**
   * Slider and player: send `step` unless the last step sent is still unanswered; then keep it
   * (a later one replaces it) until the reply arrives. The same step as the model's is not sent.
   */
  private requestStep(step: number): void {
    if (!this.shell.replied(this.stepRequest)) {
      this.queuedStep = step;
      return;
    }
    this.queuedStep = null;
    const id = this.shell.request({ step });
    if (id !== null) this.stepRequest = id;
  }

  private selectHead(layer: number, head: number): void {
    this.commit({ selected_attention_layer: layer, selected_head: head });
  }

  private moveHead(dLayer: number, dHead: number): void {
    const m = this.model;
    const oldLayer = int(m.get("selected_attention_layer"), -1);
    const oldHead = int(m.get("selected_head"), -1);
    const layer = clampIndex(Math.max(oldLayer, 0) + dLayer, int(m.get("_n_layers"), 0));
    const head = clampIndex(Math.max(oldHead, 0) + dHead, int(m.get("_n_heads"), 0));
    if (layer === oldLayer && head === oldHead) return;
    this.selectHead(layer, head);
  }
}

export default viewModule<GenerationTracerTraits>((model, el) => new GenerationTracerView(model, el).shell);
