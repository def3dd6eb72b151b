/**
 * The circuit as an SVG graph: one box per node at the position Python's layout gives it
 * (widgets/circuit_layout.py, unit coordinates with y up, scaled here to the drawing with y down),
 * one cubic Bézier per edge from the upstream node's top to the port of the input it enters.
 *
 * Everything that makes the drawing look as it does is an attribute on the element (colours, widths,
 * dashes, opacity), so the drawing looks the same without the view's stylesheet; CSS classes only add what the pointer does (hover and selection highlights). Hovering an edge names it
 * with its score in the hover line, hovering a node lights its edges; a click on a node selects it.
 *
 * The colours follow the page (lib/theme.ts): edges take the ends of the diverging map for the
 * page background (blue carries, red works against), node boxes the view's surface colours on a
 * dark page (`--ilw-bg-raised`, `--ilw-bg-alt`, `--ilw-fg`, `--ilw-border`). They are read at paint
 * time and written as attributes again by `repaint` (the view calls it through `ViewShell.onTheme`).
 */
import { divergingRgb, LIGHT, type Palette, type Rgb } from "../lib/colormap";
import { h, svg } from "../lib/dom";
import { paletteOf } from "../lib/theme";
import { edgeText, formatCount } from "./format";
import type { CircuitGraph, Edges, InputKind } from "./types";

/** At most this many edges are drawn (the first ones, i.e. the strongest of the circuit). */
export const DRAW_CAP = 1500;
/** The drawing's width in SVG units; it scales to the view's width. */
export const VIEW_WIDTH = 900;
const MARGIN = 24;
/** SVG units per row (layers + input + logits), at least MIN_HEIGHT in all. */
const ROW_PX = 22;
const MIN_HEIGHT = 360;

/** `#rrggbb` of an RGB colour. */
function hex(rgb: Rgb): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/** The colour of an edge that carries the behaviour (score ≥ 0): the diverging map's blue end. */
export function positiveColour(palette: Palette = LIGHT): string {
  return hex(divergingRgb(-1, palette));
}

/** The colour of an edge that works against it: the diverging map's red end. */
export function negativeColour(palette: Palette = LIGHT): string {
  return hex(divergingRgb(1, palette));
}

/** The edge colours on a light page. */
export const POSITIVE = positiveColour();
export const NEGATIVE = negativeColour();

/** Fills, text and stroke of the node boxes. */
export interface NodeColours {
  fill: string;
  /** The MLP boxes' fill. */
  mlpFill: string;
  text: string;
  stroke: string;
}

/** The node colours on a light page. */
export const LIGHT_NODES: NodeColours = { fill: "#f4f4f4", mlpFill: "#ebeef2", text: "#222", stroke: "#555" };
/** On a dark page, where the view's surface colours cannot be read (lib/view.css's dark defaults). */
export const DARK_NODES: NodeColours = { fill: "#1b1b1b", mlpFill: "#2a2a2a", text: "#ddd", stroke: "#444" };

/**
 * The node colours for the page under `el`: the light ones on a light page; on a dark page the view
 * root's surface colours (`--ilw-bg-raised`, MLPs `--ilw-bg-alt`, text `--ilw-fg`, `--ilw-border`),
 * each falling back to `DARK_NODES`.
 */
export function nodeColoursOf(el: Element, palette: Palette): NodeColours {
  if (!palette.dark) return LIGHT_NODES;
  let style: CSSStyleDeclaration | null = null;
  try {
    style = getComputedStyle(el.closest(".ilw-view") ?? el);
  } catch {
    style = null;
  }
  const read = (name: string, fallback: string) => style?.getPropertyValue(name).trim() || fallback;
  return {
    fill: read("--ilw-bg-raised", DARK_NODES.fill),
    mlpFill: read("--ilw-bg-alt", DARK_NODES.mlpFill),
    text: read("--ilw-fg", DARK_NODES.text),
    stroke: read("--ilw-border", DARK_NODES.stroke),
  };
}
/** Key inputs dashed, value inputs dotted, query / MLP / logits inputs solid. */
export const DASH: Partial<Record<InputKind, string>> = { k: "5 3", v: "1.5 2.5" };
const DIM_OPACITY = "0.3";
const HINT = "Hover an edge or a node to see its scores; click a node for its details.";

/** Stroke width of an edge: 0.5 for no score up to 5 for the largest |score| drawn. */
export function strokeWidth(score: number, largest: number): number {
  return 0.5 + (4.5 * Math.abs(score)) / (largest > 0 ? largest : 1);
}

/** The `d` of an edge from (x1, y1) up to (x2, y2): vertical control points half-way between. */
export function edgePath(x1: number, y1: number, x2: number, y2: number): string {
  const ym = ((y1 + y2) / 2).toFixed(1);
  const [a, b, c, d] = [x1, y1, x2, y2].map((v) => v.toFixed(1));
  return `M${a},${b} C${a},${ym} ${c},${ym} ${c},${d}`;
}

type Hover = { edge: number } | { node: number } | null;

export interface GraphCallbacks {
  /** A node was clicked: its name, or "" to clear the selection. */
  onSelect(name: string): void;
}

export class CircuitGraphView {
  readonly el: HTMLDivElement;
  /** The drawing. */
  readonly svg: SVGSVGElement;
  /** Transparent wide strokes over the edges, so thin edges can be hovered. */
  readonly hitLayer: SVGGElement;
  private readonly edgeLayer: SVGGElement;
  private readonly nodeLayer: SVGGElement;
  private readonly hoverLine: HTMLDivElement;
  private readonly note: HTMLDivElement;
  private graph: CircuitGraph | null = null;
  private edges: Edges | null = null;
  private height = MIN_HEIGHT;
  private nodeH = 18;
  private nodeEls: SVGGElement[] = [];
  private nodeIndex = new Map<string, number>();
  /** Drawn edge paths by circuit index. */
  private paths: SVGPathElement[] = [];
  /** Drawn edges touching each node (as upstream or as a node their input feeds). */
  private byNode: number[][] = [];
  /** Per node: drawn edges that enter it, and that leave it. */
  private counts: Array<{ incoming: number; outgoing: number }> = [];
  private selected = "";
  private hover: Hover = null;
  private lit: Element[] = [];
  private readonly keyPos = h("span", {
    className: "ilw-circuit-key-pos",
    text: "blue: carries the behaviour",
  });
  private readonly keyNeg = h("span", { className: "ilw-circuit-key-neg", text: "red: works against it" });

  constructor(
    private readonly callbacks: GraphCallbacks,
    signal: AbortSignal,
  ) {
    this.svg = svg("svg", {
      class: "ilw-circuit-svg",
      width: "100%",
      viewBox: `0 0 ${VIEW_WIDTH} ${MIN_HEIGHT}`,
      preserveAspectRatio: "xMidYMin meet",
      "font-family": "sans-serif",
      role: "img",
      "aria-label": "circuit graph",
    });
    this.edgeLayer = svg("g", { class: "ilw-circuit-edges", fill: "none" });
    this.hitLayer = svg("g", { class: "ilw-circuit-hits", fill: "none" });
    this.nodeLayer = svg("g", { class: "ilw-circuit-nodes" });
    this.svg.append(this.edgeLayer, this.hitLayer, this.nodeLayer);
    this.hoverLine = h("div", {
      className: "ilw-circuit-hover",
      text: HINT,
      attrs: { "aria-live": "polite" },
    });
    this.note = h("div", { className: "ilw-circuit-note", attrs: { hidden: "" } });
    const legend = h("div", { className: "ilw-circuit-legend" }, [
      this.keyPos,
      this.keyNeg,
      h("span", { text: "width: |score| · dashed: key input · dotted: value input" }),
    ]);
    this.el = h(
      "div",
      {
        className: "ilw-circuit-graph",
        attrs: { tabindex: "0", "aria-label": "Circuit graph. Click a node to select it, Escape clears." },
      },
      [this.note, this.svg, this.hoverLine, legend],
    );
    this.listen(signal);
  }

  get drawnEdges(): number {
    return this.paths.length;
  }

  private px(x: number): number {
    return MARGIN + x * (VIEW_WIDTH - 2 * MARGIN);
  }

  private py(y: number): number {
    return MARGIN + (1 - y) * (this.height - 2 * MARGIN);
  }

  /** Lay out the nodes of `graph` (null: an empty drawing); the edges are redrawn by `setCircuit`. */
  setGraph(graph: CircuitGraph | null): void {
    this.graph = graph;
    this.hover = null;
    const rows = graph ? graph.nLayers + 2 : 0;
    this.height = Math.max(MIN_HEIGHT, ROW_PX * rows);
    this.svg.setAttribute("viewBox", `0 0 ${VIEW_WIDTH} ${this.height}`);
    this.svg.dataset.height = String(this.height);
    const row = graph ? graph.row * (this.height - 2 * MARGIN) : 0;
    this.nodeH = Math.min(18, row * 0.5);
    const fontSize = Math.max(6, Math.min(10, this.nodeH - 1));
    const unitW = (graph?.width ?? 0) * (VIEW_WIDTH - 2 * MARGIN) * 0.8;
    this.nodeIndex = new Map(graph?.nodes.map((n, i) => [n.name, i]) ?? []);
    this.nodeEls = (graph?.nodes ?? []).map((node, i) => {
      const x = this.px(node.x);
      const y = this.py(node.y);
      const w = node.kind === "head" || node.kind === "mlp" ? unitW : unitW * 2;
      const g = svg("g", { class: "ilw-circuit-node", "data-node": node.name, "data-index": i });
      g.dataset.kind = node.kind;
      const rect = svg("rect", {
        x: (x - w / 2).toFixed(1),
        y: (y - this.nodeH / 2).toFixed(1),
        width: w.toFixed(1),
        height: this.nodeH.toFixed(1),
        rx: 3,
        "stroke-width": 1,
      });
      const text = svg("text", {
        x: x.toFixed(1),
        y: (y + fontSize * 0.35).toFixed(1),
        "text-anchor": "middle",
        "font-size": fontSize.toFixed(1),
      });
      text.textContent = node.name;
      g.append(rect, text);
      return g;
    });
    this.nodeLayer.replaceChildren(...this.nodeEls);
    this.paintNodes(paletteOf(this.el));
    this.svg.setAttribute(
      "aria-label",
      graph ? `circuit graph of ${graph.nLayers} layers × ${graph.nHeads} heads` : "circuit graph",
    );
  }

  /** Draw the first min(size, sent, DRAW_CAP) edges of `edges` and dim the nodes none of them touches. */
  setCircuit(edges: Edges | null, size: number): void {
    const graph = this.graph;
    this.edges = graph ? edges : null;
    this.hover = null;
    const wanted = Math.max(0, size);
    const count = this.edges ? Math.min(wanted, this.edges.sent, DRAW_CAP) : 0;
    const nNodes = graph?.nodes.length ?? 0;
    this.byNode = Array.from({ length: nNodes }, () => []);
    this.counts = Array.from({ length: nNodes }, () => ({ incoming: 0, outgoing: 0 }));
    this.paths = [];
    const hits: SVGPathElement[] = [];
    if (graph && this.edges && count > 0) {
      const { upstream, downstream, score } = this.edges;
      let largest = 0;
      for (let i = 0; i < count; i++) largest = Math.max(largest, Math.abs(score[i] as number));
      for (let i = 0; i < count; i++) {
        const u = upstream[i] as number;
        const input = graph.downstream[downstream[i] as number];
        const source = graph.nodes[u];
        if (!input || !source) continue;
        const s = score[i] as number;
        const d = edgePath(
          this.px(source.x),
          this.py(source.y) - this.nodeH / 2,
          this.px(input.x),
          this.py(input.y) + this.nodeH / 2,
        );
        const path = svg("path", {
          class: `ilw-circuit-edge ${s >= 0 ? "ilw-positive" : "ilw-negative"}`,
          "data-edge": i,
          "data-kind": input.kind,
          d,
          "stroke-width": strokeWidth(s, largest).toFixed(2),
          "stroke-opacity": "0.75",
        });
        const dash = DASH[input.kind];
        if (dash) path.setAttribute("stroke-dasharray", dash);
        const title = svg("title");
        title.textContent = edgeText(source.name, input.name, s);
        path.appendChild(title);
        this.paths[i] = path;
        hits[i] = svg("path", { class: "ilw-circuit-hit", "data-edge": i, d, stroke: "transparent" });
        this.byNode[u]?.push(i);
        const out = this.counts[u];
        if (out) out.outgoing++;
        for (const t of targets(graph, downstream[i] as number)) {
          this.byNode[t]?.push(i);
          const into = this.counts[t];
          if (into) into.incoming++;
        }
      }
    }
    // The strongest edges (first in circuit order) last, so they are drawn on top.
    this.edgeLayer.replaceChildren(...[...this.paths].reverse().filter(Boolean));
    this.hitLayer.replaceChildren(...hits.reverse().filter(Boolean));
    this.nodeEls.forEach((g, i) => {
      const used = (this.byNode[i]?.length ?? 0) > 0;
      g.setAttribute("opacity", used ? "1" : DIM_OPACITY);
      g.classList.toggle("ilw-dim", !used);
    });
    const sent = this.edges?.sent ?? 0;
    this.note.hidden = !(this.edges && count < wanted);
    if (!this.note.hidden) {
      const short = count < Math.min(wanted, DRAW_CAP);
      this.note.textContent =
        `drawing the ${formatCount(count)} strongest of ${formatCount(wanted)} edges` +
        (short
          ? ` (${formatCount(sent)} of the graph's ${formatCount(this.edges?.nEdges ?? 0)} were sent)`
          : "");
    }
    this.svg.dataset.edges = String(this.paths.filter(Boolean).length);
    this.paintEdges(paletteOf(this.el));
    this.highlight();
  }

  /** Mark node `name` selected ("" for none); its edges stay lit while nothing is hovered. */
  setSelected(name: string): void {
    this.selected = name;
    for (const g of this.nodeEls) g.classList.toggle("ilw-selected", g.dataset.node === name);
    this.highlight();
  }

  /** Recolour the drawing (nodes, edges, legend) in the page's current colours. */
  repaint(): void {
    const palette = paletteOf(this.el);
    this.paintNodes(palette);
    this.paintEdges(palette);
  }

  private paintNodes(palette: Palette): void {
    const c = nodeColoursOf(this.el, palette);
    for (const g of this.nodeEls) {
      const rect = g.querySelector("rect");
      rect?.setAttribute("fill", g.dataset.kind === "mlp" ? c.mlpFill : c.fill);
      rect?.setAttribute("stroke", c.stroke);
      g.querySelector("text")?.setAttribute("fill", c.text);
    }
  }

  private paintEdges(palette: Palette): void {
    const positive = positiveColour(palette);
    const negative = negativeColour(palette);
    for (const path of this.paths) {
      path?.setAttribute("stroke", path.classList.contains("ilw-negative") ? negative : positive);
    }
    this.keyPos.style.color = positive;
    this.keyNeg.style.color = negative;
  }

  // -- pointer ------------------------------------------------------------------------

  private listen(signal: AbortSignal): void {
    const opts = { signal };
    this.svg.addEventListener("mouseover", (e) => this.setHover(this.hoverAt(e.target)), opts);
    this.svg.addEventListener("mouseleave", () => this.setHover(null), opts);
    this.svg.addEventListener(
      "click",
      (e) => {
        const target = e.target instanceof Element ? e.target : null;
        const node = target?.closest<SVGGElement>(".ilw-circuit-node");
        if (node) {
          const name = node.dataset.node ?? "";
          const clear = name === this.selected || node.dataset.kind === "input";
          this.callbacks.onSelect(clear ? "" : name);
        } else if (!target?.closest("[data-edge]")) {
          this.callbacks.onSelect("");
        }
      },
      opts,
    );
    this.el.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "Escape" && this.selected !== "") {
          this.callbacks.onSelect("");
          e.stopPropagation();
        }
      },
      opts,
    );
  }

  private hoverAt(target: EventTarget | null): Hover {
    if (!(target instanceof Element)) return null;
    const node = target.closest<SVGGElement>(".ilw-circuit-node");
    if (node) return { node: Number(node.dataset.index) };
    const edge = target.closest<SVGPathElement>("[data-edge]");
    if (edge) return { edge: Number(edge.dataset.edge) };
    return null;
  }

  private setHover(hover: Hover): void {
    const same =
      hover === this.hover ||
      (hover !== null && this.hover !== null && JSON.stringify(hover) === JSON.stringify(this.hover));
    if (same) return;
    this.hover = hover;
    this.highlight();
  }

  /** Light the hovered edge (or the hovered, else the selected, node's edges) and write the hover line. */
  private highlight(): void {
    for (const el of this.lit) el.classList.remove("ilw-lit", "ilw-hover");
    this.lit = [];
    const graph = this.graph;
    const edges = this.edges;
    const light = (el: Element | undefined, className = "ilw-lit") => {
      if (!el) return;
      el.classList.add(className);
      this.lit.push(el);
    };
    let line = HINT;
    const hover = this.hover;
    if (graph && edges && hover && "edge" in hover && this.paths[hover.edge]) {
      const i = hover.edge;
      const u = edges.upstream[i] as number;
      const v = edges.downstream[i] as number;
      light(this.paths[i]);
      light(this.nodeEls[u]);
      for (const t of targets(graph, v)) light(this.nodeEls[t]);
      line = edgeText(
        graph.nodes[u]?.name ?? "?",
        graph.downstream[v]?.name ?? "?",
        edges.score[i] as number,
      );
    } else {
      const node = hover && "node" in hover ? hover.node : (this.nodeIndex.get(this.selected) ?? -1);
      const edgesOf = this.byNode[node] ?? [];
      for (const i of edgesOf) light(this.paths[i]);
      if (hover && "node" in hover) {
        light(this.nodeEls[node], "ilw-hover");
        const name = graph?.nodes[node]?.name ?? "";
        const c = this.counts[node] ?? { incoming: 0, outgoing: 0 };
        line =
          edgesOf.length === 0
            ? `${name}: not in the drawn circuit`
            : `${name}: ${c.incoming} incoming, ${c.outgoing} outgoing edges in the circuit`;
      }
    }
    this.svg.classList.toggle(
      "ilw-circuit-focus",
      this.lit.some((el) => el.tagName === "path"),
    );
    this.hoverLine.textContent = line;
  }
}

/** The nodes an input feeds: the heads of a key/value group, else the node it enters. */
function targets(graph: CircuitGraph, v: number): number[] {
  const input = graph.downstream[v];
  if (!input) return [];
  return input.heads.length > 0 ? input.heads : [input.node];
}
