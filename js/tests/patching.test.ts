import { afterEach, describe, expect, it, vi } from "vitest";
import { formatPercent } from "../src/components/patch_cell_panel";
import { divergingColour } from "../src/lib/colormap";
import { flush, wire } from "./fake_model";
import { key } from "./mount";
import { CLEAN, CORRUPTED, EFFECTS, exampleCell, mountPatching, ROWS } from "./patching_fixture";

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

const rgb = (el: Element | null | undefined) => (el as HTMLElement).style.backgroundColor.replace(/\s/g, "");
const cellSelector = (layer: number, position: number) =>
  `.ilw-patch-cell[data-layer="${layer}"][data-position="${position}"]`;

describe("patching explorer view", () => {
  it("renders one root with header, grid, cell panel and error banner", () => {
    const { el, q, qa } = mountPatching();
    expect(el.children).toHaveLength(1);
    const root = el.firstElementChild as HTMLElement;
    expect(root.className).toBe("ilw-patching-explorer ilw-view");
    expect(root.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    expect(root.getAttribute("tabindex")).toBe("-1");
    expect(q(".ilw-model-name")?.textContent).toBe("tiny-test-model");
    expect(q(".ilw-patch-metric")?.textContent).toBe(
      "metric: logit(' Paris') − logit(' Rome') at the last token",
    );
    expect(q(".ilw-patch-baseline")?.textContent).toBe("clean 3.250 · corrupted -1.500");
    const component = q<HTMLSelectElement>("select.ilw-component") as HTMLSelectElement;
    expect([...component.options].map((o) => o.value)).toEqual(["resid", "attn", "mlp"]);
    expect(component.value).toBe("resid");
    const direction = q<HTMLSelectElement>("select.ilw-direction") as HTMLSelectElement;
    expect([...direction.options].map((o) => [o.value, o.textContent])).toEqual([
      ["denoise", "clean → corrupted (denoise)"],
      ["noise", "corrupted → clean (noise)"],
    ]);
    expect(direction.value).toBe("denoise");
    for (const sel of ["div.ilw-patching-grid", "div.ilw-patch-cell-panel", "div.ilw-error"]) {
      expect(q(sel), sel).not.toBeNull();
    }
    expect(q(".ilw-error")?.hidden).toBe(true);
    expect(qa(".ilw-patch-legend-text").map((l) => l.textContent)).toEqual(["0 = corrupted, 1 = clean"]);
  });

  it("renders R × n cells coloured by a diverging map centred at 0", () => {
    const { q, qa } = mountPatching();
    const grid = q(".ilw-patching-grid") as HTMLElement;
    expect(grid.dataset).toMatchObject({ rows: "4", cols: "4" });
    const cells = qa(".ilw-patch-cell");
    expect(cells).toHaveLength(ROWS.length * CLEAN.length);
    expect(cells.map((c) => [c.dataset.layer, c.dataset.position]).slice(0, 5)).toEqual([
      ["0", "0"],
      ["0", "1"],
      ["0", "2"],
      ["0", "3"],
      ["1", "0"],
    ]);
    for (const [row, values] of EFFECTS.entries()) {
      for (const [p, v] of values.entries()) {
        expect(rgb(q(cellSelector(row, p))), `${row},${p}`).toBe(divergingColour(v).replace(/\s/g, ""));
      }
    }
    expect(rgb(q(cellSelector(0, 0)))).toBe("rgb(255,255,255)");
    expect(rgb(q(cellSelector(0, 3)))).toBe("rgb(178,24,43)");
    expect(rgb(q(cellSelector(2, 3)))).toBe("rgb(178,24,43)"); // 1.5 saturates
    expect(rgb(q(cellSelector(1, 2)))).toBe("rgb(146,197,222)"); // -0.5 is light blue
    expect(qa(".ilw-patch-row-label").map((l) => l.textContent)).toEqual(ROWS);
    expect(q(".ilw-patch-axis-title")?.textContent).toBe("residual after layer");
    expect(q(".ilw-patch-empty")?.hidden).toBe(true);
  });

  it("shows clean and corrupted token labels as text and marks the positions that differ", async () => {
    const { model, qa } = mountPatching();
    const labels = (run: string) => qa(`.ilw-patch-token[data-run="${run}"]`);
    expect(labels("clean").map((t) => t.textContent)).toEqual(CLEAN);
    expect(labels("corrupted").map((t) => t.textContent)).toEqual(CORRUPTED);
    expect(qa(".ilw-token-diff").map((t) => [t.dataset.run, t.dataset.position])).toEqual([
      ["clean", "3"],
      ["corrupted", "3"],
    ]);
    const evil = "<img src=x onerror=alert(1)>";
    model.set("_clean_tokens", ["The", evil, " of", "\n"]);
    await flush();
    expect(document.querySelector("img")).toBeNull();
    expect(labels("clean").map((t) => t.textContent)).toEqual(["The", evil, " of", "↵"]);
    expect(labels("clean")[1]?.children).toHaveLength(0);
    expect(qa(".ilw-token-diff[data-run=clean]").map((t) => t.dataset.position)).toEqual(["1", "3"]);
  });

  it("a click selects the cell with one save_changes and outlines it", async () => {
    const { model, q, qa } = mountPatching();
    expect(qa(".ilw-patch-cell.ilw-selected").map((c) => c.dataset)).toEqual([
      expect.objectContaining({ layer: "2", position: "3" }),
    ]);
    q(cellSelector(1, 0))?.click();
    expect(model.get("selected_layer")).toBe(1);
    expect(model.get("selected_position")).toBe(0);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(qa(".ilw-patch-cell.ilw-selected").map((c) => c.dataset)).toEqual([
      expect.objectContaining({ layer: "1", position: "0" }),
    ]);
    // the selection is not the cell shown: the panel is dimmed until Python answers
    expect(q(".ilw-patch-cell-panel")?.classList.contains("ilw-stale")).toBe(true);
    model.set("_cell", exampleCell({ layer: 1, position: 0 }));
    await flush();
    expect(q(".ilw-patch-cell-panel")?.classList.contains("ilw-stale")).toBe(false);
  });

  it("arrow keys move the selection within the grid and Escape clears it", async () => {
    const { model, q } = mountPatching();
    const grid = q(".ilw-patching-grid") as HTMLElement;
    const at = () => [model.get("selected_layer"), model.get("selected_position")];
    key(grid, "ArrowDown");
    expect(at()).toEqual([3, 3]);
    expect(model.saveCount).toBe(1);
    await flush();
    key(grid, "ArrowRight"); // already at the last position
    key(grid, "ArrowDown"); // already at the last row
    expect(model.saveCount).toBe(1);
    key(grid, "ArrowLeft");
    key(grid, "ArrowUp");
    expect(at()).toEqual([2, 2]);
    key(grid, "Escape");
    expect(at()).toEqual([-1, -1]);
    expect(model.saveCount).toBe(4);
    await flush();
    expect(q(".ilw-patch-cell.ilw-selected")).toBeNull();
    key(grid, "ArrowRight"); // from nothing selected: the top-left cell
    expect(at()).toEqual([0, 0]);
  });

  it("the selects write component and direction and the old grid is dimmed until Python answers", async () => {
    const { model, q } = mountPatching();
    const grid = q(".ilw-patching-grid") as HTMLElement;
    expect(grid.classList.contains("ilw-stale")).toBe(false);
    const component = q<HTMLSelectElement>("select.ilw-component") as HTMLSelectElement;
    component.value = "attn";
    component.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("component")).toBe("attn");
    expect(model.saveCount).toBe(1);
    await flush();
    expect(grid.classList.contains("ilw-stale")).toBe(true);
    expect(q(".ilw-patch-cell-panel")?.classList.contains("ilw-stale")).toBe(true);
    model.set("_grid", {
      component: "attn",
      direction: "denoise",
      rows: ["0", "1", "2"],
      effects: wire("float32", [3, 4], new Float32Array(12)),
    });
    await flush();
    expect(grid.classList.contains("ilw-stale")).toBe(false);
    expect(grid.dataset.rows).toBe("3");
    expect(q(".ilw-patch-axis-title")?.textContent).toBe("layer");

    const direction = q<HTMLSelectElement>("select.ilw-direction") as HTMLSelectElement;
    direction.value = "noise";
    direction.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("direction")).toBe("noise");
    expect(model.saveCount).toBe(2);
    await flush();
    expect(grid.classList.contains("ilw-stale")).toBe(true);
  });

  it("renders the cell: title, one bar per head around a zero line, and the three top lists", () => {
    const { q, qa } = mountPatching();
    const panel = q(".ilw-patch-cell-panel") as HTMLElement;
    expect(panel.dataset).toMatchObject({ component: "resid", layer: "2", position: "3" });
    expect(panel.classList.contains("ilw-stale")).toBe(false);
    expect(q(".ilw-patch-cell-title")?.textContent).toBe(
      'residual after layer 2 · position 3 (clean " France", corrupted " Italy") · effect 1.500',
    );
    const bars = qa(".ilw-head-bars .ilw-head-bar");
    expect(bars.map((b) => b.dataset.head)).toEqual(["0", "1", "2", "3"]);
    expect(bars.map((b) => b.querySelector(".ilw-head-bar-value")?.textContent)).toEqual([
      "0.500",
      "-0.250",
      "0.000",
      "1.000",
    ]);
    // scale -0.25 … 1: zero at 20%, the negative head to its left
    const fill = (b: Element | undefined) => b?.querySelector<HTMLElement>(".ilw-head-bar-fill")?.style;
    expect(bars[0]?.querySelector<HTMLElement>(".ilw-head-bar-zero")?.style.left).toBe("20.00%");
    expect([fill(bars[0])?.left, fill(bars[0])?.width]).toEqual(["20.00%", "40.00%"]);
    expect([fill(bars[1])?.left, fill(bars[1])?.width]).toEqual(["0.00%", "20.00%"]);
    expect(bars[1]?.querySelector(".ilw-head-bar-fill")?.classList.contains("ilw-negative")).toBe(true);
    const list = (run: string) =>
      qa(`ol.ilw-patch-top[data-run="${run}"] li`).map((li) => [
        li.querySelector(".ilw-patch-top-token")?.textContent,
        li.querySelector(".ilw-patch-top-prob")?.textContent,
      ]);
    expect(list("clean")).toEqual([
      [" Paris", "80.0%"],
      [" the", "5.0%"],
    ]);
    expect(list("corrupted")).toEqual([[" Rome", "70.0%"]]);
    expect(list("patched")).toEqual([
      [" Paris", "60.0%"],
      [" Rome", "20.0%"],
      [" Lyon", "<0.1%"],
    ]);
  });

  it("says why a cell has no heads, and shows a hint without a cell", async () => {
    const { model, q, qa } = mountPatching();
    model.set("_cell", exampleCell({ layer: 0, position: 1, head_layer: null, heads: null }));
    await flush();
    expect(qa(".ilw-head-bar")).toHaveLength(0);
    expect(q(".ilw-patch-heads")?.textContent).toMatch(/the embeddings have no heads/);
    expect(q(".ilw-patch-cell-title")?.textContent).toMatch(/^embeddings · position 1/);
    model.set("_cell", exampleCell({ heads: null }));
    await flush();
    expect(q(".ilw-patch-heads")?.textContent).toBe("No per-head breakdown for this cell.");
    model.set("_cell", {});
    await flush();
    expect(q(".ilw-patch-cell-title")?.textContent).toMatch(/^Click a grid cell/);
    expect(q(".ilw-patch-cell-details")?.hidden).toBe(true);
    expect(q(".ilw-patch-cell-panel")?.classList.contains("ilw-stale")).toBe(false);
  });

  it("hovering a cell shows a text tooltip with row, position, both tokens and the value", async () => {
    const { model, q } = mountPatching();
    const tooltip = q(".ilw-patch-tooltip") as HTMLElement;
    expect(tooltip.hidden).toBe(true);
    q(cellSelector(1, 2))?.dispatchEvent(new Event("pointerover", { bubbles: true }));
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toBe(
      'residual after layer 1 · position 2\nclean " of" · corrupted " of"\neffect -0.500',
    );
    q(".ilw-patch-table")?.dispatchEvent(new Event("pointerleave"));
    expect(tooltip.hidden).toBe(true);
    const evil = "<b>x</b>";
    model.set("_corrupted_tokens", ["The", " capital", " of", evil]);
    await flush();
    q(cellSelector(0, 3))?.dispatchEvent(new Event("pointerover", { bubbles: true }));
    expect(tooltip.textContent).toContain(`corrupted "${evil}"`);
    expect(tooltip.children).toHaveLength(0);
  });

  it("shows busy while Python runs, and _error", async () => {
    const { model, q, el } = mountPatching();
    model.reply("running");
    model.set("_error", "prompts differ in length");
    await flush();
    expect(el.firstElementChild?.classList.contains("ilw-is-busy")).toBe(true);
    expect(q(".ilw-busy")?.hidden).toBe(false);
    expect(q(".ilw-error")?.textContent).toBe("prompts differ in length");
    model.reply("error");
    model.set("_error", "");
    await flush();
    expect(el.firstElementChild?.classList.contains("ilw-is-busy")).toBe(false);
    expect(q(".ilw-error")?.hidden).toBe(true);
  });

  it("reports malformed _grid, _cell and _baseline in the banner instead of throwing", async () => {
    const { model, q, qa } = mountPatching();
    const banner = () => q(".ilw-error")?.textContent ?? "";
    model.set("_grid", {
      component: "resid",
      direction: "denoise",
      rows: ROWS,
      effects: wire("float32", [4, 3], new Float32Array(12)),
    });
    model.set("_cell", exampleCell({ heads: wire("float32", [2, 2], new Float32Array(4)) }));
    model.set("_baseline", { clean: "high" } as never);
    await flush();
    expect(banner()).toMatch(/_grid\.effects: expected float32 \[4, 4\] \(rows × tokens\), got \[4, 3\]/);
    expect(banner()).toMatch(/_cell\.heads: expected float32 \[n_heads\], got \[2, 2\]/);
    expect(banner()).toMatch(/_baseline: expected \{clean: number, corrupted: number\}/);
    expect(q(".ilw-error")?.hidden).toBe(false);
    expect(qa(".ilw-patch-cell")).toHaveLength(0);
    expect(q(".ilw-patch-empty")?.hidden).toBe(false);
    expect(qa(".ilw-head-bar")).toHaveLength(0);

    model.set("_grid", { component: "resid", rows: "emb", effects: 3 } as never);
    model.set("_cell", exampleCell({ top: { clean: [[1, " x"]] } as never }));
    await flush();
    expect(banner()).toMatch(/_grid: component and direction must be strings/);
    expect(banner()).toMatch(/_cell\.top\.clean: expected \[\[token, prob\], …\]/);
    model.set("_grid", {
      component: "resid",
      direction: "denoise",
      rows: ROWS,
      effects: { dtype: "float32" },
    } as never);
    model.set("_cell", "nope" as never);
    await flush();
    expect(banner()).toMatch(/_grid\.effects is not a wire array/);
    expect(banner()).toMatch(/_cell is not an object/);
    model.set("_corrupted_tokens", ["a"]);
    await flush();
    expect(banner()).toMatch(/_clean_tokens has 4 tokens but _corrupted_tokens has 1/);
    expect(banner()).not.toMatch(/view error/);
  });

  it("handles an empty model (nothing computed yet)", () => {
    const { model, q, qa } = mountPatching({
      _grid: {},
      _cell: {},
      _baseline: {},
      selected_layer: -1,
      selected_position: -1,
    });
    expect(qa(".ilw-patch-cell")).toHaveLength(0);
    expect(qa(".ilw-patch-token")).toHaveLength(2 * CLEAN.length);
    expect(q(".ilw-patch-empty")?.hidden).toBe(false);
    expect(q(".ilw-patch-baseline")?.textContent).toBe("");
    expect(q(".ilw-error")?.hidden).toBe(true);
    key(q(".ilw-patching-grid") as HTMLElement, "ArrowDown"); // no grid: nothing to select
    expect(model.saveCount).toBe(0);
  });

  it("cleanup removes listeners and DOM", () => {
    const { model, el, cleanup } = mountPatching();
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
  });
});

describe("patching helpers", () => {
  it("maps effects to a diverging colour: blue < 0, white at 0, red at 1, saturating", () => {
    expect(divergingColour(0)).toBe("rgb(255, 255, 255)");
    expect(divergingColour(1)).toBe("rgb(178, 24, 43)");
    expect(divergingColour(7)).toBe("rgb(178, 24, 43)");
    expect(divergingColour(-1)).toBe("rgb(33, 102, 172)");
    expect(divergingColour(Number.NEGATIVE_INFINITY)).toBe("rgb(33, 102, 172)");
    expect(divergingColour(0.25)).toBe("rgb(250, 210, 193)");
    expect(divergingColour(Number.NaN)).toBe("");
  });
  it("formats probabilities as percentages", () => {
    expect([0, 0.5, 0.0004, 1, Number.NaN].map(formatPercent)).toEqual([
      "0.0%",
      "50.0%",
      "<0.1%",
      "100.0%",
      "NaN",
    ]);
  });
});
