import { afterEach, describe, expect, it, vi } from "vitest";
import { flush } from "./fake_model";
import { key, mount } from "./mount";

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe("attention explorer view", () => {
  it("renders one root with header, text box, strip, grid and detail", () => {
    const { el, q } = mount();
    expect(el.children).toHaveLength(1);
    const root = el.firstElementChild as HTMLElement;
    expect(root.classList.contains("ilw-attention-explorer")).toBe(true);
    expect(q(".ilw-model-name")?.textContent).toBe("tiny-test-model");
    expect(q(".ilw-token-count")?.textContent).toBe("4 tokens");
    for (const cls of [
      ".ilw-text",
      ".ilw-run",
      ".ilw-token-strip",
      ".ilw-head-grid",
      ".ilw-detail",
      ".ilw-token-lines",
    ]) {
      expect(q(cls), cls).not.toBeNull();
    }
  });

  it("shows _error in an alert banner", async () => {
    const { model, q } = mount();
    const banner = q(".ilw-error") as HTMLElement;
    expect(banner.hidden).toBe(true);
    expect(banner.getAttribute("role")).toBe("alert");
    const message = "layer 99 is out of range: this model has layers 0..29.";
    model.set("_error", message);
    await flush();
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toBe(message);
    model.set("_error", "");
    await flush();
    expect(banner.hidden).toBe(true);
  });

  it("mode select lists _modes and sets mode", async () => {
    const { model, q, qa } = mount();
    const select = q<HTMLSelectElement>(".ilw-mode") as HTMLSelectElement;
    expect(qa(".ilw-mode option").map((o) => o.textContent)).toEqual(["raw", "rollout"]);
    expect(select.value).toBe("raw");
    select.value = "rollout";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("mode")).toBe("rollout");
    expect(model.saveCount).toBe(1);
    model.set("_modes", ["raw", "rollout", "flow", "norm"]);
    await flush();
    expect(qa(".ilw-mode option").map((o) => o.textContent)).toEqual(["raw", "rollout", "flow", "norm"]);
    expect(select.value).toBe("rollout");
  });

  it("Run and Ctrl/Cmd+Enter set text", async () => {
    const { model, q } = mount();
    const textarea = q<HTMLTextAreaElement>(".ilw-text") as HTMLTextAreaElement;
    expect(textarea.value).toBe("The cat sat\n");
    textarea.value = "Hello world";
    q(".ilw-run")?.click();
    expect(model.get("text")).toBe("Hello world");
    expect(model.saveCount).toBe(1);
    textarea.value = "Second";
    key(textarea, "Enter", { metaKey: true });
    expect(model.get("text")).toBe("Second");
    key(textarea, "Enter"); // plain Enter is a newline, not a run
    expect(model.saveCount).toBe(2);
    model.set("text", "From Python");
    await flush();
    expect(textarea.value).toBe("From Python");
  });

  it("shows the busy indicator without blocking the view", async () => {
    const { model, q } = mount();
    const busy = q(".ilw-busy") as HTMLElement;
    expect(busy.hidden).toBe(true);
    model.set("_status", { request: 0, state: "running", label: "attention", fraction: null });
    await flush();
    expect(busy.hidden).toBe(false);
    q('.ilw-head-cell[data-layer="1"][data-head="1"]')?.click();
    expect(model.get("selected_layer")).toBe(1);
  });

  it("keeps the highlight toggle in the view only", () => {
    const { model, q } = mount();
    const keyRadio = q<HTMLInputElement>('input[value="key"]') as HTMLInputElement;
    keyRadio.checked = true;
    keyRadio.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.saveCount).toBe(0);
  });

  it("does not throw on empty or malformed traits", async () => {
    const { model, q } = mount({
      _tokens: [],
      _detail: {},
      _thumbnails: {},
      _head_stats: {},
      _head_roles: [],
      _modes: [],
      _n_layers: 0,
      _n_heads: 0,
    });
    expect(q(".ilw-head-cell")).toBeNull();
    model.set("_thumbnails", { dtype: "uint8", shape: [1], data: "nope" } as never);
    model.set("_tokens", ["a"]);
    model.set("_detail", {
      layer: 0,
      head: 0,
      mode: "raw",
      n: 1,
      scale_max: 1,
      rows: null,
      overview: { bounds: [0, 1, 0, 1], query_starts: {}, key_starts: {}, pattern: {} },
      window: null,
    } as never);
    model.set("_detail_lines", { layer: 0 } as never);
    await flush();
    expect(q(".ilw-error")?.textContent).toBe(
      "_thumbnails is not a wire array\n_detail.overview.pattern is not a wire array\n_detail_lines.head must be an integer",
    );
  });

  it("cleanup removes model listeners, DOM listeners and the view", async () => {
    const { model, el, cleanup } = mount();
    expect(model.listenerCount()).toBeGreaterThan(0);
    const grid = el.querySelector(".ilw-head-grid") as HTMLElement;
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
    grid.querySelector<HTMLElement>(".ilw-head-cell")?.click();
    expect(model.saveCount).toBe(0);
    model.set("_error", "after cleanup");
    await flush();
  });

  it("two views of one model stay independent and in sync", async () => {
    const first = mount();
    const model = first.model;
    const el = document.createElement("div");
    const { default: widget } = await import("../src/attention_explorer");
    const cleanup = widget.render({ model, el } as never) as () => void;
    first.q('.ilw-head-cell[data-layer="2"][data-head="1"]')?.click();
    await flush();
    expect(el.querySelector<HTMLElement>(".ilw-selected")?.dataset).toMatchObject({ layer: "2", head: "1" });
    cleanup();
    first.cleanup();
    expect(model.listenerCount()).toBe(0);
  });
});
