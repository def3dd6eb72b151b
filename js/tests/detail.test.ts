import { afterEach, describe, expect, it } from "vitest";
import type { DetailMatrix } from "../src/attention/types";
import { maxPool } from "../src/components/heatmap";
import { focusEdges, topEdges } from "../src/components/token_lines";
import { causalPattern, flush } from "./fake_model";
import { mount } from "./mount";

afterEach(() => {
  document.body.replaceChildren();
});

describe("detail panel", () => {
  it("sets data-layer/head/mode from _detail and follows changes", async () => {
    const { model, q } = mount();
    const detail = q(".ilw-detail") as HTMLElement;
    expect(detail.dataset).toMatchObject({ layer: "0", head: "0", mode: "raw" });
    expect(q(".ilw-detail-caption")?.textContent).toBe("Layer 0, head 0 · raw · colour scale 0 – 1.00");
    model.set("_detail", { layer: 2, head: -1, mode: "rollout", pattern: causalPattern(4) });
    await flush();
    expect(detail.dataset).toMatchObject({ layer: "2", head: "-1", mode: "rollout" });
    expect(q(".ilw-heatmap canvas")).not.toBeNull();
  });

  it("shows nothing for an empty _detail and no tokens", async () => {
    const { model, q } = mount({ _detail: {}, _tokens: [] });
    const detail = q(".ilw-detail") as HTMLElement;
    expect(detail.dataset.layer).toBeUndefined();
    expect((q(".ilw-error") as HTMLElement).hidden).toBe(true);
    model.set("_tokens", ["a", "b", "c", "d"]);
    model.set("_detail", { layer: 1, head: 1, mode: "raw", pattern: causalPattern(4) });
    await flush();
    expect(detail.dataset.layer).toBe("1");
    model.set("_detail", {});
    await flush();
    expect(detail.dataset.layer).toBeUndefined();
  });

  it("reports a matrix that disagrees with the tokens instead of drawing it", async () => {
    const { model, q } = mount();
    model.set("_detail", { layer: 0, head: 1, mode: "raw", pattern: causalPattern(3) });
    await flush();
    const banner = q(".ilw-error") as HTMLElement;
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toBe("_detail.pattern is 3×3 but there are 4 tokens");
    expect((q(".ilw-detail") as HTMLElement).dataset.layer).toBeUndefined();
    model.set("_detail", { layer: 0, head: 1, mode: "raw", pattern: causalPattern(4) });
    await flush();
    expect(banner.hidden).toBe(true);
  });

  it("applies tokens and their matrix together when both change in one update", async () => {
    const { model, q } = mount();
    // As a hold_sync message does: the tokens change first, then the detail, in one task.
    model.set("_tokens", ["x", "y"]);
    model.set("_detail", { layer: 0, head: 0, mode: "raw", pattern: causalPattern(2) });
    await flush();
    expect((q(".ilw-error") as HTMLElement).hidden).toBe(true);
    expect(q(".ilw-token-count")?.textContent).toBe("2 tokens");
  });

  it("records click-to-paint time once the reply with the matching _detail is painted", async () => {
    const { model, q } = mount();
    const detail = q(".ilw-detail") as HTMLElement;
    q('.ilw-head-cell[data-layer="1"][data-head="3"]')?.click();
    const first = model.get("_request");
    await flush();
    expect(detail.dataset.paintMs).toBeUndefined(); // still showing L0 H0
    q('.ilw-head-cell[data-layer="2"][data-head="0"]')?.click();
    q('.ilw-head-cell[data-layer="1"][data-head="3"]')?.click();
    // The reply to the first click matches the selection but answers an older request.
    model.set("_detail", { layer: 1, head: 3, mode: "raw", pattern: causalPattern(4) });
    model.reply("done", { request: first });
    await flush();
    expect(detail.dataset.paintMs).toBeUndefined();
    model.reply("done");
    await flush();
    expect(Number(detail.dataset.paintMs)).toBeGreaterThanOrEqual(0);
  });

  it("hover tooltip names query token → key token: weight", () => {
    const { q } = mount();
    const canvas = q(".ilw-heatmap-canvas") as HTMLCanvasElement;
    const tooltip = q(".ilw-heatmap-tooltip") as HTMLElement;
    // 4 tokens fill the 404 px plot at 101 px a cell, after a 72 px label margin.
    const at = (q: number, k: number) =>
      canvas.dispatchEvent(
        new PointerEvent("pointermove", { clientX: 72 + 101 * (k + 0.5), clientY: 72 + 101 * (q + 0.5) }),
      );
    at(2, 1);
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toBe('2 "·sat" → 1 "·cat": 0.250');
    at(1, 3);
    expect(tooltip.textContent).toBe('1 "·cat" → 3 "↵": masked');
    canvas.dispatchEvent(new PointerEvent("pointerleave"));
    expect(tooltip.hidden).toBe(true);
  });

  it("token lines: two columns of tokens and lines for the focused token", async () => {
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
});

describe("edge selection", () => {
  const m: DetailMatrix = {
    layer: 0,
    head: 0,
    mode: "raw",
    n: 3,
    values: new Float32Array([1, 0, 0, 0.2, 0.8, 0, 0.1, 0.3, 0.6]),
    max: 1,
  };

  it("focusEdges picks a row or a column, strongest first", () => {
    expect(focusEdges(m, 2, "query", 2).map(([q, k]) => [q, k])).toEqual([
      [2, 2],
      [2, 1],
    ]);
    expect(focusEdges(m, 0, "key", 10).map(([q, k]) => [q, k])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
  });

  it("topEdges keeps the strongest entries of the whole matrix", () => {
    expect(topEdges(m, 3).map(([, , w]) => w)).toEqual([1, Math.fround(0.8), Math.fround(0.6)]);
    const big = new Float32Array(300 * 300).map((_, i) => (i * 7919) % 1000);
    const top = topEdges({ ...m, n: 300, values: big, max: 999 }, 50);
    expect(top).toHaveLength(50);
    expect(top.every(([, , w]) => w >= 990)).toBe(true);
  });
});

describe("max pooling for zoomed-out heatmaps", () => {
  it("keeps a one-cell-wide off-diagonal visible, including a half block at the edge", () => {
    // 5 × 5 previous-token pattern: 1 at (q, q - 1)
    const values = new Float32Array(25);
    for (let q = 1; q < 5; q++) values[q * 5 + q - 1] = 1;
    expect([...maxPool(values, 5)]).toEqual([1, 0, 0, 1, 1, 0, 0, 1, 0]);
  });
});
