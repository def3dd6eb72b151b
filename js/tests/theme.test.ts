import { afterEach, describe, expect, it, vi } from "vitest";
import maps from "../../interplab_widgets/colormaps.json";
import { DARK_NODES, LIGHT_NODES, NEGATIVE, POSITIVE } from "../src/circuit/graph";
import { ScaleLegend } from "../src/components/scale_legend";
import {
  cssColour,
  divergingRgb,
  inkOn,
  LIGHT,
  level,
  paletteFor,
  relativeLuminance,
  rgbCss,
} from "../src/lib/colormap";
import { scaleSigned, scaleText, scaleTicks, scaleValue } from "../src/lib/scale";
import { backgroundOf, parseColour } from "../src/lib/theme";
import { causal, detail } from "./attention_fixture";
import { exampleRow, mountAttribution, occlusionRow } from "./attribution_fixture";
import { mockContext as mockCanvas } from "./canvas_mock";
import { mountCircuit } from "./circuit_fixture";
import { CASES, mountFailure } from "./failure_fixture";
import { flush } from "./fake_model";
import { context, dashboardWire, mountFeatures } from "./feature_fixture";
import { mount } from "./mount";
import { mountTracer } from "./tracer_fixture";

const PLOT = 480 - 72 - 4;

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
  document.head.replaceChildren();
  document.body.removeAttribute("data-jp-theme-light");
});

/** Past the view's first frames (the shell repaints once the root is in the page). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 60));

const rgbAt = (lut: Uint8Array, i: number) => [...lut.slice(3 * i, 3 * i + 3)];

describe("colour maps follow the background", () => {
  it("starts the sequential LUT exactly at a light and at a dark background", () => {
    const light = paletteFor([250, 248, 240]);
    expect(light.dark).toBe(false);
    expect(rgbAt(light.lut, 0)).toEqual([250, 248, 240]);
    expect(rgbAt(light.lut, 255)).toEqual(maps.sequential.light[4]?.slice(1));
    const dark = paletteFor([17, 17, 17]);
    expect(dark.dark).toBe(true);
    expect(rgbAt(dark.lut, 0)).toEqual([17, 17, 17]);
    // The dark map ends light, so strong cells stand out on a dark page.
    expect(rgbAt(dark.lut, 255)).toEqual(maps.sequential.dark[4]?.slice(1));
    expect(dark.css[0]).toBe("rgb(17, 17, 17)");
  });

  it("puts the background at the diverging map's midpoint and keeps its ends", () => {
    for (const bg of [
      [255, 255, 255],
      [30, 30, 30],
    ] as const) {
      const p = paletteFor(bg);
      expect(divergingRgb(0, p)).toEqual([...bg]);
      const stops = p.dark ? maps.diverging.dark : maps.diverging.light;
      expect(divergingRgb(-1, p)).toEqual(stops[0]?.slice(1));
      expect(divergingRgb(5, p)).toEqual(stops[4]?.slice(1));
    }
  });

  it("picks dark stops by WCAG luminance below 0.5, and caches one palette per background", () => {
    expect(relativeLuminance([255, 255, 255])).toBeCloseTo(1, 10);
    expect(relativeLuminance([0, 0, 0])).toBe(0);
    expect(relativeLuminance([128, 128, 128])).toBeCloseTo(0.2158, 3);
    expect(paletteFor([128, 128, 128]).dark).toBe(true);
    expect(paletteFor([200, 200, 200]).dark).toBe(false);
    expect(paletteFor([17, 17, 17])).toBe(paletteFor([17, 17, 17]));
  });

  it("parses the colours CSS gives back", () => {
    expect(parseColour("#111")).toEqual([17, 17, 17]);
    expect(parseColour(" #1e1e1eff ")).toEqual([30, 30, 30]);
    expect(parseColour("rgb(33, 33, 33)")).toEqual([33, 33, 33]);
    expect(parseColour("rgb(33 34 35 / 1)")).toEqual([33, 34, 35]);
    expect(parseColour("rgba(0, 0, 0, 0)")).toBeNull();
    expect(parseColour("var(--x)")).toBeNull();
  });
});

describe("colour scale transform", () => {
  it("a signed legend has a 0 in the middle and two ticks a side, none on top of another", () => {
    const labels = (scale: "linear" | "sqrt" | "log") => {
      const legend = new ScaleLegend(true);
      legend.set({ scale, max: 1, rowsNormalised: false });
      const ticks = [...legend.el.querySelectorAll<HTMLElement>(".ilw-scale-tick")];
      expect(new Set(ticks.map((t) => t.style.left)).size).toBe(ticks.length);
      return ticks.map((t) => t.textContent);
    };
    expect(labels("linear")).toEqual(["−1", "−0.5", "0", "0.5", "1"]);
    expect(labels("log")).toEqual(["−1", "−0.1", "0", "0.1", "1"]);
  });

  it("maps values the same way Python does", () => {
    expect(scaleValue(0.5, 2, "linear")).toBe(0.25);
    expect(scaleValue(0.5, 2, "sqrt")).toBe(0.5);
    expect(scaleValue(0.02, 2, "log")).toBeCloseTo(1 / 3, 12); // t = 0.01: two decades below the top
    expect(scaleValue(2, 2, "log")).toBe(1);
    expect(scaleValue(0.0001, 1, "log")).toBe(0); // below the 3 decades
    expect(scaleValue(0, 1, "log")).toBe(0);
    expect(scaleValue(3, 2, "linear")).toBe(1); // clamped
    expect(scaleValue(1, 0, "sqrt")).toBe(0); // m <= 0
    expect(scaleValue(Number.NaN, 1, "linear")).toBe(0);
  });

  it("scales signed values by magnitude and keeps the sign", () => {
    expect(scaleSigned(-0.25, 1, "sqrt")).toBe(-0.5);
    expect(scaleSigned(0.25, 1, "sqrt")).toBe(0.5);
    expect(scaleSigned(-0.1, 1, "log")).toBeCloseTo(-2 / 3, 12);
    expect(scaleSigned(-2, 1, "linear")).toBe(-1);
    expect(Number.isNaN(scaleSigned(Number.NaN, 1, "linear"))).toBe(true);
  });

  it("names the scale and places the log ticks one decade apart", () => {
    expect(scaleText("sqrt")).toBe("sqrt scale");
    expect(scaleText("log", true)).toBe("log scale, 3 decades, rows normalised");
    expect(scaleTicks("log").map((t) => t.position)).toEqual(
      [0, 1 / 3, 2 / 3, 1].map((x) => expect.closeTo(x, 12)),
    );
    expect(scaleTicks("sqrt").map((t) => t.position)).toEqual([0, 0.5, Math.SQRT1_2, Math.sqrt(0.75), 1]);
  });
});

const mockContext = () => mockCanvas(PLOT);

/**
 * JupyterLab's switch to its dark theme, as far as a view sees it: the root's --ilw-bg changes
 * (set inline here: happy-dom does not recompute styles inherited through a body attribute) and
 * body's theme attributes change, which is what the views watch.
 */
function switchToDark(root: HTMLElement): void {
  root.style.setProperty("--ilw-bg", "#111111");
  document.body.setAttribute("data-jp-theme-light", "false");
  document.body.setAttribute("data-jp-theme-name", "JupyterLab Dark");
}

describe("views repaint with the page's theme", () => {
  it("paints empty and masked heatmap cells as the background, and repaints on a theme switch", async () => {
    const { pixel, painted } = mockContext();
    const { q, el } = mount();
    await settle();
    expect(pixel(4, 0, 3)).toEqual([255, 255, 255, 255]); // masked, light page
    expect(backgroundOf(q(".ilw-heatmap") as Element)).toEqual([255, 255, 255]);
    painted.image = null;
    painted.thumbs = [];
    switchToDark(el.firstElementChild as HTMLElement);
    await vi.waitFor(() => expect(pixel(4, 0, 3)).toEqual([17, 17, 17, 255])); // masked
    const dark = paletteFor([17, 17, 17]);
    expect(pixel(4, 1, 1)).toEqual([...rgbAt(dark.lut, level(0.5)), 255]); // 0.5 of the scale max 1
    // Thumbnails too: a zero pixel is the background.
    expect(painted.thumbs.length).toBeGreaterThan(0);
    expect([...(painted.thumbs[0]?.data.slice(0, 4) ?? [])]).toEqual([17, 17, 17, 255]); // thumbnail value 0
  });

  it("stops listening to the theme once the view is destroyed", async () => {
    const { painted } = mockContext();
    const { cleanup, el } = mount();
    await settle();
    const root = el.firstElementChild as HTMLElement;
    cleanup();
    painted.image = null;
    switchToDark(root);
    await settle();
    expect(painted.image).toBeNull();
  });
});

describe("colour scale and row normalisation as view state", () => {
  /** Query 1 of `ramp4` holds 0.1 and 0.4: its row maximum is 0.4, the matrix's 1. */
  const ramp4 = (qq: number, k: number) =>
    k > qq ? 0 : qq === 0 ? 1 : qq === 1 ? ([0.1, 0.4][k] ?? 0) : 0.25;

  it("repaints the heatmap and the legend when Python changes color_scale and normalize_rows", async () => {
    const { pixel } = mockContext();
    const { model, q } = mount({ _detail: detail(ramp4, 4) });
    const colour = (t: number) => [...rgbAt(LIGHT.lut, level(t)), 255];
    const legend = q(".ilw-detail .ilw-scale-text") as HTMLElement;
    expect(legend.textContent).toBe("linear scale");
    expect(pixel(4, 1, 1)).toEqual(colour(0.4));
    model.set("color_scale", "sqrt");
    await flush();
    expect(pixel(4, 1, 1)).toEqual(colour(Math.sqrt(0.4)));
    expect(legend.textContent).toBe("sqrt scale");
    expect(q<HTMLSelectElement>(".ilw-color-scale")?.value).toBe("sqrt");
    model.set("normalize_rows", true);
    await flush();
    expect(pixel(4, 1, 1)).toEqual(colour(1)); // its row's maximum
    expect(pixel(4, 1, 0)).toEqual(colour(Math.sqrt(0.25)));
    expect(legend.textContent).toContain("rows normalised");
    expect(q<HTMLInputElement>(".ilw-normalize-rows")?.checked).toBe(true);
    model.set("color_scale", "log");
    await flush();
    expect(legend.textContent).toContain("log scale, 3 decades");
    // Ticks one per decade, equally spaced.
    const ticks = [...(q(".ilw-detail .ilw-scale-ticks")?.children ?? [])] as HTMLElement[];
    expect(ticks.map((t) => t.style.left)).toEqual(["0.00%", "33.33%", "66.67%", "100.00%"]);
  });

  it("saves the user's choice without a request", () => {
    const { model, q } = mount();
    const select = q<HTMLSelectElement>(".ilw-color-scale") as HTMLSelectElement;
    select.value = "log";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("color_scale")).toBe("log");
    const box = q<HTMLInputElement>(".ilw-normalize-rows") as HTMLInputElement;
    box.checked = true;
    box.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("normalize_rows")).toBe(true);
    expect(model.get("_request")).toBe(0);
    expect(model.saveCount).toBe(2);
    expect(q(".ilw-busy")?.hidden).toBe(true);
  });

  it("changes the thumbnails with the scale", async () => {
    const { painted } = mockContext();
    const { model } = mount({ _detail: detail(causal, 4) });
    const first = () => [...(painted.thumbs[0]?.data.slice(4, 8) ?? [])]; // thumbnail 0, pixel 1: 7 of 255
    painted.thumbs = [];
    model.set("color_scale", "sqrt");
    await flush();
    expect(first()).toEqual([...rgbAt(LIGHT.lut, level(Math.sqrt(7 / 255))), 255]);
  });
});

/** A colour as the DOM writes it back (so "#fff" and "rgb(255, 255, 255)" compare equal). */
function css(colour: string): string {
  const probe = document.createElement("span");
  probe.style.color = colour;
  return probe.style.color.replace(/\s/g, "");
}

const bgOf = (el: Element | null | undefined) => css((el as HTMLElement).style.backgroundColor);
const inkOf = (el: Element | null | undefined) => css((el as HTMLElement).style.color);
const DARK_BG = "rgb(17,17,17)";
const WHITE = "rgb(255,255,255)";

describe("inline cell colours follow the page's theme", () => {
  const dark = paletteFor([17, 17, 17]);

  it("picks text that reads on a cell: white on the light map's dark end, dark on the dark map's light end", () => {
    expect(inkOn(divergingRgb(-1, LIGHT), LIGHT)).toBe("#fff");
    expect(inkOn(divergingRgb(-1, dark), dark)).toBe("#111");
    // Near the background the page's own text colour reads.
    expect(inkOn(divergingRgb(0.05, LIGHT), LIGHT)).toBe("");
    expect(inkOn(divergingRgb(0.05, dark), dark)).toBe("");
    expect(inkOn([8, 48, 107], LIGHT)).toBe("#fff");
    expect(inkOn([222, 235, 247], dark)).toBe("#111");
  });

  it("the failure view's head-diff grid: a zero cell is the background, repainted on a theme switch", async () => {
    const { el, qa, q } = mountFailure();
    await settle();
    const cells = qa(".ilw-head-diff-cell");
    expect(bgOf(cells[0])).toBe(WHITE); // HEAD_DIFF[0] = 0
    switchToDark(el.firstElementChild as HTMLElement);
    await vi.waitFor(() => expect(bgOf(cells[0])).toBe(DARK_BG));
    expect(bgOf(cells[5])).toBe(css(cssColour(255 * Math.fround(0.9), dark))); // float32 on the wire
    const legend = (q(".ilw-head-diff-scale") as HTMLElement).style.background.replace(/\s/g, "");
    expect(legend).toContain(`${DARK_BG},`); // the legend starts at the background too
  });

  it("the failure view's case table: effect tints on the diverging map whose midpoint is the background", async () => {
    const tiny = { ...(CASES[0] as (typeof CASES)[number]), id: 6, effect: 1e-4 };
    const { el, q } = mountFailure({ _cases: [...CASES, tiny] });
    await settle();
    const effect = (id: number) => q(`tr.ilw-case[data-case="${id}"] .ilw-case-effect`);
    expect(bgOf(effect(6))).toBe(WHITE); // next to zero: the background
    expect(bgOf(effect(3))).toBe(css(rgbCss(divergingRgb(-0.3, LIGHT)))); // half strength of -0.6
    expect(effect(5)?.style.backgroundColor).toBe(""); // no effect, no tint
    switchToDark(el.firstElementChild as HTMLElement);
    await vi.waitFor(() => expect(bgOf(effect(6))).toBe(DARK_BG));
    expect(bgOf(effect(3))).toBe(css(rgbCss(divergingRgb(-0.3, dark))));
    expect(effect(3)?.style.color).toBe(inkOn(divergingRgb(-0.3, dark), dark));
  });

  it("the attribution view's signed strip: a zero score is the background, in both themes", async () => {
    const { el, qa } = mountAttribution();
    await settle();
    const occlusion = qa(".ilw-attr-row")[1] as HTMLElement;
    const zero = occlusion.querySelectorAll(".ilw-signed-cell")[4]; // OCCLUSION_SCORES[4] = 0
    expect(bgOf(zero)).toBe(WHITE);
    switchToDark(el.firstElementChild as HTMLElement);
    await vi.waitFor(() => expect(bgOf(zero)).toBe(DARK_BG));
    const bar = (occlusion.querySelector(".ilw-signed-bar") as HTMLElement).style.background;
    expect(bar.replace(/\s/g, "")).toContain(`,${DARK_BG},`); // the legend's midpoint
  });

  it("the generation tracer's attribution strip repaints too, its text legible on the new colours", async () => {
    const { el, qa } = mountTracer({ show_attribution: true });
    await settle();
    const cells = qa(".ilw-signed-cell");
    expect(bgOf(cells[2])).toBe(css(rgbCss(divergingRgb(-1, LIGHT)))); // −1: the end of the scale
    expect(inkOf(cells[2])).toBe(css("#fff"));
    switchToDark(el.firstElementChild as HTMLElement);
    await vi.waitFor(() => expect(bgOf(cells[2])).toBe(css(rgbCss(divergingRgb(-1, dark)))));
    expect(inkOf(cells[2])).toBe(css("#111")); // the dark map's ends are light
    expect(cells[1]?.style.color).toBe(""); // +0.5 on the dark map: dark, the page's light text reads
  });

  it("the feature explorer's token highlights: the sequential map from the background, repainted", async () => {
    const dashboard = dashboardWire({ contexts: [context({ values: [0, 4, 0.001, 0] })], quantiles: [] });
    const { el, qa } = mountFeatures({ selected_feature: 5, _dashboard: dashboard });
    await settle();
    const tokens = qa(".ilw-feature-context .ilw-feature-token");
    const chip = qa("button.ilw-feature-chip")[0];
    expect(bgOf(tokens[2])).toBe(WHITE); // 0.001 of 4: level 0, the background
    expect(bgOf(tokens[1])).toBe(css(cssColour(255)));
    expect(inkOf(tokens[1])).toBe(css("#fff"));
    expect(tokens[0]?.style.backgroundColor).toBe(""); // 0: transparent
    switchToDark(el.firstElementChild as HTMLElement);
    await vi.waitFor(() => expect(bgOf(tokens[2])).toBe(DARK_BG));
    expect(bgOf(tokens[1])).toBe(css(cssColour(255, dark)));
    expect(inkOf(tokens[1])).toBe(css("#111"));
    expect(bgOf(chip)).toBe(css(cssColour((255 * 3.21) / 4, dark))); // the prompt's chips too
  });

  it("the circuit graph: node boxes on the dark surface colours, edges on the dark diverging ends", async () => {
    const { el, q } = mountCircuit();
    await settle();
    const head = q('.ilw-circuit-node[data-node="a0.h0"]') as Element;
    const mlp = q('.ilw-circuit-node[data-kind="mlp"]') as Element;
    const edge = q('path.ilw-circuit-edge[data-edge="0"]') as Element; // score > 0
    const against = q("path.ilw-circuit-edge.ilw-negative") as Element;
    expect(head.querySelector("rect")?.getAttribute("fill")).toBe(LIGHT_NODES.fill);
    expect(edge.getAttribute("stroke")).toBe(POSITIVE);
    expect(against.getAttribute("stroke")).toBe(NEGATIVE);
    const root = el.firstElementChild as HTMLElement;
    // JupyterLab Dark's surface colours, as lib/view.css passes them on.
    root.style.setProperty("--ilw-bg-raised", "#1e1e1e");
    root.style.setProperty("--ilw-fg", "#dddddd");
    switchToDark(root);
    await vi.waitFor(() => expect(head.querySelector("rect")?.getAttribute("fill")).toBe("#1e1e1e"));
    expect(head.querySelector("text")?.getAttribute("fill")).toBe("#dddddd");
    expect(head.querySelector("rect")?.getAttribute("stroke")).toBe(DARK_NODES.stroke); // --ilw-border unset
    expect(mlp.querySelector("rect")?.getAttribute("fill")).toBe(DARK_NODES.mlpFill); // --ilw-bg-alt unset
    // The dark diverging map's ends, (116, 173, 209) and (244, 109, 67): light enough on a dark page.
    expect(edge.getAttribute("stroke")).toBe("#74add1");
    expect(against.getAttribute("stroke")).toBe("#f46d43");
    expect(inkOf(q(".ilw-circuit-key-neg"))).toBe(css("#f46d43"));
  });

  it("the feature explorer's histogram: bars at the sequential map's 0.75, repainted", async () => {
    const { el, qa } = mountFeatures({ selected_feature: 5, _dashboard: dashboardWire() });
    await settle();
    const bars = qa("svg.ilw-feature-histogram rect");
    expect(bars.length).toBeGreaterThan(0);
    expect(css(bars[0]?.getAttribute("fill") as string)).toBe("rgb(33,113,181)"); // #2171b5
    switchToDark(el.firstElementChild as HTMLElement);
    await vi.waitFor(() =>
      expect(css(bars[0]?.getAttribute("fill") as string)).toBe(css(cssColour(level(0.75), dark))),
    );
    expect(css(cssColour(level(0.75), dark))).not.toBe("rgb(33,113,181)");
  });

  it("builds rows in the page's current colours when data arrives after a theme switch", async () => {
    const { el, model, qa } = mountAttribution({ _rows: [] });
    await settle();
    switchToDark(el.firstElementChild as HTMLElement);
    await settle();
    model.set("_rows", [exampleRow(), occlusionRow()]);
    await flush();
    const occlusion = qa(".ilw-attr-row")[1] as HTMLElement;
    expect(bgOf(occlusion.querySelectorAll(".ilw-signed-cell")[4])).toBe(DARK_BG);
  });
});
