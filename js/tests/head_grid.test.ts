import { afterEach, describe, expect, it } from "vitest";
import { thumbnailIndex } from "../src/components/head_grid";
import { flush } from "./fake_model";
import { key, mount } from "./mount";

afterEach(() => {
  document.body.replaceChildren();
});

describe("head grid", () => {
  it("renders n_layers × n_heads cells with data-layer/data-head and labels", () => {
    const { qa, q } = mount();
    const cells = qa(".ilw-head-grid .ilw-head-cell");
    expect(cells).toHaveLength(3 * 4);
    expect(cells.map((c) => `${c.dataset.layer}/${c.dataset.head}`).slice(0, 5)).toEqual([
      "0/0",
      "0/1",
      "0/2",
      "0/3",
      "1/0",
    ]);
    expect(qa("canvas.ilw-thumb")).toHaveLength(12);
    const labels = qa(".ilw-grid-label").map((l) => l.textContent);
    expect(labels).toEqual(["H0", "H1", "H2", "H3", "L0", "L1", "L2"]);
    expect(q(".ilw-head-grid")?.getAttribute("tabindex")).toBe("0");
  });

  it("clicking a cell sets selected_layer/head and saves", async () => {
    const { model, q } = mount();
    q('.ilw-head-cell[data-layer="2"][data-head="3"]')?.click();
    expect(model.get("selected_layer")).toBe(2);
    expect(model.get("selected_head")).toBe(3);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(q(".ilw-selected")?.dataset).toMatchObject({ layer: "2", head: "3" });
  });

  it("outlines the cell selected from Python", async () => {
    const { model, qa } = mount();
    model.set("selected_layer", 1);
    model.set("selected_head", 2);
    await flush();
    const selected = qa(".ilw-selected");
    expect(selected).toHaveLength(1);
    expect(selected[0]?.dataset).toMatchObject({ layer: "1", head: "2" });
  });

  it("arrow keys move the selection and clamp at the edges", async () => {
    const { model, q } = mount();
    const grid = q(".ilw-head-grid") as HTMLElement;
    key(grid, "ArrowRight");
    key(grid, "ArrowDown");
    expect([model.get("selected_layer"), model.get("selected_head")]).toEqual([1, 1]);
    for (let i = 0; i < 10; i++) key(grid, "ArrowRight");
    for (let i = 0; i < 10; i++) key(grid, "ArrowDown");
    expect([model.get("selected_layer"), model.get("selected_head")]).toEqual([2, 3]);
    const saves = model.saveCount;
    key(grid, "ArrowRight"); // already at the edge: nothing to save
    expect(model.saveCount).toBe(saves);
    for (let i = 0; i < 10; i++) key(grid, "ArrowLeft");
    key(grid, "ArrowUp");
    key(grid, "ArrowUp");
    key(grid, "ArrowUp");
    expect([model.get("selected_layer"), model.get("selected_head")]).toEqual([0, 0]);
  });

  it("shows head stats with layer and head on hover (title), and role badges", () => {
    const { q } = mount();
    const cell = q('.ilw-head-cell[data-layer="1"][data-head="2"]') as HTMLElement;
    // stats[1, 2, :] = indices (1*4+2)*2 + [0, 1] = 12, 13 → 1.2, 1.3
    expect(cell.title).toBe(
      "Layer 1, head 2\nentropy: 1.20\nfirst_token: 1.30\nrole: previous_token (0.900)",
    );
    const badge = cell.querySelector(".ilw-role-badge") as HTMLElement;
    expect(badge.textContent).toBe("previous_token");
    expect(badge.hidden).toBe(false);
    const other = q('.ilw-head-cell[data-layer="0"][data-head="0"] .ilw-role-badge') as HTMLElement;
    expect(other.hidden).toBe(true);
  });

  it("reports malformed _head_roles entries and keeps the well-formed ones", async () => {
    const { model, q } = mount();
    expect((q(".ilw-error") as HTMLElement).hidden).toBe(true);
    model.set("_head_roles", [
      { layer: 0, head: 1, role: "induction" }, // no score
      { layer: 1, head: 2, role: "previous_token", score: 0.9 },
      "junk",
    ] as never);
    await flush();
    expect(q(".ilw-error")?.textContent).toBe(
      "_head_roles: 2 of 3 entries are malformed (entry 0: score must be a number)",
    );
    const badge = (layer: number, head: number) =>
      q(`.ilw-head-cell[data-layer="${layer}"][data-head="${head}"] .ilw-role-badge`) as HTMLElement;
    expect(badge(1, 2).textContent).toBe("previous_token");
    expect(badge(0, 1).hidden).toBe(true);
    model.set("_head_roles", [{ layer: 0, head: 1, role: "induction", score: 0.5 }]);
    await flush();
    expect((q(".ilw-error") as HTMLElement).hidden).toBe(true);
    expect(badge(0, 1).textContent).toBe("induction");
  });

  it("rebuilds when the model shape changes and reports mismatched thumbnails", async () => {
    const { model, qa, q } = mount();
    model.set("_n_layers", 5);
    await flush();
    expect(qa(".ilw-head-cell")).toHaveLength(5 * 4);
    // thumbnails are still [3, 4, t, t]: the view says so instead of drawing garbage
    expect(q(".ilw-error")?.textContent).toMatch(
      /_thumbnails: expected uint8 \[5, 4, t, t\], got \[3, 4, 4, 4\]/,
    );
  });

  it("maps tokens to thumbnail rows", () => {
    expect(thumbnailIndex(0, 32, 100)).toBe(0);
    expect(thumbnailIndex(99, 32, 100)).toBe(31);
    expect(thumbnailIndex(3, 32, 4)).toBe(24);
  });
});
