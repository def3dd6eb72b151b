/**
 * Projection explorer view (anywidget front end of
 * `interplab_widgets/widgets/projection_explorer.py`).
 *
 * A scatterplot of many tokens or sentences of a model at one layer, projected to 2-D in
 * Python, coloured by a label set. Box, lasso or a legend click selects points; Python answers
 * with their contexts and, on request, a probe of the selection vs the rest.
 *
 * Model → view: `syncTraits` (lib/trait_sync.ts) batches `change:<trait>` events. Points of
 * another layer/method than the one asked for stay on screen dimmed until Python sends the new
 * ones. View → model: `set` + `save_changes`, and `send({type: "probe"})`.
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import { contextSnippet } from "./components/context_snippet";
import { HelpPanel } from "./components/help_panel";
import { Legend } from "./components/legend";
import { ProjectionToolbar } from "./components/projection_toolbar";
import { pointBytes } from "./components/scatter_renderer";
import { ScatterView } from "./components/scatter_view";
import { SelectionPanel } from "./components/selection_panel";
import { PROJECTION_HELP } from "./help/projection_explorer";
import { h } from "./lib/dom";
import { syncTraits } from "./lib/trait_sync";
import {
  int,
  readInts,
  readLabelSets,
  readPointSource,
  readPoints,
  readProbe,
  readProgress,
  readSelectedIds,
  readSelection,
  readStrings,
} from "./lib/traits";
import type {
  DragMode,
  LabelSet,
  PointSource,
  ProjectionExplorerTraits,
  ProjectionPoints,
} from "./lib/types";

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
  "_progress",
  "_busy",
  "_error",
];

class ProjectionExplorerView {
  readonly root: HTMLDivElement;
  private readonly controller = new AbortController();
  private readonly stopSync: () => void;

  private readonly toolbar: ProjectionToolbar;
  private readonly help: HelpPanel;
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
  /** Problems found by the view itself (bad shapes), by source; shown under `_error`. */
  private readonly problems = new Map<string, string>();

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    const signal = this.controller.signal;
    this.toolbar = new ProjectionToolbar(
      {
        onLayer: (layer) => this.commit({ selected_layer: layer }),
        onMethod: (method) => this.commit({ method }),
        onColorBy: (color_by) => this.commit({ color_by }),
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
        onProbe: () => this.model.send({ type: "probe" }),
        onHoverPoint: (id) => this.scatter.setHighlight(id),
      },
      signal,
    );
    this.help = new HelpPanel(PROJECTION_HELP, signal);
    this.toolbar.addHelpToggle(this.help.toggle);
    this.root = h(
      "div",
      // Keep JupyterLab's notebook shortcuts (Escape…) away from keys pressed in here.
      {
        className: "ilw-projection-explorer ilw-view",
        attrs: { "data-lm-suppress-shortcuts": "true", tabindex: "-1" },
      },
      [
        this.toolbar.el,
        this.help.el,
        h("div", { className: "ilw-projection-main" }, [
          this.scatter.el,
          h("div", { className: "ilw-projection-side" }, [this.legend.el, this.panel.el]),
        ]),
      ],
    );
    this.root.addEventListener(
      "keydown",
      (e) => {
        if (e.key !== "Escape") return;
        if (!this.scatter.cancelDrag()) this.select([]);
        e.preventDefault();
      },
      { signal },
    );
    el.appendChild(this.root);
    this.setMode("pan");

    this.stopSync = syncTraits(model, TRAITS, {
      name: "projection explorer",
      apply: (changed) => this.apply(changed),
      onError: (err) => {
        this.problems.set("view", `view error: ${err.message}`);
        this.showErrors();
      },
    });
  }

  destroy(): void {
    this.stopSync();
    this.controller.abort();
    this.root.remove();
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = (...traits: Trait[]) => traits.some((t) => dirty.has(t));
    const layer = int(m.get("selected_layer"), -1);
    const method = String(m.get("method") ?? "");
    const colorBy = String(m.get("color_by") ?? "");
    const n = Math.max(0, int(m.get("_n_points"), 0));
    this.problems.delete("view");

    if (has("_model_label")) this.toolbar.setModelName(String(m.get("_model_label") ?? ""));
    if (has("_layers", "selected_layer")) this.toolbar.setLayers(readInts(m.get("_layers")), layer);
    if (has("_methods", "method")) this.toolbar.setMethods(readStrings(m.get("_methods")), method);
    if (has("_busy")) {
      this.toolbar.setBusy(Boolean(m.get("_busy")));
      this.root.classList.toggle("ilw-is-busy", Boolean(m.get("_busy")));
    }
    if (has("_progress")) {
      const progress = readProgress(m.get("_progress"));
      this.problems.set("progress", progress.problem);
      this.toolbar.setProgress(progress.value);
    }

    const nChanged = has("_n_points");
    const pointsChanged = nChanged || has("_points");
    if (pointsChanged) {
      const points = readPoints(m.get("_points"), n);
      this.problems.set("points", points.problem);
      this.points = points.value;
      const key = points.value ? `${points.value.layer}/${points.value.method}` : "";
      this.scatter.setPoints(points.value, key !== this.pointsKey || nChanged);
      this.pointsKey = key;
    }
    const labelsChanged = nChanged || has("_label_sets");
    if (labelsChanged) {
      const sets = readLabelSets(m.get("_label_sets"), n);
      this.problems.set("labels", sets.problem);
      this.labelSets = sets.value ?? [];
    }
    const colourChanged = labelsChanged || has("color_by");
    if (colourChanged) {
      this.toolbar.setColorSets(
        this.labelSets.map((s) => s.name),
        colorBy,
      );
      this.colourSet = this.labelSets.find((s) => s.name === colorBy) ?? null;
      this.problems.set(
        "color_by",
        colorBy !== "" && this.colourSet === null ? `color_by: no label set named "${colorBy}"` : "",
      );
      this.legend.set(this.colourSet);
    }
    const selectionChanged = nChanged || has("selected_points");
    if (selectionChanged) {
      const ids = readSelectedIds(m.get("selected_points"), n);
      this.problems.set("selected", ids.problem);
      this.selected = ids.value ?? [];
    }
    if (pointsChanged || colourChanged || selectionChanged) this.recolour();

    if (has("_texts")) this.texts = readStrings(m.get("_texts"));
    if (nChanged || has("_point_source")) {
      const source = readPointSource(m.get("_point_source"), n);
      this.problems.set("source", source.problem);
      this.source = source.value;
    }
    if (selectionChanged || colourChanged) this.panel.setSelection(this.selected, this.colourSet);
    if (selectionChanged || colourChanged || has("_selection", "_texts")) {
      const summary = readSelection(m.get("_selection"));
      this.problems.set("selection", summary.problem);
      const stale = summary.value !== null && summary.value.count !== this.selected.length;
      this.panel.setContexts(summary.value, this.texts, this.colourSet, stale);
    }
    if (has("_probe")) {
      const probe = readProbe(m.get("_probe"));
      this.problems.set("probe", probe.problem);
      this.panel.setProbe(probe.value);
    }

    const p = this.points;
    this.scatter.setStale(p !== null && (p.layer !== layer || p.method !== method));
    this.showErrors();
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

  private showErrors(): void {
    const messages = [String(this.model.get("_error") ?? ""), ...this.problems.values()];
    this.toolbar.setError(messages.filter((s) => s !== "").join("\n"));
  }

  // -- view → model -------------------------------------------------------------------

  private commit(changes: Partial<ProjectionExplorerTraits>): void {
    const m = this.model;
    const entries = Object.entries(changes) as Array<[Trait, never]>;
    if (entries.every(([key, value]) => m.get(key) === value)) return;
    for (const [key, value] of entries) m.set(key, value);
    m.save_changes();
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

function initialize(): void {
  // All state lives in synced traits; nothing to set up per model.
}

function render({ model, el }: RenderProps<ProjectionExplorerTraits>): () => void {
  const view = new ProjectionExplorerView(model, el);
  return () => view.destroy();
}

export default { initialize, render };
