/**
 * The heatmap as a viewport: zooming and panning ask the kernel for the visible window
 * (`detail_window`) once the view rests, and the window Python answers is painted in place.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SETTLE_MS } from "../src/components/heatmap";
import { causal, detail } from "./attention_fixture";
import { flush } from "./fake_model";
import { mount } from "./mount";

const N = 1000;
const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

function setup() {
  const view = mount({ _tokens: names(N), _detail: detail(causal, N), _detail_lines: {} });
  const canvas = view.q(".ilw-heatmap-canvas") as HTMLCanvasElement;
  const heatmap = view.q(".ilw-heatmap") as HTMLElement;
  // happy-dom lays nothing out: the canvas sits at (0, 0), so the plot starts at (72, 72).
  const wheel = (deltaY: number, clientX = 72, clientY = 72) => {
    const event = new WheelEvent("wheel", { deltaY, cancelable: true });
    // happy-dom's WheelEvent drops the MouseEvent fields: give it the pointer position.
    Object.defineProperties(event, { clientX: { value: clientX }, clientY: { value: clientY } });
    canvas.dispatchEvent(event);
  };
  const drag = (from: [number, number], to: [number, number]) => {
    canvas.dispatchEvent(new PointerEvent("pointerdown", { clientX: from[0], clientY: from[1], button: 0 }));
    canvas.dispatchEvent(new PointerEvent("pointermove", { clientX: to[0], clientY: to[1] }));
    canvas.dispatchEvent(new PointerEvent("pointerup", { clientX: to[0], clientY: to[1] }));
  };
  return { ...view, canvas, heatmap, wheel, drag };
}

describe("detail window requests", () => {
  it("asks for the visible window once a wheel zoom has rested, clamped to the matrix", () => {
    const { model, wheel } = setup();
    // Zoom by e^0.75 about the plot's top-left corner: 1000 / e^0.75 = 472.4 tokens stay in view.
    wheel(-500);
    vi.advanceTimersByTime(SETTLE_MS - 10);
    expect(model.saveCount).toBe(0);
    vi.advanceTimersByTime(10);
    expect(model.get("detail_window")).toEqual([0, 473, 0, 473]);
    expect(model.get("_request")).toBe(1);
    expect(model.saveCount).toBe(1);
    // The same zoom about the bottom-right corner keeps the window inside the matrix.
    wheel(500);
    wheel(-500, 72 + 404, 72 + 404);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.get("detail_window")).toEqual([527, 1000, 527, 1000]);
    expect(model.saveCount).toBe(2); // the two wheel events settled into one request
  });

  it("asks for the window a drag pans to, and stops at the matrix edge", () => {
    const { model, wheel, drag } = setup();
    wheel(-500);
    vi.advanceTimersByTime(SETTLE_MS);
    drag([200, 200], [100, 150]); // 100 px left, 50 px up at 0.855 px a token
    expect(model.saveCount).toBe(1);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.get("detail_window")).toEqual([58, 531, 116, 590]);
    drag([200, 200], [-4900, 200]); // far past the right edge
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.get("detail_window")).toEqual([58, 531, 527, 1000]);
  });

  it("does not ask again for the window last asked for, nor on a click", () => {
    const { model, canvas, wheel } = setup();
    wheel(-500);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.saveCount).toBe(1);
    wheel(0); // the view does not move
    vi.advanceTimersByTime(SETTLE_MS);
    canvas.dispatchEvent(new PointerEvent("pointerdown", { clientX: 200, clientY: 200, button: 0 }));
    canvas.dispatchEvent(new PointerEvent("pointerup", { clientX: 200, clientY: 200 }));
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.saveCount).toBe(1);
  });

  it("knows the window Python set, so zooming onto it asks nothing", async () => {
    const { model, wheel } = setup();
    model.set("detail_window", [0, 473, 0, 473]); // from the kernel
    await flush();
    wheel(-500);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.saveCount).toBe(0);
  });

  it("asks for [] when zoomed back out, and double-click resets at once", () => {
    const { model, canvas, wheel } = setup();
    wheel(-500);
    vi.advanceTimersByTime(SETTLE_MS);
    wheel(2000); // past the fit zoom: clamped to the whole matrix
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.get("detail_window")).toEqual([]);
    expect(model.saveCount).toBe(2);
    wheel(-500);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.saveCount).toBe(3);
    canvas.dispatchEvent(new MouseEvent("dblclick"));
    expect(model.get("detail_window")).toEqual([]);
    expect(model.saveCount).toBe(4);
    canvas.dispatchEvent(new MouseEvent("dblclick"));
    expect(model.saveCount).toBe(4); // already the whole matrix
  });
});

describe("the window Python answers", () => {
  it("is painted in place (data-window, data-exact), its cells exact once small enough", async () => {
    const { model, q, heatmap, canvas, wheel } = setup();
    const tooltip = q(".ilw-heatmap-tooltip") as HTMLElement;
    expect(heatmap.dataset).toMatchObject({ window: "0,1000,0,1000", exact: "false" });
    // Zoomed out, a cell is a block: 1,000 tokens in 256 blocks of 3 or 4.
    canvas.dispatchEvent(new PointerEvent("pointermove", { clientX: 72 + 1, clientY: 72 + 1 }));
    expect(tooltip.textContent).toBe("0–3 → 0–3: max of 4 × 4 tokens: 1.000");
    wheel(-500);
    vi.advanceTimersByTime(SETTLE_MS);
    model.set("_detail", detail(causal, N, { window: [0, 473, 0, 473] }));
    model.reply("done");
    await flush();
    expect(heatmap.dataset).toMatchObject({ window: "0,473,0,473", exact: "false" });
    expect(q(".ilw-detail-caption")?.textContent).toBe(
      "Layer 0, head 0 · raw · colour scale 0 – 1.00 · tokens 0–472 × 0–472 · block maxima",
    );
    // Zoom further in (e^1.5 in all): 1000 / e^1.5 = 223.1 tokens, few enough for one a cell.
    wheel(-500);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(model.get("detail_window")).toEqual([0, 224, 0, 224]);
    model.set("_detail", detail(causal, N, { window: [0, 224, 0, 224] }));
    model.reply("done");
    await flush();
    expect(heatmap.dataset).toMatchObject({ window: "0,224,0,224", exact: "true" });
    expect(q(".ilw-detail-caption")?.textContent).toMatch(/· tokens 0–223 × 0–223 · exact$/);
    // 404 px / 223.1 tokens = 1.81 px a token: pixel 100 is token 55.
    canvas.dispatchEvent(new PointerEvent("pointermove", { clientX: 72 + 100, clientY: 72 + 100 }));
    expect(tooltip.textContent).toBe('55 "t55" → 55 "t55": 0.500');
  });

  it("goes when new tokens arrive: the view resets to the whole matrix", async () => {
    const { model, q, canvas, wheel } = setup();
    wheel(-500);
    vi.advanceTimersByTime(SETTLE_MS);
    model.set(
      "_tokens",
      names(N).map((t) => `${t}!`),
    );
    model.set("detail_window", []);
    model.set("_detail", detail(causal, N));
    await flush();
    // The bottom-right pixel is the last tokens again (block 997–999), not token 471 of the zoomed view.
    canvas.dispatchEvent(new PointerEvent("pointermove", { clientX: 72 + 403, clientY: 72 + 403 }));
    expect(q(".ilw-heatmap-tooltip")?.textContent).toBe("997–999 → 997–999: max of 3 × 3 tokens: 0.500");
    expect((q(".ilw-heatmap") as HTMLElement).dataset.window).toBe("0,1000,0,1000");
  });
});
