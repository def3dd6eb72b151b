import { afterEach, describe, expect, it, vi } from "vitest";
import maps from "../../interplab_widgets/colormaps.json";
import { divergingRgb, LIGHT, level, paletteFor, relativeLuminance } from "../src/lib/colormap";
import { scaleSigned, scaleText, scaleTicks, scaleValue } from "../src/lib/scale";
import { backgroundOf, parseColour } from "../src/lib/theme";
import { causal, detail } from "./attention_fixture";
import { flush } from "./fake_model";
import { mount } from "./mount";

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

/** A 2D context that keeps the heatmap's ImageData (the PLOT-wide one) and the thumbnails'. */
function mockContext() {
  const painted: { image: { data: Uint8ClampedArray } | null; thumbs: Array<{ data: Uint8ClampedArray }> } = {
    image: null,
    thumbs: [],
  };
  const ctx = new Proxy(
    {},
    {
      get: (_target, prop) => {
        if (prop === "createImageData")
          return (w: number, hgt: number) => ({
            width: w,
            height: hgt,
            data: new Uint8ClampedArray(4 * w * hgt),
          });
        if (prop === "putImageData")
          return (image: { width: number; data: Uint8ClampedArray }) => {
            if (image.width === PLOT) painted.image = image;
            else painted.thumbs.push(image);
          };
        return () => {};
      },
      set: () => true,
    },
  );
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(ctx as never);
  /** RGBA of the plot pixel at the centre of token pair (q, k), n tokens unzoomed. */
  const pixel = (n: number, q: number, k: number) => {
    const cell = PLOT / n;
    const p = 4 * (Math.floor(cell * (q + 0.5)) * PLOT + Math.floor(cell * (k + 0.5)));
    return [...(painted.image as { data: Uint8ClampedArray }).data.slice(p, p + 4)];
  };
  return { painted, pixel };
}

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
