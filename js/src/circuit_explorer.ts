/**
 * Circuit explorer (anywidget front end of `interplab_widgets/widgets/circuit_explorer.py`).
 *
 * The model as a layered graph of attention heads and MLPs (the input at the bottom, the logits on
 * top) with the edges of the current circuit drawn by score, the faithfulness of circuits of every
 * size as a curve with a size slider on it, and the details of the selected node.
 *
 * Built on the view shell (lib/view_shell.ts): a new method, number of steps or selection rule is a
 * request (Python rescores the edges: slow, with progress and cancel), as are a click on a node and the
 * choice of task pair (Python answers with `_detail`). The circuit size is view state: the slider
 * redraws from the edges already here and only tells Python the size.
 */
import type { AnyModel } from "@anywidget/types";
import { SizeControl } from "./circuit/curve";
import { NodeDetailPanel } from "./circuit/detail";
import { circuitJson, download } from "./circuit/export";
import { CircuitGraphView } from "./circuit/graph";
import { CircuitHeader, taskSummary } from "./circuit/header";
import { readCurve, readDetail, readEdges, readGraph, readTask } from "./circuit/traits";
import type { CircuitExplorerTraits, CircuitGraph, Curve, Edges, NodeDetail, Task } from "./circuit/types";
import { ExportMenu } from "./components/export_menu";
import { HelpPanel } from "./components/help_panel";
import { CIRCUIT_HELP } from "./help/circuit_explorer";
import { h } from "./lib/dom";
import { int, readStrings } from "./lib/traits";
import { changedAny, ViewShell, viewModule } from "./lib/view_shell";

type Model = AnyModel<CircuitExplorerTraits>;
type Trait = keyof CircuitExplorerTraits;

const TRAITS: Trait[] = [
  "method",
  "steps",
  "selection",
  "circuit_size",
  "selected_node",
  "selected_pair",
  "_model_label",
  "_methods",
  "_selections",
  "_graph",
  "_edges",
  "_curve",
  "_task",
  "_detail",
];

class CircuitExplorer {
  readonly shell: ViewShell<CircuitExplorerTraits>;

  private readonly header: CircuitHeader;
  private readonly graphView: CircuitGraphView;
  private readonly sizeControl: SizeControl;
  private readonly detailPanel: NodeDetailPanel;
  private graph: CircuitGraph | null = null;
  private edges: Edges | null = null;
  private curve: Curve | null = null;
  private task: Task | null = null;
  private detail: NodeDetail | null = null;

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    this.shell = new ViewShell(model, { name: "circuit explorer", className: "ilw-circuit-explorer" });
    const signal = this.shell.signal;
    const shell = this.shell;
    this.header = new CircuitHeader(
      {
        onMethod: (method) => shell.request({ method }),
        onSteps: (steps) => shell.request({ steps }),
        onSelection: (selection) => shell.request({ selection }),
        onExportJson: () => this.exportJson(),
      },
      signal,
    );
    this.graphView = new CircuitGraphView(
      { onSelect: (name) => shell.request({ selected_node: name }) },
      signal,
    );
    this.sizeControl = new SizeControl((size) => shell.save({ circuit_size: size }), signal);
    this.detailPanel = new NodeDetailPanel((pair) => shell.request({ selected_pair: pair }), signal);
    const layout = {
      header: this.header,
      help: new HelpPanel(CIRCUIT_HELP, signal),
      body: [
        h("div", { className: "ilw-circuit-main" }, [
          this.graphView.el,
          h("div", { className: "ilw-circuit-side" }, [this.sizeControl.el, this.detailPanel.el]),
        ]),
      ],
    };
    layout.header.bar.append(new ExportMenu(model, this.shell, undefined, el).el);
    this.shell.mount(el, layout, TRAITS, (changed) => this.apply(changed));
    this.shell.onTheme(() => this.graphView.repaint());
  }

  private get size(): number {
    return int(this.model.get("circuit_size"), 0);
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = changedAny(dirty);
    const problems = this.shell.problems;
    const method = String(m.get("method") ?? "");
    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("_methods", "method")) this.header.setMethods(readStrings(m.get("_methods")), method);
    if (has("_selections", "selection"))
      this.header.setSelections(readStrings(m.get("_selections")), String(m.get("selection") ?? ""));
    if (has("method", "steps")) this.header.setSteps(int(m.get("steps"), 0), method === "eap-ig");

    if (has("_graph")) {
      const graph = readGraph(m.get("_graph"));
      problems.set("graph", graph.problem);
      this.graph = graph.value;
      this.graphView.setGraph(this.graph);
    }
    if (has("_graph", "_edges")) {
      const edges = readEdges(m.get("_edges"), this.graph);
      problems.set("edges", edges.problem);
      this.edges = edges.value;
    }
    if (has("_curve")) {
      const curve = readCurve(m.get("_curve"));
      problems.set("curve", curve.problem);
      this.curve = curve.value;
    }
    if (has("_task")) {
      const task = readTask(m.get("_task"));
      problems.set("task", task.problem);
      this.task = task.value;
    }
    if (has("_task", "_curve")) this.header.setSummary(taskSummary(this.task, this.curve));
    if (has("_graph", "_edges", "circuit_size")) this.graphView.setCircuit(this.edges, this.size);
    if (has("_graph", "_edges", "circuit_size", "selected_node"))
      this.graphView.setSelected(String(m.get("selected_node") ?? ""));
    if (has("_curve", "circuit_size")) this.sizeControl.set(this.curve, this.size);
    if (has("_detail", "_graph")) {
      const detail = readDetail(m.get("_detail"), this.graph);
      problems.set("detail", detail.problem);
      this.detail = detail.value;
    }
    // Always: whether a request is pending follows `_request` and `_status`, which every change may touch.
    this.detailPanel.set({
      selected: String(m.get("selected_node") ?? ""),
      detail: this.detail,
      task: this.task,
      selectedPair: int(m.get("selected_pair"), 0),
      busy: this.shell.busy,
    });
  }

  // -- exports ------------------------------------------------------------------------

  private fileStem(): string {
    const method = String(this.model.get("method") ?? "circuit");
    return `circuit-${method}-${this.size}`;
  }

  private exportJson(): void {
    const m = this.model;
    const json = circuitJson({
      model: String(m.get("_model_label") ?? ""),
      method: String(m.get("method") ?? ""),
      steps: int(m.get("steps"), 0),
      selection: String(m.get("selection") ?? ""),
      circuitSize: this.size,
      graphWire: m.get("_graph"),
      curveWire: m.get("_curve"),
      taskWire: m.get("_task"),
      graph: this.graph,
      edges: this.edges,
    });
    download(`${this.fileStem()}.json`, "application/json", JSON.stringify(json, null, 1));
  }
}

export default viewModule<CircuitExplorerTraits>((model, el) => new CircuitExplorer(model, el).shell);
