/**
 * The circuit as JSON (edges by name, with the layout, curve and task as Python sent them), made in
 * the page: nothing is fetched. The figure itself (SVG, PNG) is exported like every view's, through
 * Python, by the shared export menu (components/export_menu.ts).
 */
import type { CircuitGraph, Edges } from "./types";

/** Kept here for the circuit explorer; the helper itself is shared (lib/download.ts). */
export { download } from "../lib/download";

export interface CircuitJsonInput {
  model: string;
  method: string;
  steps: number;
  selection: string;
  circuitSize: number;
  /** `_graph`, `_curve` and `_task` as Python sent them (plain JSON). */
  graphWire: unknown;
  curveWire: unknown;
  taskWire: unknown;
  graph: CircuitGraph | null;
  edges: Edges | null;
}

/** The shown circuit (its first `circuitSize` edges, as many as were sent) with names and scores. */
export function circuitJson(input: CircuitJsonInput): Record<string, unknown> {
  const { graph, edges } = input;
  const count = graph && edges ? Math.min(Math.max(0, input.circuitSize), edges.sent) : 0;
  const list = [];
  for (let i = 0; i < count && graph && edges; i++) {
    list.push({
      upstream: graph.nodes[edges.upstream[i] as number]?.name ?? "",
      downstream: graph.downstream[edges.downstream[i] as number]?.name ?? "",
      score: Number((edges.score[i] as number).toPrecision(7)), // float32: 7 digits are all it has
    });
  }
  return {
    model: input.model,
    method: input.method,
    ...(input.method === "eap-ig" ? { steps: input.steps } : {}),
    selection: input.selection,
    circuit_size: input.circuitSize,
    n_edges: edges?.nEdges ?? 0,
    graph: input.graphWire,
    edges: list,
    curve: input.curveWire,
    task: input.taskWire,
  };
}
