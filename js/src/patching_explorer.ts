/**
 * Patching explorer view (anywidget front end of
 * `interplab_widgets/widgets/patching_explorer.py`).
 *
 * Shows activation patching of a clean/corrupted prompt pair: a grid of rows (layers) ×
 * token positions coloured by the effect of patching one activation there, and for the
 * selected cell its per-head breakdown and the top next tokens of the three runs.
 *
 * Built on the view shell (lib/view_shell.ts), which batches `change:<trait>` events and sends
 * every user action as a request. What Python has not caught up with yet (a grid of another
 * component/direction, a cell other than the selected one) stays on screen dimmed.
 */
import type { AnyModel } from "@anywidget/types";
import { ExportMenu } from "./components/export_menu";
import { HelpPanel } from "./components/help_panel";
import { PatchCellPanel } from "./components/patch_cell_panel";
import { PatchingGrid } from "./components/patching_grid";
import { PatchingHeader } from "./components/patching_header";
import { ScaleControls } from "./components/scale_controls";
import { PATCHING_HELP } from "./help/patching_explorer";
import { h } from "./lib/dom";
import { readScale } from "./lib/scale";
import { clampIndex, int, readStrings } from "./lib/traits";
import { changedAny, ViewShell, viewModule } from "./lib/view_shell";
import { readBaseline, readPatchCell, readPatchGrid } from "./patching/traits";
import type { PatchCell, PatchGrid, PatchingExplorerTraits } from "./patching/types";

type Model = AnyModel<PatchingExplorerTraits>;
type Trait = keyof PatchingExplorerTraits;

const TRAITS: Trait[] = [
  "component",
  "direction",
  "selected_layer",
  "selected_position",
  "color_scale",
  "_model_label",
  "_components",
  "_directions",
  "_clean_tokens",
  "_corrupted_tokens",
  "_metric_label",
  "_baseline",
  "_grid",
  "_cell",
];

class PatchingExplorerView {
  readonly shell: ViewShell<PatchingExplorerTraits>;

  private readonly header: PatchingHeader;
  private readonly grid: PatchingGrid;
  private readonly panel: PatchCellPanel;
  private readonly scaleControls: ScaleControls;

  private clean: string[] = [];
  private corrupted: string[] = [];
  private shownGrid: PatchGrid | null = null;
  private shownCell: PatchCell | null = null;

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    this.shell = new ViewShell(model, { name: "patching explorer", className: "ilw-patching-explorer" });
    const signal = this.shell.signal;
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
    // The colour scale is view state: saved, never a request.
    this.scaleControls = new ScaleControls(
      { onScale: (color_scale) => this.shell.save({ color_scale }) },
      signal,
    );
    this.header.bar.append(this.scaleControls.el, new ExportMenu(model, this.shell, undefined, el).el);
    const layout = {
      header: this.header,
      help: new HelpPanel(PATCHING_HELP, signal),
      body: [h("div", { className: "ilw-patch-main" }, [this.grid.el, this.panel.el])],
    };
    this.shell.mount(el, layout, TRAITS, (changed) => this.apply(changed));
    this.shell.onTheme(() => this.grid.repaint());
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = changedAny(dirty);
    const component = String(m.get("component") ?? "");
    const direction = String(m.get("direction") ?? "");
    const layer = int(m.get("selected_layer"), -1);
    const position = int(m.get("selected_position"), -1);

    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("_components", "component"))
      this.header.setComponents(readStrings(m.get("_components")), component);
    if (has("_directions", "direction"))
      this.header.setDirections(readStrings(m.get("_directions")), direction);
    if (has("_metric_label", "_baseline")) {
      const baseline = readBaseline(m.get("_baseline"));
      this.shell.problems.set("baseline", baseline.problem);
      this.header.setMetric(String(m.get("_metric_label") ?? ""), baseline.value);
    }

    const tokensChanged = has("_clean_tokens", "_corrupted_tokens");
    if (tokensChanged) {
      this.clean = readStrings(m.get("_clean_tokens"));
      this.corrupted = readStrings(m.get("_corrupted_tokens"));
      this.shell.problems.set(
        "tokens",
        this.clean.length === this.corrupted.length
          ? ""
          : `_clean_tokens has ${this.clean.length} tokens but _corrupted_tokens has ${this.corrupted.length}`,
      );
    }
    const gridChanged = tokensChanged || has("_grid");
    if (gridChanged) {
      const grid = readPatchGrid(m.get("_grid"), this.clean.length);
      this.shell.problems.set("grid", grid.problem);
      this.shownGrid = grid.value;
      this.grid.set(grid.value, this.clean, this.corrupted);
    }
    const g = this.shownGrid;
    if (gridChanged || has("component", "direction")) {
      this.grid.setStale(g !== null && (g.component !== component || g.direction !== direction));
    }
    if (gridChanged || has("selected_layer", "selected_position")) this.grid.setSelected(layer, position);
    if (has("color_scale")) {
      const scale = readScale(m.get("color_scale"));
      this.scaleControls.set(scale);
      this.grid.setScale(scale);
    }

    if (gridChanged || has("_cell")) {
      const cell = readPatchCell(m.get("_cell"));
      this.shell.problems.set("cell", cell.problem);
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
  }

  // -- view → model -------------------------------------------------------------------

  private commit(changes: Partial<PatchingExplorerTraits>): void {
    this.shell.request(changes);
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
    const layer = int(this.model.get("selected_layer"), -1);
    const position = int(this.model.get("selected_position"), -1);
    // With nothing selected, the first arrow selects the top-left cell.
    if (layer < 0 || position < 0) this.select(0, 0);
    else this.select(clampIndex(layer + dLayer, rows), clampIndex(position + dPosition, cols));
  }
}

export default viewModule<PatchingExplorerTraits>((model, el) => new PatchingExplorerView(model, el).shell);
