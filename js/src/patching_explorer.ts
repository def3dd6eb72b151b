/**
 * Patching explorer view (anywidget front end of
 * `interplab_widgets/widgets/patching_explorer.py`).
 *
 * Shows activation patching of a clean/corrupted prompt pair: a grid of rows (layers) ×
 * token positions coloured by the effect of patching one activation there, and for the
 * selected cell its per-head breakdown and the top next tokens of the three runs.
 *
 * Model → view: `syncTraits` (lib/trait_sync.ts) batches `change:<trait>` events. What Python
 * has not caught up with yet (a grid of another component/direction, a cell other than the
 * selected one) stays on screen dimmed. View → model: `set` + `save_changes`.
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import { HelpPanel } from "./components/help_panel";
import { PatchCellPanel } from "./components/patch_cell_panel";
import { PatchingGrid } from "./components/patching_grid";
import { PatchingHeader } from "./components/patching_header";
import { PATCHING_HELP } from "./help/patching_explorer";
import { h } from "./lib/dom";
import { syncTraits } from "./lib/trait_sync";
import { int, readBaseline, readPatchCell, readPatchGrid, readStrings } from "./lib/traits";
import type { PatchCell, PatchGrid, PatchingExplorerTraits } from "./lib/types";

type Model = AnyModel<PatchingExplorerTraits>;
type Trait = keyof PatchingExplorerTraits;

const TRAITS: Trait[] = [
  "component",
  "direction",
  "selected_layer",
  "selected_position",
  "_model_label",
  "_components",
  "_directions",
  "_clean_tokens",
  "_corrupted_tokens",
  "_metric_label",
  "_baseline",
  "_grid",
  "_cell",
  "_busy",
  "_error",
];

class PatchingExplorerView {
  readonly root: HTMLDivElement;
  private readonly controller = new AbortController();
  private readonly stopSync: () => void;

  private readonly header: PatchingHeader;
  private readonly help: HelpPanel;
  private readonly grid: PatchingGrid;
  private readonly panel: PatchCellPanel;

  private clean: string[] = [];
  private corrupted: string[] = [];
  private shownGrid: PatchGrid | null = null;
  private shownCell: PatchCell | null = null;
  /** Problems found by the view itself (bad shapes), by source; shown under `_error`. */
  private readonly problems = new Map<string, string>();

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    const signal = this.controller.signal;
    this.header = new PatchingHeader(
      {
        onComponent: (component) => this.commit({ component }),
        onDirection: (direction) => this.commit({ direction }),
      },
      signal,
    );
    this.grid = new PatchingGrid(
      {
        onSelect: (layer, position) => this.select(layer, position),
        onMove: (dl, dp) => this.move(dl, dp),
        onClear: () => this.select(-1, -1),
      },
      signal,
    );
    this.panel = new PatchCellPanel();
    this.help = new HelpPanel(PATCHING_HELP, signal);
    this.header.addHelpToggle(this.help.toggle);
    this.root = h(
      "div",
      // Keep JupyterLab's notebook shortcuts (arrows, Escape…) away from keys pressed in here.
      {
        className: "ilw-patching-explorer ilw-view",
        attrs: { "data-lm-suppress-shortcuts": "true", tabindex: "-1" },
      },
      [
        this.header.el,
        this.help.el,
        h("div", { className: "ilw-patch-main" }, [this.grid.el, this.panel.el]),
      ],
    );
    el.appendChild(this.root);

    this.stopSync = syncTraits(model, TRAITS, {
      name: "patching explorer",
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
    const component = String(m.get("component") ?? "");
    const direction = String(m.get("direction") ?? "");
    const layer = int(m.get("selected_layer"), -1);
    const position = int(m.get("selected_position"), -1);
    this.problems.delete("view");

    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("_components", "component"))
      this.header.setComponents(readStrings(m.get("_components")), component);
    if (has("_directions", "direction"))
      this.header.setDirections(readStrings(m.get("_directions")), direction);
    if (has("_metric_label", "_baseline")) {
      const baseline = readBaseline(m.get("_baseline"));
      this.problems.set("baseline", baseline.problem);
      this.header.setMetric(String(m.get("_metric_label") ?? ""), baseline.value);
    }
    if (has("_busy")) {
      this.header.setBusy(Boolean(m.get("_busy")));
      this.root.classList.toggle("ilw-is-busy", Boolean(m.get("_busy")));
    }

    const tokensChanged = has("_clean_tokens", "_corrupted_tokens");
    if (tokensChanged) {
      this.clean = readStrings(m.get("_clean_tokens"));
      this.corrupted = readStrings(m.get("_corrupted_tokens"));
      this.problems.set(
        "tokens",
        this.clean.length === this.corrupted.length
          ? ""
          : `_clean_tokens has ${this.clean.length} tokens but _corrupted_tokens has ${this.corrupted.length}`,
      );
    }
    const gridChanged = tokensChanged || has("_grid");
    if (gridChanged) {
      const grid = readPatchGrid(m.get("_grid"), this.clean.length);
      this.problems.set("grid", grid.problem);
      this.shownGrid = grid.value;
      this.grid.set(grid.value, this.clean, this.corrupted);
    }
    const g = this.shownGrid;
    if (gridChanged || has("component", "direction")) {
      this.grid.setStale(g !== null && (g.component !== component || g.direction !== direction));
    }
    if (gridChanged || has("selected_layer", "selected_position")) this.grid.setSelected(layer, position);

    if (gridChanged || has("_cell")) {
      const cell = readPatchCell(m.get("_cell"));
      this.problems.set("cell", cell.problem);
      this.shownCell = cell.value;
      // Row labels belong to a component: borrow the grid's only when it is the cell's.
      const rows = g && g.component === cell.value?.component ? g.rows : [];
      this.panel.set(cell.value, rows, this.clean, this.corrupted);
    }
    const c = this.shownCell;
    this.panel.setStale(
      c !== null &&
        (c.component !== component ||
          c.direction !== direction ||
          c.layer !== layer ||
          c.position !== position),
    );
    this.showErrors();
  }

  private showErrors(): void {
    const messages = [String(this.model.get("_error") ?? ""), ...this.problems.values()];
    this.header.setError(messages.filter((s) => s !== "").join("\n"));
  }

  // -- view → model -------------------------------------------------------------------

  private commit(changes: Partial<PatchingExplorerTraits>): void {
    for (const [key, value] of Object.entries(changes) as Array<[Trait, never]>) this.model.set(key, value);
    this.model.save_changes();
  }

  /** Both coordinates in one message, so Python computes the cell once. */
  private select(layer: number, position: number): void {
    const m = this.model;
    if (layer === m.get("selected_layer") && position === m.get("selected_position")) return;
    this.commit({ selected_layer: layer, selected_position: position });
  }

  private move(dLayer: number, dPosition: number): void {
    const rows = this.grid.rowCount;
    const cols = this.grid.colCount;
    if (rows === 0 || cols === 0) return;
    const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
    const layer = int(this.model.get("selected_layer"), -1);
    const position = int(this.model.get("selected_position"), -1);
    // With nothing selected, the first arrow selects the top-left cell.
    if (layer < 0 || position < 0) this.select(0, 0);
    else this.select(clamp(layer + dLayer, rows), clamp(position + dPosition, cols));
  }
}

function initialize(): void {
  // All state lives in synced traits; nothing to set up per model.
}

function render({ model, el }: RenderProps<PatchingExplorerTraits>): () => void {
  const view = new PatchingExplorerView(model, el);
  return () => view.destroy();
}

export default { initialize, render };
