/**
 * Projection explorer view (anywidget front end of
 * `interplab_widgets/widgets/projection_explorer.py`).
 *
 * A scatterplot of many tokens or sentences of a model at one layer, projected to 2-D in
 * Python, coloured by a label set. Box, lasso or a legend click selects points; Python answers
 * with their contexts and, on request, a probe of the selection vs the rest.
 *
 * Built on the view shell (lib/view_shell.ts), which batches `change:<trait>` events and sends
 * every user action as a request: layer, method and selection changes, and the probe (the custom
 * message `{type: "probe", request}`). `color_by` is view state and is saved without a request.
 * Points of another layer/method than the one asked for stay on screen dimmed until Python sends
 * the new ones; so do the selection's contexts while a request is unanswered.
 */
import type { AnyModel } from "@anywidget/types";
import { contextSnippet } from "./components/context_snippet";
import { ExportMenu } from "./components/export_menu";
import { HelpPanel } from "./components/help_panel";
import { Legend } from "./components/legend";
import { ProjectionToolbar } from "./components/projection_toolbar";
import { pointBytes } from "./components/scatter_renderer";
import { ScatterView } from "./components/scatter_view";
import { SelectionPanel } from "./components/selection_panel";
import { PROJECTION_HELP } from "./help/projection_explorer";
import { h } from "./lib/dom";
import { int, readInts, readStrings } from "./lib/traits";
import { changedAny, ViewShell, viewModule } from "./lib/view_shell";
import {
  readLabelSets,
  readPointSource,
  readPoints,
  readProbe,
  readSelectedIds,
  readSelection,
} from "./projection/traits";
import type {
  DragMode,
  LabelSet,
  PointSource,
  ProjectionExplorerTraits,
  ProjectionPoints,
} from "./projection/types";

type Model = AnyModel<ProjectionExplorerTraits>;
type Trait = keyof ProjectionExplorerTraits;

const TRAITS: Trait[] = [
  "selected_layer",
  "method",
  "color_by",
  "selected_points",
  "_model_label",
  "_layers",
  "_methods",
  "_n_points",
  "_points",
  "_label_sets",
  "_texts",
  "_point_source",
  "_selection",
  "_probe",
];

class ProjectionExplorerView {
  readonly shell: ViewShell<ProjectionExplorerTraits>;

  private readonly toolbar: ProjectionToolbar;
  private readonly scatter: ScatterView;
  private readonly legend: Legend;
  private readonly panel: SelectionPanel;

  private points: ProjectionPoints | null = null;
  /** `layer/method` of the points shown: a new pair refits the view, a resend of the same keeps it. */
  private pointsKey = "";
  private labelSets: LabelSet[] = [];
  private colourSet: LabelSet | null = null;
  private texts: string[] = [];
  private source: PointSource | null = null;
  /** Selected ids, ascending. */
  private selected: number[] = [];

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    this.shell = new ViewShell(model, { name: "projection explorer", className: "ilw-projection-explorer" });
    const signal = this.shell.signal;
    this.toolbar = new ProjectionToolbar(
      {
        onLayer: (layer) => this.commit({ selected_layer: layer }),
        onMethod: (method) => this.commit({ method }),
        onColorBy: (color_by) => this.shell.save({ color_by }),
        onMode: (mode) => this.setMode(mode),
        onFit: () => this.scatter.fit(),
      },
      signal,
    );
    this.scatter = new ScatterView(
      { onSelect: (ids) => this.select(Array.from(ids)), describe: (id) => this.describe(id) },
      signal,
    );
    this.legend = new Legend((label) => this.selectLabel(label), signal);
    this.panel = new SelectionPanel(
      {
        onProbe: () => this.shell.send({ type: "probe" }),
        onHoverPoint: (id) => this.scatter.setHighlight(id),
      },
      signal,
    );
    this.shell.root.addEventListener(
      "keydown",
      (e) => {
        if (e.key !== "Escape") return;
        if (!this.scatter.cancelDrag()) this.select([]);
        e.preventDefault();
      },
      { signal },
    );
    this.setMode("pan");
    const layout = {
      header: this.toolbar,
      help: new HelpPanel(PROJECTION_HELP, signal),
      body: [
        h("div", { className: "ilw-projection-main" }, [
          this.scatter.el,
          h("div", { className: "ilw-projection-side" }, [this.legend.el, this.panel.el]),
        ]),
      ],
    };
    layout.header.bar.append(new ExportMenu(model, this.shell, undefined, el).el);
    this.shell.mount(el, layout, TRAITS, (changed) => this.apply(changed));
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = changedAny(dirty);
    const layer = int(m.get("selected_layer"), -1);
    const method = String(m.get("method") ?? "");
    const colorBy = String(m.get("color_by") ?? "");
    const n = Math.max(0, int(m.get("_n_points"), 0));

    if (has("_model_label")) this.toolbar.setModelName(String(m.get("_model_label") ?? ""));
    if (has("_layers", "selected_layer")) this.toolbar.setLayers(readInts(m.get("_layers")), layer);
    if (has("_methods", "method")) this.toolbar.setMethods(readStrings(m.get("_methods")), method);

    const nChanged = has("_n_points");
    const pointsChanged = nChanged || has("_points");
    if (pointsChanged) {
      const points = readPoints(m.get("_points"), n);
      this.shell.problems.set("points", points.problem);
      this.points = points.value;
      const key = points.value ? `${points.value.layer}/${points.value.method}` : "";
      this.scatter.setPoints(points.value, key !== this.pointsKey || nChanged);
      this.pointsKey = key;
    }
    const labelsChanged = nChanged || has("_label_sets");
    if (labelsChanged) {
      const sets = readLabelSets(m.get("_label_sets"), n);
      this.shell.problems.set("labels", sets.problem);
      this.labelSets = sets.value ?? [];
    }
    const colourChanged = labelsChanged || has("color_by");
    if (colourChanged) {
      this.toolbar.setColorSets(
        this.labelSets.map((s) => s.name),
        colorBy,
      );
      this.colourSet = this.labelSets.find((s) => s.name === colorBy) ?? null;
      this.shell.problems.set(
        "color_by",
        colorBy !== "" && this.colourSet === null ? `color_by: no label set named "${colorBy}"` : "",
      );
      this.legend.set(this.colourSet);
    }
    const selectionChanged = nChanged || has("selected_points");
    if (selectionChanged) {
      const ids = readSelectedIds(m.get("selected_points"), n);
      this.shell.problems.set("selected", ids.problem);
      this.selected = ids.value ?? [];
    }
    if (pointsChanged || colourChanged || selectionChanged) this.recolour();

    if (has("_texts")) this.texts = readStrings(m.get("_texts"));
    if (nChanged || has("_point_source")) {
      const source = readPointSource(m.get("_point_source"), n);
      this.shell.problems.set("source", source.problem);
      this.source = source.value;
    }
    if (selectionChanged || colourChanged) this.panel.setSelection(this.selected, this.colourSet);
    if (selectionChanged || colourChanged || has("_selection", "_texts", "_status", "_request")) {
      const summary = readSelection(m.get("_selection"));
      this.shell.problems.set("selection", summary.problem);
      // Contexts of another selection (or a reply to an older request) are dimmed.
      const stale =
        summary.value !== null && (summary.value.count !== this.selected.length || !this.shell.isCurrent());
      this.panel.setContexts(summary.value, this.texts, this.colourSet, stale);
    }
    if (has("_probe")) {
      const probe = readProbe(m.get("_probe"));
      this.shell.problems.set("probe", probe.problem);
      this.panel.setProbe(probe.value);
    }

    const p = this.points;
    this.scatter.setStale(p !== null && (p.layer !== layer || p.method !== method));
  }

  /** Upload colours and selection flags for the current points (n × 4 bytes). */
  private recolour(): void {
    const n = this.points?.n ?? 0;
    let mask: Uint8Array | null = null;
    if (this.selected.length > 0) {
      mask = new Uint8Array(n);
      for (const id of this.selected) if (id < n) mask[id] = 1;
    }
    this.scatter.setColours(pointBytes(n, this.colourSet?.values ?? null, mask), mask !== null);
  }

  /** Tooltip: point id and label, then the token in its context. Text nodes only. */
  private describe(id: number): Node[] {
    const set = this.colourSet;
    const label = set ? (set.values[id] as number) : null;
    const head = h("div", { className: "ilw-tooltip-head" }, [
      h("span", { className: "ilw-context-id", text: `#${id}` }),
    ]);
    if (set && label !== null) {
      head.append(
        document.createTextNode(` · ${set.name}: `),
        h("span", {
          className: "ilw-context-label",
          text: label < 0 ? "unlabelled" : (set.names[label] ?? "?"),
        }),
      );
    }
    const s = this.source;
    if (!s) return [head];
    return [
      head,
      contextSnippet(this.texts, s.text[id] as number, s.start[id] as number, s.end[id] as number),
    ];
  }

  // -- view → model -------------------------------------------------------------------

  private commit(changes: Partial<ProjectionExplorerTraits>): void {
    this.shell.request(changes);
  }

  /** Write `ids` (ascending) as the selection, unless it already is. */
  private select(ids: number[]): void {
    const same = ids.length === this.selected.length && ids.every((id, i) => id === this.selected[i]);
    if (!same) this.commit({ selected_points: ids });
  }

  private selectLabel(label: number): void {
    const values = this.colourSet?.values;
    if (!values) return;
    const ids: number[] = [];
    for (let i = 0; i < values.length; i++) if (values[i] === label) ids.push(i);
    this.select(ids);
  }

  private setMode(mode: DragMode): void {
    this.toolbar.setMode(mode);
    this.scatter.setMode(mode);
  }
}

export default viewModule<ProjectionExplorerTraits>(
  (model, el) => new ProjectionExplorerView(model, el).shell,
);
