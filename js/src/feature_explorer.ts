/**
 * Feature explorer (anywidget front end of `interplab_widgets/widgets/feature_explorer.py`).
 *
 * The latents of a sparse autoencoder on one layer's residual stream: a list of every latent (sortable,
 * filtered, a page at a time), the selected latent's dashboard, and the latents active on each token of
 * a typed prompt.
 *
 * Built on the view shell (lib/view_shell.ts): selecting a latent (a row or a chip) and running a new
 * prompt are requests (Python answers with `_dashboard` / `_prompt`); the sort order is view state.
 */
import type { AnyModel } from "@anywidget/types";
import { ExportMenu } from "./components/export_menu";
import { HelpPanel } from "./components/help_panel";
import { FeatureDashboard } from "./features/dashboard";
import { FeatureHeader, featuresSummary } from "./features/header";
import { repaintHistograms } from "./features/histogram";
import { FeatureList } from "./features/list";
import { PromptPanel } from "./features/prompt";
import { repaintActivations } from "./features/tokens";
import { readDashboard, readFeatures, readPrompt, readSortBy } from "./features/traits";
import type { Dashboard, FeatureExplorerTraits } from "./features/types";
import { FEATURE_HELP } from "./help/feature_explorer";
import { h } from "./lib/dom";
import { download } from "./lib/download";
import { int } from "./lib/traits";
import { changedAny, ViewShell, viewModule } from "./lib/view_shell";

type Model = AnyModel<FeatureExplorerTraits>;
type Trait = keyof FeatureExplorerTraits;

const TRAITS: Trait[] = [
  "sort_by",
  "selected_feature",
  "text",
  "_model_label",
  "_features",
  "_dashboard",
  "_prompt",
];

class FeatureExplorer {
  readonly shell: ViewShell<FeatureExplorerTraits>;

  private readonly header: FeatureHeader;
  private readonly list: FeatureList;
  private readonly dashboardView: FeatureDashboard;
  private readonly prompt: PromptPanel;
  private dashboard: Dashboard | null = null;

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    this.shell = new ViewShell(model, { name: "feature explorer", className: "ilw-feature-explorer" });
    const signal = this.shell.signal;
    const shell = this.shell;
    const select = (feature: number) => shell.request({ selected_feature: feature });
    this.header = new FeatureHeader(() => this.exportJson(), signal);
    this.list = new FeatureList({ onSort: (key) => shell.save({ sort_by: key }), onSelect: select }, signal);
    this.dashboardView = new FeatureDashboard();
    this.prompt = new PromptPanel({ onRun: (text) => shell.request({ text }), onSelect: select }, signal);
    const layout = {
      header: this.header,
      help: new HelpPanel(FEATURE_HELP, signal),
      body: [
        h("div", { className: "ilw-feature-main" }, [this.list.el, this.dashboardView.el]),
        this.prompt.el,
      ],
    };
    layout.header.bar.append(new ExportMenu(model, this.shell, undefined, el).el);
    this.shell.mount(el, layout, TRAITS, (changed) => this.apply(changed));
    // Token highlights of the dashboard and the prompt (features/tokens.ts), the histogram's bars.
    this.shell.onTheme(() => {
      repaintActivations(this.shell.root);
      repaintHistograms(this.shell.root);
    });
  }

  private get selected(): number {
    return int(this.model.get("selected_feature"), -1);
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = changedAny(dirty);
    const problems = this.shell.problems;
    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("_features")) {
      const features = readFeatures(m.get("_features"));
      problems.set("features", features.problem);
      this.header.setSummary(featuresSummary(features.value));
      this.list.setFeatures(features.value);
    }
    if (has("sort_by")) this.list.setSort(readSortBy(m.get("sort_by")));
    if (has("_dashboard")) {
      const dashboard = readDashboard(m.get("_dashboard"));
      problems.set("dashboard", dashboard.problem);
      this.dashboard = dashboard.value;
      this.header.setExportable(this.dashboard !== null);
    }
    if (has("text")) this.prompt.setText(String(m.get("text") ?? ""));
    if (has("_prompt")) {
      const prompt = readPrompt(m.get("_prompt"));
      problems.set("prompt", prompt.problem);
      this.prompt.setPrompt(prompt.value);
    }
    if (has("_features", "sort_by", "selected_feature")) this.list.setSelected(this.selected);
    if (has("_prompt", "selected_feature")) this.prompt.setSelected(this.selected);
    // Always: whether a request is pending follows `_request` and `_status`, which every change may touch.
    this.dashboardView.set({ dashboard: this.dashboard, selected: this.selected, busy: this.shell.busy });
  }

  // -- export -------------------------------------------------------------------------

  private exportJson(): void {
    const m = this.model;
    if (this.dashboard === null) return;
    const features = readFeatures(m.get("_features")).value;
    const json = {
      model: String(m.get("_model_label") ?? ""),
      layer: features?.layer ?? null,
      n_latents: features?.nLatents ?? null,
      k: features?.k ?? null,
      dashboard: m.get("_dashboard"),
    };
    download(`feature-${this.dashboard.feature}.json`, "application/json", JSON.stringify(json, null, 1));
  }
}

export default viewModule<FeatureExplorerTraits>((model, el) => new FeatureExplorer(model, el).shell);
