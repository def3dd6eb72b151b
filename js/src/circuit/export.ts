/**
 * Downloads of the circuit: the graph as drawn (the on-screen `<svg>`, serialised; every colour and
 * width is an attribute, so the file needs no stylesheet) and the circuit as JSON (edges by name, with
 * the layout, curve and task as Python sent them). Both are made in the page: nothing is fetched.
 */
import { svg } from "../lib/dom";
import type { CircuitGraph, Edges } from "./types";

/** Kept here for the circuit explorer; the helper itself is shared (lib/download.ts). */
export { download } from "../lib/download";

/**
 * `drawing` as a standalone SVG document: without the hover layer and the highlight classes, with
 * pixel width and height, a white background and a title.
 */
export function svgDocument(drawing: SVGSVGElement, title: string): string {
  const copy = drawing.cloneNode(true) as SVGSVGElement;
  for (const el of copy.querySelectorAll(".ilw-circuit-hits")) el.remove();
  for (const el of [copy, ...copy.querySelectorAll(".ilw-lit, .ilw-hover, .ilw-selected")]) {
    el.classList.remove("ilw-lit", "ilw-hover", "ilw-selected", "ilw-circuit-focus");
  }
  const [, , width, height] = (copy.getAttribute("viewBox") ?? "0 0 900 360").split(/\s+/);
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  copy.setAttribute("width", width ?? "900");
  copy.setAttribute("height", height ?? "360");
  copy.setAttribute("font-family", "sans-serif");
  const name = svg("title");
  name.textContent = title;
  copy.insertBefore(svg("rect", { width: "100%", height: "100%", fill: "#ffffff" }), copy.firstChild);
  copy.insertBefore(name, copy.firstChild);
  return new XMLSerializer().serializeToString(copy);
}

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
