import { afterEach, describe, expect, it, vi } from "vitest";
import { pointInPolygon, ScatterIndex } from "../src/components/scatter_index";
import { pointBytes } from "../src/components/scatter_renderer";
import { probeText } from "../src/components/selection_panel";
import { CATEGORICAL, categoricalRgb, UNLABELLED } from "../src/lib/colormap";
import { contextParts } from "../src/lib/token_text";
import { flush, wire } from "./fake_model";
import { key } from "./mount";
import { drag, EVIL, fittedScreen, mountProjection, pointer, pointsWire, TEXTS } from "./projection_fixture";

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe("projection explorer view", () => {
  it("renders toolbar, one-canvas scatter box, legend and selection panel", () => {
    const { el, q, qa } = mountProjection();
    expect(el.children).toHaveLength(1);
    const root = el.firstElementChild as HTMLElement;
    expect(root.className).toBe("ilw-projection-explorer ilw-view");
    expect(root.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    expect(root.getAttribute("tabindex")).toBe("-1");
    expect(q(".ilw-model-name")?.textContent).toBe("tiny-test-model");

    const slider = q<HTMLInputElement>("input.ilw-layer-slider") as HTMLInputElement;
    expect([slider.type, slider.min, slider.max, slider.value]).toEqual(["range", "0", "3", "2"]);
    expect(q(".ilw-layer-label")?.textContent).toBe("layer 4");
    const method = q<HTMLSelectElement>("select.ilw-method") as HTMLSelectElement;
    expect([...method.options].map((o) => [o.value, o.textContent])).toEqual([
      ["pca", "PCA"],
      ["umap", "UMAP"],
      ["tsne", "t-SNE"],
    ]);
    expect(method.value).toBe("pca");
    const colour = q<HTMLSelectElement>("select.ilw-color-by") as HTMLSelectElement;
    expect([...colour.options].map((o) => [o.value, o.textContent])).toEqual([
      ["", "none"],
      ["pos", "pos"],
      ["sentence", "sentence"],
    ]);
    expect(colour.value).toBe("pos");
    expect(qa("button.ilw-mode").map((b) => [b.dataset.mode, b.classList.contains("ilw-active")])).toEqual([
      ["pan", true],
      ["box", false],
      ["lasso", false],
    ]);

    const scatter = q(".ilw-scatter") as HTMLElement;
    expect(scatter.tagName).toBe("DIV");
    expect(scatter.dataset).toMatchObject({ points: "6", layer: "4", method: "pca", renderer: "canvas2d" });
    expect(scatter.querySelectorAll("canvas")).toHaveLength(1);
    expect(scatter.classList.contains("ilw-stale")).toBe(false);
    expect(q(".ilw-scatter-empty")?.hidden).toBe(true);
    expect(q(".ilw-scatter-tooltip")?.hidden).toBe(true);

    expect(
      qa(".ilw-legend-item").map((i) => [
        i.querySelector(".ilw-legend-name")?.textContent,
        i.querySelector(".ilw-legend-count")?.textContent,
      ]),
    ).toEqual([
      ["noun", "3"],
      ["verb", "2"],
    ]);
    expect(q(".ilw-legend-other")?.textContent).toBe("unlabelled1");
    expect(q(".ilw-selection-count")?.textContent).toBe("0 points selected");
    expect(q<HTMLButtonElement>("button.ilw-probe-selection")?.disabled).toBe(true);
    expect(q(".ilw-busy")?.hidden).toBe(true);
    expect(q(".ilw-error")?.hidden).toBe(true);
  });

  it("a Shift-drag in pan mode selects the points in the box with one save_changes", async () => {
    const { model, q } = mountProjection();
    const scatter = q(".ilw-scatter") as HTMLElement;
    const [x0, y0] = fittedScreen(2); // (0, 1): top left of the unit square
    const [x1, y1] = fittedScreen(1); // (1, 0): bottom right
    drag(
      scatter,
      [
        [x0 - 5, y0 - 5],
        [x0 + 20, y0 + 20],
        [x1 + 5, y1 + 5],
      ],
      { shiftKey: true },
    );
    expect(model.get("selected_points")).toEqual([0, 1, 2, 3]);
    expect(model.saveCount).toBe(1);
    expect(q(".ilw-selection-outline")?.getAttribute("d")).toBeNull();
    await flush();
    expect(q(".ilw-selection-count")?.textContent).toBe("4 points selected");
    expect(
      [...(q(".ilw-selection-labels")?.children ?? [])].map((li) => li.textContent?.replace(/\s+/g, " ")),
    ).toEqual(["noun2 (50%)", "verb1 (25%)", "unlabelled1 (25%)"]);
    expect(q<HTMLButtonElement>("button.ilw-probe-selection")?.disabled).toBe(false);

    // A click (no drag) in box mode selects nothing and writes nothing.
    q<HTMLButtonElement>('button.ilw-mode[data-mode="box"]')?.click();
    expect(q(".ilw-scatter")?.dataset.mode).toBe("box");
    drag(scatter, [
      [x0, y0],
      [x0 + 1, y0 + 1],
    ]);
    expect(model.saveCount).toBe(1);
    // The same box again: the selection is unchanged, nothing is written.
    drag(scatter, [
      [x0 - 5, y0 - 5],
      [x1 + 5, y1 + 5],
    ]);
    expect(model.saveCount).toBe(1);
  });

  it("a plain drag in pan mode pans: the points move with the pointer", async () => {
    const { model, q } = mountProjection();
    const scatter = q(".ilw-scatter") as HTMLElement;
    const tooltip = q(".ilw-scatter-tooltip") as HTMLElement;
    const [x, y] = fittedScreen(4);
    drag(scatter, [
      [100, 100],
      [150, 130],
    ]);
    expect(model.saveCount).toBe(0);
    pointer(scatter, "pointermove", x, y);
    expect(tooltip.hidden).toBe(true);
    pointer(scatter, "pointermove", x + 50, y + 30);
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.querySelector(".ilw-context-id")?.textContent).toBe("#4");
    // The same (layer, method) sent again keeps the view; a new pair refits it.
    model.set("_points", pointsWire(4, "pca"));
    await flush();
    pointer(scatter, "pointermove", x + 50, y + 30);
    expect(tooltip.querySelector(".ilw-context-id")?.textContent).toBe("#4");
    model.set("_points", pointsWire(6, "pca"));
    await flush();
    pointer(scatter, "pointermove", x + 50, y + 30);
    expect(tooltip.hidden).toBe(true);
    pointer(scatter, "pointermove", x, y);
    expect(tooltip.querySelector(".ilw-context-id")?.textContent).toBe("#4");
    // Double-click refits after a pan.
    drag(scatter, [
      [100, 100],
      [40, 40],
    ]);
    scatter.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    pointer(scatter, "pointermove", x, y);
    expect(tooltip.querySelector(".ilw-context-id")?.textContent).toBe("#4");
  });

  it("wheel zooms about the pointer: the point under it stays there", () => {
    const { q } = mountProjection();
    const scatter = q(".ilw-scatter") as HTMLElement;
    const tooltip = q(".ilw-scatter-tooltip") as HTMLElement;
    const [x, y] = fittedScreen(5);
    const [x4] = fittedScreen(4);
    const wheel = new WheelEvent("wheel", { deltaY: -500, bubbles: true, cancelable: true });
    // happy-dom's WheelEvent drops the mouse coordinates of its init.
    Object.defineProperties(wheel, { clientX: { value: x }, clientY: { value: y } });
    scatter.dispatchEvent(wheel);
    expect(wheel.defaultPrevented).toBe(true);
    pointer(scatter, "pointermove", x, y);
    expect(tooltip.querySelector(".ilw-context-id")?.textContent).toBe("#5");
    // Point 4 was 43 px to the right; zoomed in it is much further.
    pointer(scatter, "pointermove", x4, y);
    expect(tooltip.hidden).toBe(true);
  });

  it("a lasso selects the points inside the drawn polygon", () => {
    const { model, q } = mountProjection();
    const scatter = q(".ilw-scatter") as HTMLElement;
    q<HTMLButtonElement>('button.ilw-mode[data-mode="lasso"]')?.click();
    expect(q('button.ilw-mode[data-mode="lasso"]')?.classList.contains("ilw-active")).toBe(true);
    // A triangle around (0, 0), (1, 0) and (0, 1) but not (1, 1).
    const [ox, oy] = fittedScreen(0);
    const unit = fittedScreen(1)[0] - ox;
    const path: Array<[number, number]> = [
      [ox - 10, oy + 10],
      [ox + 1.6 * unit, oy + 10],
      [ox - 10, oy - 1.6 * unit],
      [ox - 10, oy + 10],
    ];
    pointer(scatter, "pointerdown", ...(path[0] as [number, number]));
    for (const [x, y] of path.slice(1)) pointer(scatter, "pointermove", x, y);
    expect(q(".ilw-selection-outline")?.getAttribute("d")).toMatch(/^M.*L.*L.*Z$/);
    pointer(scatter, "pointerup", ox, oy);
    expect(model.get("selected_points")).toEqual([0, 1, 2]);
    expect(model.saveCount).toBe(1);
  });

  it("Escape clears the selection, or abandons a drag in progress", async () => {
    const { model, q, el } = mountProjection({ selected_points: [4, 5] });
    const root = el.firstElementChild as HTMLElement;
    expect(q(".ilw-selection-count")?.textContent).toBe("2 points selected");
    const scatter = q(".ilw-scatter") as HTMLElement;
    pointer(scatter, "pointerdown", 10, 10, { shiftKey: true });
    pointer(scatter, "pointermove", 600, 400, { shiftKey: true });
    key(scatter, "Escape");
    pointer(scatter, "pointerup", 600, 400);
    expect(model.get("selected_points")).toEqual([4, 5]);
    expect(model.saveCount).toBe(0);
    key(root, "Escape");
    expect(model.get("selected_points")).toEqual([]);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(q(".ilw-selection-count")?.textContent).toBe("0 points selected");
    key(root, "Escape");
    expect(model.saveCount).toBe(1);
  });

  it("clicking a legend item selects every point with that label", async () => {
    const { model, q, qa } = mountProjection();
    qa(".ilw-legend-item")[1]?.click();
    expect(model.get("selected_points")).toEqual([1, 4]);
    expect(model.saveCount).toBe(1);
    model.set("color_by", "sentence");
    await flush();
    expect(qa(".ilw-legend-item .ilw-legend-name").map((n) => n.textContent)).toEqual(["first", "second"]);
    expect(q(".ilw-legend-other")?.hidden).toBe(true);
    qa(".ilw-legend-item")[0]?.click();
    expect(model.get("selected_points")).toEqual([0, 1, 2, 3]);
    model.set("color_by", "");
    await flush();
    expect(q(".ilw-legend")?.hidden).toBe(true);
  });

  it("the probe button sends {type: 'probe'}, only with a selection, and shows the result", async () => {
    const { model, q } = mountProjection();
    const button = q<HTMLButtonElement>("button.ilw-probe-selection") as HTMLButtonElement;
    expect(button.textContent).toBe("Probe: selection vs rest at this layer");
    expect(button.disabled).toBe(true);
    model.set("selected_points", [0, 2]);
    await flush();
    expect(button.disabled).toBe(false);
    button.click();
    // A request like any other: a new `_request` id, saved, then the message carrying it.
    expect(model.sent).toEqual([{ type: "probe", request: 1 }]);
    expect(model.get("_request")).toBe(1);
    expect(q(".ilw-busy")?.hidden).toBe(false);
    model.set("_probe", { status: "running", message: "" });
    await flush();
    expect(button.disabled).toBe(true);
    expect(q(".ilw-probe-result")?.textContent).toBe("Training probe…");
    model.set("_probe", {
      status: "done",
      accuracy: 0.9375,
      control_accuracy: 0.5,
      n_train: 48,
      n_test: 16,
      message: "logistic regression, 5-fold",
    });
    await flush();
    expect(button.disabled).toBe(false);
    expect(q(".ilw-probe-result")?.textContent).toBe(
      "Probe accuracy 93.8% · control 50.0% · 48 train / 16 test\nlogistic regression, 5-fold",
    );
    model.set("_probe", { status: "error", message: "only one class" });
    await flush();
    expect(q(".ilw-probe-result")?.textContent).toBe("Probe failed: only one class");
    expect(q(".ilw-probe-result")?.classList.contains("ilw-probe-error")).toBe(true);
    model.set("selected_points", []);
    await flush();
    expect(button.disabled).toBe(true);
  });

  it("hover shows the token in its context as text, with the span in a <mark>", async () => {
    const { model, q, qa } = mountProjection();
    const scatter = q(".ilw-scatter") as HTMLElement;
    const tooltip = q(".ilw-scatter-tooltip") as HTMLElement;
    const [x, y] = fittedScreen(4);
    pointer(scatter, "pointermove", x + 5, y - 4); // within 8 px
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.querySelector(".ilw-tooltip-head")?.textContent).toBe("#4 · pos: verb");
    expect(tooltip.querySelector("mark")?.textContent).toBe(EVIL);
    expect(tooltip.querySelector(".ilw-context-text")?.textContent).toBe(`${EVIL} dogs run`);
    expect(document.querySelector("img")).toBeNull();
    expect(q(".ilw-hover-ring")?.getAttribute("visibility")).toBe("visible");
    pointer(scatter, "pointermove", x + 30, y + 30); // nothing within 8 px
    expect(tooltip.hidden).toBe(true);
    expect(q(".ilw-hover-ring")?.getAttribute("visibility")).toBe("hidden");

    model.set("selected_points", [3, 4, 5]);
    model.set("_selection", {
      count: 3,
      contexts: [
        { point: 4, text: 1, start: 0, end: EVIL.length },
        { point: 5, text: 1, start: 29, end: 33 },
      ],
    });
    await flush();
    const items = qa("li.ilw-context");
    expect(items.map((li) => li.dataset.point)).toEqual(["4", "5"]);
    expect(items.map((li) => li.querySelector("mark")?.textContent)).toEqual([EVIL, "dogs"]);
    expect(items[1]?.querySelector(".ilw-context-text")?.textContent).toBe(`${EVIL} dogs run`);
    expect(items.map((li) => li.querySelector(".ilw-context-label")?.textContent)).toEqual(["verb", "noun"]);
    expect(document.querySelector("img")).toBeNull();
    expect(q(".ilw-contexts")?.classList.contains("ilw-stale")).toBe(false);
    expect(q(".ilw-contexts")?.previousElementSibling?.textContent).toBe("first 2 of 3 selected points");
    // Hovering a context rings its point.
    items[0]?.dispatchEvent(new Event("pointerover", { bubbles: true }));
    expect(q(".ilw-hover-ring")?.getAttribute("visibility")).toBe("visible");
    q(".ilw-contexts")?.dispatchEvent(new Event("pointerleave"));
    expect(q(".ilw-hover-ring")?.getAttribute("visibility")).toBe("hidden");
    // A new selection dims the old contexts until Python answers.
    model.set("selected_points", [0]);
    await flush();
    expect(q(".ilw-contexts")?.classList.contains("ilw-stale")).toBe(true);
  });

  it("dims the points while they belong to another layer or method than the one selected", async () => {
    const { model, q } = mountProjection();
    const scatter = q(".ilw-scatter") as HTMLElement;
    model.set("selected_layer", 6);
    await flush();
    expect(scatter.classList.contains("ilw-stale")).toBe(true);
    expect(scatter.dataset.layer).toBe("4");
    model.set("_points", pointsWire(6, "pca"));
    await flush();
    expect(scatter.classList.contains("ilw-stale")).toBe(false);
    expect(scatter.dataset.layer).toBe("6");
    model.set("method", "umap");
    await flush();
    expect(scatter.classList.contains("ilw-stale")).toBe(true);
    model.set("_points", pointsWire(6, "umap"));
    await flush();
    expect(scatter.dataset).toMatchObject({ layer: "6", method: "umap" });
    expect(scatter.classList.contains("ilw-stale")).toBe(false);
  });

  it("the layer slider writes selected_layer from _layers on change; its label follows on input", async () => {
    const { model, q } = mountProjection();
    const slider = q<HTMLInputElement>("input.ilw-layer-slider") as HTMLInputElement;
    slider.value = "3";
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    expect(q(".ilw-layer-label")?.textContent).toBe("layer 6");
    expect(model.saveCount).toBe(0);
    slider.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("selected_layer")).toBe(6);
    expect(model.saveCount).toBe(1);
    slider.value = "0";
    slider.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("selected_layer")).toBe(0);
    expect(model.saveCount).toBe(2);
    await flush();
    expect(q(".ilw-scatter")?.classList.contains("ilw-stale")).toBe(true);

    const method = q<HTMLSelectElement>("select.ilw-method") as HTMLSelectElement;
    method.value = "tsne";
    method.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("method")).toBe("tsne");
    const colour = q<HTMLSelectElement>("select.ilw-color-by") as HTMLSelectElement;
    colour.value = "";
    colour.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("color_by")).toBe("");
    expect(model.saveCount).toBe(4);
  });

  it("shows _status progress as a bar, indeterminate for null, and _error", async () => {
    const { model, q, el } = mountProjection();
    const busy = q(".ilw-busy") as HTMLElement;
    const bar = q(".ilw-progress") as HTMLProgressElement;
    expect(busy.hidden).toBe(true);
    model.reply("running", { label: "UMAP layer 6", fraction: 0.25 });
    model.set("_error", "out of memory");
    await flush();
    expect(busy.hidden).toBe(false);
    expect(q(".ilw-busy-label")?.textContent).toBe("UMAP layer 6");
    expect(bar.getAttribute("value")).toBe("0.25");
    expect(bar.dataset.fraction).toBe("0.25");
    expect(el.firstElementChild?.classList.contains("ilw-is-busy")).toBe(true);
    expect(q(".ilw-error")?.textContent).toBe("out of memory");
    model.reply("running", { label: "harvesting", fraction: null });
    await flush();
    expect(bar.hasAttribute("value")).toBe(false);
    expect(bar.dataset.fraction).toBe("");
    model.reply("done");
    model.set("_error", "");
    await flush();
    expect(busy.hidden).toBe(true);
    expect(el.firstElementChild?.classList.contains("ilw-is-busy")).toBe(false);
    expect(q(".ilw-error")?.hidden).toBe(true);
  });

  it("reports malformed traits in the banner instead of throwing", async () => {
    const { model, q, qa } = mountProjection();
    const banner = () => q(".ilw-error")?.textContent ?? "";
    model.set("_points", { layer: 4, method: "pca", xy: wire("float32", [3, 2], new Float32Array(6)) });
    model.set("_label_sets", {
      pos: { names: ["noun"], values: wire("int32", [6], new Int32Array([0, 1, 0, 0, 0, 0])) },
      sentence: { names: "first", values: wire("int32", [6], new Int32Array(6)) },
    } as never);
    model.set("_point_source", { text: wire("int32", [2], new Int32Array(2)), start: 1, end: 2 } as never);
    model.set("_selection", { count: 2, contexts: [{ point: "a" }] } as never);
    model.set("_probe", { status: "finished", message: "" } as never);
    model.set("_status", { request: 0, state: "running", label: "x", fraction: 2 });
    model.set("selected_points", [1, 99, -1]);
    await flush();
    expect(banner()).toMatch(/_points\.xy has 3 points but _n_points is 6/);
    expect(banner()).toMatch(/_label_sets\.pos: 1 values are neither -1 nor a label index/);
    expect(banner()).toMatch(/_label_sets\.sentence: names must be a list of strings/);
    expect(banner()).toMatch(/_point_source\.text: expected int32 \[6\], got \[2\]/);
    expect(banner()).toMatch(/_selection\.contexts: expected \[\{point, text, start, end\}\]/);
    expect(banner()).toMatch(/_probe\.status must be one of running, done, error/);
    expect(banner()).toMatch(/_status\.fraction must be a number in 0\.\.1, or null/);
    expect(banner()).toMatch(/selected_points: 2 ids are not points 0\.\.5/);
    expect(banner()).toMatch(/color_by: no label set named "pos"/);
    expect(banner()).not.toMatch(/view error/);
    expect(q(".ilw-error")?.hidden).toBe(false);
    expect(q(".ilw-scatter")?.dataset.points).toBe("0");
    expect(q(".ilw-scatter-empty")?.hidden).toBe(false);
    expect(qa(".ilw-legend-item")).toHaveLength(0);
    expect(q(".ilw-selection-count")?.textContent).toBe("1 point selected");

    model.set("_points", { layer: "four", xy: 3 } as never);
    model.set("_label_sets", "pos" as never);
    await flush();
    expect(banner()).toMatch(/_points: layer must be an integer and method a string/);
    expect(banner()).toMatch(/_label_sets is not an object/);
    model.set("_points", { layer: 4, method: "pca", xy: { dtype: "float32" } } as never);
    await flush();
    expect(banner()).toMatch(/_points\.xy is not a wire array/);
    model.set("_points", { layer: 4, method: "pca", xy: wire("int32", [6, 2], new Int32Array(12)) });
    await flush();
    expect(banner()).toMatch(/_points\.xy: expected float32 \[N, 2\], got \[6, 2\]/);
    expect(banner()).not.toMatch(/view error/);
  });

  it("handles an empty model (nothing computed yet)", () => {
    const { model, q, qa } = mountProjection({
      _n_points: 0,
      _points: {},
      _label_sets: {},
      _point_source: {},
      _texts: [],
      color_by: "",
      _layers: [],
    });
    const scatter = q(".ilw-scatter") as HTMLElement;
    expect(scatter.dataset.points).toBe("0");
    expect(scatter.dataset.layer).toBeUndefined();
    expect(q(".ilw-scatter-empty")?.textContent).toBe("No projection yet.");
    expect(q(".ilw-legend")?.hidden).toBe(true);
    expect(qa(".ilw-legend-item")).toHaveLength(0);
    expect(q<HTMLInputElement>("input.ilw-layer-slider")?.disabled).toBe(true);
    expect(q(".ilw-error")?.hidden).toBe(true);
    drag(
      scatter,
      [
        [0, 0],
        [300, 300],
      ],
      { shiftKey: true },
    );
    expect(model.saveCount).toBe(0);
  });

  it("cleanup removes listeners and DOM", () => {
    const { model, el, cleanup } = mountProjection();
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
  });
});

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 100 000 points: a wide Gaussian-ish cloud plus a tight cluster, as projections tend to be. */
function cloud(n: number, rand: () => number): Float32Array {
  const xy = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const tight = i % 10 === 0;
    const r = (tight ? 0.05 : 3) * Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    xy[2 * i] = (tight ? 5 : 0) + r * Math.cos(a);
    xy[2 * i + 1] = (tight ? -2 : 0) + 0.5 * r * Math.sin(a);
  }
  return xy;
}

describe("scatter spatial index", () => {
  const N = 100_000;
  const rand = random(7);
  const xy = cloud(N, rand);
  const index = new ScatterIndex(xy, N);
  const dist2 = (i: number, x: number, y: number) =>
    ((xy[2 * i] as number) - x) ** 2 + ((xy[2 * i + 1] as number) - y) ** 2;

  it("finds the same nearest point as brute force, within the radius", () => {
    let found = 0;
    for (let q = 0; q < 300; q++) {
      // Query near existing points half the time, anywhere in the bounds otherwise.
      const near = Math.floor(rand() * N);
      const [x, y] =
        q % 2 === 0
          ? [
              (xy[2 * near] as number) + (rand() - 0.5) * 0.1,
              (xy[2 * near + 1] as number) + (rand() - 0.5) * 0.1,
            ]
          : [(rand() - 0.5) * 20, (rand() - 0.5) * 10];
      const radius = [0.01, 0.05, 0.3][q % 3] as number;
      let best = -1;
      let bestD = radius * radius;
      for (let i = 0; i < N; i++) {
        const d = dist2(i, x, y);
        if (d < bestD || (d === bestD && i > best)) {
          best = i;
          bestD = d;
        }
      }
      expect(index.nearest(x, y, radius), `query ${q}`).toBe(best);
      if (best >= 0) found++;
    }
    expect(found).toBeGreaterThan(100);
  });

  it("box queries match brute force", () => {
    for (let q = 0; q < 20; q++) {
      const [x0, x1] = [(rand() - 0.5) * 16, (rand() - 0.5) * 16];
      const [y0, y1] = [(rand() - 0.5) * 8, (rand() - 0.5) * 8];
      const [ax, bx, ay, by] = [Math.min(x0, x1), Math.max(x0, x1), Math.min(y0, y1), Math.max(y0, y1)];
      const expected: number[] = [];
      for (let i = 0; i < N; i++) {
        const [x, y] = [xy[2 * i] as number, xy[2 * i + 1] as number];
        if (x >= ax && x <= bx && y >= ay && y <= by) expected.push(i);
      }
      expect([...index.inBox(x0, y0, x1, y1)]).toEqual(expected);
    }
    expect(index.inBox(100, 100, 200, 200)).toHaveLength(0);
    expect(index.inBox(-1e9, -1e9, 1e9, 1e9)).toHaveLength(N);
  });

  it("lasso queries match brute force, concave polygons included", () => {
    for (let q = 0; q < 10; q++) {
      // A star: alternating outer and inner radii around a random centre.
      const [cx, cy] = [(rand() - 0.5) * 8, (rand() - 0.5) * 4];
      const polygon: number[] = [];
      const spikes = 5 + q;
      for (let k = 0; k < 2 * spikes; k++) {
        const r = (k % 2 === 0 ? 3 : 1) * (0.5 + rand());
        const a = (Math.PI * k) / spikes;
        polygon.push(cx + r * Math.cos(a), cy + r * Math.sin(a));
      }
      const expected: number[] = [];
      for (let i = 0; i < N; i++)
        if (pointInPolygon(xy[2 * i] as number, xy[2 * i + 1] as number, polygon)) expected.push(i);
      expect(expected.length).toBeGreaterThan(0);
      expect([...index.inPolygon(polygon)]).toEqual(expected);
    }
    // A free-hand-like lasso of 500 vertices that crosses itself.
    const lasso: number[] = [];
    for (let k = 0; k < 500; k++) {
      const a = (2 * Math.PI * k) / 500;
      const r = 4 + 1.5 * Math.sin(7 * a) + 0.3 * rand();
      lasso.push(r * Math.sin(a) * Math.cos(2 * a), 0.6 * r * Math.cos(a));
    }
    const expected: number[] = [];
    for (let i = 0; i < N; i++)
      if (pointInPolygon(xy[2 * i] as number, xy[2 * i + 1] as number, lasso)) expected.push(i);
    expect(expected.length).toBeGreaterThan(1000);
    expect([...index.inPolygon(lasso)]).toEqual(expected);
    expect(index.inPolygon([0, 0, 1, 1])).toHaveLength(0); // fewer than three vertices
  });

  it("builds for 100 000 points and finds every one of them", () => {
    const index = new ScatterIndex(xy, N);
    expect(index.inPolygon([-1e9, -1e9, 1e9, -1e9, 1e9, 1e9, -1e9, 1e9])).toHaveLength(N);
  });

  it("tests points against a polygon by the even-odd rule", () => {
    const square = [0, 0, 2, 0, 2, 2, 0, 2];
    expect(pointInPolygon(1, 1, square)).toBe(true);
    expect(pointInPolygon(3, 1, square)).toBe(false);
    expect(pointInPolygon(-0.1, 1, square)).toBe(false);
    // A "U": the notch between the arms is outside.
    const u = [0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3];
    expect(pointInPolygon(1.5, 2, u)).toBe(false);
    expect(pointInPolygon(0.5, 2, u)).toBe(true);
    expect(pointInPolygon(1.5, 0.5, u)).toBe(true);
  });

  it("leaves out non-finite points and copes with all points equal", () => {
    const few = new Float32Array([0, 0, Number.NaN, 1, 2, Number.POSITIVE_INFINITY, 1, 1]);
    const small = new ScatterIndex(few, 4);
    expect(small.bounds).toEqual({ minX: 0, minY: 0, maxX: 1, maxY: 1 });
    expect([...small.inBox(-10, -10, 10, 10)]).toEqual([0, 3]);
    expect(small.nearest(0.9, 0.9, 1)).toBe(3);
    const same = new ScatterIndex(new Float32Array([2, 2, 2, 2, 2, 2]), 3);
    expect(same.nearest(2, 2, 0.1)).toBe(2); // a tie: the point drawn on top
    expect([...same.inBox(1, 1, 3, 3)]).toEqual([0, 1, 2]);
    expect(new ScatterIndex(new Float32Array(0), 0).bounds).toBeNull();
    expect(new ScatterIndex(new Float32Array(0), 0).nearest(0, 0, 1)).toBe(-1);
  });
});

describe("projection helpers", () => {
  it("colours points by label, grey for unlabelled, with the selection in the fourth byte", () => {
    const bytes = pointBytes(3, new Int32Array([0, -1, 13]), new Uint8Array([0, 1, 0]));
    expect([...bytes]).toEqual([
      ...(CATEGORICAL[0] as readonly number[]),
      0,
      ...UNLABELLED,
      255,
      ...(CATEGORICAL[1] as readonly number[]),
      0,
    ]);
    expect([...pointBytes(1, null, null)]).toEqual([...(CATEGORICAL[0] as readonly number[]), 0]);
    expect(categoricalRgb(12)).toEqual(CATEGORICAL[0]);
    // Twelve distinct colours, none of them the unlabelled grey.
    const keys = new Set([...CATEGORICAL, UNLABELLED].map((c) => c.join(",")));
    expect(keys.size).toBe(13);
  });

  it("cuts the context around a span, counting code points like Python", () => {
    const long = `${"a".repeat(100)}TOKEN${"b".repeat(100)}`;
    expect(contextParts(long, 100, 105)).toEqual({
      before: `…${"a".repeat(60)}`,
      span: "TOKEN",
      after: `${"b".repeat(60)}…`,
    });
    expect(contextParts(TEXTS[0] as string, 4, 7)).toEqual({
      before: "The ",
      span: "cat",
      after: " sat on the mat.",
    });
    // Python's "😀 cat\n"[2:5] is "cat": the emoji is one code point, two UTF-16 units.
    expect(contextParts("😀 cat\n", 2, 5)).toEqual({ before: "😀 ", span: "cat", after: "↵" });
    expect(contextParts("abc", 5, 9)).toEqual({ before: "abc", span: "", after: "" });
    expect(contextParts("x".repeat(500), 0, 500).span).toBe(`${"x".repeat(200)}…`);
  });

  it("describes probe results", () => {
    const base = { accuracy: null, controlAccuracy: null, nTrain: null, nTest: null, message: "" };
    expect(probeText({ ...base, status: "done", accuracy: 1 })).toBe("Probe accuracy 100.0%");
    expect(probeText({ ...base, status: "running", message: "fold 2/5" })).toBe("Training probe… fold 2/5");
  });
});
