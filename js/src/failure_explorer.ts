/**
 * Failure explorer view (anywidget front end of
 * `interplab_widgets/widgets/failure_explorer.py`).
 *
 * A suite of behavioural test cases run on a model: a summary by perturbation kind, a sortable,
 * filterable table of the cases, and for the selected case a side-by-side of the original and
 * perturbed runs inside the model (tokens, top next tokens, logit lens, head attention change).
 *
 * Built on the view shell (lib/view_shell.ts), which batches `change:<trait>` events and sends
 * `selected_case` as a request. A side-by-side of another case than the selected one stays on
 * screen dimmed until Python sends the new one. The kind and text filters and the sort order are
 * view state, not traits.
 */
import type { AnyModel } from "@anywidget/types";
import { CaseTable } from "./components/case_table";
import { ExportMenu } from "./components/export_menu";
import { FailureHeader } from "./components/failure_header";
import { FailureSummary } from "./components/failure_summary";
import { HelpPanel } from "./components/help_panel";
import { SideBySidePanel } from "./components/side_by_side";
import { readCases, readSideBySide, readSummary } from "./failure/traits";
import type { FailureCase, FailureExplorerTraits, SideBySide } from "./failure/types";
import { FAILURE_HELP } from "./help/failure_explorer";
import { h } from "./lib/dom";
import { int } from "./lib/traits";
import { changedAny, ViewShell, viewModule } from "./lib/view_shell";

type Model = AnyModel<FailureExplorerTraits>;
type Trait = keyof FailureExplorerTraits;

const TRAITS: Trait[] = ["selected_case", "_model_label", "_cases", "_summary", "_side_by_side"];

class FailureExplorerView {
  readonly shell: ViewShell<FailureExplorerTraits>;

  private readonly header: FailureHeader;
  private readonly summary: FailureSummary;
  private readonly table: CaseTable;
  private readonly side: SideBySidePanel;

  private readonly cases = new Map<number, FailureCase>();
  private kinds: string[] = [];
  private kind = "";
  private sideBySide: SideBySide | null = null;

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    this.shell = new ViewShell(model, { name: "failure explorer", className: "ilw-failure-explorer" });
    const signal = this.shell.signal;
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
    // Escape anywhere in the widget (the filter box first empties itself) clears the selection.
    this.shell.root.addEventListener(
      "keydown",
      (e) => {
        if (e.key !== "Escape") return;
        this.select(-1);
        e.preventDefault();
      },
      { signal },
    );
    const layout = {
      header: this.header,
      help: new HelpPanel(FAILURE_HELP, signal),
      body: [h("div", { className: "ilw-failure-top" }, [this.summary.el, this.table.el]), this.side.el],
    };
    layout.header.bar.append(new ExportMenu(model, this.shell, undefined, el).el);
    this.shell.mount(el, layout, TRAITS, (changed) => this.apply(changed));
    this.shell.onTheme(() => {
      this.table.repaint();
      this.side.repaint();
    });
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = changedAny(dirty);
    const selected = int(m.get("selected_case"), -1);

    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("_cases")) {
      const cases = readCases(m.get("_cases"));
      this.shell.problems.set("cases", cases.problem);
      const list = cases.value ?? [];
      this.cases.clear();
      for (const c of list) this.cases.set(c.id, c);
      this.header.setCounts(list.length, list.filter((c) => !c.passed).length);
      this.table.setCases(list);
    }
    if (has("_summary")) {
      const summary = readSummary(m.get("_summary"));
      this.shell.problems.set("summary", summary.problem);
      this.kinds = (summary.value ?? []).map((k) => k.kind);
      this.summary.set(summary.value ?? []);
      // A filter on a kind that is gone would hide every case.
      if (this.kind !== "" && !this.kinds.includes(this.kind)) this.setKind("");
    }
    if (has("_cases", "selected_case")) this.table.setSelected(selected);
    if (has("_side_by_side")) {
      const sbs = readSideBySide(m.get("_side_by_side"));
      this.shell.problems.set("side", sbs.problem);
      this.sideBySide = sbs.value;
    }
    if (has("_side_by_side", "_cases", "selected_case")) {
      const s = this.sideBySide;
      this.side.set(s, selected, s ? this.cases.get(s.caseId) : undefined);
    }
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
    this.shell.request({ selected_case: id });
  }

  /** Read the selection from the model, so two quick presses move two rows. */
  private move(delta: 1 | -1): void {
    const next = this.table.neighbour(int(this.model.get("selected_case"), -1), delta);
    if (next === null) return;
    this.select(next);
    this.table.reveal(next);
  }
}

export default viewModule<FailureExplorerTraits>((model, el) => new FailureExplorerView(model, el).shell);
