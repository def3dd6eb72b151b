/**
 * Wire and view types of the circuit explorer.
 *
 * `CircuitExplorerTraits` mirrors the synced traits of `CircuitExplorer` in
 * `interplab_widgets/widgets/circuit_explorer.py` (the layout: `widgets/circuit_layout.py`); change both
 * together. Coordinates are unit coordinates, `x` left → right and `y` bottom → top.
 */
import type { WireArray } from "../lib/types";
import type { ShellTraits } from "../lib/view_shell";

export const NODE_KINDS = ["input", "head", "mlp", "logits"] as const;
export type NodeKind = (typeof NODE_KINDS)[number];
export const INPUT_KINDS = ["q", "k", "v", "mlp", "logits"] as const;
/** Which input of a node an edge enters: a head's query, its group's key or value, an MLP, the logits. */
export type InputKind = (typeof INPUT_KINDS)[number];

/** One entry of `_graph.nodes`: the upstream nodes in graph order, then `logits`. */
export interface GraphNodeWire {
  name: string;
  kind: NodeKind;
  /** -1 for the input, `n_layers` for the logits. */
  layer: number;
  /** -1 unless a head. */
  head: number;
  x: number;
  y: number;
}

/** One entry of `_graph.downstream`: an input that edges enter. */
export interface DownstreamWire {
  /** `a{l}.h{h}<q>`, `a{l}.g{g}<k>`, `a{l}.g{g}<v>`, `m{l}`, `logits`. */
  name: string;
  kind: InputKind;
  /** Index into `nodes` of the node it enters (a key/value group: its first head). */
  node: number;
  /** The heads (indices into `nodes`) it feeds: one for a query, the group for a key/value, none else. */
  heads: number[];
  /** Where the edge ends: the port, on the lower edge of `node`'s box. */
  x: number;
  y: number;
}

export interface GraphWire {
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  parallel_mlp: boolean;
  /** One node's width and one row's height, in unit coordinates. */
  width: number;
  row: number;
  nodes: GraphNodeWire[];
  downstream: DownstreamWire[];
}

/** `_edges`, in circuit order: the circuit of size n is the first n edges. */
export interface EdgesWire {
  /** int32 `[E]`: index into `_graph.nodes`. */
  upstream: WireArray;
  /** int32 `[E]`: index into `_graph.downstream`. */
  downstream: WireArray;
  /** float32 `[E]`: the edge's attribution score (positive: carries the behaviour). */
  score: WireArray;
  /** Edges in the whole graph. */
  n_edges: number;
  /** E: how many of them were sent (fewer than `n_edges` for big models). */
  sent: number;
}

/** `_curve`: faithfulness of the circuit of each size. */
export interface CurveWire {
  sizes: number[];
  /** (circuit metric − corrupted) / (clean − corrupted) per size. */
  faithfulness: number[];
  circuit_metric: number[];
  clean_metric: number;
  corrupted_metric: number;
  /** The smallest size whose faithfulness reaches 0.8, or null. */
  target_size: number | null;
}

/** `_task`: the clean / corrupted prompt pairs the scores are averaged over. */
export interface TaskWire {
  n_pairs: number;
  clean: string[];
  corrupted: string[];
  answers: string[];
  contrasts: string[];
  /** In words, e.g. "logit difference". */
  metric: string;
}

/** One edge of `_detail.incoming` / `outgoing`: names (indices are accepted too). */
export interface EdgeRefWire {
  upstream: string | number;
  downstream: string | number;
  score: number;
}

/** `_detail`: the selected node, `{}` when none. */
export interface DetailWire {
  node: string;
  kind: "head" | "mlp" | "logits";
  layer: number;
  head: number;
  /** Exact, by patching the node → logits edge; null where there is none. */
  direct_effect: number | null;
  /** The score of the node → logits edge. */
  direct_score: number | null;
  incoming: EdgeRefWire[];
  outgoing: EdgeRefWire[];
  /** Which task pair `tokens` and `pattern` are from. */
  pair: number;
  /** The pair's clean tokens (heads only, else []). Data, never markup. */
  tokens: string[];
  /** uint8 `[query, key]`, 0..255 (heads only, else null). */
  pattern: WireArray | null;
}

type Empty = Record<string, never>;

/** Mirrors `interplab_widgets/widgets/circuit_explorer.py` (CircuitExplorer traits). */
export interface CircuitExplorerTraits extends ShellTraits {
  // Public, linked traits.
  /** "eap-ig" or "eap": how edges are scored (a change recomputes them). */
  method: string;
  /** EAP-IG's integration steps. */
  steps: number;
  /** "topn" or "greedy": how circuits are grown from the scores. */
  selection: string;
  /** Edges in the shown circuit (view state: Python recomputes nothing). */
  circuit_size: number;
  /** The selected node's name, "" for none. */
  selected_node: string;
  /** Which task pair the head's pattern shows. */
  selected_pair: number;
  /** Published by Python from `selected_node` (for linking an AttentionExplorer); never set here. */
  selected_layer: number;
  selected_head: number;
  // Private traits, Python → JS.
  _model_label: string;
  _methods: string[];
  _selections: string[];
  _graph: GraphWire | Empty;
  _edges: EdgesWire | Empty;
  _curve: CurveWire | Empty;
  _task: TaskWire | Empty;
  _detail: DetailWire | Empty;
}

// -- decoded ------------------------------------------------------------------------

export interface GraphNode {
  name: string;
  kind: NodeKind;
  layer: number;
  head: number;
  x: number;
  y: number;
}

export interface DownstreamInput {
  name: string;
  kind: InputKind;
  node: number;
  heads: number[];
  x: number;
  y: number;
}

export interface CircuitGraph {
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  parallelMlp: boolean;
  width: number;
  row: number;
  nodes: GraphNode[];
  downstream: DownstreamInput[];
}

/** The decoded `_edges`, indices checked against the graph. */
export interface Edges {
  upstream: Int32Array;
  downstream: Int32Array;
  score: Float32Array;
  nEdges: number;
  sent: number;
}

export interface Curve {
  sizes: number[];
  /** NaN where Python sent none. */
  faithfulness: number[];
  circuitMetric: number[];
  cleanMetric: number;
  corruptedMetric: number;
  targetSize: number | null;
}

export interface Task {
  nPairs: number;
  clean: string[];
  corrupted: string[];
  answers: string[];
  contrasts: string[];
  metric: string;
}

/** An edge by name. */
export interface EdgeRef {
  upstream: string;
  downstream: string;
  score: number;
}

/** A head's attention pattern on one pair: `values` is `[n, n]`, 0..1. */
export interface Pattern {
  n: number;
  values: Float32Array;
  max: number;
}

export interface NodeDetail {
  node: string;
  kind: "head" | "mlp" | "logits";
  layer: number;
  head: number;
  directEffect: number | null;
  directScore: number | null;
  incoming: EdgeRef[];
  outgoing: EdgeRef[];
  pair: number;
  tokens: string[];
  pattern: Pattern | null;
}
