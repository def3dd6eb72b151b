import { afterEach, describe, expect, it } from "vitest";
import { divergingColour } from "../src/lib/colormap";
import {
  exampleRow,
  IG_SCORES,
  mountAttribution,
  OCCLUSION_SCORES,
  occlusionRow,
  TOKENS,
} from "./attribution_fixture";
import { flush, wire } from "./fake_model";
import { key } from "./mount";

afterEach(() => {
  document.body.replaceChildren();
});

const rgb = (el: Element | null | undefined) => (el as HTMLElement).style.backgroundColor.replace(/\s/g, "");
const tokensOf = (row: Element | null) =>
  [...(row as HTMLElement).querySelectorAll<HTMLElement>(".ilw-signed-cell")].map((t) => t.textContent);
const hover = (el: Element | null | undefined) =>
  (el as HTMLElement).dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));

describe("attribution view", () => {
  it("renders one labelled row per method, in the chosen order, with the target and completeness", () => {
    const { el, q, qa } = mountAttribution();
    expect(el.children).toHaveLength(1);
    const root = el.firstElementChild as HTMLElement;
    expect(root.className).toBe("ilw-attribution-view ilw-view");
    expect(q(".ilw-model-name")?.textContent).toBe("tiny-test-model");
    const rows = qa(".ilw-attr-row");
    expect(rows.map((r) => r.dataset.method)).toEqual(["integrated_gradients", "occlusion"]);
    expect(rows.map((r) => r.querySelector(".ilw-attr-method")?.textContent)).toEqual([
      "integrated gradients",
      "occlusion",
    ]);
    const [ig, occlusion] = rows as [HTMLElement, HTMLElement];
    expect(ig.querySelector(".ilw-attr-target")?.textContent).toBe(
      "log p(' Paris') = -0.500 (baseline -3.500)",
    );
    const details = ig.querySelector<HTMLElement>(".ilw-attr-details");
    expect(details?.textContent).toBe("completeness error 1.2% · 64 steps");
    expect(details?.hidden).toBe(false);
    expect(occlusion.querySelector<HTMLElement>(".ilw-attr-details")?.hidden).toBe(true);
    expect(ig.querySelector<HTMLElement>(".ilw-attr-warning")?.hidden).toBe(true);
    for (const row of rows) expect(tokensOf(row)).toEqual(TOKENS);
    expect(q(".ilw-error")?.hidden).toBe(true);
    expect(q<HTMLInputElement>("input.ilw-attr-target-input")?.value).toBe(" Paris");
    expect(q<HTMLSelectElement>("select.ilw-attr-baseline")?.value).toBe("zero");
    const boxes = qa<HTMLInputElement>(".ilw-attr-methods input[type=checkbox]");
    expect(boxes.map((b) => [b.dataset.method, b.checked])).toEqual([
      ["integrated_gradients", true],
      ["gradient_x_input", false],
      ["occlusion", true],
      ["attention_x_gradient", false],
    ]);
  });

  it("colours each row on its own scale, symmetric around 0, and greys the fixed first token", () => {
    const { qa } = mountAttribution();
    const [ig, occlusion] = qa(".ilw-attr-row") as [HTMLElement, HTMLElement];
    const spans = (row: HTMLElement) => [...row.querySelectorAll<HTMLElement>(".ilw-signed-cell")];
    // integrated gradients: max |score| is 2, so 2 is full red and -0.5 a quarter of full blue
    IG_SCORES.forEach((score, i) => {
      const span = spans(ig)[i];
      if (i === 0) {
        expect(span?.classList.contains("ilw-unscored")).toBe(true);
        expect(rgb(span)).toBe("");
      } else {
        expect(rgb(span), `token ${i}`).toBe(divergingColour(score / 2).replace(/\s/g, ""));
      }
    });
    expect(rgb(spans(ig)[2])).toBe("rgb(178,24,43)");
    expect(rgb(spans(ig)[1])).not.toBe(rgb(spans(ig)[4])); // +0.5 red, -0.5 blue
    // occlusion's own scale ends at 0.4: its largest token is full red too
    expect(rgb(spans(occlusion)[3])).toBe("rgb(178,24,43)");
    expect(rgb(spans(occlusion)[4])).toBe("rgb(255,255,255)");
    expect(OCCLUSION_SCORES[3]).toBe(0.4);
    const legend = (row: HTMLElement, part: string) => row.querySelector(`.ilw-signed-${part}`)?.textContent;
    expect([legend(ig, "low"), legend(ig, "high")]).toEqual(["-2.00", "2.00"]);
    expect([legend(occlusion, "low"), legend(occlusion, "high")]).toEqual(["-0.400", "0.400"]);
  });

  it("draws the deletion and insertion curves against random, with their areas", () => {
    const { qa } = mountAttribution();
    const [ig, occlusion] = qa(".ilw-attr-row") as [HTMLElement, HTMLElement];
    const paths = [...ig.querySelectorAll<SVGPathElement>("svg.ilw-attr-chart path.ilw-curve")];
    expect(paths.map((p) => p.dataset.curve).sort()).toEqual([
      "deletion",
      "insertion",
      "random_deletion",
      "random_insertion",
    ]);
    for (const path of paths) expect(path.getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){4}$/);
    const deletion = paths.find((p) => p.dataset.curve === "deletion") as SVGPathElement;
    // the deletion curve starts at the top (the highest value, -0.5) and ends at the bottom (-3.5)
    const points = (deletion.getAttribute("d") ?? "")
      .slice(1)
      .split("L")
      .map((p) => p.split(",").map(Number));
    expect(points[0]?.[1]).toBeLessThan(points[4]?.[1] as number);
    const ticks = [...ig.querySelectorAll("svg.ilw-attr-chart text.ilw-attr-tick")].map((t) => t.textContent);
    expect(ticks).toEqual(["-0.5", "-3.5", "0", "all tokens"]); // the curves' range, top and bottom
    const areas = [...ig.querySelectorAll<HTMLElement>(".ilw-attr-area")];
    expect(areas.map((a) => [a.textContent, a.dataset.faithful])).toEqual([
      ["deletion -2.550 (random -1.750) ✓", "true"],
      ["insertion -1.100 (random -2.000) ✓", "true"],
    ]);
    expect(occlusion.querySelector(".ilw-attr-areas")?.textContent).toBe(
      "faithfulness not measured (faithfulness=False)",
    );
    expect(occlusion.querySelectorAll("path")).toHaveLength(0);
  });

  it("marks an attribution that does worse than random, and shows a warning visibly", async () => {
    const { model, q } = mountAttribution();
    const row = exampleRow({ warning: "completeness error 30.0% at 8 steps is above the tolerance 2.0%" });
    if (row.faithfulness) row.faithfulness.deletion_area = -1;
    model.set("_rows", [row]);
    await flush();
    const warning = q(".ilw-attr-row .ilw-attr-warning") as HTMLElement;
    expect(warning.hidden).toBe(false);
    expect(warning.getAttribute("role")).toBe("note");
    expect(warning.textContent).toBe("⚠ completeness error 30.0% at 8 steps is above the tolerance 2.0%");
    expect(q(".ilw-attr-area-deletion")?.dataset.faithful).toBe("false");
    expect(q(".ilw-attr-area-deletion .ilw-attr-verdict")?.textContent).toBe(" ✗");
  });

  it("hovering a token lights it in every row and lists its scores, without a message to Python", () => {
    const { model, q, qa } = mountAttribution();
    const rows = qa(".ilw-attr-row");
    hover(rows[1]?.querySelector('[data-token-index="3"]'));
    const lit = qa(".ilw-signed-cell.ilw-hover");
    expect(lit).toHaveLength(2);
    expect(
      lit.map((t) => [t.closest<HTMLElement>(".ilw-attr-row")?.dataset.method, t.dataset.tokenIndex]),
    ).toEqual([
      ["integrated_gradients", "3"],
      ["occlusion", "3"],
    ]);
    const detail = q(".ilw-attr-detail") as HTMLElement;
    expect(detail.dataset.tokenIndex).toBe("3");
    expect(q(".ilw-attr-detail-token")?.textContent).toBe(" Tower");
    const scores = qa(".ilw-attr-detail-score").map((s) => [
      s.dataset.method,
      s.querySelector(".ilw-attr-detail-value")?.textContent,
      s.querySelector(".ilw-attr-detail-rank")?.textContent,
    ]);
    expect(scores).toEqual([
      ["integrated_gradients", "1.00", "rank 2 of 4"],
      ["occlusion", "0.400", "rank 1 of 4"],
    ]);
    hover(rows[0]?.querySelector('[data-token-index="0"]'));
    expect(qa(".ilw-signed-cell.ilw-hover").map((t) => t.dataset.tokenIndex)).toEqual(["0", "0"]);
    expect(q(".ilw-attr-detail-value")?.textContent).toBe("kept fixed, no score");
    (q(".ilw-attr-rows") as HTMLElement).dispatchEvent(new MouseEvent("mouseleave"));
    expect(qa(".ilw-signed-cell.ilw-hover")).toHaveLength(0);
    expect(detail.dataset.tokenIndex).toBe("-1");
    expect(model.saveCount).toBe(0);
    expect(model.get("_request")).toBe(0);
  });

  it("a click pins a token in every row (selected_token, no request); Escape unpins", async () => {
    const { model, q, qa } = mountAttribution();
    (q('.ilw-attr-row[data-method="occlusion"] [data-token-index="2"]') as HTMLElement).click();
    expect(model.get("selected_token")).toBe(2);
    expect(model.saveCount).toBe(1);
    expect(model.get("_request")).toBe(0); // view state: nothing for Python to compute
    await flush();
    expect(qa(".ilw-signed-cell.ilw-pinned").map((t) => t.dataset.tokenIndex)).toEqual(["2", "2"]);
    expect(q(".ilw-attr-detail-title")?.textContent).toBe("pinned 2: iffel");
    expect(q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(false);
    key(q(".ilw-attr-rows") as HTMLElement, "Escape");
    expect(model.get("selected_token")).toBe(-1);
    await flush();
    expect(qa(".ilw-signed-cell.ilw-pinned")).toHaveLength(0);
  });

  it("shows hostile token text as text, in the rows and in the hovered token's scores", async () => {
    const { model, q, qa } = mountAttribution();
    const evil = "<img src=x onerror=alert(1)>";
    model.set("_tokens", ["The", evil, "iffel", "\n", " is"]);
    await flush();
    expect(document.querySelector("img")).toBeNull();
    for (const row of qa(".ilw-attr-row")) expect(tokensOf(row)).toEqual(["The", evil, "iffel", "↵", " is"]);
    const span = q('.ilw-signed-cell[data-token-index="1"]') as HTMLElement;
    expect(span.children).toHaveLength(0);
    hover(span);
    expect(q(".ilw-attr-detail-token")?.textContent).toBe(evil);
    expect(q(".ilw-attr-detail-token")?.children).toHaveLength(0);
    expect(document.querySelector("img")).toBeNull();
  });

  it("ticking a method asks Python for it in one request and shows it pending until it arrives", async () => {
    const { model, q, qa } = mountAttribution();
    const box = q<HTMLInputElement>('input[data-method="gradient_x_input"]') as HTMLInputElement;
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    expect(model.get("methods")).toEqual(["integrated_gradients", "occlusion", "gradient_x_input"]);
    expect(model.get("_request")).toBe(1);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(true);
    const pending = q('.ilw-attr-row.ilw-attr-pending[data-method="gradient_x_input"]');
    expect(pending?.textContent).toBe("gradient × inputwaiting for the kernel…");
    model.set("_rows", [
      exampleRow(),
      occlusionRow(),
      exampleRow({ method: "gradient_x_input", steps: null }),
    ]);
    model.reply();
    await flush();
    expect(
      qa(".ilw-attr-row").map((r) => [r.dataset.method, r.classList.contains("ilw-attr-pending")]),
    ).toEqual([
      ["integrated_gradients", false],
      ["occlusion", false],
      ["gradient_x_input", false],
    ]);
    expect(q(".ilw-view")?.classList.contains("ilw-is-busy")).toBe(false);
    // unticking keeps the others' order; the last method left cannot be unticked
    const ig = q<HTMLInputElement>('input[data-method="integrated_gradients"]') as HTMLInputElement;
    ig.checked = false;
    ig.dispatchEvent(new Event("change"));
    expect(model.get("methods")).toEqual(["occlusion", "gradient_x_input"]);
    await flush();
    expect(q('.ilw-attr-row[data-method="integrated_gradients"]')?.classList.contains("ilw-stale")).toBe(
      true,
    );
    model.set("methods", ["occlusion"]);
    await flush();
    expect(q<HTMLInputElement>('input[data-method="occlusion"]')?.disabled).toBe(true);
    expect(q<HTMLInputElement>('input[data-method="gradient_x_input"]')?.disabled).toBe(false);
  });

  it("a new target or baseline is one request; rows for the old one are dimmed until Python answers", async () => {
    const { model, q, qa } = mountAttribution();
    const target = q<HTMLInputElement>("input.ilw-attr-target-input") as HTMLInputElement;
    target.value = " London";
    target.dispatchEvent(new Event("change"));
    expect(model.get("target")).toBe(" London");
    expect(model.get("_request")).toBe(1);
    await flush();
    expect(qa(".ilw-attr-row.ilw-stale")).toHaveLength(2);
    model.set("_rows", [exampleRow({ target_token: " London" }), occlusionRow({ target_token: " London" })]);
    model.reply();
    await flush();
    expect(qa(".ilw-attr-row.ilw-stale")).toHaveLength(0);
    const baseline = q<HTMLSelectElement>("select.ilw-attr-baseline") as HTMLSelectElement;
    baseline.value = "pad";
    baseline.dispatchEvent(new Event("change"));
    expect(model.get("baseline")).toBe("pad");
    expect(model.get("_request")).toBe(2);
    await flush();
    expect(qa(".ilw-attr-row.ilw-stale")).toHaveLength(2);
  });

  it("reports malformed rows in the error banner and still draws the good ones", async () => {
    const { model, q, qa } = mountAttribution();
    const error = q(".ilw-error") as HTMLElement;
    model.set("_rows", [exampleRow({ scores: wire("float32", [4], new Float32Array(4)) }), occlusionRow()]);
    await flush();
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe(
      "_rows: 1 of 2 entries are malformed (entry 0: scores: expected float32 [5], got [4])",
    );
    expect(qa(".ilw-attr-row:not(.ilw-attr-pending)").map((r) => r.dataset.method)).toEqual(["occlusion"]);
    expect(q('.ilw-attr-row.ilw-attr-pending[data-method="integrated_gradients"]')).not.toBeNull();
    const broken = exampleRow();
    if (broken.faithfulness) broken.faithfulness.insertion = wire("float32", [3], new Float32Array(3));
    model.set("_rows", [broken, occlusionRow({ steps: 1.5 })]);
    await flush();
    expect(error.textContent).toBe(
      "_rows: 2 of 2 entries are malformed (entry 0: faithfulness.insertion: expected float32 [5], got [3])",
    );
    model.set("_rows", "nonsense" as unknown as []);
    await flush();
    expect(error.textContent).toBe("_rows is not a list");
    model.set("_rows", [exampleRow(), occlusionRow()]);
    await flush();
    expect(error.hidden).toBe(true);
    expect(qa(".ilw-attr-row:not(.ilw-attr-pending)")).toHaveLength(2);
  });

  it("shows Python's error and removes its listeners on cleanup", async () => {
    const { model, q, cleanup } = mountAttribution();
    model.set("_error", "target=' Paris France' is 2 tokens");
    await flush();
    expect(q(".ilw-error")?.textContent).toBe("target=' Paris France' is 2 tokens");
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(document.querySelector(".ilw-attribution-view")).toBeNull();
  });
});
