/**
 * Failure explorer view (anywidget front end of
 * `interplab_widgets/widgets/failure_explorer.py`).
 *
 * A suite of behavioural test cases run on a model: a summary by perturbation kind, a sortable,
 * filterable table of the cases, and for the selected case a side-by-side of the original and
 * perturbed runs inside the model (tokens, top next tokens, logit lens, head attention change).
 *
 * Model → view: `syncTraits` (lib/trait_sync.ts) batches `change:<trait>` events. A side-by-side
 * of another case than the selected one stays on screen dimmed until Python sends the new one.
 * The kind and text filters and the sort order are view state, not traits. View → model:
 * `set` + `save_changes` of `selected_case`.
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import { CaseTable } from "./components/case_table";
import { FailureHeader } from "./components/failure_header";
import { FailureSummary } from "./components/failure_summary";
import { HelpPanel } from "./components/help_panel";
import { SideBySidePanel } from "./components/side_by_side";
import { FAILURE_HELP } from "./help/failure_explorer";
import { h } from "./lib/dom";
import { syncTraits } from "./lib/trait_sync";
import { int, readCases, readSideBySide, readSummary } from "./lib/traits";
import type { FailureCase, FailureExplorerTraits, SideBySide } from "./lib/types";

type Model = AnyModel<FailureExplorerTraits>;
type Trait = keyof FailureExplorerTraits;

const TRAITS: Trait[] = [
  "selected_case",
  "_model_label",
  "_cases",
  "_summary",
  "_side_by_side",
  "_busy",
  "_error",
];

class FailureExplorerView {
  readonly root: HTMLDivElement;
  private readonly controller = new AbortController();
  private readonly stopSync: () => void;

  private readonly header: FailureHeader;
  private readonly help: HelpPanel;
  private readonly summary: FailureSummary;
  private readonly table: CaseTable;
  private readonly side: SideBySidePanel;

  private readonly cases = new Map<number, FailureCase>();
  private kinds: string[] = [];
  private kind = "";
  private sideBySide: SideBySide | null = null;
  /** Problems found by the view itself (bad shapes), by source; shown under `_error`. */
  private readonly problems = new Map<string, string>();

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    const signal = this.controller.signal;
    this.header = new FailureHeader();
    this.summary = new FailureSummary((kind) => this.setKind(kind), signal);
    this.table = new CaseTable(
      {
        onSelect: (id) => this.select(id),
        onMove: (delta) => this.move(delta),
      },
      signal,
    );
    this.side = new SideBySidePanel();
    this.help = new HelpPanel(FAILURE_HELP, signal);
    this.header.addHelpToggle(this.help.toggle);
    this.root = h(
      "div",
      // Keep JupyterLab's notebook shortcuts (arrows, Escape…) away from keys pressed in here.
      {
        className: "ilw-failure-explorer ilw-view",
        attrs: { "data-lm-suppress-shortcuts": "true", tabindex: "-1" },
      },
      [
        this.header.el,
        this.help.el,
        h("div", { className: "ilw-failure-top" }, [this.summary.el, this.table.el]),
        this.side.el,
      ],
    );
    // Escape anywhere in the widget (the filter box first empties itself) clears the selection.
    this.root.addEventListener(
      "keydown",
      (e) => {
        if (e.key !== "Escape") return;
        this.select(-1);
        e.preventDefault();
      },
      { signal },
    );
    el.appendChild(this.root);

    this.stopSync = syncTraits(model, TRAITS, {
      name: "failure explorer",
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
    const selected = int(m.get("selected_case"), -1);
    this.problems.delete("view");

    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("_busy")) {
      this.header.setBusy(Boolean(m.get("_busy")));
      this.root.classList.toggle("ilw-is-busy", Boolean(m.get("_busy")));
    }
    if (has("_cases")) {
      const cases = readCases(m.get("_cases"));
      this.problems.set("cases", cases.problem);
      const list = cases.value ?? [];
      this.cases.clear();
      for (const c of list) this.cases.set(c.id, c);
      this.header.setCounts(list.length, list.filter((c) => !c.passed).length);
      this.table.setCases(list);
    }
    if (has("_summary")) {
      const summary = readSummary(m.get("_summary"));
      this.problems.set("summary", summary.problem);
      this.kinds = (summary.value ?? []).map((k) => k.kind);
      this.summary.set(summary.value ?? []);
      // A filter on a kind that is gone would hide every case.
      if (this.kind !== "" && !this.kinds.includes(this.kind)) this.setKind("");
    }
    if (has("_cases", "selected_case")) this.table.setSelected(selected);
    if (has("_side_by_side")) {
      const sbs = readSideBySide(m.get("_side_by_side"));
      this.problems.set("side", sbs.problem);
      this.sideBySide = sbs.value;
    }
    if (has("_side_by_side", "_cases", "selected_case")) {
      const s = this.sideBySide;
      this.side.set(s, selected, s ? this.cases.get(s.caseId) : undefined);
    }
    this.showErrors();
  }

  private showErrors(): void {
    const messages = [String(this.model.get("_error") ?? ""), ...this.problems.values()];
    this.header.setError(messages.filter((s) => s !== "").join("\n"));
  }

  /** The kind filter is view state: the summary marks it, the table applies it. */
  private setKind(kind: string): void {
    this.kind = kind;
    this.summary.setActive(kind);
    this.table.setKind(kind);
  }

  // -- view → model -------------------------------------------------------------------

  private select(id: number): void {
    if (id === int(this.model.get("selected_case"), -1)) return;
    this.model.set("selected_case", id);
    this.model.save_changes();
  }

  /** Read the selection from the model, so two quick presses move two rows. */
  private move(delta: 1 | -1): void {
    const next = this.table.neighbour(int(this.model.get("selected_case"), -1), delta);
    if (next === null) return;
    this.select(next);
    this.table.reveal(next);
  }
}

function initialize(): void {
  // All state lives in synced traits; nothing to set up per model.
}

function render({ model, el }: RenderProps<FailureExplorerTraits>): () => void {
  const view = new FailureExplorerView(model, el);
  return () => view.destroy();
}

export default { initialize, render };
