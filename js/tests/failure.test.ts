import { afterEach, describe, expect, it, vi } from "vitest";
import { readCases, readSideBySide, readSummary } from "../src/failure/traits";
import type { CaseWire } from "../src/failure/types";
import { CASES, HEAD_DIFF, HEADS, LAYERS, mountFailure, run, sideBySide } from "./failure_fixture";
import { flush, wire } from "./fake_model";
import { key } from "./mount";

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

type Q = ReturnType<typeof mountFailure>["qa"];

/** Case ids of the rows shown, top to bottom. */
const shownIds = (qa: Q) =>
  qa<HTMLTableRowElement>("tr.ilw-case")
    .filter((r) => !r.hidden)
    .map((r) => Number(r.dataset.case));

const typeFilter = (input: HTMLInputElement, text: string) => {
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
};

describe("failure explorer view", () => {
  it("renders one root with header counts, summary, cases table and side-by-side", () => {
    const { el, q } = mountFailure();
    expect(el.children).toHaveLength(1);
    const root = el.firstElementChild as HTMLElement;
    expect(root.className).toBe("ilw-failure-explorer ilw-view");
    expect(root.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    expect(root.getAttribute("tabindex")).toBe("-1");
    expect(q(".ilw-model-name")?.textContent).toBe("tiny-test-model");
    expect(q(".ilw-failure-counts")?.textContent).toBe("6 cases · 3 failed");
    for (const sel of [
      "table.ilw-failure-summary",
      "table.ilw-cases",
      "input.ilw-case-filter",
      "div.ilw-side-by-side",
    ]) {
      expect(q(sel), sel).not.toBeNull();
    }
    expect(q(".ilw-error")?.hidden).toBe(true);
  });

  it("renders one row per case, failures marked, with badge, kind, prompt, original, check, top and effect", () => {
    const { q, qa } = mountFailure();
    const rows = qa("tr.ilw-case");
    expect(rows).toHaveLength(CASES.length);
    expect(
      qa("tr.ilw-case.ilw-failed")
        .map((r) => Number(r.dataset.case))
        .sort(),
    ).toEqual([1, 2, 3]);
    const row = q('tr.ilw-case[data-case="3"]') as HTMLElement;
    const text = (sel: string) => row.querySelector(sel)?.textContent;
    expect(text(".ilw-badge")).toBe("✗ fail");
    expect(text(".ilw-case-kind")).toBe("typo");
    expect(text(".ilw-case-capability")).toBe("INV");
    expect(text(".ilw-case-prompt")).toBe("A robbin is a kind of");
    expect(text(".ilw-case-original")).toBe("A robin is a kind of");
    expect(text(".ilw-case-expected")).toBe("same top token as original");
    expect(text(".ilw-case-detail")).toBe("p(' bird') 0.700 → 0.100");
    expect(text(".ilw-case-top")).toBe(" fish");
    expect(text(".ilw-case-top-prob")).toBe("25.0%");
    expect(text(".ilw-case-effect")).toBe("-0.600");
    expect(q('tr.ilw-case[data-case="2"] .ilw-case-effect')?.textContent).toBe("+0.150");
    expect(q('tr.ilw-case[data-case="5"] .ilw-case-effect')?.textContent).toBe("0.000");
    expect(q('tr.ilw-case[data-case="0"] .ilw-badge')?.textContent).toBe("✓ pass");
    // a case without an original has no original line
    expect(q('tr.ilw-case[data-case="5"] .ilw-case-original')).toBeNull();
  });

  it("orders failures first, then by |effect| descending", () => {
    const { qa } = mountFailure();
    expect(shownIds(qa)).toEqual([3, 1, 2, 4, 0, 5]);
    expect(qa("th[aria-sort]")).toHaveLength(0);
  });

  it("a header click sorts by that column, a second click reverses it", () => {
    const { q, qa } = mountFailure();
    const th = (k: string) => q(`th[data-sort="${k}"]`) as HTMLElement;
    expect(qa("th[data-sort]").map((t) => t.dataset.sort)).toEqual([
      "id",
      "passed",
      "kind",
      "prompt",
      "top",
      "effect",
    ]);
    th("id").click();
    expect(shownIds(qa)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(th("id").getAttribute("aria-sort")).toBe("ascending");
    th("id").click();
    expect(shownIds(qa)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(th("id").getAttribute("aria-sort")).toBe("descending");
    // effects start largest first; other headers lose their aria-sort
    th("effect").click();
    expect(shownIds(qa)).toEqual([2, 0, 5, 4, 1, 3]);
    expect(th("effect").getAttribute("aria-sort")).toBe("descending");
    expect(th("id").hasAttribute("aria-sort")).toBe(false);
    th("effect").click();
    expect(shownIds(qa)).toEqual([3, 1, 4, 5, 0, 2]);
    // ties keep the default order: the two typo cases, failure first
    th("kind").click();
    expect(shownIds(qa)).toEqual([4, 5, 2, 1, 3, 0]);
    // a click on the header's button sorts as well
    (th("passed").querySelector("button") as HTMLElement).click();
    expect(shownIds(qa)).toEqual([3, 1, 2, 4, 0, 5]);
    expect(th("passed").getAttribute("aria-sort")).toBe("ascending");
  });

  it("sorting moves the existing row elements instead of rebuilding them", () => {
    const { q } = mountFailure();
    const before = q('tr.ilw-case[data-case="4"]');
    (q('th[data-sort="prompt"]') as HTMLElement).click();
    expect(q('tr.ilw-case[data-case="4"]')).toBe(before);
  });

  it("renders the summary and filters the table by the clicked kind", () => {
    const { q, qa } = mountFailure();
    const rows = qa("table.ilw-failure-summary tr[data-kind]");
    expect(rows.map((r) => r.dataset.kind)).toEqual(["", "typo", "negation", "distractor", "bias", "casing"]);
    const typo = q('tr[data-kind="typo"]') as HTMLElement;
    expect([...typo.querySelectorAll("td")].map((td) => td.textContent)).toEqual([
      "typo",
      "2",
      "1",
      "50.0%",
      "-0.290",
    ]);
    expect(q('tr[data-kind=""]')?.querySelectorAll("td")[3]?.textContent).toBe("50.0%");
    expect(q('tr[data-kind=""] td')?.textContent).toBe("all kinds");

    typo.click();
    expect(shownIds(qa)).toEqual([3, 0]);
    expect(qa(".ilw-failure-summary .ilw-active").map((r) => r.dataset.kind)).toEqual(["typo"]);
    expect(q(".ilw-case-count")?.textContent).toBe("showing 2 of 6 cases");
    typo.click(); // again: clears
    expect(shownIds(qa)).toHaveLength(6);
    expect(qa(".ilw-failure-summary .ilw-active")).toHaveLength(0);
    (q('tr[data-kind="bias"]') as HTMLElement).click();
    expect(shownIds(qa)).toEqual([4]);
    (q('tr[data-kind=""]') as HTMLElement).click(); // the "all" row clears
    expect(shownIds(qa)).toHaveLength(6);
    expect(q(".ilw-case-count")?.textContent).toBe("6 cases");
    key(q('tr[data-kind="negation"]') as HTMLElement, "Enter");
    expect(shownIds(qa)).toEqual([1]);
  });

  it("the text filter matches prompt and kind, case-insensitively, and combines with the kind filter", () => {
    const { q, qa } = mountFailure();
    const input = q<HTMLInputElement>("input.ilw-case-filter") as HTMLInputElement;
    typeFilter(input, "ROBIN");
    expect(shownIds(qa)).toEqual([3, 2, 0]); // 3 by its original, 2 and 0 by their prompts
    typeFilter(input, "negat");
    expect(shownIds(qa)).toEqual([1]);
    typeFilter(input, "robin");
    (q('tr[data-kind="typo"]') as HTMLElement).click();
    expect(shownIds(qa)).toEqual([3, 0]);
    typeFilter(input, "nothing like this");
    expect(shownIds(qa)).toEqual([]);
    expect(q(".ilw-case-empty")?.hidden).toBe(false);
    // Escape in the box empties it without touching the selection
    key(input, "Escape");
    expect(input.value).toBe("");
    expect(shownIds(qa)).toEqual([3, 0]);
  });

  it("a row click writes selected_case with one save_changes and marks the row", async () => {
    const { model, q, qa } = mountFailure();
    expect(qa("tr.ilw-selected").map((r) => r.dataset.case)).toEqual(["3"]);
    (q('tr.ilw-case[data-case="1"] .ilw-case-prompt') as HTMLElement).click();
    expect(model.get("selected_case")).toBe(1);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(qa("tr.ilw-selected").map((r) => r.dataset.case)).toEqual(["1"]);
    (q('tr.ilw-case[data-case="1"]') as HTMLElement).click(); // already selected: nothing to send
    expect(model.saveCount).toBe(1);
  });

  it("ArrowDown / ArrowUp follow the shown order; Escape clears", async () => {
    const { model, q } = mountFailure({ selected_case: -1 });
    const scroller = q(".ilw-case-scroll") as HTMLElement;
    key(scroller, "ArrowDown"); // nothing selected: the first shown row
    expect(model.get("selected_case")).toBe(3);
    key(scroller, "ArrowDown");
    key(scroller, "ArrowDown");
    expect(model.get("selected_case")).toBe(2);
    key(scroller, "ArrowUp");
    expect(model.get("selected_case")).toBe(1);
    expect(model.saveCount).toBe(4);
    await flush();
    // sorted by id, then filtered to typo cases (0, 3)
    (q('th[data-sort="id"]') as HTMLElement).click();
    key(scroller, "ArrowDown");
    expect(model.get("selected_case")).toBe(2);
    (q('tr[data-kind="typo"]') as HTMLElement).click();
    key(scroller, "ArrowUp"); // case 2 is hidden now: up goes to the last shown row
    expect(model.get("selected_case")).toBe(3);
    key(scroller, "ArrowUp");
    expect(model.get("selected_case")).toBe(0);
    const saves = model.saveCount;
    key(scroller, "ArrowUp"); // already the first
    expect(model.saveCount).toBe(saves);
    key(scroller, "Escape");
    expect(model.get("selected_case")).toBe(-1);
    expect(model.saveCount).toBe(saves + 1);
    await flush();
    expect(q("tr.ilw-selected")).toBeNull();
  });

  it("renders both runs: tokens with changes marked, top lists, one lens row per layer", () => {
    const { q, qa } = mountFailure();
    const side = q(".ilw-side-by-side") as HTMLElement;
    expect(side.classList.contains("ilw-stale")).toBe(false);
    expect(q(".ilw-side-hint")?.hidden).toBe(true);
    expect(qa(".ilw-run").map((r) => r.dataset.run)).toEqual(["original", "perturbed"]);
    const inRun = (runName: string, sel: string) => qa(`.ilw-run[data-run="${runName}"] ${sel}`);
    expect(inRun("original", "span.ilw-token").map((t) => t.textContent)).toEqual([
      "A",
      " robin",
      " is",
      " a",
      " kind",
      " of",
    ]);
    expect(inRun("original", ".ilw-token.ilw-changed").map((t) => t.textContent)).toEqual([" robin"]);
    expect(inRun("perturbed", ".ilw-token.ilw-changed").map((t) => t.textContent)).toEqual([" rob", "bin"]);
    expect(inRun("original", "ol.ilw-run-top li").map((li) => li.textContent)).toEqual([
      " bird70.0%",
      " animal10.0%",
      " fish5.0%",
      " thing2.0%",
      " plant<0.1%",
    ]);
    expect(
      inRun("original", "li.ilw-target").map((li) => li.querySelector(".ilw-run-top-token")?.textContent),
    ).toEqual([" bird"]);
    expect(inRun("perturbed", "ol.ilw-run-top li")).toHaveLength(2);
    for (const runName of ["original", "perturbed"]) {
      const layers = inRun(runName, ".ilw-lens-column .ilw-lens-layer");
      expect(layers.map((l) => l.dataset.layer)).toEqual(["0", "1", "2", "3"]);
      expect(layers.map((l) => l.querySelector(".ilw-lens-label")?.textContent)).toEqual([
        "emb",
        "L1",
        "L2",
        "out",
      ]);
    }
    const lens = inRun("perturbed", ".ilw-lens-layer");
    expect(lens.map((l) => l.querySelector(".ilw-lens-top")?.textContent)).toEqual([
      " the",
      " a",
      " fish",
      " fish",
    ]);
    expect(lens.map((l) => l.querySelector(".ilw-lens-prob")?.textContent)).toEqual([
      "0.0%",
      "6.3%",
      "12.5%",
      "25.0%",
    ]);
    expect(lens[3]?.querySelector<HTMLElement>(".ilw-bar")?.style.width).toBe("25.0%");
    expect(inRun("original", ".ilw-lens-hit").map((l) => l.dataset.layer)).toEqual(["2", "3"]);
    expect(q(".ilw-side-title")?.textContent).toBe("✗ failCase 3typoINVcheck: same top token as original");
    expect(q(".ilw-side-detail")?.textContent).toBe("p(' bird') 0.700 → 0.100");
    expect(q(".ilw-no-original")?.hidden).toBe(true);
  });

  it("renders the head difference grid: one cell per (layer, head), darker = larger, value in the tooltip", () => {
    const { q, qa } = mountFailure();
    const grid = q("div.ilw-head-diff") as HTMLElement;
    expect(grid.hidden).toBe(false);
    expect(q(".ilw-head-diff-title")?.textContent).toBe(
      "attention change of the last token (total variation)",
    );
    const cells = qa(".ilw-head-diff-cell");
    expect(cells).toHaveLength(LAYERS * HEADS);
    expect(cells.map((c) => [c.dataset.layer, c.dataset.head])).toEqual([
      ["0", "0"],
      ["0", "1"],
      ["1", "0"],
      ["1", "1"],
      ["2", "0"],
      ["2", "1"],
    ]);
    const rgb = (c: HTMLElement | undefined) => c?.style.backgroundColor.replace(/\s/g, "");
    expect(rgb(cells[0])).toBe("rgb(255,255,255)");
    expect(rgb(cells[2])).not.toBe(rgb(cells[0]));
    expect(cells[5]?.title).toBe(`layer 2, head 1: ${(HEAD_DIFF[5] as number).toFixed(3)}`);
    expect(q(".ilw-head-diff-note")?.textContent).toBe("Changed most: layer 2, head 1 (0.900)");
  });

  it("a case without an original shows only the perturbed run and says there is nothing to compare", async () => {
    const { model, q, qa } = mountFailure();
    model.set("selected_case", 5);
    model.set("_side_by_side", sideBySide({ case: 5, original: null, head_diff: null, head_diff_label: "" }));
    await flush();
    expect(qa(".ilw-run").map((r) => r.dataset.run)).toEqual(["perturbed"]);
    expect(q(".ilw-run-title")?.textContent).toBe("tested prompt");
    expect(q(".ilw-no-original")?.hidden).toBe(false);
    expect(q(".ilw-no-original")?.textContent).toMatch(/nothing to compare/);
    expect(q("div.ilw-head-diff")?.hidden).toBe(true);
  });

  it("shows a hint without a selection and dims a side-by-side of another case until Python answers", async () => {
    const { model, q } = mountFailure({ selected_case: -1, _side_by_side: {} });
    const side = q(".ilw-side-by-side") as HTMLElement;
    const hint = q(".ilw-side-hint") as HTMLElement;
    expect(hint.hidden).toBe(false);
    expect(hint.textContent).toMatch(/^Click a case/);
    expect(q(".ilw-side-body")?.hidden).toBe(true);
    (q('tr.ilw-case[data-case="3"]') as HTMLElement).click();
    await flush();
    expect(hint.textContent).toBe("Computing case 3…");
    model.set("_side_by_side", sideBySide());
    await flush();
    expect(hint.hidden).toBe(true);
    expect(side.classList.contains("ilw-stale")).toBe(false);
    (q('tr.ilw-case[data-case="1"]') as HTMLElement).click();
    await flush();
    expect(side.classList.contains("ilw-stale")).toBe(true);
    expect(q(".ilw-side-body")?.hidden).toBe(false);
    expect(hint.textContent).toBe("Computing case 1… (still showing case 3)");
    model.set("_side_by_side", sideBySide({ case: 1 }));
    await flush();
    expect(side.classList.contains("ilw-stale")).toBe(false);
    expect(q(".ilw-side-case")?.textContent).toBe("Case 1");
    key(q(".ilw-case-scroll") as HTMLElement, "Escape");
    await flush();
    expect(side.classList.contains("ilw-stale")).toBe(false);
    expect(hint.textContent).toMatch(/^Click a case/);
  });

  it("keeps hostile prompt, token and detail text as text", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    const { model, q, qa } = mountFailure();
    model.set("_cases", [
      {
        ...(CASES[3] as CaseWire),
        prompt: evil,
        original: evil,
        top: evil,
        detail: evil,
        kind: evil,
        expected: evil,
      },
    ]);
    model.set("_summary", [{ kind: evil, n: 1, failed: 1, failure_rate: 1, mean_effect: -0.6 }]);
    model.set(
      "_side_by_side",
      sideBySide({
        target: evil,
        head_diff_label: evil,
        original: run({
          prompt: evil,
          tokens: [evil, "\n"],
          changed: [true, false],
          top: [[evil, 0.5]],
          lens_top: [evil, evil, evil, evil],
        }),
      }),
    );
    await flush();
    expect(document.querySelector("img")).toBeNull();
    expect(q(".ilw-case-prompt")?.textContent).toBe(evil);
    expect(q(".ilw-case-original")?.textContent).toBe(evil);
    expect(q(".ilw-case-detail")?.textContent).toBe(evil);
    expect(q('.ilw-failure-summary tr[data-kind="<img src=x onerror=alert(1)>"]')).not.toBeNull();
    expect(qa('.ilw-run[data-run="original"] .ilw-token').map((t) => t.textContent)).toEqual([evil, "↵"]);
    expect(q(".ilw-head-diff-title")?.textContent).toBe(evil);
    expect(q('.ilw-run[data-run="original"] .ilw-lens-top')?.textContent).toBe(evil);
    for (const el of qa(
      ".ilw-case-prompt, .ilw-token, .ilw-run-top-token, .ilw-lens-top, .ilw-side-detail",
    )) {
      expect(el.children).toHaveLength(0);
    }
  });

  it("shows malformed traits as problems in the error banner and keeps the well-formed part", async () => {
    const error = vi.spyOn(console, "error");
    const { model, q, qa } = mountFailure();
    const banner = q(".ilw-error") as HTMLElement;
    model.set("_cases", [CASES[0], { ...CASES[1], passed: "no" }, 7, CASES[0]] as unknown as CaseWire[]);
    await flush();
    expect(qa("tr.ilw-case")).toHaveLength(1);
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toContain(
      "_cases: 2 of 4 entries are malformed (entry 1: passed must be a boolean)",
    );
    expect(banner.textContent).toContain("_cases: 1 entries repeat an earlier id");
    model.set("_cases", "nope" as unknown as CaseWire[]);
    model.set("_summary", [{ kind: "typo" }] as never);
    model.set("_side_by_side", sideBySide({ head_diff: wire("float32", [2, 2], new Float32Array(4)) }));
    await flush();
    expect(qa("tr.ilw-case")).toHaveLength(0);
    expect(banner.textContent).toContain("_cases is not a list");
    expect(banner.textContent).toContain(
      "_summary: 1 of 1 entries are malformed (entry 0: n must be an integer)",
    );
    expect(banner.textContent).toContain("_side_by_side.head_diff: expected float32 [3, heads], got [2, 2]");
    // a bad head_diff alone leaves the runs on screen
    expect(qa(".ilw-run")).toHaveLength(2);
    expect(q("div.ilw-head-diff")?.hidden).toBe(true);
    model.set("_side_by_side", sideBySide({ perturbed: run({ changed: [true] }) }));
    model.set("_error", "model failed to load");
    await flush();
    expect(banner.textContent).toContain("model failed to load");
    expect(banner.textContent).toContain("_side_by_side.perturbed.changed must be 6 booleans, one per token");
    expect(q(".ilw-side-hint")?.textContent).toBe("Computing case 3…");
    model.set("_side_by_side", 5 as never);
    await flush();
    expect(banner.textContent).toContain("_side_by_side is not an object");
    model.set("_cases", CASES);
    model.set("_summary", []);
    model.set("_side_by_side", sideBySide());
    model.set("_error", "");
    await flush();
    expect(banner.hidden).toBe(true);
    expect(error).not.toHaveBeenCalled();
  });

  it("shows busy while Python runs and cleans up its listeners", async () => {
    const { model, el, cleanup } = mountFailure();
    model.reply("running");
    await flush();
    expect(el.firstElementChild?.classList.contains("ilw-is-busy")).toBe(true);
    expect(el.querySelector<HTMLElement>(".ilw-busy")?.hidden).toBe(false);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
  });

  it("handles a thousand cases", () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({
      ...(CASES[0] as CaseWire),
      id: i,
      passed: i % 3 !== 0,
      effect: Math.sin(i),
    }));
    const { q, qa } = mountFailure({ _cases: many, selected_case: -1 });
    expect(qa("tr.ilw-case")).toHaveLength(1000);
    const ids = shownIds(qa);
    expect(ids.slice(0, 334).every((id) => id % 3 === 0)).toBe(true);
    (q('th[data-sort="effect"]') as HTMLElement).click();
    (q('th[data-sort="effect"]') as HTMLElement).click();
    const effects = shownIds(qa).map((id) => Math.sin(id));
    expect(effects.every((e, i) => i === 0 || (effects[i - 1] as number) <= e)).toBe(true);
  });
});

describe("failure trait readers", () => {
  it("read {} as nothing to show and never throw on junk", () => {
    expect(readSideBySide({})).toEqual({ value: null, problem: "" });
    expect(readCases(undefined)).toEqual({ value: [], problem: "" });
    for (const junk of [null, 1, "x", [], [null], { case: 1 }, { dtype: "float32" }]) {
      expect(() => readCases(junk)).not.toThrow();
      expect(() => readSummary(junk)).not.toThrow();
      expect(() => readSideBySide(junk)).not.toThrow();
    }
  });

  it("reads a missing or null original and detail as empty", () => {
    const { original: _o, detail: _d, ...bare } = CASES[3] as CaseWire;
    const parsed = readCases([bare, { ...CASES[4], original: null, detail: null }]);
    expect(parsed.problem).toBe("");
    expect(parsed.value?.map((c) => [c.original, c.detail])).toEqual([
      ["", ""],
      ["", ""],
    ]);
  });

  it("checks that both runs have the same number of lens rows", () => {
    const lens = { lens_top: ["a", "b"], lens_target: wire("float32", [2], new Float32Array(2)) };
    const parsed = readSideBySide(sideBySide({ original: run(lens) }));
    expect(parsed.value).toBeNull();
    expect(parsed.problem).toBe("_side_by_side: the original run has 2 lens rows, the perturbed run 4");
    const bad = readSideBySide(
      sideBySide({ perturbed: run({ lens_target: wire("float32", [3], new Float32Array(3)) }) }),
    );
    expect(bad.problem).toBe(
      "_side_by_side.perturbed.lens_target: expected float32 [4] (one per lens_top entry), got [3]",
    );
  });
});
