import { afterEach, describe, expect, it, vi } from "vitest";
import { DRAW_CAP, NEGATIVE, POSITIVE } from "../src/circuit/graph";
import type { GraphWire } from "../src/circuit/types";
import { CLEAN, EDGES, edgesWire, GRAPH, headDetail, mountCircuit, N_EDGES, SIZES } from "./circuit_fixture";
import { flush } from "./fake_model";
import { key } from "./mount";

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

const EVIL = "<img src=x onerror=alert(1)>";

const edgePaths = (q: ReturnType<typeof mountCircuit>["q"]) => [
  ...(q("svg.ilw-circuit-svg") as SVGSVGElement).querySelectorAll<SVGPathElement>("path.ilw-circuit-edge"),
];
const pathOf = (edges: SVGPathElement[], i: number) =>
  edges.find((p) => p.getAttribute("data-edge") === String(i)) as SVGPathElement;
const node = (q: ReturnType<typeof mountCircuit>["q"], name: string) =>
  q(`.ilw-circuit-node[data-node="${name}"]`) as unknown as SVGGElement;
const click = (el: Element) => el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
const hover = (el: Element) => el.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));

/** Capture what the next download offers: its file name and text. */
function captureDownload() {
  const blobs: Blob[] = [];
  const names: string[] = [];
  vi.spyOn(URL, "createObjectURL").mockImplementation((blob) => {
    blobs.push(blob as Blob);
    return "blob:test";
  });
  vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    names.push(this.download);
  });
  return { blobs, names, text: async () => (blobs[0] as Blob).text() };
}

describe("circuit explorer", () => {
  it("renders the header, task summary, every node and the first circuit_size edges", () => {
    const { el, q, qa } = mountCircuit();
    expect(el.children).toHaveLength(1);
    expect((el.firstElementChild as HTMLElement).className).toBe("ilw-circuit-explorer ilw-view");
    expect(q(".ilw-model-name")?.textContent).toBe("tiny-test-model");
    expect(q(".ilw-circuit-task")?.textContent).toBe(
      "2 pairs · metric: logit difference · clean 6.38 · corrupted −0.86",
    );
    const method = q<HTMLSelectElement>("select.ilw-circuit-method") as HTMLSelectElement;
    expect([...method.options].map((o) => [o.value, o.textContent])).toEqual([
      ["eap-ig", "EAP-IG"],
      ["eap", "EAP"],
    ]);
    expect(method.value).toBe("eap-ig");
    expect(q<HTMLSelectElement>("select.ilw-circuit-selection")?.value).toBe("topn");
    expect(q<HTMLInputElement>("input.ilw-circuit-steps")?.value).toBe("5");
    expect(q(".ilw-circuit-steps-label")?.hidden).toBe(false);
    // 11 upstream nodes (input, 2 × (4 heads + MLP)) and the logits
    const nodes = qa(".ilw-circuit-node");
    expect(nodes).toHaveLength(12);
    expect(nodes.map((n) => n.querySelector("text")?.textContent)).toEqual(GRAPH.nodes.map((n) => n.name));
    expect(edgePaths(q)).toHaveLength(4);
    // nodes no drawn edge touches are dimmed: edges 0–3 touch input, a0.h2, m0, a1.h1 and logits
    const lit = nodes.filter((n) => n.getAttribute("opacity") === "1").map((n) => n.dataset.node);
    expect(lit).toEqual(["input", "a0.h2", "m0", "a1.h1", "logits"]);
    for (const n of nodes.filter((n) => !lit.includes(n.dataset.node))) {
      expect(n.getAttribute("opacity")).toBe("0.3");
    }
    expect(q(".ilw-circuit-note")?.hidden).toBe(true);
    expect(q(".ilw-error")?.hidden).toBe(true);
  });

  it("places nodes from the unit layout with y up: input at the bottom, logits on top", () => {
    const { q } = mountCircuit();
    const rect = (name: string) => node(q, name).querySelector("rect") as SVGRectElement;
    const y = (name: string) => Number(rect(name).getAttribute("y"));
    const x = (name: string) => Number(rect(name).getAttribute("x"));
    expect(y("input")).toBeGreaterThan(y("a0.h0"));
    expect(y("a0.h0")).toBeGreaterThan(y("m0")); // the MLP is half a row up
    expect(y("m0")).toBeGreaterThan(y("a1.h0"));
    expect(y("a1.h0")).toBeGreaterThan(y("logits"));
    expect(y("a1.h0")).toBe(y("a1.h3"));
    expect(x("a1.h0")).toBeLessThan(x("a1.h1"));
    expect(x("a1.h3")).toBeLessThan(x("m1"));
    expect(Number((q("svg.ilw-circuit-svg") as SVGSVGElement).dataset.height)).toBe(360);
  });

  it("draws each edge as a vertical Bézier, its width by |score| and its colour by sign", () => {
    const { q } = mountCircuit();
    const paths = edgePaths(q);
    const widths = [0, 1, 2, 3].map((i) => Number(pathOf(paths, i).getAttribute("stroke-width")));
    // |score| / max |score| among the drawn edges (2): 2, 1.2, 0.8, 0.5
    expect(widths).toEqual(
      [5, 0.5 + 4.5 * 0.6, 0.5 + 4.5 * 0.4, 0.5 + 4.5 * 0.25].map((w) => Number(w.toFixed(2))),
    );
    expect([0, 1, 2, 3].map((i) => pathOf(paths, i).getAttribute("stroke"))).toEqual([
      POSITIVE,
      POSITIVE,
      NEGATIVE,
      POSITIVE,
    ]);
    expect(POSITIVE).toBe("#2166ac");
    expect(NEGATIVE).toBe("#b2182b");
    // strongest on top: drawn last
    expect(paths[paths.length - 1]?.getAttribute("data-edge")).toBe("0");
    const d = pathOf(paths, 0).getAttribute("d") as string;
    const m = d.match(/^M([\d.]+),([\d.]+) C([\d.]+),([\d.]+) ([\d.]+),([\d.]+) ([\d.]+),([\d.]+)$/);
    expect(m).not.toBeNull();
    const [x1, y1, c1x, c1y, c2x, c2y, x2, y2] = (m as RegExpMatchArray).slice(1).map(Number);
    expect([c1x, c2x]).toEqual([x1, x2]);
    expect(c1y).toBe(c2y);
    expect(y1).toBeGreaterThan(y2 as number); // up from a1.h1 to the logits
    expect(x2).toBe(450); // the logits port, x = 0.5 of 900
    // it leaves a1.h1's top edge and enters the logits' bottom edge
    const box = (name: string) => {
      const r = node(q, name).querySelector("rect") as SVGRectElement;
      return {
        top: Number(r.getAttribute("y")),
        bottom: Number(r.getAttribute("y")) + Number(r.getAttribute("height")),
      };
    };
    expect(y1).toBeCloseTo(box("a1.h1").top, 0);
    expect(y2).toBeCloseTo(box("logits").bottom, 0);
  });

  it("dashes key inputs, dots value inputs and keeps query, MLP and logits inputs solid", async () => {
    const { model, q } = mountCircuit();
    model.set("circuit_size", 8);
    await flush();
    const paths = edgePaths(q);
    expect(paths).toHaveLength(8);
    const byKind = (kind: string) => paths.filter((p) => p.getAttribute("data-kind") === kind);
    for (const p of byKind("k")) expect(p.getAttribute("stroke-dasharray")).toBe("5 3");
    for (const p of byKind("v")) expect(p.getAttribute("stroke-dasharray")).toBe("1.5 2.5");
    expect(byKind("k")).toHaveLength(1);
    expect(byKind("v")).toHaveLength(2);
    for (const kind of ["q", "mlp", "logits"]) {
      expect(byKind(kind).length).toBeGreaterThan(0);
      for (const p of byKind(kind)) expect(p.hasAttribute("stroke-dasharray")).toBe(false);
    }
  });

  it("draws min(circuit_size, sent) edges and says when it draws fewer than the circuit has", async () => {
    const { model, q } = mountCircuit({ circuit_size: 20 });
    expect(edgePaths(q)).toHaveLength(EDGES.length);
    const note = q(".ilw-circuit-note") as HTMLElement;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe(
      `drawing the 8 strongest of 20 edges (8 of the graph's ${N_EDGES} were sent)`,
    );
    model.set("circuit_size", 0);
    await flush();
    expect(edgePaths(q)).toHaveLength(0);
    expect(note.hidden).toBe(true);
    expect(q(".ilw-circuit-node[opacity='1']")).toBeNull();
  });

  it(`draws at most ${DRAW_CAP} edges, the first ones, and says so`, () => {
    const many = Array.from({ length: 2000 }, (_, i) => EDGES[i % EDGES.length] as (typeof EDGES)[number]);
    const { q } = mountCircuit({ _edges: edgesWire(many), circuit_size: 1800 });
    const paths = edgePaths(q);
    expect(paths).toHaveLength(1500);
    expect(paths[0]?.getAttribute("data-edge")).toBe("1499");
    expect(q(".ilw-circuit-note")?.textContent).toBe("drawing the 1,500 strongest of 1,800 edges");
  });

  it("the slider moves along the curve's sizes: it sets circuit_size (no request) and the label follows", async () => {
    const { model, q } = mountCircuit();
    const slider = q<HTMLInputElement>("input.ilw-circuit-size") as HTMLInputElement;
    const label = q(".ilw-circuit-size-label") as HTMLElement;
    expect([slider.min, slider.max, slider.value]).toEqual(["0", "8", "3"]);
    expect(label.textContent).toBe("4 edges · faithfulness 0.70");
    slider.value = "2";
    slider.dispatchEvent(new Event("input"));
    expect(model.get("circuit_size")).toBe(2);
    expect(model.saveCount).toBe(1);
    expect(model.get("_request")).toBe(0);
    await flush();
    expect(label.textContent).toBe("2 edges · faithfulness 0.55");
    expect(edgePaths(q)).toHaveLength(2);
    expect(q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(false);
    slider.value = "4";
    slider.dispatchEvent(new Event("input"));
    await flush();
    expect(label.textContent).toBe("8 edges · faithfulness 0.85");
    expect(edgePaths(q)).toHaveLength(8);
    // a size set from Python between two points: the nearest point, marked as approximate
    model.set("circuit_size", 5);
    await flush();
    expect(slider.value).toBe("3");
    expect(label.textContent).toBe("5 edges · faithfulness ≈ 0.70");
  });

  it("draws the faithfulness curve with the 0.8 line and a marker, and jumps to the smallest faithful size", async () => {
    const { model, q } = mountCircuit();
    const chart = q("svg.ilw-circuit-curve") as unknown as SVGSVGElement;
    const line = chart.querySelector(".ilw-circuit-curve-line") as SVGPathElement;
    const points = (line.getAttribute("d") ?? "")
      .slice(1)
      .split("L")
      .map((p) => p.split(",").map(Number));
    expect(points).toHaveLength(9);
    const xs = points.map((p) => p[0] as number);
    expect(xs[0]).toBe(30); // size 0 at the left edge
    for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThan(xs[i - 1] as number);
    // log axis (log1p, so size 0 sits at the left edge): x − 30 ∝ log(1 + size)
    const plot = (xs[8] as number) - 30;
    SIZES.forEach((size, i) => {
      expect((xs[i] as number) - 30).toBeCloseTo((plot * Math.log1p(size)) / Math.log1p(110), 0);
    });
    const threshold = chart.querySelector(".ilw-circuit-threshold") as SVGLineElement;
    expect(threshold.getAttribute("stroke-dasharray")).toBe("4 3");
    const marker = chart.querySelector(".ilw-circuit-marker") as SVGCircleElement;
    expect(Number(marker.getAttribute("cx"))).toBeCloseTo(xs[3] as number, 0);
    const jump = q<HTMLButtonElement>(".ilw-circuit-target") as HTMLButtonElement;
    expect(jump.textContent).toBe("smallest with faithfulness ≥ 0.8: 8 edges");
    jump.click();
    expect(model.get("circuit_size")).toBe(8);
    expect(model.get("_request")).toBe(0);
    await flush();
    expect(jump.disabled).toBe(true);
  });

  it("a click on a node selects it with one request; again, on empty space, on the input or Escape clears", async () => {
    const { model, q } = mountCircuit();
    click(node(q, "a1.h1").querySelector("text") as Element);
    expect(model.get("selected_node")).toBe("a1.h1");
    expect(model.get("_request")).toBe(1);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(node(q, "a1.h1").classList.contains("ilw-selected")).toBe(true);
    expect(q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(true);
    expect(q(".ilw-circuit-detail-body")?.textContent).toBe("a1.h1waiting for the kernel…");
    // its edges stay lit while nothing is hovered
    const lit = edgePaths(q).filter((p) => p.classList.contains("ilw-lit"));
    expect(lit.map((p) => p.getAttribute("data-edge")).sort()).toEqual(["0", "1", "2"]); // logits, k, q
    click(node(q, "a1.h1"));
    expect(model.get("selected_node")).toBe("");
    expect(model.get("_request")).toBe(2);
    click(node(q, "m0"));
    expect(model.get("selected_node")).toBe("m0");
    click(q("svg.ilw-circuit-svg") as Element);
    expect(model.get("selected_node")).toBe("");
    click(node(q, "logits"));
    expect(model.get("selected_node")).toBe("logits");
    click(node(q, "input"));
    expect(model.get("selected_node")).toBe("");
    expect(model.get("_request")).toBe(6);
    expect(model.saveCount).toBe(6);
    click(node(q, "a0.h2"));
    await flush();
    key(q(".ilw-circuit-graph") as HTMLElement, "Escape");
    expect(model.get("selected_node")).toBe("");
    // a click on an edge selects nothing and clears nothing
    model.set("selected_node", "m0");
    await flush();
    const saves = model.saveCount;
    click(pathOf(edgePaths(q), 1));
    expect(model.get("selected_node")).toBe("m0");
    expect(model.saveCount).toBe(saves);
  });

  it("hovering an edge names it with its score; hovering a node lights its edges", () => {
    const { model, q } = mountCircuit();
    const line = q(".ilw-circuit-hover") as HTMLElement;
    const hit = q('.ilw-circuit-hits [data-edge="1"]') as Element;
    hover(hit);
    expect(line.textContent).toBe("a0.h2 → a1.g1<k>: 1.2");
    expect(pathOf(edgePaths(q), 1).classList.contains("ilw-lit")).toBe(true);
    expect(edgePaths(q).filter((p) => p.classList.contains("ilw-lit"))).toHaveLength(1);
    expect(node(q, "a0.h2").classList.contains("ilw-lit")).toBe(true);
    expect(node(q, "a1.h1").classList.contains("ilw-lit")).toBe(true);
    expect((q("svg.ilw-circuit-svg") as Element).classList.contains("ilw-circuit-focus")).toBe(true);
    hover(node(q, "a1.h1"));
    expect(
      edgePaths(q)
        .filter((p) => p.classList.contains("ilw-lit"))
        .map((p) => p.dataset.edge)
        .sort(),
    ).toEqual(["0", "1", "2"]);
    expect(line.textContent).toBe("a1.h1: 2 incoming, 1 outgoing edges in the circuit");
    hover(node(q, "a0.h1"));
    expect(line.textContent).toBe("a0.h1: not in the drawn circuit");
    (q("svg.ilw-circuit-svg") as Element).dispatchEvent(new MouseEvent("mouseleave"));
    expect(edgePaths(q).filter((p) => p.classList.contains("ilw-lit"))).toHaveLength(0);
    expect(line.textContent).toMatch(/^Hover an edge/);
    expect(model.saveCount).toBe(0);
  });

  it("shows a head's detail: pattern thumbnail on the chosen pair, the numbers and its strongest edges", async () => {
    const { model, q, qa } = mountCircuit({ selected_node: "a1.h1", _detail: headDetail() });
    const detail = q(".ilw-circuit-detail") as HTMLElement;
    expect(detail.dataset.node).toBe("a1.h1");
    expect(q(".ilw-circuit-detail-title")?.textContent).toBe("a1.h1 · attention head 1 of layer 1");
    const value = (key: string) => q(`[data-value="${key}"]`)?.textContent;
    expect(value("direct-effect")).toBe("direct effect on the metric (exact): 1.73");
    expect(value("direct-score")).toBe("edge score to logits: 2");
    const items = (list: string) =>
      qa(`[data-list="${list}"] .ilw-circuit-edge-item`).map((li) => li.textContent);
    expect(items("incoming")).toEqual(["m0 → a1.h1<q>: -0.8", "a0.h1 → a1.g1<k>: 0.01"]);
    expect(items("outgoing")).toEqual(["a1.h1 → logits: 2"]);
    const pattern = q(".ilw-circuit-pattern") as HTMLElement;
    expect(pattern.hidden).toBe(false);
    expect(pattern.dataset.n).toBe("4");
    expect(pattern.querySelector(".ilw-heatmap canvas")).not.toBeNull();
    const pairs = q<HTMLSelectElement>("select.ilw-circuit-pair") as HTMLSelectElement;
    expect(q(".ilw-circuit-pair-row")?.hidden).toBe(false);
    expect([...pairs.options].map((o) => o.textContent)).toEqual([
      `0: ${CLEAN[0]?.slice(0, 39)}…`,
      `1: ${CLEAN[1]?.slice(0, 39)}…`,
    ]);
    pairs.value = "1";
    pairs.dispatchEvent(new Event("change"));
    expect(model.get("selected_pair")).toBe(1);
    expect(model.get("_request")).toBe(1);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(pattern.classList.contains("ilw-stale")).toBe(true);
    model.set("_detail", headDetail({ pair: 1 }));
    model.reply();
    await flush();
    expect(pattern.classList.contains("ilw-stale")).toBe(false);
    expect(pattern.dataset.pair).toBe("1");
    // an MLP has no pattern and no pair menu; the logits have no direct effect of their own
    model.set("selected_node", "m0");
    model.set(
      "_detail",
      headDetail({ node: "m0", kind: "mlp", head: -1, layer: 0, tokens: [], pattern: null }),
    );
    await flush();
    expect(pattern.hidden).toBe(true);
    expect(q(".ilw-circuit-pair-row")?.hidden).toBe(true);
    expect(q(".ilw-circuit-detail-title")?.textContent).toBe("m0 · MLP of layer 0");
    model.set("selected_node", "logits");
    model.set(
      "_detail",
      headDetail({
        node: "logits",
        kind: "logits",
        head: -1,
        layer: 2,
        direct_effect: null,
        direct_score: null,
        tokens: [],
        pattern: null,
      }),
    );
    await flush();
    expect(q('[data-value="direct-effect"]')).toBeNull();
    expect(q('[data-list="outgoing"]')).toBeNull();
  });

  it("draws the pattern on a canvas when there is a 2D context", () => {
    const calls: string[] = [];
    const ctx = new Proxy(
      {},
      {
        get: (_t, prop) =>
          prop === "createImageData"
            ? (w: number, hgt: number) => ({ width: w, data: new Uint8ClampedArray(w * hgt * 4) })
            : prop === "putImageData"
              ? (image: { width: number }) => calls.push(`putImageData ${image.width}`)
              : () => calls.push(String(prop)),
        set: () => true,
      },
    );
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(ctx as never);
    mountCircuit({ selected_node: "a1.h1", _detail: headDetail() });
    expect(calls).toContain("putImageData 404"); // the heatmap's plot, one ImageData
    expect(calls).toContain("fillText"); // its axis names
  });

  it("says so when a node's detail is not there (a static snapshot answers at once with what it holds)", async () => {
    const { model, q } = mountCircuit({ selected_node: "a1.h1", _detail: headDetail() });
    model.save_changes = function (this: typeof model) {
      this.saveCount++;
      this.set("_status", { request: this.get("_request"), state: "done", label: "", fraction: null });
    };
    click(node(q, "m0"));
    await flush();
    expect(model.get("selected_node")).toBe("m0");
    expect(q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(false);
    expect(q(".ilw-circuit-detail .ilw-circuit-hint")?.textContent).toMatch(
      /^no details computed for this node/,
    );
    expect(q(".ilw-circuit-pattern")?.hidden).toBe(true);
  });

  it("keeps hostile node, prompt and token text as text", async () => {
    const graph: GraphWire = {
      ...GRAPH,
      nodes: GRAPH.nodes.map((n, i) => (i === 3 ? { ...n, name: EVIL } : n)),
    };
    const { model, q, qa } = mountCircuit({
      _graph: graph,
      _task: {
        n_pairs: 1,
        clean: [EVIL],
        corrupted: [EVIL],
        answers: [EVIL],
        contrasts: [EVIL],
        metric: EVIL,
      },
    });
    expect(q(".ilw-circuit-task")?.textContent).toBe(
      `1 pair · metric: ${EVIL} · clean 6.38 · corrupted −0.86`,
    );
    const evilNode = node(q, EVIL);
    expect(evilNode.querySelector("text")?.textContent).toBe(EVIL);
    expect(evilNode.querySelector("text")?.children).toHaveLength(0);
    hover(q('.ilw-circuit-hits [data-edge="1"]') as Element);
    expect(q(".ilw-circuit-hover")?.textContent).toBe(`${EVIL} → a1.g1<k>: 1.2`);
    model.set("selected_node", EVIL);
    model.set(
      "_detail",
      headDetail({
        node: EVIL,
        tokens: [EVIL, EVIL, EVIL, EVIL],
        incoming: [{ upstream: EVIL, downstream: EVIL, score: 1 }],
      }),
    );
    await flush();
    expect(q(".ilw-circuit-detail-name")?.textContent).toBe(EVIL);
    expect(qa(".ilw-circuit-edge-item")[0]?.textContent).toBe(`${EVIL} → ${EVIL}: 1`);
    expect(q<HTMLSelectElement>("select.ilw-circuit-pair")?.options[0]?.textContent).toBe(`0: ${EVIL}`);
    expect(document.querySelector("img")).toBeNull();
    expect(document.querySelector("[onerror]")).toBeNull();
  });

  it("a new method, number of steps or selection is a request; steps show only for EAP-IG", async () => {
    const { model, q } = mountCircuit();
    const method = q<HTMLSelectElement>("select.ilw-circuit-method") as HTMLSelectElement;
    method.value = "eap";
    method.dispatchEvent(new Event("change"));
    expect(model.get("method")).toBe("eap");
    expect(model.get("_request")).toBe(1);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(true);
    expect(q<HTMLButtonElement>(".ilw-cancel")?.hidden).toBe(false);
    expect(q(".ilw-circuit-steps-label")?.hidden).toBe(true);
    model.reply("running", { label: "EAP scores", fraction: 0.5 });
    await flush();
    expect(q(".ilw-busy-label")?.textContent).toBe("EAP scores");
    (q(".ilw-cancel") as HTMLButtonElement).click();
    expect(model.sent).toEqual([{ type: "cancel" }]);
    model.reply("cancelled");
    model.set("method", "eap-ig");
    await flush();
    expect(q(".ilw-circuit-steps-label")?.hidden).toBe(false);
    const steps = q<HTMLInputElement>("input.ilw-circuit-steps") as HTMLInputElement;
    steps.value = "12";
    steps.dispatchEvent(new Event("change"));
    expect(model.get("steps")).toBe(12);
    expect(model.get("_request")).toBe(2);
    steps.value = "0";
    steps.dispatchEvent(new Event("change"));
    expect(model.get("steps")).toBe(12);
    expect(steps.value).toBe("5"); // back to the last steps shown (the trait's reply has not come yet)
    const selection = q<HTMLSelectElement>("select.ilw-circuit-selection") as HTMLSelectElement;
    selection.value = "greedy";
    selection.dispatchEvent(new Event("change"));
    expect(model.get("selection")).toBe("greedy");
    expect(model.get("_request")).toBe(3);
  });

  it("has one SVG export, the shared export menu's, next to the circuit's JSON download", () => {
    const { q, qa } = mountCircuit();
    expect(q(".ilw-circuit-export-svg")).toBeNull();
    expect(qa(".ilw-export-svg")).toHaveLength(1);
    expect(q(".ilw-circuit-export-json")).not.toBeNull();
  });

  it("exports the circuit as JSON: edges by name with their scores, the layout, curve and task", async () => {
    const { q } = mountCircuit({ circuit_size: 3 });
    const download = captureDownload();
    (q(".ilw-circuit-export-json") as HTMLButtonElement).click();
    expect(download.names).toEqual(["circuit-eap-ig-3.json"]);
    const json = JSON.parse(await download.text());
    expect(json.edges).toEqual([
      { upstream: "a1.h1", downstream: "logits", score: 2 },
      { upstream: "a0.h2", downstream: "a1.g1<k>", score: 1.2 },
      { upstream: "m0", downstream: "a1.h1<q>", score: -0.8 },
    ]);
    expect(json).toMatchObject({
      model: "tiny-test-model",
      method: "eap-ig",
      steps: 5,
      selection: "topn",
      circuit_size: 3,
      n_edges: N_EDGES,
    });
    expect(json.graph.nodes).toHaveLength(12);
    expect(json.graph.downstream).toHaveLength(27);
    expect(json.curve.target_size).toBe(8);
    expect(json.task.clean).toEqual(CLEAN);
  });

  it("shows malformed traits in the error banner and Python's error; cleans up its listeners", async () => {
    const { model, q, cleanup } = mountCircuit();
    const error = q(".ilw-error") as HTMLElement;
    const bad = edgesWire();
    bad.upstream = edgesWire([["a1.h1", "logits", 1]]).upstream;
    model.set("_edges", bad);
    await flush();
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("_edges: upstream, downstream and score have 1, 8 and 8 entries");
    expect(edgePaths(q)).toHaveLength(0);
    model.set("_edges", edgesWire());
    model.set("_curve", { ...(model.get("_curve") as object), faithfulness: [1] } as never);
    await flush();
    expect(error.textContent).toBe("_curve: 9 sizes but 1 faithfulness values");
    expect(edgePaths(q)).toHaveLength(4);
    model.set("_graph", { ...GRAPH, nodes: "nope" } as never);
    await flush();
    expect(error.textContent).toContain("_graph.nodes is not a list");
    expect(q(".ilw-circuit-node")).toBeNull();
    model.set("_graph", GRAPH);
    model.set("_curve", {});
    model.set("_error", "no pairs given");
    await flush();
    expect(error.textContent).toBe("no pairs given");
    expect(q(".ilw-circuit-node")).not.toBeNull();
    expect(q<HTMLInputElement>("input.ilw-circuit-size")?.disabled).toBe(true);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(document.querySelector(".ilw-circuit-explorer")).toBeNull();
  });
});
