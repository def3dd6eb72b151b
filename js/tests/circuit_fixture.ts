/** Example state and mounting for the circuit explorer: 2 layers × 4 heads (4 kv heads). */
import type { RenderProps } from "@anywidget/types";
import type {
  CircuitExplorerTraits,
  DetailWire,
  DownstreamWire,
  EdgesWire,
  GraphNodeWire,
  GraphWire,
} from "../src/circuit/types";
import widget from "../src/circuit_explorer";
import { FakeModel, wire } from "./fake_model";

export const N_LAYERS = 2;
export const N_HEADS = 4;
export const N_KV_HEADS = 4;

/** The layout of widgets/circuit_layout.py: rows = layers + 2, y up, MLP half a row above its heads. */
export function exampleGraph(): GraphWire {
  const rows = N_LAYERS + 2;
  const row = 1 / rows;
  const width = 1 / (N_HEADS + 1);
  const headX = (h: number) => (h + 0.5) * width;
  const layerY = (l: number) => (l + 1.5) * row;
  const nodes: GraphNodeWire[] = [{ name: "input", kind: "input", layer: -1, head: -1, x: 0.5, y: row / 2 }];
  const headNode = (l: number, h: number) => 1 + l * (N_HEADS + 1) + h;
  for (let l = 0; l < N_LAYERS; l++) {
    for (let h = 0; h < N_HEADS; h++) {
      nodes.push({ name: `a${l}.h${h}`, kind: "head", layer: l, head: h, x: headX(h), y: layerY(l) });
    }
    nodes.push({ name: `m${l}`, kind: "mlp", layer: l, head: -1, x: headX(N_HEADS), y: layerY(l) + row / 2 });
  }
  nodes.push({ name: "logits", kind: "logits", layer: N_LAYERS, head: -1, x: 0.5, y: 1 - row / 2 });
  const downstream: DownstreamWire[] = [];
  const port = 0.25 * width;
  for (let l = 0; l < N_LAYERS; l++) {
    const y = layerY(l);
    for (let h = 0; h < N_HEADS; h++) {
      const node = headNode(l, h);
      downstream.push({ name: `a${l}.h${h}<q>`, kind: "q", node, heads: [node], x: headX(h) - port, y });
    }
    for (const kind of ["k", "v"] as const) {
      for (let g = 0; g < N_KV_HEADS; g++) {
        const node = headNode(l, g);
        const x = headX(g) + (kind === "v" ? port : 0);
        downstream.push({ name: `a${l}.g${g}<${kind}>`, kind, node, heads: [node], x, y });
      }
    }
    const mlp = headNode(l, N_HEADS);
    downstream.push({ name: `m${l}`, kind: "mlp", node: mlp, heads: [], x: headX(N_HEADS), y: y + row / 2 });
  }
  downstream.push({
    name: "logits",
    kind: "logits",
    node: nodes.length - 1,
    heads: [],
    x: 0.5,
    y: 1 - row / 2,
  });
  return {
    n_layers: N_LAYERS,
    n_heads: N_HEADS,
    n_kv_heads: N_KV_HEADS,
    parallel_mlp: false,
    width,
    row,
    nodes,
    downstream,
  };
}

export const GRAPH = exampleGraph();
const NODE = (name: string) => GRAPH.nodes.findIndex((n) => n.name === name);
const INPUT = (name: string) => GRAPH.downstream.findIndex((d) => d.name === name);

/** The circuit, strongest first: [upstream, downstream input, score]. */
export const EDGES: ReadonlyArray<readonly [string, string, number]> = [
  ["a1.h1", "logits", 2],
  ["a0.h2", "a1.g1<k>", 1.2],
  ["m0", "a1.h1<q>", -0.8],
  ["input", "a0.g2<v>", 0.5],
  ["a0.h0", "m1", -0.25],
  ["m1", "logits", 0.2],
  ["input", "m0", 0.1],
  ["a0.h3", "a1.g0<v>", -0.05],
];
/** All edges of the 2 × 4 graph: Σ over inputs of the upstream nodes before them. */
export const N_EDGES = 110;

export function edgesWire(edges: ReadonlyArray<readonly [string, string, number]> = EDGES): EdgesWire {
  const i32 = (values: number[]) => wire("int32", [values.length], new Int32Array(values));
  return {
    upstream: i32(edges.map(([u]) => NODE(u))),
    downstream: i32(edges.map(([, v]) => INPUT(v))),
    score: wire("float32", [edges.length], new Float32Array(edges.map(([, , s]) => s))),
    n_edges: N_EDGES,
    sent: edges.length,
  };
}

export const SIZES = [0, 1, 2, 4, 8, 16, 32, 64, 110];
export const FAITHFULNESS = [0, 0.35, 0.55, 0.7, 0.85, 0.9, 0.95, 0.98, 1];

/** A causal [4, 4] pattern as uint8: row q spreads 255 over keys ≤ q. */
export function patternWire(n = 4) {
  const data = new Uint8Array(n * n);
  for (let q = 0; q < n; q++) for (let k = 0; k <= q; k++) data[q * n + k] = Math.round(255 / (q + 1));
  return wire("uint8", [n, n], data);
}

export function headDetail(overrides: Partial<DetailWire> = {}): DetailWire {
  return {
    node: "a1.h1",
    kind: "head",
    layer: 1,
    head: 1,
    direct_effect: 1.734,
    direct_score: 2,
    incoming: [
      { upstream: "m0", downstream: "a1.h1<q>", score: -0.8 },
      { upstream: "a0.h1", downstream: "a1.g1<k>", score: 0.01 },
    ],
    outgoing: [{ upstream: "a1.h1", downstream: "logits", score: 2 }],
    pair: 0,
    tokens: ["When", " Mary", " and", " John"],
    pattern: patternWire(),
    ...overrides,
  };
}

export const CLEAN = [
  "When Mary and John went to the store, John gave a drink to",
  "When Tom and Anna went to the park, Anna gave a ball to",
];

export function circuitState(overrides: Partial<CircuitExplorerTraits> = {}): CircuitExplorerTraits {
  return {
    method: "eap-ig",
    steps: 5,
    selection: "topn",
    circuit_size: 4,
    selected_node: "",
    selected_pair: 0,
    selected_layer: -1,
    selected_head: -1,
    _model_label: "tiny-test-model",
    _methods: ["eap-ig", "eap"],
    _selections: ["topn", "greedy"],
    _graph: GRAPH,
    _edges: edgesWire(),
    _curve: {
      sizes: SIZES,
      faithfulness: FAITHFULNESS,
      circuit_metric: FAITHFULNESS.map((f) => -0.86 + f * (6.38 + 0.86)),
      clean_metric: 6.38,
      corrupted_metric: -0.86,
      target_size: 8,
    },
    _task: {
      n_pairs: 2,
      clean: CLEAN,
      corrupted: CLEAN.map((c) => c.replace("John gave", "Paul gave")),
      answers: [" Mary", " Tom"],
      contrasts: [" John", " Anna"],
      metric: "logit difference",
    },
    _detail: {},
    _request: 0,
    _status: { request: 0, state: "done", label: "", fraction: null },
    _error: "",
    ...overrides,
  };
}

export function mountCircuit(overrides: Partial<CircuitExplorerTraits> = {}) {
  const model = new FakeModel<CircuitExplorerTraits>(circuitState(overrides));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const props = { model, el } as unknown as RenderProps<CircuitExplorerTraits>;
  const cleanup = widget.render(props) as () => void;
  const q = <E extends Element = HTMLElement>(selector: string) => el.querySelector<E>(selector);
  const qa = <E extends Element = HTMLElement>(selector: string) => [...el.querySelectorAll<E>(selector)];
  return { model, el, cleanup, q, qa };
}
