/**
 * Generation tracer view (anywidget front end of
 * `interplab_widgets/widgets/generation_tracer.py`).
 *
 * Shows a generation step by step: a logit-lens heatmap (lens rows × steps) of the
 * chosen token's probability or rank, the top-k of one lens row, every head's attention
 * row for the new token, and one head's full row over the context.
 *
 * Model → view: as in the attention explorer, `syncTraits` (lib/trait_sync.ts) batches
 * `change:<trait>` events and `apply` gets them together. View → model: `set` + `save_changes`.
 * Playing through the steps is view state; it only writes `step`.
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import { GeneratedText } from "./components/generated_text";
import { HeadGrid } from "./components/head_grid";
import { HeadRowPanel } from "./components/head_row";
import { HelpPanel } from "./components/help_panel";
import { LensHeatmap } from "./components/lens_heatmap";
import { StepControls } from "./components/step_controls";
import { TopKPanel } from "./components/topk_panel";
import { TracerHeader } from "./components/tracer_header";
import { TRACER_HELP } from "./help/generation_tracer";
import { h } from "./lib/dom";
import { syncTraits } from "./lib/trait_sync";
import { int, readHeadRow, readLensMatrix, readStepAttention, readStrings, readTopK } from "./lib/traits";
import type { GenerationTracerTraits, LensData, LensMetric } from "./lib/types";

type Model = AnyModel<GenerationTracerTraits>;
type Trait = keyof GenerationTracerTraits;

const TRAITS: Trait[] = [
  "prompt",
  "step",
  "selected_layer",
  "selected_attention_layer",
  "selected_head",
  "metric",
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
  "_busy",
  "_error",
];

class GenerationTracerView {
  readonly root: HTMLDivElement;
  private readonly controller = new AbortController();
  private readonly stopSync: () => void;

  private readonly header: TracerHeader;
  private readonly help: HelpPanel;
  private readonly controls: StepControls;
  private readonly text: GeneratedText;
  private readonly lens: LensHeatmap;
  private readonly topk: TopKPanel;
  private readonly grid: HeadGrid;
  private readonly gridBox: HTMLDivElement;
  private readonly headRow: HeadRowPanel;

  private promptTokens: string[] = [];
  private tokens: string[] = [];
  /** Problems found by the view itself (bad shapes), by source; shown under `_error`. */
  private readonly problems = new Map<string, string>();

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    const signal = this.controller.signal;
    this.header = new TracerHeader((metric) => this.commit({ metric }), signal);
    this.controls = new StepControls(
      { onStep: (step) => this.commit({ step }), currentStep: () => this.step() },
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
    this.help = new HelpPanel(TRACER_HELP, signal);
    this.header.addHelpToggle(this.help.toggle);
    this.root = h(
      "div",
      {
        className: "ilw-generation-tracer ilw-view",
        attrs: { "data-lm-suppress-shortcuts": "true", tabindex: "-1" },
      },
      [
        this.header.el,
        this.help.el,
        this.controls.el,
        this.text.el,
        h("div", { className: "ilw-lens-row" }, [this.lens.el, this.topk.el]),
        h("div", { className: "ilw-attention-row" }, [this.gridBox, this.headRow.el]),
      ],
    );
    el.appendChild(this.root);

    this.stopSync = syncTraits(model, TRAITS, {
      name: "generation tracer",
      apply: (changed) => this.apply(changed),
      onError: (err) => {
        this.problems.set("view", `view error: ${err.message}`);
        this.showErrors();
      },
    });
  }

  destroy(): void {
    this.stopSync();
    this.controller.abort(); // also stops the player
    this.root.remove();
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = (...traits: Trait[]) => traits.some((t) => dirty.has(t));
    const nLayers = Math.max(0, int(m.get("_n_layers"), 0));
    const nHeads = Math.max(0, int(m.get("_n_heads"), 0));
    const nRows = nLayers + 1;
    this.problems.delete("view");

    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("metric")) this.header.setMetric(String(m.get("metric")));
    if (has("_busy")) {
      this.header.setBusy(Boolean(m.get("_busy")));
      this.root.classList.toggle("ilw-is-busy", Boolean(m.get("_busy")));
    }
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
      this.problems.set("topk", topk.problem);
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
      this.problems.set("head_row", row.problem);
      const context = row.value ? [...this.promptTokens, ...this.tokens.slice(0, row.value.step)] : [];
      if (row.value && context.length !== row.value.weights.length) {
        this.problems.set(
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
    this.showErrors();
  }

  /** Decode `_step_attention` into the grid's thumbnails, recording its step on the grid box. */
  private readStepAttention(nLayers: number, nHeads: number) {
    const attention = readStepAttention(this.model.get("_step_attention"), nLayers, nHeads);
    this.problems.set("step_attention", attention.problem);
    if (attention.value) this.gridBox.dataset.step = String(attention.value.step);
    else delete this.gridBox.dataset.step;
    return attention.value?.thumbnails ?? null;
  }

  private readLens(nSteps: number, nRows: number): LensData {
    const m = this.model;
    const probs = readLensMatrix("_lens_probs", m.get("_lens_probs"), Float32Array, nSteps, nRows);
    const ranks = readLensMatrix("_lens_ranks", m.get("_lens_ranks"), Int32Array, nSteps, nRows);
    const entropy = readLensMatrix("_lens_entropy", m.get("_lens_entropy"), Float32Array, nSteps, nRows);
    this.problems.set("lens_probs", probs.problem);
    this.problems.set("lens_ranks", ranks.problem);
    this.problems.set("lens_entropy", entropy.problem);
    return { nSteps, nRows, probs: probs.value, ranks: ranks.value, entropy: entropy.value };
  }

  private showErrors(): void {
    const messages = [String(this.model.get("_error") ?? ""), ...this.problems.values()];
    this.header.setError(messages.filter((s) => s !== "").join("\n"));
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
    for (const [key, value] of Object.entries(changes) as Array<[Trait, never]>) this.model.set(key, value);
    this.model.save_changes();
  }

  private selectHead(layer: number, head: number): void {
    this.commit({ selected_attention_layer: layer, selected_head: head });
  }

  private moveHead(dLayer: number, dHead: number): void {
    const m = this.model;
    const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), Math.max(n - 1, 0));
    const oldLayer = int(m.get("selected_attention_layer"), -1);
    const oldHead = int(m.get("selected_head"), -1);
    const layer = clamp(Math.max(oldLayer, 0) + dLayer, int(m.get("_n_layers"), 0));
    const head = clamp(Math.max(oldHead, 0) + dHead, int(m.get("_n_heads"), 0));
    if (layer === oldLayer && head === oldHead) return;
    this.selectHead(layer, head);
  }
}

function initialize(): void {
  // All state lives in synced traits; nothing to set up per model.
}

function render({ model, el }: RenderProps<GenerationTracerTraits>): () => void {
  const view = new GenerationTracerView(model, el);
  return () => view.destroy();
}

export default { initialize, render };
