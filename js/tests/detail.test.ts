import { afterEach, describe, expect, it, vi } from "vitest";
import { readDetail, readDetailLines } from "../src/attention/traits";
import type { DetailPartWire, DetailWire } from "../src/attention/types";
import { focusEdges, topEdges } from "../src/components/token_lines";
import { LIGHT } from "../src/lib/colormap";
import { causal, detail, detailLines, type Values } from "./attention_fixture";
import { mockContext as mockCanvas } from "./canvas_mock";
import { flush, toHalf, wire } from "./fake_model";
import { mount } from "./mount";

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

/** Plot geometry of the heatmap: a 72 px label margin, then a 404 px plot. */
const MARGIN = 72;
const PLOT = 404;

const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

/** Move the pointer over the centre of token pair (q, k) of an unzoomed n-token heatmap. */
function pointAt(canvas: HTMLCanvasElement, n: number, q: number, k: number): void {
  const cell = PLOT / n;
  canvas.dispatchEvent(
    new PointerEvent("pointermove", {
      clientX: MARGIN + cell * (k + 0.5),
      clientY: MARGIN + cell * (q + 0.5),
    }),
  );
}

/** Distinct values below the diagonal, (10q + k) / 128: a block's maximum is at its last query and key. */
const ramp: Values = (q, k) => (k > q ? 0 : (10 * q + k) / 128);

describe("detail panel", () => {
  it("sets data-layer/head/mode from _detail and follows changes", async () => {
    const { model, q } = mount();
    const panel = q(".ilw-detail") as HTMLElement;
    expect(panel.dataset).toMatchObject({ layer: "0", head: "0", mode: "raw" });
    expect(q(".ilw-detail-caption")?.textContent).toBe("Layer 0, head 0 · raw · colour scale 0 – 1.00");
    model.set("_detail", detail(causal, 4, { layer: 2, head: -1, mode: "rollout" }));
    await flush();
    expect(panel.dataset).toMatchObject({ layer: "2", head: "-1", mode: "rollout" });
    expect(q(".ilw-detail-caption")?.textContent).toBe("Layer 2 · rollout · colour scale 0 – 1.00");
    expect(q(".ilw-heatmap canvas")).not.toBeNull();
  });

  it("shows nothing for an empty _detail and no tokens", async () => {
    const { model, q } = mount({ _detail: {}, _detail_lines: {}, _tokens: [] });
    const panel = q(".ilw-detail") as HTMLElement;
    expect(panel.dataset.layer).toBeUndefined();
    expect((q(".ilw-heatmap") as HTMLElement).dataset.window).toBeUndefined();
    expect((q(".ilw-error") as HTMLElement).hidden).toBe(true);
    model.set("_tokens", ["a", "b", "c", "d"]);
    model.set("_detail", detail(causal, 4, { layer: 1, head: 1 }));
    await flush();
    expect(panel.dataset.layer).toBe("1");
    model.set("_detail", {});
    await flush();
    expect(panel.dataset.layer).toBeUndefined();
  });

  it("reports a matrix that disagrees with the tokens instead of drawing it", async () => {
    const { model, q } = mount();
    model.set("_detail", detail(causal, 3, { head: 1 }));
    await flush();
    const banner = q(".ilw-error") as HTMLElement;
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toBe("_detail is for 3 tokens but there are 4 tokens");
    expect((q(".ilw-detail") as HTMLElement).dataset.layer).toBeUndefined();
    expect((q(".ilw-heatmap") as HTMLElement).dataset.window).toBeUndefined();
    model.set("_detail", detail(causal, 4, { head: 1 }));
    await flush();
    expect(banner.hidden).toBe(true);
  });

  it("applies tokens and their matrix together when both change in one update", async () => {
    const { model, q } = mount();
    // As a hold_sync message does: the tokens change first, then the detail, in one task.
    model.set("_tokens", ["x", "y"]);
    model.set("_detail", detail(causal, 2));
    model.set("_detail_lines", detailLines(causal, 2, 2));
    await flush();
    expect((q(".ilw-error") as HTMLElement).hidden).toBe(true);
    expect(q(".ilw-token-count")?.textContent).toBe("2 tokens");
  });

  it("records click-to-paint time once the reply with the matching _detail is painted", async () => {
    const { model, q } = mount();
    const panel = q(".ilw-detail") as HTMLElement;
    q('.ilw-head-cell[data-layer="1"][data-head="3"]')?.click();
    const first = model.get("_request");
    await flush();
    expect(panel.dataset.paintMs).toBeUndefined(); // still showing L0 H0
    q('.ilw-head-cell[data-layer="2"][data-head="0"]')?.click();
    q('.ilw-head-cell[data-layer="1"][data-head="3"]')?.click();
    // The reply to the first click matches the selection but answers an older request.
    model.set("_detail", detail(causal, 4, { layer: 1, head: 3 }));
    model.reply("done", { request: first });
    await flush();
    expect(panel.dataset.paintMs).toBeUndefined();
    model.reply("done");
    await flush();
    expect(Number(panel.dataset.paintMs)).toBeGreaterThanOrEqual(0);
  });

  it("says when the whole matrix is shown as block maxima", async () => {
    const { model, q } = mount({ _tokens: names(300), _detail: detail(causal, 300), _detail_lines: {} });
    expect(q(".ilw-detail-caption")?.textContent).toBe(
      "Layer 0, head 0 · raw · colour scale 0 – 1.00 · block maxima (zoom in for single tokens)",
    );
    expect((q(".ilw-heatmap") as HTMLElement).dataset).toMatchObject({
      window: "0,300,0,300",
      exact: "false",
    });
    model.set("_detail", detail(causal, 300, { window: [10, 60, 0, 300] }));
    await flush();
    expect(q(".ilw-detail-caption")?.textContent).toBe(
      "Layer 0, head 0 · raw · colour scale 0 – 1.00 · tokens 10–59 × 0–299 · block maxima",
    );
  });
});

describe("heatmap tooltip", () => {
  it("names query token → key token: weight for a one-token cell", () => {
    const { q } = mount();
    const canvas = q(".ilw-heatmap-canvas") as HTMLCanvasElement;
    const tooltip = q(".ilw-heatmap-tooltip") as HTMLElement;
    pointAt(canvas, 4, 2, 1);
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toBe('2 "·sat" → 1 "·cat": 0.250');
    pointAt(canvas, 4, 1, 3);
    expect(tooltip.textContent).toBe('1 "·cat" → 3 "↵": masked');
    canvas.dispatchEvent(new PointerEvent("pointerleave"));
    expect(tooltip.hidden).toBe(true);
  });

  it("maps unequal blocks to their own tokens and says the value is their maximum", () => {
    // 10 tokens in 4 blocks per axis: Python's binning starts them at 0, 3, 5, 8.
    const { q } = mount({
      _tokens: names(10),
      _detail: detail(ramp, 10, { maxBlocks: 4 }),
      _detail_lines: {},
    });
    const canvas = q(".ilw-heatmap-canvas") as HTMLCanvasElement;
    const tooltip = q(".ilw-heatmap-tooltip") as HTMLElement;
    pointAt(canvas, 10, 4, 2);
    expect(tooltip.textContent).toBe("3–4 → 0–2: max of 2 × 3 tokens: 0.328"); // (10·4 + 2) / 128
    pointAt(canvas, 10, 5, 4);
    expect(tooltip.textContent).toBe("5–7 → 3–4: max of 3 × 2 tokens: 0.578"); // (10·7 + 4) / 128
    pointAt(canvas, 10, 9, 0);
    expect(tooltip.textContent).toBe("8–9 → 0–2: max of 2 × 3 tokens: 0.719");
    // Above the diagonal inside a block that straddles it: that pair is masked.
    pointAt(canvas, 10, 3, 4);
    expect(tooltip.textContent).toBe('3 "t3" → 4 "t4": masked');
  });

  it("says a row is not computed when only a pinned token's row was", () => {
    const { q } = mount({
      _tokens: names(10),
      _detail: detail(ramp, 10, { rows: [6], head: -1, mode: "rollout" }),
      _detail_lines: {},
    });
    const canvas = q(".ilw-heatmap-canvas") as HTMLCanvasElement;
    const tooltip = q(".ilw-heatmap-tooltip") as HTMLElement;
    pointAt(canvas, 10, 2, 1);
    expect(tooltip.textContent).toBe('2 "t2" → 1 "t1": not computed (pin a token)');
    pointAt(canvas, 10, 6, 1);
    expect(tooltip.textContent).toBe('6 "t6" → 1 "t1": 0.477');
  });

  it("names the one computed row of a block rather than the whole block", () => {
    // 20 tokens in blocks of 5: the block over queries 5–9 holds only row 7's values.
    const { q } = mount({
      _tokens: names(20),
      _detail: detail(ramp, 20, { rows: [7], maxBlocks: 4, head: -1, mode: "rollout" }),
      _detail_lines: {},
    });
    const canvas = q(".ilw-heatmap-canvas") as HTMLCanvasElement;
    const tooltip = q(".ilw-heatmap-tooltip") as HTMLElement;
    pointAt(canvas, 20, 7, 1);
    expect(tooltip.textContent).toBe('7 "t7" → 0–4: max of 1 × 5 tokens: 0.578'); // (10·7 + 4) / 128
    pointAt(canvas, 20, 8, 1);
    expect(tooltip.textContent).toBe('8 "t8" → 1 "t1": not computed (pin a token)');
  });

  it("keeps hostile token text as text in the tooltip", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    const { model, el, q } = mount();
    model.set("_tokens", [evil, "<b>", "&amp;", "x"]);
    await flush();
    const canvas = q(".ilw-heatmap-canvas") as HTMLCanvasElement;
    pointAt(canvas, 4, 1, 0);
    // describeToken shortens labels to 24 characters
    expect(q(".ilw-heatmap-tooltip")?.textContent).toBe('1 "<b>" → 0 "<img src=x onerror=aler…": 0.250');
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("b")).toBeNull();
  });
});

describe("heatmap painting", () => {
  const mockContext = () => mockCanvas(PLOT);

  /** The opaque colour for `value` on a scale topped by `max`. */
  const colour = (value: number, max: number) => {
    const i = 3 * Math.round((value / max) * 255);
    return [LIGHT.lut[i], LIGHT.lut[i + 1], LIGHT.lut[i + 2], 255];
  };

  it("colours each unequal block over its own tokens, paints the masked triangle as the background, paints the window on top", async () => {
    const { calls, pixel } = mockContext();
    const { model } = mount({
      _tokens: names(10),
      _detail: detail(ramp, 10, { maxBlocks: 4 }),
      _detail_lines: {},
    });
    expect(calls).toContain("putImageData");
    const max = 99 / 128;
    expect(pixel(10, 4, 2)).toEqual(colour(42 / 128, max)); // block rows 3–4 × keys 0–2
    expect(pixel(10, 2, 2)).toEqual(colour(22 / 128, max)); // block rows 0–2 × keys 0–2
    expect(pixel(10, 5, 0)).toEqual(colour(72 / 128, max)); // block rows 5–7 × keys 0–2
    expect(pixel(10, 3, 4)).toEqual([255, 255, 255, 255]); // masked: the (light) background, opaque
    // An exact window over queries 3–4, keys 0–2 replaces the block there, and only there.
    model.set("_detail", detail(ramp, 10, { maxBlocks: 4, window: [3, 5, 0, 3] }));
    await flush();
    expect(pixel(10, 3, 0)).toEqual(colour(30 / 128, max));
    expect(pixel(10, 5, 0)).toEqual(colour(72 / 128, max));
  });

  it("keeps one strong cell visible when many tokens share a pixel", async () => {
    const { pixel, rgba } = mockContext();
    const spike: Values = (q, k) => (k > q ? 0 : q === 700 && k === 3 ? 1 : 0.01);
    const { model } = mount({ _tokens: names(1000), _detail: detail(spike, 1000), _detail_lines: {} });
    const darkest = colour(1, 1);
    // 1,000 tokens in 404 px: the overview block holding the spike is darker than a pixel's worth.
    expect(pixel(1000, 700, 3)).toEqual(darkest);
    // An exact window painted at this zoom puts 2.5 tokens in a pixel. Pixel (282, 1) covers
    // queries 698–700 and keys 2–4; its centre is on (699, 3), yet it shows the spike at (700, 3).
    model.set("_detail", detail(spike, 1000, { window: [600, 800, 0, 200] }));
    await flush();
    expect(rgba(282, 1)).toEqual(darkest);
    expect(rgba(283, 1)).toEqual(darkest); // queries 700.5–703: token 700 reaches into it too
    expect(rgba(285, 1)).not.toEqual(darkest); // queries 705–707
    expect(pixel(1000, 650, 150)).not.toEqual(darkest);
  });

  it("paints thumbnails, heatmap and highlights without throwing", async () => {
    const { calls } = mockContext();
    const { model, q } = mount();
    expect(calls).toContain("putImageData");
    calls.length = 0;
    q('.ilw-token[data-token-index="1"]')?.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    expect(calls.filter((c) => c === "fillRect")).toHaveLength(12); // one band per thumbnail
    model.set("_detail", detail(causal, 4, { layer: 1 }));
    await flush();
    expect(calls).toContain("putImageData");
    const canvas = q(".ilw-heatmap-canvas") as HTMLCanvasElement;
    canvas.dispatchEvent(
      new WheelEvent("wheel", { deltaY: -200, clientX: 200, clientY: 200, cancelable: true }),
    );
    canvas.dispatchEvent(new PointerEvent("pointermove", { clientX: 300, clientY: 300 }));
    expect(q(".ilw-heatmap-tooltip")?.textContent).toMatch(/→/);
  });
});

describe("readDetail", () => {
  const good = () => detail(ramp, 10, { maxBlocks: 4, window: [3, 5, 0, 3], rows: [6, 2] });
  const int32 = (values: number[]) => wire("int32", [values.length], Int32Array.from(values));

  it("decodes the overview, the window and the computed rows", () => {
    const { value, problem } = readDetail(good(), 10);
    expect(problem).toBe("");
    expect(value?.n).toBe(10);
    expect(value?.scaleMax).toBe(66 / 128); // only rows 2 and 6 hold values: (10·6 + 6) / 128
    expect([...(value?.rows ?? [])]).toEqual([2, 6]);
    expect([...(value?.overview.queryStarts ?? [])]).toEqual([0, 3, 5, 8]);
    expect(value?.overview.exact).toBe(false);
    expect(value?.window?.bounds).toEqual([3, 5, 0, 3]);
    expect(value?.window?.exact).toBe(true);
    expect(readDetail({}, 10)).toEqual({ value: null, problem: "" });
  });

  type Mutation = (d: DetailWire & { overview: DetailPartWire; window: DetailPartWire }) => void;
  const cases: Array<[string, Mutation, string]> = [
    [
      "missing scale",
      (d) => delete (d as Partial<DetailWire>).scale_max,
      "_detail.scale_max must be a number",
    ],
    [
      "starts shorter than the pattern",
      (d) => {
        d.overview.query_starts = int32([0, 3, 5]);
      },
      "_detail.overview.query_starts has 3 entries but the pattern has 4",
    ],
    [
      "starts not increasing",
      (d) => {
        d.overview.key_starts = int32([0, 5, 3, 8]);
      },
      "_detail.overview.key_starts is not strictly increasing",
    ],
    [
      "starts not at the bounds",
      (d) => {
        d.overview.query_starts = int32([1, 3, 5, 8]);
      },
      "_detail.overview.query_starts must start at 0, got 1",
    ],
    [
      "a start past the bounds",
      (d) => {
        d.window.query_starts = int32([3, 5]);
      },
      "_detail.window.query_starts has a start past the bounds (5)",
    ],
    [
      "window outside the matrix",
      (d) => {
        d.window.bounds = [3, 12, 0, 3];
      },
      "_detail.window.bounds [3, 12, 0, 3] are not non-empty ranges inside [0, 10]",
    ],
    [
      "overview not the whole matrix",
      (d) => {
        d.overview.bounds = [0, 9, 0, 10];
      },
      "_detail.overview.bounds must be [0, 10, 0, 10], got [0, 9, 0, 10]",
    ],
    [
      "integer pattern",
      (d) => {
        d.overview.pattern = wire("int32", [4, 4], new Int32Array(16));
      },
      "_detail.overview.pattern: expected a float [rows, cols] matrix, got int32 [4, 4]",
    ],
    [
      "float starts",
      (d) => {
        d.overview.key_starts = wire("float16", [4], Uint16Array.from([0, 3, 5, 8], toHalf));
      },
      "_detail.overview.key_starts: expected int32 [r], got float [4]",
    ],
    [
      "rows outside the tokens",
      (d) => {
        d.rows = int32([2, 10]);
      },
      "_detail.rows: a row is outside 0..9",
    ],
    [
      "window not a dict",
      (d) => {
        (d as unknown as { window: unknown }).window = [3, 5, 0, 3];
      },
      "_detail.window is not an object",
    ],
  ];

  it.each(cases)("rejects %s with a problem", (_name, mutate, problem) => {
    const d = good() as Parameters<Mutation>[0];
    mutate(d);
    expect(readDetail(d, 10)).toEqual({ value: null, problem });
  });

  it("rejects a matrix for another token count", () => {
    expect(readDetail(good(), 11).problem).toBe("_detail is for 10 tokens but there are 11 tokens");
  });
});

describe("readDetailLines", () => {
  it("decodes the top-k lists", () => {
    const { value, problem } = readDetailLines(detailLines(causal, 4, 3), 4);
    expect(problem).toBe("");
    expect([...(value?.topKeys.slice(6, 9) ?? [])]).toEqual([2, 0, 1]); // query 2: itself, then ties in order
    expect([...(value?.topQueries.slice(9, 12) ?? [])]).toEqual([3, -1, -1]); // key 3: only query 3
    expect(value?.max).toBe(1);
  });

  it.each([
    [
      "another token count",
      (l: Record<string, unknown>) => l,
      5,
      "_detail_lines is for 4 tokens but there are 5 tokens",
    ],
    [
      "a wrong shape",
      (l: Record<string, unknown>) => ({ ...l, top_keys: wire("int32", [4, 2], new Int32Array(8)) }),
      4,
      "_detail_lines.top_keys: expected int32 [4, 3], got int32 [4, 2]",
    ],
    [
      "an index past the tokens",
      (l: Record<string, unknown>) => ({
        ...l,
        top_queries: wire("int32", [4, 3], new Int32Array(12).fill(4)),
      }),
      4,
      "_detail_lines.top_queries: an index is outside -1..3",
    ],
    [
      "integer weights",
      (l: Record<string, unknown>) => ({ ...l, top_key_weights: wire("int32", [4, 3], new Int32Array(12)) }),
      4,
      "_detail_lines.top_key_weights: expected float [4, 3], got int32 [4, 3]",
    ],
    ["no k", (l: Record<string, unknown>) => ({ ...l, k: 2.5 }), 4, "_detail_lines.k must be an integer"],
  ])("rejects %s with a problem", (_name, mutate, n, problem) => {
    const lines = mutate(detailLines(causal, 4, 3) as unknown as Record<string, unknown>);
    expect(readDetailLines(lines, n)).toEqual({ value: null, problem });
  });

  it("shows a bad _detail_lines in the banner", async () => {
    const { model, q } = mount();
    model.set("_detail_lines", detailLines(causal, 3, 2));
    await flush();
    expect(q(".ilw-error")?.textContent).toBe("_detail_lines is for 3 tokens but there are 4 tokens");
    expect(q(".ilw-tl-lines line")).toBeNull();
  });
});

describe("token lines", () => {
  it("two columns of tokens and lines for the focused token", () => {
    const { qa, q } = mount();
    expect(qa(".ilw-tl-queries .ilw-tl-token").map((t) => t.textContent)).toEqual([
      "The",
      " cat",
      " sat",
      "↵",
    ]);
    expect(qa(".ilw-tl-keys .ilw-tl-token")).toHaveLength(4);
    // hover query 2 in the strip: its row is [0.25, 0.25, 0.5, masked]
    q('.ilw-token[data-token-index="2"]')?.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    const lines = qa<SVGLineElement>(".ilw-tl-lines line");
    expect(lines.map((l) => [l.getAttribute("y2"), l.getAttribute("stroke-opacity")])).toEqual([
      ["45", "0.500"],
      ["9", "0.250"],
      ["27", "0.250"],
    ]);
    expect(q(".ilw-tl-queries .ilw-tl-focus")?.dataset.tokenIndex).toBe("2");
  });

  it("on the key axis draws the queries that look at the token", () => {
    const { q, qa } = mount();
    const keyRadio = q<HTMLInputElement>('input[value="key"]') as HTMLInputElement;
    keyRadio.checked = true;
    keyRadio.dispatchEvent(new Event("change", { bubbles: true }));
    q('.ilw-token[data-token-index="2"]')?.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    const lines = qa<SVGLineElement>(".ilw-tl-lines line");
    expect(lines.map((l) => [l.getAttribute("y1"), l.getAttribute("y2")])).toEqual([
      ["45", "45"], // query 2 → key 2 (0.5)
      ["63", "45"], // query 3 → key 2 (0.25)
    ]);
    expect(q(".ilw-tl-keys .ilw-tl-focus")?.dataset.tokenIndex).toBe("2");
  });

  it("hides lines that belong to another head than the matrix shown", async () => {
    const { model, qa } = mount();
    expect(qa(".ilw-tl-lines line").length).toBeGreaterThan(0);
    model.set("_detail_lines", detailLines(causal, 4, 4, { head: 2 }));
    await flush();
    expect(qa(".ilw-tl-lines line")).toHaveLength(0);
  });

  it("keeps hostile token text as text", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    const { model, el, qa } = mount();
    model.set("_tokens", [evil, "<b>", "x", "y"]);
    await flush();
    expect(qa(".ilw-tl-queries .ilw-tl-token")[0]?.textContent).toBe(evil);
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("b")).toBeNull();
  });
});

describe("edge selection", () => {
  const lines = readDetailLines(detailLines(ramp, 5, 3), 5).value as NonNullable<
    ReturnType<typeof readDetailLines>["value"]
  >;

  it("focusEdges picks a row's keys or a column's queries, strongest first", () => {
    expect(focusEdges(lines, 2, "query", 2).map(([q, k]) => [q, k])).toEqual([
      [2, 2],
      [2, 1],
    ]);
    expect(focusEdges(lines, 0, "key", 10).map(([q, k]) => [q, k])).toEqual([
      [4, 0],
      [3, 0],
      [2, 0],
    ]);
  });

  it("topEdges keeps the strongest entries of all rows' lists", () => {
    expect(topEdges(lines, 3).map(([q, k]) => [q, k])).toEqual([
      [4, 4],
      [4, 3],
      [4, 2],
    ]);
    expect(topEdges(lines, 100)).toHaveLength(11); // query 0's row is all 0, query 1 has two keys, the others 3
  });
});
