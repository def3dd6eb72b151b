import { afterEach, describe, expect, it, vi } from "vitest";
import { lensRowLabel, probabilityIndex, rankIndex } from "../src/components/lens_heatmap";
import { PLAY_INTERVAL_MS } from "../src/components/step_controls";
import { flush, wire } from "./fake_model";
import { attributionAt, GENERATED, mountTracer, N_HEADS, N_LAYERS, PROMPT } from "./tracer_fixture";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

const ROWS = N_LAYERS + 1;

describe("generation tracer view", () => {
  it("renders one root with header, controls, text, heatmap, top-k, head grid and head row", () => {
    const { el, q } = mountTracer();
    expect(el.children).toHaveLength(1);
    expect(el.firstElementChild?.classList.contains("ilw-generation-tracer")).toBe(true);
    expect(q(".ilw-model-name")?.textContent).toBe("tiny-test-model");
    expect(q(".ilw-step-count")?.textContent).toBe("4 generated tokens");
    for (const sel of [
      "select.ilw-metric",
      "input[type=range].ilw-step",
      ".ilw-play",
      ".ilw-step-token",
      ".ilw-lens-heatmap",
      ".ilw-topk",
      ".ilw-head-grid",
      ".ilw-head-row",
      ".ilw-error",
    ]) {
      expect(q(sel), sel).not.toBeNull();
    }
  });

  it("the slider reflects and sets step", async () => {
    const { model, q } = mountTracer();
    const slider = q<HTMLInputElement>("input.ilw-step") as HTMLInputElement;
    expect(slider.min).toBe("0");
    expect(slider.max).toBe("3");
    expect(slider.value).toBe("1");
    expect(q(".ilw-step-token")?.textContent).toBe(" on");
    slider.value = "3";
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    expect(model.get("step")).toBe(3);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(q(".ilw-step-token")?.textContent).toBe(" mat");
  });

  it("shows prompt then generated tokens, moves ilw-current with step, and a click sets step", async () => {
    const { model, q, qa } = mountTracer();
    expect(qa(".ilw-prompt-token").map((t) => t.textContent)).toEqual(PROMPT);
    const gen = qa(".ilw-gen-token");
    expect(gen.map((t) => t.textContent)).toEqual(GENERATED);
    expect(gen.map((t) => t.dataset.step)).toEqual(["0", "1", "2", "3"]);
    expect(qa(".ilw-current").map((t) => t.dataset.step)).toEqual(["1"]);
    model.set("step", 2);
    await flush();
    expect(qa(".ilw-current").map((t) => t.dataset.step)).toEqual(["2"]);
    q('.ilw-gen-token[data-step="0"]')?.click();
    expect(model.get("step")).toBe(0);
    expect(model.saveCount).toBe(1);
  });

  it("lays out the lens heatmap with the output row on top and marks the current column", async () => {
    const { model, qa } = mountTracer();
    const cells = qa(".ilw-lens-cell");
    expect(cells).toHaveLength(ROWS * GENERATED.length);
    expect(cells[0]?.dataset).toMatchObject({ layer: String(N_LAYERS), step: "0" });
    expect(cells[cells.length - 1]?.dataset).toMatchObject({ layer: "0", step: "3" });
    expect(qa(".ilw-lens-label").map((l) => l.textContent)).toEqual(["out", "L2", "L1", "emb"]);
    const column = () => qa(".ilw-current-step").map((c) => c.dataset.step);
    expect(column()).toEqual(["1", "1", "1", "1"]);
    model.set("step", 3);
    await flush();
    expect(column()).toEqual(["3", "3", "3", "3"]);
    // probs[step, row] = row / 3: the output row is darkest, the embedding row white
    const out = qa(`.ilw-lens-cell[data-layer="${N_LAYERS}"][data-step="0"]`)[0] as HTMLElement;
    const emb = qa('.ilw-lens-cell[data-layer="0"][data-step="0"]')[0] as HTMLElement;
    expect(emb.style.backgroundColor.replace(/\s/g, "")).toBe("rgb(255,255,255)");
    expect(out.style.backgroundColor.replace(/\s/g, "")).toBe("rgb(8,48,107)");
    expect(out.getAttribute("title")).toBe('step 0 "·sat" · out\np = 1.000\nrank 1\nentropy 1.50 bits');
  });

  it("a heatmap click sets step and selected_layer with one save, and outlines the cell", async () => {
    const { model, q, qa } = mountTracer();
    expect(qa(".ilw-lens-cell.ilw-selected").map((c) => c.dataset)).toEqual([
      expect.objectContaining({ layer: String(N_LAYERS), step: "1" }),
    ]);
    q('.ilw-lens-cell[data-layer="2"][data-step="3"]')?.click();
    expect(model.get("step")).toBe(3);
    expect(model.get("selected_layer")).toBe(2);
    expect(model.saveCount).toBe(1);
    await flush();
    const selected = qa(".ilw-lens-cell.ilw-selected");
    expect(selected).toHaveLength(1);
    expect(selected[0]?.dataset).toMatchObject({ layer: "2", step: "3" });
  });

  it("metric select sets metric and recolours by rank", async () => {
    const { model, q } = mountTracer();
    const select = q<HTMLSelectElement>("select.ilw-metric") as HTMLSelectElement;
    expect(select.value).toBe("probability");
    select.value = "rank";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("metric")).toBe("rank");
    expect(model.saveCount).toBe(1);
    await flush();
    // ranks[step, row] = 3 - row: the output row has rank 0 (darkest), the embedding row the max (white)
    const out = q(`.ilw-lens-cell[data-layer="${N_LAYERS}"][data-step="2"]`) as HTMLElement;
    const emb = q('.ilw-lens-cell[data-layer="0"][data-step="2"]') as HTMLElement;
    expect(out.style.backgroundColor.replace(/\s/g, "")).toBe("rgb(8,48,107)");
    expect(emb.style.backgroundColor.replace(/\s/g, "")).toBe("rgb(255,255,255)");
  });

  it("renders the top-k as text, highlights the chosen token, and keeps markup literal", async () => {
    const { model, q, qa } = mountTracer();
    const panel = q(".ilw-topk") as HTMLElement;
    expect(panel.dataset).toMatchObject({ step: "1", layer: String(N_LAYERS) });
    const rows = qa(".ilw-topk-row");
    expect(rows.map((r) => r.querySelector(".ilw-topk-token")?.textContent)).toEqual([" on", " in", " at"]);
    expect(rows.map((r) => r.querySelector(".ilw-topk-prob")?.textContent)).toEqual([
      "0.500",
      "0.250",
      "0.125",
    ]);
    expect(qa(".ilw-topk-row.ilw-chosen")).toEqual([rows[0]]);
    const evil = "<img src=x onerror=alert(1)>";
    model.set("_topk", {
      step: 2,
      layer: 0,
      tokens: [evil, " the"],
      probs: wire("float32", [2], new Float32Array([0.6, 0.4])),
    });
    await flush();
    expect(panel.dataset).toMatchObject({ step: "2", layer: "0" });
    expect(panel.querySelector("img")).toBeNull();
    expect(document.querySelector("img")).toBeNull();
    expect(qa(".ilw-topk-token").map((t) => t.textContent)).toEqual([evil, " the"]);
    expect(qa(".ilw-topk-row.ilw-chosen").map((r) => r.textContent)).toEqual([" the0.400"]);
    model.set("_topk", {});
    await flush();
    expect(qa(".ilw-topk-row")).toHaveLength(0);
  });

  it("the head grid has n_layers × n_heads strip cells and a click selects the head", async () => {
    const { model, q, qa } = mountTracer();
    const cells = qa(".ilw-head-grid .ilw-head-cell");
    expect(cells).toHaveLength(N_LAYERS * N_HEADS);
    const canvas = q<HTMLCanvasElement>(".ilw-head-cell canvas") as HTMLCanvasElement;
    expect([canvas.width, canvas.height]).toEqual([5, 1]);
    expect(qa(".ilw-head-cell.ilw-selected")).toHaveLength(0);
    q('.ilw-head-cell[data-layer="2"][data-head="1"]')?.click();
    expect(model.get("selected_attention_layer")).toBe(2);
    expect(model.get("selected_head")).toBe(1);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(qa(".ilw-head-cell.ilw-selected").map((c) => c.dataset)).toEqual([
      expect.objectContaining({ layer: "2", head: "1" }),
    ]);
  });

  it("dims step attention and head row of another step until Python answers", async () => {
    const { model, q } = mountTracer();
    const box = q(".ilw-step-attention") as HTMLElement;
    expect(box.dataset.step).toBe("1");
    expect(box.classList.contains("ilw-stale")).toBe(false);
    model.set("step", 2);
    await flush();
    expect(box.classList.contains("ilw-stale")).toBe(true);
    expect(q(".ilw-head-row")?.classList.contains("ilw-stale")).toBe(true);
  });

  it("shows the head row over the context with opacity = weight / max", () => {
    const { q, qa } = mountTracer();
    const panel = q(".ilw-head-row") as HTMLElement;
    expect(panel.dataset).toMatchObject({ layer: "0", head: "1", step: "1" });
    const tokens = qa(".ilw-context-token");
    expect(tokens.map((t) => t.textContent)).toEqual([...PROMPT, GENERATED[0]]);
    expect(tokens.map((t) => t.style.getPropertyValue("--ilw-weight"))).toEqual(["0.333", "1.000", "0.000"]);
    expect(tokens[1]?.getAttribute("title")).toBe('1 " cat": 0.750');
  });

  it("shows _error in an alert banner", async () => {
    const { model, q } = mountTracer();
    const banner = q(".ilw-error") as HTMLElement;
    expect(banner.hidden).toBe(true);
    expect(banner.getAttribute("role")).toBe("alert");
    model.set("_error", "step 9 is out of range");
    await flush();
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toBe("step 9 is out of range");
    model.set("_error", "");
    await flush();
    expect(banner.hidden).toBe(true);
  });

  it("play advances step every interval (once answered) and stops at the end", async () => {
    vi.useFakeTimers();
    const { model, q } = mountTracer();
    const play = q(".ilw-play") as HTMLButtonElement;
    play.click();
    expect(play.getAttribute("aria-pressed")).toBe("true");
    await vi.advanceTimersByTimeAsync(PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(2);
    model.reply();
    await vi.advanceTimersByTimeAsync(PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(3);
    expect(play.getAttribute("aria-pressed")).toBe("false");
    model.reply();
    await vi.advanceTimersByTimeAsync(5 * PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
    // from the end, play starts over
    play.click();
    expect(model.get("step")).toBe(0);
    model.reply();
    await vi.advanceTimersByTimeAsync(PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(1);
    model.reply();
    play.click(); // pause
    await vi.advanceTimersByTimeAsync(3 * PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(1);
  });

  it("play moves on only after the reply to the previous step arrives, one request at a time", async () => {
    vi.useFakeTimers();
    const { model, q } = mountTracer({ step: 0 });
    (q(".ilw-play") as HTMLButtonElement).click();
    await vi.advanceTimersByTimeAsync(PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(1);
    const first = model.get("_request");
    expect(first).toBe(1);
    // Python is slow: however many intervals pass, no further step is asked for.
    await vi.advanceTimersByTimeAsync(5 * PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(1);
    expect(model.saveCount).toBe(1);
    // Progress of the running step is not its reply.
    model.reply("running", { fraction: 0.5 });
    await vi.advanceTimersByTimeAsync(PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(1);
    // A reply to an older request is not the reply either.
    model.reply("done", { request: first - 1 });
    await vi.advanceTimersByTimeAsync(PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(1);
    // The reply arrives: the waiting player moves on at once.
    model.reply("done", { request: first });
    await vi.advanceTimersByTimeAsync(0);
    expect(model.get("step")).toBe(2);
    expect(model.get("_request")).toBe(2);
    expect(model.saveCount).toBe(2);
  });

  it("a cancel or an error of the playing step stops the player", async () => {
    vi.useFakeTimers();
    const { model, q } = mountTracer({ step: 0 });
    const play = q(".ilw-play") as HTMLButtonElement;
    play.click();
    await vi.advanceTimersByTimeAsync(PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(1);
    (q(".ilw-cancel") as HTMLButtonElement).click();
    expect(model.sent).toEqual([{ type: "cancel" }]);
    // Python restores the step of its last answer and reports the cancel.
    model.set("step", 0);
    model.reply("cancelled");
    await vi.advanceTimersByTimeAsync(3 * PLAY_INTERVAL_MS);
    expect(play.getAttribute("aria-pressed")).toBe("false");
    expect(model.get("step")).toBe(0);
    expect(q(".ilw-busy")?.hidden).toBe(true);
    play.click();
    await vi.advanceTimersByTimeAsync(PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(1);
    model.reply("error");
    await vi.advanceTimersByTimeAsync(3 * PLAY_INTERVAL_MS);
    expect(play.getAttribute("aria-pressed")).toBe("false");
    expect(model.get("step")).toBe(1);
  });

  it("a slider drag keeps one step request in flight and sends the last value when answered", async () => {
    const { model, q } = mountTracer({ step: 0 });
    const slider = q<HTMLInputElement>("input.ilw-step") as HTMLInputElement;
    const drag = (value: number) => {
      slider.value = String(value);
      slider.dispatchEvent(new Event("input", { bubbles: true }));
    };
    drag(1);
    expect(model.get("step")).toBe(1);
    expect(model.saveCount).toBe(1);
    drag(2);
    drag(3);
    drag(2);
    expect(model.saveCount).toBe(1); // waiting for the reply to step 1
    model.reply();
    await flush();
    expect(model.get("step")).toBe(2); // the last value of the drag, once
    expect(model.saveCount).toBe(2);
    model.reply();
    await flush();
    expect(model.saveCount).toBe(2);
    drag(2); // the model's step already: nothing to send
    expect(model.saveCount).toBe(2);
  });

  it("cleanup stops the player and removes listeners and DOM", async () => {
    vi.useFakeTimers();
    const { model, el, q, cleanup } = mountTracer({ step: 0 });
    (q(".ilw-play") as HTMLButtonElement).click();
    cleanup();
    expect(vi.getTimerCount()).toBe(0);
    expect(model.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(3 * PLAY_INTERVAL_MS);
    expect(model.get("step")).toBe(0);
  });

  it("reports shape mismatches in the banner instead of throwing", async () => {
    const { model, q, qa } = mountTracer();
    model.set("_lens_probs", wire("float32", [2, 2], new Float32Array(4)));
    model.set("_step_attention", { step: 1, thumbnails: wire("uint8", [1, 1, 3], new Uint8Array(3)) });
    model.set("_head_row", { step: 1, layer: 0, head: 0, weights: wire("float16", [7], new Uint16Array(7)) });
    model.set("_topk", {
      step: 0,
      layer: 0,
      tokens: ["a"],
      probs: wire("float32", [2], new Float32Array(2)),
    });
    model.set("_lens_ranks", { dtype: "int32", shape: [4, 4], data: new DataView(new ArrayBuffer(3)) });
    await flush();
    const text = q(".ilw-error")?.textContent ?? "";
    expect(text).toMatch(/_lens_probs: expected float32 \[4, 4\], got \[2, 2\]/);
    expect(text).toMatch(/_lens_ranks: int32 array of shape \[4, 4\] needs 64 bytes, got 3/);
    expect(text).toMatch(/_step_attention\.thumbnails: expected uint8 \[3, 2, t\], got \[1, 1, 3\]/);
    expect(text).toMatch(/_head_row\.weights: expected \[3\]/);
    expect(text).toMatch(/_topk: expected float32 probs \[1\]/);
    expect(qa(".ilw-context-token")).toHaveLength(0);
    expect(qa(".ilw-topk-row")).toHaveLength(0);
    // the token count changing under the lens arrays: the view rebuilds and complains, no throw
    model.set("_tokens", ["x"]);
    model.set("_n_layers", 7);
    await flush();
    expect(qa(".ilw-lens-cell")).toHaveLength(8);
    expect(qa(".ilw-head-cell")).toHaveLength(7 * N_HEADS);
    expect(q(".ilw-error")?.textContent).not.toMatch(/view error/);
  });

  it("handles an empty model (nothing generated yet)", () => {
    const { q, qa } = mountTracer({
      _tokens: [],
      _prompt_tokens: [],
      _lens_probs: {},
      _lens_ranks: {},
      _lens_entropy: {},
      _topk: {},
      _step_attention: {},
      _head_row: {},
      _attribution: {},
      step: 0,
    });
    expect(qa(".ilw-lens-cell")).toHaveLength(0);
    expect((q("input.ilw-step") as HTMLInputElement).disabled).toBe(true);
    expect((q(".ilw-play") as HTMLButtonElement).disabled).toBe(true);
    expect(q(".ilw-error")?.hidden).toBe(true);
  });

  it("keeps its cells when stepping through 256 steps × 31 rows", async () => {
    const steps = 256;
    const rows = 31;
    const tokens = Array.from({ length: steps }, (_, i) => ` t${i}`);
    const { model, qa } = mountTracer({
      _n_layers: rows - 1,
      _n_heads: 1,
      _tokens: tokens,
      _lens_probs: wire("float32", [steps, rows], new Float32Array(steps * rows).fill(0.5)),
      _lens_ranks: wire("int32", [steps, rows], new Int32Array(steps * rows)),
      _lens_entropy: wire("float32", [steps, rows], new Float32Array(steps * rows)),
      _step_attention: {},
      _head_row: {},
    });
    expect(qa(".ilw-lens-cell")).toHaveLength(steps * rows);
    const cell = qa('.ilw-lens-cell[data-layer="0"][data-step="0"]')[0];
    for (let s = 0; s < steps; s++) {
      model.set("step", s);
      await flush();
    }
    // cells are kept, not rebuilt (what keeps stepping fast; timings are not asserted on shared machines)
    expect(qa('.ilw-lens-cell[data-layer="0"][data-step="0"]')[0]).toBe(cell);
    expect(qa(".ilw-current-step")).toHaveLength(rows);
  });
});

describe("generation tracer attribution mode", () => {
  const colour = (el: Element | undefined) => (el as HTMLElement).style.backgroundColor.replace(/\s/g, "");

  it("is off at first; the toggle asks for it in one save and then shows the strip", async () => {
    const { model, q } = mountTracer();
    const toggle = q<HTMLInputElement>(".ilw-attr-toggle") as HTMLInputElement;
    const body = q(".ilw-attr-body") as HTMLElement;
    expect(toggle.checked).toBe(false);
    expect(body.hidden).toBe(true);
    toggle.checked = true;
    toggle.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("show_attribution")).toBe(true);
    expect(model.get("_request")).toBe(1);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(body.hidden).toBe(false);
    expect(q(".ilw-busy")?.hidden).toBe(false); // until Python answers
  });

  it("draws the step's context as a signed heat strip on a symmetric scale, with its legend", () => {
    const { q, qa } = mountTracer({ show_attribution: true });
    const panel = q(".ilw-tracer-attribution") as HTMLElement;
    expect(panel.dataset).toMatchObject({ step: "1", method: "integrated_gradients", target: "token" });
    const cells = qa(".ilw-signed-cell");
    expect(cells.map((c) => c.textContent)).toEqual([...PROMPT, GENERATED[0]]);
    expect(cells.map((c) => c.dataset.tokenIndex)).toEqual(["0", "1", "2"]);
    // the kept first token has no score and no colour; |−1| is the end of the scale on both sides
    expect(cells[0]?.classList.contains("ilw-unscored")).toBe(true);
    expect(colour(cells[0])).toBe("");
    expect(colour(cells[1])).toBe("rgb(244,165,130)"); // +0.5 of the scale: light red
    expect(colour(cells[2])).toBe("rgb(33,102,172)"); // −1: full blue
    // text colour from the cell's luminance: white only on the dark blue end
    expect(cells.map((c) => c.style.color !== "")).toEqual([false, false, true]);
    expect(cells[2]?.getAttribute("title")).toBe('2 " sat": -1.00');
    expect(q(".ilw-signed-low")?.textContent).toBe("-1.00");
    expect(q(".ilw-signed-high")?.textContent).toBe("1.00");
    expect(q(".ilw-attr-caption")?.textContent).toBe(
      'Step 1 "·on": how much each earlier token moved the target',
    );
    expect(q(".ilw-attr-method")?.textContent).toBe("integrated gradients");
    expect(q(".ilw-attr-target")?.textContent).toBe("log p(' on') = -0.500 (baseline -3.00)");
    expect(q(".ilw-attr-details")?.textContent).toBe("baseline zero · 64 steps · completeness error 3.1%");
    const warning = q(".ilw-attr-warning") as HTMLElement;
    expect(warning.hidden).toBe(false);
    expect(warning.textContent).toBe("⚠ completeness error 3.1% at 64 steps is above the tolerance 2.0%");
    expect(q(".ilw-attr-body")?.classList.contains("ilw-stale")).toBe(false);
  });

  it("a method change asks in one save and dims the strip until the new answer arrives", async () => {
    const { model, q } = mountTracer({ show_attribution: true });
    const select = q<HTMLSelectElement>(".ilw-attr-method-select") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual([
      "integrated_gradients",
      "gradient_x_input",
      "occlusion",
      "attention_x_gradient",
    ]);
    select.value = "attention_x_gradient";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("attribution_method")).toBe("attention_x_gradient");
    expect(model.saveCount).toBe(1);
    await flush();
    const body = q(".ilw-attr-body") as HTMLElement;
    expect(body.classList.contains("ilw-stale")).toBe(true);
    model.set(
      "_attribution",
      attributionAt({
        method: "attention_x_gradient",
        steps: null,
        completeness_error: null,
        layer: 2,
        warning: "",
      }),
    );
    model.reply();
    await flush();
    expect(body.classList.contains("ilw-stale")).toBe(false);
    expect(q(".ilw-tracer-attribution")?.dataset.method).toBe("attention_x_gradient");
    expect(q(".ilw-attr-method")?.textContent).toBe("attention × gradient");
    expect(q(".ilw-attr-details")?.textContent).toBe("baseline zero · layer 2");
    expect(q(".ilw-attr-warning")?.hidden).toBe(true);
    // stepping: the strip of step 1 is dimmed while step 2's is computed
    model.set("step", 2);
    await flush();
    expect(body.classList.contains("ilw-stale")).toBe(true);
  });

  it("targets: the top alternative at once; a foil once one is typed", async () => {
    const { model, q } = mountTracer({ show_attribution: true });
    const select = q<HTMLSelectElement>(".ilw-attr-target-select") as HTMLSelectElement;
    const foil = q<HTMLInputElement>(".ilw-attr-foil") as HTMLInputElement;
    expect(foil.hidden).toBe(true);
    select.value = "alternative";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("attribution_target")).toBe("alternative");
    expect(model.saveCount).toBe(1);
    await flush();
    select.value = "foil";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(foil.hidden).toBe(false);
    expect(model.saveCount).toBe(1); // nothing to contrast with yet
    foil.value = " in";
    foil.dispatchEvent(new Event("change", { bubbles: true }));
    expect([model.get("attribution_target"), model.get("attribution_foil")]).toEqual(["foil", " in"]);
    expect(model.saveCount).toBe(2);
    await flush();
    expect(q(".ilw-attr-body")?.classList.contains("ilw-stale")).toBe(true);
    model.set(
      "_attribution",
      attributionAt({ target_kind: "foil", foil: " in", target: "log p(' on') − log p(' in')" }),
    );
    await flush();
    expect(q(".ilw-attr-body")?.classList.contains("ilw-stale")).toBe(false);
    expect(q(".ilw-attr-target")?.textContent).toBe("log p(' on') − log p(' in') = -0.500 (baseline -3.00)");
  });

  it("shows faithfulness areas when Python measured them", () => {
    const faithfulness = {
      deletion_area: -4.5,
      insertion_area: -1.25,
      random_deletion_area: -2,
      random_insertion_area: -3,
    };
    const { q } = mountTracer({ show_attribution: true, _attribution: attributionAt({ faithfulness }) });
    expect(q(".ilw-attr-details")?.textContent).toBe(
      "baseline zero · 64 steps · completeness error 3.1% · deletion area -4.50 (random -2.00) · insertion area -1.25 (random -3.00)",
    );
  });

  it("keeps hostile token and target text literal", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    const { model, q, qa } = mountTracer({ show_attribution: true, _prompt_tokens: [evil, " cat"] });
    expect(qa(".ilw-signed-cell").map((c) => c.textContent)).toEqual([evil, " cat", " sat"]);
    model.set("_attribution", attributionAt({ target: `log p('${evil}')` }));
    await flush();
    expect(q(".ilw-attr-target")?.textContent).toBe(`log p('${evil}') = -0.500 (baseline -3.00)`);
    expect(document.querySelector("img")).toBeNull();
  });

  it("reports malformed _attribution in the banner instead of throwing", async () => {
    const { model, q, qa } = mountTracer({ show_attribution: true });
    const banner = () => q(".ilw-error")?.textContent ?? "";
    const cases: Array<[unknown, RegExp]> = [
      [
        attributionAt({ scores: wire("float32", [2], new Float32Array(2)) }),
        /_attribution\.scores: expected float32 \[3\] \(prompt \+ 1 generated tokens\), got \[2\]/,
      ],
      [
        attributionAt({ attributed: wire("int32", [3], new Int32Array(3)) }),
        /_attribution\.attributed: expected uint8 \[3\]/,
      ],
      [attributionAt({ step: 0.5 }), /_attribution: step must be an integer/],
      [
        attributionAt({ steps: "64" as unknown as number }),
        /steps, layer and completeness_error must be numbers or null/,
      ],
      [
        attributionAt({ faithfulness: { deletion_area: 1 } as never }),
        /_attribution\.faithfulness must be null/,
      ],
      [
        attributionAt({ scores: { dtype: "float32", shape: [3], data: new DataView(new ArrayBuffer(5)) } }),
        /needs 12 bytes, got 5/,
      ],
      ["not a dict", /_attribution is not an object/],
    ];
    for (const [value, problem] of cases) {
      model.set("_attribution", value as never);
      await flush();
      expect(banner()).toMatch(problem);
      expect(qa(".ilw-signed-cell")).toHaveLength(0);
      expect(banner()).not.toMatch(/view error/);
    }
    model.set("_attribution", attributionAt());
    await flush();
    expect(banner()).toBe("");
    expect(qa(".ilw-signed-cell")).toHaveLength(3);
  });
});

describe("lens helpers", () => {
  it("labels rows", () => {
    expect([30, 29, 1, 0].map((r) => lensRowLabel(r, 31))).toEqual(["out", "L29", "L1", "emb"]);
  });
  it("maps probability and log rank to the colour scale", () => {
    expect([0, 0.5, 1, 2, Number.NaN].map(probabilityIndex)).toEqual([0, 128, 255, 255, 0]);
    expect(rankIndex(0, 1000)).toBe(255);
    expect(rankIndex(1000, 1000)).toBe(0);
    expect(rankIndex(9, 99)).toBe(Math.round(255 * (1 - Math.log(10) / Math.log(100))));
    expect(rankIndex(0, 0)).toBe(255);
  });
});
