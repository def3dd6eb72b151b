import { afterEach, describe, expect, it, vi } from "vitest";
import { EMPTY_HINT } from "../src/features/dashboard";
import { PAGE } from "../src/features/list";
import { NOT_ENCODED_TITLE } from "../src/features/prompt";
import { activationColour } from "../src/features/tokens";
import { cssColour } from "../src/lib/colormap";
import { flush, wire } from "./fake_model";
import {
  COUNTS,
  context,
  dashboardWire,
  densityOf,
  featuresWire,
  maxOf,
  mountFeatures,
  N_LATENTS,
  promptWire,
} from "./feature_fixture";
import { key } from "./mount";

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

const EVIL = "<img src=x onerror=alert(1)>";
const HOSTILE = [EVIL, "</script>", "a\nb", "\t", ""];

type Mounted = ReturnType<typeof mountFeatures>;
const rows = ({ qa }: Mounted) => qa("tr.ilw-feature-row");
const rowIds = (view: Mounted) => rows(view).map((r) => Number(r.dataset.feature));
const click = (el: Element) => el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
const th = ({ q }: Mounted, key: string) => q(`th[data-sort="${key}"]`) as HTMLElement;
const sorted = ({ qa }: Mounted) => qa("th.ilw-sorted").map((e) => e.dataset.sort);

function filterBy(view: Mounted, text: string): void {
  const input = view.q<HTMLInputElement>("input.ilw-feature-filter") as HTMLInputElement;
  input.value = text;
  input.dispatchEvent(new Event("input"));
}

/** Capture what the next download offers: its file name and text. */
function captureDownload() {
  const blobs: Blob[] = [];
  const names: string[] = [];
  vi.spyOn(URL, "createObjectURL").mockImplementation((blob) => {
    blobs.push(blob as Blob);
    return "blob:test";
  });
  vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    names.push(this.download);
  });
  return { names, text: async () => (blobs[0] as Blob).text() };
}

describe("feature explorer: list", () => {
  it("renders the header and the first page of rows, sorted by index", () => {
    const view = mountFeatures();
    const { el, q } = view;
    expect((el.firstElementChild as HTMLElement).className).toBe("ilw-feature-explorer ilw-view");
    expect(q(".ilw-model-name")?.textContent).toBe("tiny-test-model");
    expect(q(".ilw-feature-summary")?.textContent).toBe("layer 3 · 650 latents · k = 32 · 123,456 tokens");
    expect(rows(view)).toHaveLength(PAGE);
    expect(rowIds(view).slice(0, 3)).toEqual([0, 1, 2]);
    expect(sorted(view)).toEqual(["index"]);
    const cells = (i: number) =>
      [...(q(`tr.ilw-feature-row[data-feature="${i}"]`) as HTMLElement).children].map((c) => c.textContent);
    expect(cells(0)).toEqual(["0", "dead", "0", ""]);
    // 3: density (111 % 100 + 1) / 1e4 = 0.12 %, max (159 % 97) / 10 + 0.5 = 6.7
    expect(cells(3)).toEqual(["3", "0.12%", "6.7", " the ×14 · a ×3"]);
    expect(cells(4)).toEqual(["4", "0.49%", "2.3", "↵ ×5"]);
    const lead = q('tr[data-feature="3"] .ilw-feature-top-token') as HTMLElement;
    expect(lead.classList.contains("ilw-lead-space")).toBe(true);
    expect(q(".ilw-feature-count")?.textContent).toBe("300 of 650 features");
    expect(q(".ilw-error")?.hidden).toBe(true);
  });

  it("sorts by each header: numeric columns descending, index ascending; view state, no request", async () => {
    const view = mountFeatures();
    const { model } = view;
    click(th(view, "density"));
    expect(model.get("sort_by")).toBe("density");
    expect(model.saveCount).toBe(1);
    expect(model.get("_request")).toBe(0);
    await flush();
    expect(sorted(view)).toEqual(["density"]);
    expect(th(view, "density").getAttribute("aria-sort")).toBe("descending");
    const byDensity = rowIds(view).map(densityOf);
    expect(byDensity).toEqual([...byDensity].sort((a, b) => b - a));
    expect(byDensity[0]).toBeCloseTo(0.01);
    // a click on the header's button reaches the header too
    click(th(view, "max_activation").querySelector("button") as Element);
    await flush();
    expect(model.get("sort_by")).toBe("max_activation");
    expect(sorted(view)).toEqual(["max_activation"]);
    const byMax = rowIds(view).map(maxOf);
    expect(byMax).toEqual([...byMax].sort((a, b) => b - a));
    click(th(view, "index"));
    await flush();
    expect(rowIds(view).slice(0, 3)).toEqual([0, 1, 2]);
    expect(sorted(view)).toEqual(["index"]);
    expect(model.get("_request")).toBe(0);
    expect(view.q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(false);
  });

  it("follows sort_by set from Python", async () => {
    const view = mountFeatures({ sort_by: "max_activation" });
    expect(sorted(view)).toEqual(["max_activation"]);
    view.model.set("sort_by", "density");
    await flush();
    expect(sorted(view)).toEqual(["density"]);
    view.model.set("sort_by", "nonsense");
    await flush();
    expect(sorted(view)).toEqual(["index"]);
  });

  it("shows 300 more rows per click of Show more, and hides the button when all are shown", () => {
    const view = mountFeatures();
    const more = view.q<HTMLButtonElement>("button.ilw-feature-more") as HTMLButtonElement;
    expect(more.hidden).toBe(false);
    more.click();
    expect(rows(view)).toHaveLength(2 * PAGE);
    expect(more.hidden).toBe(false);
    more.click();
    expect(rows(view)).toHaveLength(N_LATENTS);
    expect(more.hidden).toBe(true);
    expect(view.q(".ilw-feature-count")?.textContent).toBe("650 of 650 features");
  });

  it("filters by a substring of the top-token summary or an exact index", () => {
    const view = mountFeatures();
    filterBy(view, "cat");
    const cats = rowIds(view);
    expect(cats.length).toBeGreaterThan(0);
    for (const i of cats) expect(i % 3).toBe(2);
    expect(cats).not.toContain(20); // dead
    expect(view.q(".ilw-feature-count")?.textContent).toBe(
      `${cats.length} of ${cats.length} features (650 in all)`,
    );
    filterBy(view, "THE ×14");
    expect(rowIds(view).every((i) => i % 3 === 0)).toBe(true);
    filterBy(view, "↵");
    expect(rowIds(view).every((i) => i % 3 === 1)).toBe(true);
    filterBy(view, "640");
    expect(rowIds(view)).toEqual([640]);
    filterBy(view, "#7");
    expect(rowIds(view)).toEqual([7]);
    filterBy(view, "no such token");
    expect(rows(view)).toHaveLength(0);
    expect(view.q<HTMLButtonElement>("button.ilw-feature-more")?.hidden).toBe(true);
    filterBy(view, "");
    expect(rows(view)).toHaveLength(PAGE);
  });

  it("a row click sets selected_feature with one request and marks the row; Enter selects too", async () => {
    const view = mountFeatures();
    const { model, q } = view;
    click(q('tr.ilw-feature-row[data-feature="5"] .ilw-feature-tops') as Element);
    expect(model.get("selected_feature")).toBe(5);
    expect(model.get("_request")).toBe(1);
    expect(model.saveCount).toBe(1);
    await flush();
    const row = q('tr.ilw-feature-row[data-feature="5"]') as HTMLElement;
    expect(row.classList.contains("ilw-selected")).toBe(true);
    expect(row.getAttribute("aria-selected")).toBe("true");
    expect(q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(true);
    expect(q(".ilw-feature-dashboard")?.textContent).toBe("Feature 5waiting for the kernel…");
    // the same row again: nothing new to ask
    click(row);
    expect(model.get("_request")).toBe(1);
    key(q('tr.ilw-feature-row[data-feature="8"]') as HTMLElement, "Enter");
    expect(model.get("selected_feature")).toBe(8);
    expect(model.get("_request")).toBe(2);
    await flush();
    expect(view.qa("tr.ilw-selected").map((r) => r.dataset.feature)).toEqual(["8"]);
    model.set("_dashboard", dashboardWire({ feature: 8 }));
    model.reply();
    await flush();
    expect(q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(false);
    expect(q(".ilw-feature-dashboard")?.dataset.feature).toBe("8");
  });
});

describe("feature explorer: dashboard", () => {
  it("says what to do when nothing is selected", () => {
    const { q } = mountFeatures();
    const dash = q(".ilw-feature-dashboard") as HTMLElement;
    expect(dash.hasAttribute("data-feature")).toBe(false);
    expect(dash.textContent).toBe(EMPTY_HINT);
    expect(q<HTMLButtonElement>("button.ilw-feature-export-json")?.disabled).toBe(true);
  });

  it("renders title, numbers, histogram, promoted / suppressed tokens, contexts and quantiles", () => {
    const { q, qa } = mountFeatures({ selected_feature: 5, _dashboard: dashboardWire() });
    const dash = q(".ilw-feature-dashboard") as HTMLElement;
    expect(dash.dataset.feature).toBe("5");
    expect(dash.classList.contains("ilw-stale")).toBe(false);
    expect(q(".ilw-feature-title")?.textContent).toBe("Feature 5");
    expect(q(".ilw-feature-stats")?.textContent).toBe("density 1.2% · max activation 4");
    const hist = q("svg.ilw-feature-histogram") as unknown as SVGSVGElement;
    const rects = [...hist.querySelectorAll("rect")];
    expect(rects).toHaveLength(COUNTS.length);
    const heights = rects.map((r) => Number(r.getAttribute("height")));
    expect(heights.indexOf(Math.max(...heights))).toBe(COUNTS.indexOf(Math.max(...COUNTS)));
    expect(rects[0]?.querySelector("title")?.textContent).toBe("0.01–0.02: 3");
    const labels = [...hist.querySelectorAll("text")].map((t) => t.textContent);
    expect(labels[0]).toBe("0.01");
    expect(labels[labels.length - 1]).toBe("2.56");
    const items = (list: string) =>
      qa(`ol.${list} li`).map((li) => [
        li.querySelector(".ilw-feature-logit-token")?.textContent,
        li.querySelector(".ilw-feature-logit-value")?.textContent,
      ]);
    expect(items("ilw-feature-promoted")).toEqual([
      [" cats", "+1.23"],
      [" kitten", "+0.90"],
      ["↵", "+0.50"],
    ]);
    expect(items("ilw-feature-suppressed")).toEqual([
      [" dog", "−0.75"],
      ["ly", "−0.10"],
    ]);
    const top = qa(".ilw-feature-contexts > .ilw-feature-context");
    expect(top).toHaveLength(2);
    expect(top[0]?.querySelector(".ilw-feature-context-value")?.textContent).toBe("4");
    const tokens = [...(top[0] as HTMLElement).querySelectorAll<HTMLElement>("span.ilw-feature-token")];
    expect(tokens.map((t) => t.textContent)).toEqual(["The", " cat", " sat", " on"]);
    expect(tokens.map((t) => t.classList.contains("ilw-focus"))).toEqual([false, true, false, false]);
    expect(tokens.map((t) => t.title)).toEqual([
      "activation 0.00",
      "activation 4.00",
      "activation 2.00",
      "activation 0.00",
    ]);
    expect(top[0]?.getAttribute("data-text-index")).toBe("17");
    const quantiles = qa(".ilw-feature-quantile");
    expect(quantiles.map((s) => s.querySelector(".ilw-feature-heading")?.textContent)).toEqual([
      "0.50–0.75 of max",
      "0.00–0.25 of max",
    ]);
    expect(quantiles.map((s) => s.querySelectorAll(".ilw-feature-context").length)).toEqual([1, 2]);
  });

  it("colours each token by its activation: 0 transparent, the max activation full colour", () => {
    const { q } = mountFeatures({ selected_feature: 5, _dashboard: dashboardWire() });
    const tokens = [
      ...(q(".ilw-feature-context") as HTMLElement).querySelectorAll<HTMLElement>(".ilw-feature-token"),
    ];
    const bg = tokens.map((t) => t.style.backgroundColor);
    expect(bg[0]).toBe("");
    expect(bg[3]).toBe("");
    expect(bg[1]).not.toBe("");
    expect(activationColour(4, 4)).toBe(cssColour(255));
    expect(activationColour(2, 4)).toBe(cssColour(127.5));
    expect(activationColour(0, 4)).toBe("");
    expect(activationColour(-1, 4)).toBe("");
    expect(activationColour(9, 4)).toBe(cssColour(255));
    const probe = document.createElement("span");
    const lightness = (c: string) => {
      probe.style.backgroundColor = c;
      return probe.style.backgroundColor;
    };
    expect(lightness(bg[1] as string)).toBe(lightness(cssColour(255)));
    expect(lightness(bg[2] as string)).toBe(lightness(cssColour(127.5)));
    // White text on the map's dark end; the page's own text on the lighter middle.
    expect(lightness(tokens[1]?.style.color as string)).toBe(lightness("#fff"));
    expect(tokens[2]?.style.color).toBe("");
  });

  it("marks a dashboard stale while another feature is selected, and downloads it as JSON", async () => {
    const { model, q } = mountFeatures({ selected_feature: 5, _dashboard: dashboardWire() });
    model.set("selected_feature", 9);
    await flush();
    expect(q(".ilw-feature-dashboard")?.classList.contains("ilw-stale")).toBe(true);
    const download = captureDownload();
    const button = q<HTMLButtonElement>("button.ilw-feature-export-json") as HTMLButtonElement;
    expect(button.disabled).toBe(false);
    button.click();
    expect(download.names).toEqual(["feature-5.json"]);
    const json = JSON.parse(await download.text());
    expect(json).toMatchObject({ model: "tiny-test-model", layer: 3, n_latents: 650, k: 32 });
    expect(json.dashboard).toEqual(dashboardWire());
  });
});

describe("feature explorer: prompt", () => {
  it("shows the text, each token with up to 5 chips, and 'not encoded' before skipped", () => {
    const { q, qa } = mountFeatures();
    expect(q<HTMLTextAreaElement>("textarea.ilw-text")?.value).toBe("The cat\n");
    const tokens = qa(".ilw-feature-prompt-token");
    expect(tokens.map((t) => t.querySelector(".ilw-feature-prompt-text")?.textContent)).toEqual([
      "<|im_start|>",
      "The",
      " cat",
      "↵",
    ]);
    const chips = (i: number) => [
      ...(tokens[i] as HTMLElement).querySelectorAll<HTMLButtonElement>("button.ilw-feature-chip"),
    ];
    expect(chips(0)).toHaveLength(0);
    expect(tokens[0]?.classList.contains("ilw-feature-skipped")).toBe(true);
    const skipped = tokens[0]?.querySelector(".ilw-feature-not-encoded") as HTMLElement;
    expect(skipped.textContent).toBe("not encoded");
    expect(skipped.title).toBe(NOT_ENCODED_TITLE);
    expect(skipped.title).toMatch(/first token is the attention sink/);
    expect(chips(1).map((c) => c.textContent)).toEqual(["#1 3.2", "#5 2.7", "#7 2.2", "#9 1.7", "#11 1.2"]);
    expect(chips(1).map((c) => c.dataset.feature)).toEqual(["1", "5", "7", "9", "11"]);
    expect(chips(1).every((c) => c.type === "button")).toBe(true);
    expect(chips(2).map((c) => c.textContent)).toEqual(["#7 1.5"]);
    expect(chips(3)).toHaveLength(0);
    expect(tokens[3]?.querySelector(".ilw-feature-not-encoded")).toBeNull();
    expect(chips(1)[0]?.style.backgroundColor).not.toBe("");
  });

  it("a chip click selects its feature with one request; its chips are marked", async () => {
    const { model, q, qa } = mountFeatures();
    click(q('.ilw-feature-prompt-token[data-token-index="2"] button.ilw-feature-chip') as Element);
    expect(model.get("selected_feature")).toBe(7);
    expect(model.get("_request")).toBe(1);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(qa("button.ilw-feature-chip.ilw-selected").map((c) => c.dataset.feature)).toEqual(["7", "7"]);
    expect(q('tr.ilw-feature-row[data-feature="7"]')?.classList.contains("ilw-selected")).toBe(true);
  });

  it("Run sets text as a request; hovering a token highlights it", async () => {
    const { model, q, qa } = mountFeatures();
    const textarea = q<HTMLTextAreaElement>("textarea.ilw-text") as HTMLTextAreaElement;
    textarea.value = "A dog";
    (q("button.ilw-run") as HTMLButtonElement).click();
    expect(model.get("text")).toBe("A dog");
    expect(model.get("_request")).toBe(1);
    const token = qa(".ilw-feature-prompt-token")[2] as HTMLElement;
    (token.querySelector(".ilw-feature-prompt-text") as Element).dispatchEvent(
      new MouseEvent("mouseover", { bubbles: true }),
    );
    expect(qa(".ilw-feature-prompt-token.ilw-hover")).toEqual([token]);
    (q(".ilw-feature-prompt-tokens") as Element).dispatchEvent(new MouseEvent("mouseleave"));
    expect(qa(".ilw-feature-prompt-token.ilw-hover")).toHaveLength(0);
    model.set("_prompt", promptWire({ tokens: ["<s>", "A", " dog"], features: [[], [], []] }));
    model.set("text", "A dog ");
    await flush();
    expect(qa(".ilw-feature-prompt-token")).toHaveLength(3);
    expect(textarea.value).toBe("A dog ");
  });
});

describe("feature explorer: bad payloads and hostile text", () => {
  it("shows a problem instead of throwing for malformed traits", async () => {
    const { model, q, qa } = mountFeatures({ selected_feature: 5, _dashboard: dashboardWire() });
    const error = q(".ilw-error") as HTMLElement;
    const bad = featuresWire();
    bad.density = wire("float32", [3], new Float32Array(3));
    model.set("_features", bad);
    await flush();
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("_features.density: expected float32 [650], got [3]");
    expect(rows({ qa } as Mounted)).toHaveLength(0);
    model.set("_features", "nope" as never);
    await flush();
    expect(error.textContent).toBe("_features is not an object");
    model.set("_features", featuresWire(4, { top_tokens: [[], [["a", 1]], "x" as never, [["b", 1.5]]] }));
    await flush();
    expect(error.textContent).toBe("_features.top_tokens: 2 of 4 entries are not [token, count] pairs");
    expect(rows({ qa } as Mounted)).toHaveLength(4);
    model.set(
      "_dashboard",
      dashboardWire({
        contexts: [context(), context({ focus: 9 }), context({ values: [1] })],
        histogram: { counts: [1, 2], edges: [1, 2] },
      }),
    );
    await flush();
    expect(error.textContent).toContain(
      "_dashboard.contexts: 2 of 3 entries are malformed (entry 1: focus 9",
    );
    expect(error.textContent).toContain("_dashboard.histogram: 2 counts need 3 edges, got 2");
    expect(qa(".ilw-feature-contexts > .ilw-feature-context")).toHaveLength(1);
    expect(q("svg.ilw-feature-histogram")).toBeNull();
    model.set("_dashboard", { feature: "five" } as never);
    await flush();
    expect(error.textContent).toContain("_dashboard.feature must be an integer");
    expect(q(".ilw-feature-dashboard")?.hasAttribute("data-feature")).toBe(false);
    model.set("_prompt", promptWire({ features: [[]] }));
    await flush();
    expect(error.textContent).toContain("_prompt.features must be one list per token (4)");
    expect(qa(".ilw-feature-prompt-token")).toHaveLength(0);
    model.set("_prompt", promptWire({ skipped: 7 }));
    await flush();
    expect(error.textContent).toContain("_prompt.skipped 7 is outside 0..4");
    model.set("_features", featuresWire());
    model.set("_dashboard", {});
    model.set("_prompt", {});
    model.set("_error", "no SAE loaded");
    await flush();
    expect(error.textContent).toBe("no SAE loaded");
    expect(rows({ qa } as Mounted)).toHaveLength(PAGE);
  });

  it("keeps hostile token text as text everywhere", () => {
    const n = HOSTILE.length;
    const { q, qa } = mountFeatures({
      _model_label: EVIL,
      _features: featuresWire(n, { top_tokens: HOSTILE.map((t) => [[t, 2]]) }),
      selected_feature: 0,
      _dashboard: dashboardWire({
        feature: 0,
        contexts: [context({ tokens: HOSTILE, values: [1, 2, 3, 0, 4], focus: 0 })],
        quantiles: [
          { label: EVIL, low: 0, high: 1, contexts: [context({ tokens: HOSTILE, values: [0, 0, 0, 0, 1] })] },
        ],
        promoted: HOSTILE.map((token) => ({ token, logit: 1 })),
        suppressed: [{ token: EVIL, logit: -1 }],
      }),
      _prompt: promptWire({ tokens: HOSTILE, features: HOSTILE.map(() => []), skipped: 0 }),
    });
    const visible = [EVIL, "</script>", "a↵b", "⇥", ""];
    expect(q(".ilw-model-name")?.textContent).toBe(EVIL);
    expect(qa(".ilw-feature-top-token").map((t) => t.textContent)).toEqual(visible);
    const tokens = qa(".ilw-feature-contexts .ilw-feature-token");
    expect(tokens.map((t) => t.textContent)).toEqual(visible);
    expect(q(".ilw-feature-quantile .ilw-feature-heading")?.textContent).toBe(EVIL);
    expect(qa(".ilw-feature-promoted .ilw-feature-logit-token").map((t) => t.textContent)).toEqual(visible);
    expect(qa(".ilw-feature-prompt-text").map((t) => t.textContent)).toEqual(visible);
    for (const t of [...tokens, ...qa(".ilw-feature-prompt-text"), ...qa(".ilw-feature-top-token")]) {
      expect(t.children).toHaveLength(0);
    }
    expect(document.querySelector("img")).toBeNull();
    expect(document.querySelector("script")).toBeNull();
    expect(document.querySelector("[onerror]")).toBeNull();
    filterBy({ q, qa } as Mounted, "<img");
    expect(qa("tr.ilw-feature-row").map((r) => r.dataset.feature)).toEqual(["0"]);
  });

  it("has a help panel naming the view, and cleans up its listeners", () => {
    const { model, q, cleanup } = mountFeatures();
    const toggle = q<HTMLButtonElement>("button.ilw-help-toggle") as HTMLButtonElement;
    expect(toggle.closest(".ilw-header-bar")).not.toBeNull();
    toggle.click();
    const panel = q(".ilw-help") as HTMLElement;
    expect(panel.hidden).toBe(false);
    expect(panel.querySelector(".ilw-help-title")?.textContent).toMatch(/^Feature explorer: /);
    const text = panel.textContent ?? "";
    for (const word of [
      "density",
      "max activation",
      "Top activations",
      "quantiles",
      "unembedding",
      "final norm",
    ]) {
      expect(text).toContain(word);
    }
    expect(text).toMatch(/first token .* not encoded/);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(document.querySelector(".ilw-feature-explorer")).toBeNull();
  });
});
