/** Readers of the circuit explorer's traits (see lib/traits.ts for the conventions). */
import {
  asDict,
  bad,
  decode,
  finiteMax,
  ok,
  type Parsed,
  readEntries,
  readInts,
  readStrings,
  shapeText,
  wrongField,
} from "../lib/traits";
import {
  type CircuitGraph,
  type Curve,
  type DownstreamInput,
  type EdgeRef,
  type Edges,
  type GraphNode,
  INPUT_KINDS,
  type InputKind,
  NODE_KINDS,
  type NodeDetail,
  type NodeKind,
  type Pattern,
  type Task,
} from "./types";

const POINT = { name: "string", x: "number", y: "number" } as const;

function readNode(d: Record<string, unknown>): GraphNode | string {
  const wrong = wrongField(d, { ...POINT, layer: "integer", head: "integer" });
  if (wrong !== "") return wrong;
  const kind = NODE_KINDS.find((k) => k === d.kind);
  if (kind === undefined) return `kind must be one of ${NODE_KINDS.join(", ")}`;
  return {
    name: d.name as string,
    kind: kind as NodeKind,
    layer: d.layer as number,
    head: d.head as number,
    x: d.x as number,
    y: d.y as number,
  };
}

function readInput(d: Record<string, unknown>, nNodes: number): DownstreamInput | string {
  const wrong = wrongField(d, { ...POINT, node: "integer" });
  if (wrong !== "") return wrong;
  const kind = INPUT_KINDS.find((k) => k === d.kind);
  if (kind === undefined) return `kind must be one of ${INPUT_KINDS.join(", ")}`;
  const node = d.node as number;
  const heads = readInts(d.heads);
  if (node < 0 || node >= nNodes || heads.some((n) => n < 0 || n >= nNodes)) {
    return `node ${node} or heads [${heads.join(", ")}] outside the ${nNodes} nodes`;
  }
  return { name: d.name as string, kind: kind as InputKind, node, heads, x: d.x as number, y: d.y as number };
}

/** `_graph`: every node and input must be well formed (edges refer to them by index). */
export function readGraph(value: unknown): Parsed<CircuitGraph> {
  const dict = asDict("_graph", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const wrong = wrongField(d, {
    n_layers: "integer",
    n_heads: "integer",
    n_kv_heads: "integer",
    width: "number",
    row: "number",
  });
  if (wrong !== "") return bad(`_graph.${wrong}`);
  const nodes = readEntries("_graph.nodes", d.nodes, readNode);
  if (nodes.problem !== "" || nodes.value === null) return bad(nodes.problem);
  const n = nodes.value.length;
  const downstream = readEntries("_graph.downstream", d.downstream, (e) => readInput(e, n));
  if (downstream.problem !== "" || downstream.value === null) return bad(downstream.problem);
  return ok({
    nLayers: d.n_layers as number,
    nHeads: d.n_heads as number,
    nKvHeads: d.n_kv_heads as number,
    parallelMlp: d.parallel_mlp === true,
    width: d.width as number,
    row: d.row as number,
    nodes: nodes.value,
    downstream: downstream.value,
  });
}

/** A 1-D wire array of `dtype`, or what is wrong with it. */
function vector<A extends Int32Array | Float32Array>(
  name: string,
  value: unknown,
  type: { new (n: number): A },
  dtype: string,
): A | string {
  const decoded = decode(name, value);
  if (decoded.value === null) return decoded.problem;
  const { shape, data } = decoded.value;
  if (!(data instanceof type) || shape.length !== 1)
    return `${name}: expected ${dtype} [E], got ${shapeText(shape)}`;
  return data as A;
}

/** `_edges`, with every index checked against `graph` (no graph yet: nothing to draw them on). */
export function readEdges(value: unknown, graph: CircuitGraph | null): Parsed<Edges> {
  const dict = asDict("_edges", value);
  if (dict.value === null || graph === null) return bad(dict.problem);
  const d = dict.value;
  const wrong = wrongField(d, { n_edges: "integer", sent: "integer" });
  if (wrong !== "") return bad(`_edges.${wrong}`);
  const upstream = vector("_edges.upstream", d.upstream, Int32Array, "int32");
  const downstream = vector("_edges.downstream", d.downstream, Int32Array, "int32");
  const score = vector("_edges.score", d.score, Float32Array, "float32");
  for (const v of [upstream, downstream, score]) if (typeof v === "string") return bad(v);
  const up = upstream as Int32Array;
  const down = downstream as Int32Array;
  const s = score as Float32Array;
  if (up.length !== down.length || up.length !== s.length) {
    return bad(
      `_edges: upstream, downstream and score have ${up.length}, ${down.length} and ${s.length} entries`,
    );
  }
  if (d.sent !== up.length) return bad(`_edges.sent is ${d.sent} but ${up.length} edges came`);
  for (let i = 0; i < up.length; i++) {
    const u = up[i] as number;
    const v = down[i] as number;
    if (u < 0 || u >= graph.nodes.length || v < 0 || v >= graph.downstream.length) {
      return bad(`_edges: edge ${i} (${u} → ${v}) is not in the graph`);
    }
  }
  return ok({ upstream: up, downstream: down, score: s, nEdges: d.n_edges as number, sent: up.length });
}

/** A list of numbers; anything else in it reads as NaN (JSON has no NaN: Python may send null). */
function numbers(value: unknown): number[] {
  return Array.isArray(value) ? value.map((v) => (typeof v === "number" ? v : Number.NaN)) : [];
}

/** `_curve`: sizes ascending, one faithfulness per size. */
export function readCurve(value: unknown): Parsed<Curve> {
  const dict = asDict("_curve", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const sizes = readInts(d.sizes);
  const faithfulness = numbers(d.faithfulness);
  if (!Array.isArray(d.sizes) || sizes.length !== d.sizes.length) return bad("_curve.sizes must be integers");
  if (faithfulness.length !== sizes.length) {
    return bad(`_curve: ${sizes.length} sizes but ${faithfulness.length} faithfulness values`);
  }
  if (sizes.some((s, i) => i > 0 && s < (sizes[i - 1] as number)))
    return bad("_curve.sizes must be ascending");
  const target = d.target_size;
  return ok({
    sizes,
    faithfulness,
    circuitMetric: numbers(d.circuit_metric),
    cleanMetric: typeof d.clean_metric === "number" ? d.clean_metric : Number.NaN,
    corruptedMetric: typeof d.corrupted_metric === "number" ? d.corrupted_metric : Number.NaN,
    targetSize: Number.isInteger(target) ? (target as number) : null,
  });
}

/** `_task`; missing lists read as empty. */
export function readTask(value: unknown): Parsed<Task> {
  const dict = asDict("_task", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const clean = readStrings(d.clean);
  return ok({
    nPairs: Number.isInteger(d.n_pairs) ? (d.n_pairs as number) : clean.length,
    clean,
    corrupted: readStrings(d.corrupted),
    answers: readStrings(d.answers),
    contrasts: readStrings(d.contrasts),
    metric: typeof d.metric === "string" ? d.metric : "",
  });
}

/** A node or input named by index or by name. */
function endName(value: unknown, names: readonly string[]): string | null {
  if (typeof value === "string") return value;
  if (Number.isInteger(value)) return names[value as number] ?? null;
  return null;
}

function readEdgeRefs(name: string, value: unknown, graph: CircuitGraph | null): Parsed<EdgeRef[]> {
  const up = graph?.nodes.map((n) => n.name) ?? [];
  const down = graph?.downstream.map((n) => n.name) ?? [];
  return readEntries(name, value, (d): EdgeRef | string => {
    const upstream = endName(d.upstream, up);
    const downstream = endName(d.downstream, down);
    if (upstream === null || downstream === null) return "upstream and downstream must be names";
    if (typeof d.score !== "number") return "score must be a number";
    return { upstream, downstream, score: d.score };
  });
}

/** A number or null (absent reads as null), or undefined for anything else. */
function nullableNumber(d: Record<string, unknown>, key: string): number | null | undefined {
  const v = d[key];
  if (v === null || v === undefined) return null;
  return typeof v === "number" ? v : undefined;
}

/** `_detail.pattern`: uint8 `[n, n]`, scaled to 0..1; null stays null. */
function readPattern(value: unknown): Pattern | null | string {
  if (value === null || value === undefined) return null;
  const decoded = decode("_detail.pattern", value);
  if (decoded.value === null) return decoded.problem;
  const { shape, data } = decoded.value;
  const n = shape[0] ?? 0;
  if (!(data instanceof Uint8Array) || shape.length !== 2 || shape[1] !== n) {
    return `_detail.pattern: expected uint8 [n, n], got ${shapeText(shape)}`;
  }
  const values = new Float32Array(n * n);
  for (let i = 0; i < values.length; i++) values[i] = (data[i] as number) / 255;
  return { n, values, max: finiteMax(values) };
}

/** `_detail`: `{}` (nothing selected) reads as null with no problem. */
export function readDetail(value: unknown, graph: CircuitGraph | null): Parsed<NodeDetail> {
  const dict = asDict("_detail", value);
  if (dict.value === null) return bad(dict.problem);
  const d = dict.value;
  const wrong = wrongField(d, { node: "string", layer: "integer", head: "integer" });
  if (wrong !== "") return bad(`_detail.${wrong}`);
  const kind = (["head", "mlp", "logits"] as const).find((k) => k === d.kind);
  if (kind === undefined) return bad("_detail.kind must be head, mlp or logits");
  const directEffect = nullableNumber(d, "direct_effect");
  const directScore = nullableNumber(d, "direct_score");
  if (directEffect === undefined) return bad("_detail.direct_effect must be a number or null");
  if (directScore === undefined) return bad("_detail.direct_score must be a number or null");
  const incoming = readEdgeRefs("_detail.incoming", d.incoming, graph);
  const outgoing = readEdgeRefs("_detail.outgoing", d.outgoing, graph);
  const pattern = readPattern(d.pattern);
  if (typeof pattern === "string") return bad(pattern);
  const tokens = readStrings(d.tokens);
  const problem = [incoming.problem, outgoing.problem]
    .concat(
      pattern !== null && tokens.length !== pattern.n
        ? [`_detail: ${tokens.length} tokens for a ${pattern.n}×${pattern.n} pattern`]
        : [],
    )
    .filter((p) => p !== "")
    .join("\n");
  return {
    value: {
      node: d.node as string,
      kind,
      layer: d.layer as number,
      head: d.head as number,
      directEffect,
      directScore,
      incoming: incoming.value ?? [],
      outgoing: outgoing.value ?? [],
      pair: Number.isInteger(d.pair) ? (d.pair as number) : 0,
      tokens,
      pattern,
    },
    problem,
  };
}
