/** The "what am I looking at?" toggle and panel, in each of the views. */
import { afterEach, describe, expect, it } from "vitest";
import { HELP_TOGGLE_TITLE } from "../src/components/help_panel";
import { mountAttribution } from "./attribution_fixture";
import { mountCircuit } from "./circuit_fixture";
import { mountFailure } from "./failure_fixture";
import { mountFeatures } from "./feature_fixture";
import { key, mount } from "./mount";
import { mountPatching } from "./patching_fixture";
import { mountProjection } from "./projection_fixture";
import { mountTracer } from "./tracer_fixture";

afterEach(() => {
  document.body.replaceChildren();
});

interface Mounted {
  el: HTMLElement;
  cleanup: () => void;
  q: <E extends Element = HTMLElement>(selector: string) => E | null;
  qa: <E extends Element = HTMLElement>(selector: string) => E[];
}

const VIEWS: ReadonlyArray<[string, () => Mounted]> = [
  ["attention explorer", () => mount()],
  ["generation tracer", () => mountTracer()],
  ["patching explorer", () => mountPatching()],
  ["projection explorer", () => mountProjection()],
  ["failure explorer", () => mountFailure()],
  ["attribution view", () => mountAttribution()],
  ["circuit explorer", () => mountCircuit()],
  ["feature explorer", () => mountFeatures()],
];

/** The toggle and panel of a mounted view, checking they are wired to each other. */
function parts({ el, q, qa }: Mounted) {
  expect(qa("button.ilw-help-toggle")).toHaveLength(1);
  expect(qa("div.ilw-help")).toHaveLength(1);
  const toggle = q<HTMLButtonElement>("button.ilw-help-toggle") as HTMLButtonElement;
  const panel = q<HTMLDivElement>("div.ilw-help") as HTMLDivElement;
  expect(toggle.getAttribute("aria-controls")).toBe(panel.id);
  expect(el.querySelector(`#${panel.id}`)).toBe(panel);
  return { toggle, panel };
}

const items = (panel: HTMLElement, section: string) =>
  [...panel.querySelectorAll<HTMLLIElement>(`.${section} li`)].map((li) => li.textContent?.trim() ?? "");

describe.each(VIEWS)("help panel in the %s", (_name, mountView) => {
  it("has a ? toggle in the header bar and a hidden panel right under the header", () => {
    const view = mountView();
    const { toggle, panel } = parts(view);
    expect(toggle.textContent).toBe("?");
    expect(toggle.type).toBe("button");
    expect(toggle.title).toBe(HELP_TOGGLE_TITLE);
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(toggle.closest(".ilw-header-bar")).not.toBeNull();
    expect(panel.hidden).toBe(true);
    expect(panel.previousElementSibling?.classList.contains("ilw-header")).toBe(true);
    expect(panel.parentElement).toBe(view.el.firstElementChild);
  });

  it("opens on click with a title, 'What you see' and 'Try this' lists, and closes on a second click", () => {
    const view = mountView();
    const { toggle, panel } = parts(view);
    toggle.click();
    expect(panel.hidden).toBe(false);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(panel.querySelector(".ilw-help-title")?.textContent).not.toBe("");
    const headings = [...panel.querySelectorAll(".ilw-help-heading")].map((e) => e.textContent);
    expect(headings).toEqual(["What you see", "Try this"]);
    const see = items(panel, "ilw-help-see");
    const tryThis = items(panel, "ilw-help-try");
    expect(see.length).toBeGreaterThanOrEqual(3);
    expect(see.length).toBeLessThanOrEqual(5);
    expect(tryThis.length).toBeGreaterThanOrEqual(2);
    expect(tryThis.length).toBeLessThanOrEqual(4);
    for (const line of [...see, ...tryThis]) expect(line).not.toBe("");
    expect(panel.querySelector(".ilw-help-pitfall")?.textContent).toMatch(/^Careful: \S/);

    toggle.click();
    expect(panel.hidden).toBe(true);
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
  });

  it("is text only: emphasis is <strong>, never markup", () => {
    const view = mountView();
    const { panel } = parts(view);
    const tags = new Set([...panel.querySelectorAll("*")].map((e) => e.tagName.toLowerCase()));
    for (const tag of tags) expect(["div", "p", "ul", "li", "strong"]).toContain(tag);
    expect(panel.textContent).not.toMatch(/[<>]/);
  });

  it("closes on Escape from inside the panel or on the toggle, without reaching the view", () => {
    const view = mountView();
    const { toggle, panel } = parts(view);
    const root = view.el.firstElementChild as HTMLElement;
    let reached = 0;
    root.addEventListener("keydown", () => reached++);

    toggle.click();
    key(panel.querySelector("li") as HTMLElement, "Escape");
    expect(panel.hidden).toBe(true);
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement).toBe(toggle);
    expect(reached).toBe(0);

    toggle.click();
    key(toggle, "Escape");
    expect(panel.hidden).toBe(true);
    expect(reached).toBe(0);

    // Closed, Escape on the toggle is the view's again.
    key(toggle, "Escape");
    expect(reached).toBe(1);
  });

  it("keeps other keys and destroys with the view", () => {
    const view = mountView();
    const { toggle, panel } = parts(view);
    toggle.click();
    key(panel, "Enter");
    expect(panel.hidden).toBe(false);
    view.cleanup();
    expect(view.el.children).toHaveLength(0);
    toggle.click();
    expect(panel.hidden).toBe(false); // listeners are gone with the view
  });
});

describe("help panels", () => {
  it("have unique ids per rendered view", () => {
    const a = parts(mount());
    const b = parts(mount());
    expect(a.panel.id).not.toBe(b.panel.id);
  });

  it("name the view and differ from view to view", () => {
    const titles = VIEWS.map(([, mountView]) => {
      const { toggle, panel } = parts(mountView());
      toggle.click();
      return panel.querySelector(".ilw-help-title")?.textContent ?? "";
    });
    expect(titles.map((t) => t.split(":")[0])).toEqual([
      "Attention explorer",
      "Generation tracer",
      "Patching explorer",
      "Projection explorer",
      "Failure explorer",
      "Attribution view",
      "Circuit explorer",
      "Feature explorer",
    ]);
  });
});
