import { afterEach, describe, expect, it } from "vitest";
import { flush } from "./fake_model";
import { key, mount } from "./mount";

afterEach(() => {
  document.body.replaceChildren();
});

const hover = (el: Element) => el.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));

describe("token strip", () => {
  it("renders one span per token with its index", () => {
    const { qa } = mount();
    const spans = qa(".ilw-token-strip .ilw-token");
    expect(spans.map((s) => s.dataset.tokenIndex)).toEqual(["0", "1", "2", "3"]);
    expect(spans[1]?.textContent).toBe(" cat"); // the leading space is kept (white-space: pre)
    expect(spans[1]?.classList.contains("ilw-lead-space")).toBe(true);
    expect(spans[3]?.textContent).toBe("↵"); // a newline token stays visible
  });

  it("treats token text as data, never as markup", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    const { model, el, qa } = mount();
    model.set("_tokens", [evil, "&amp;", "<b>"]);
    model.set("_detail", {});
    await flush();
    const spans = qa(".ilw-token-strip .ilw-token");
    expect(spans[0]?.textContent).toBe(evil);
    expect(spans[1]?.textContent).toBe("&amp;");
    expect(spans[2]?.textContent).toBe("<b>");
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("b")).toBeNull();
  });

  it("hover marks the token (ilw-hover) and leaving clears it", () => {
    const { q, qa } = mount();
    const [first, second] = qa(".ilw-token");
    hover(second as Element);
    expect(second?.classList.contains("ilw-hover")).toBe(true);
    hover(first as Element);
    expect(second?.classList.contains("ilw-hover")).toBe(false);
    expect(first?.classList.contains("ilw-hover")).toBe(true);
    q(".ilw-token-strip")?.dispatchEvent(new MouseEvent("mouseleave"));
    expect(qa(".ilw-hover")).toHaveLength(0);
  });

  it("click pins (selected_token), a second click unpins", async () => {
    const { model, q } = mount();
    const token = q('.ilw-token[data-token-index="2"]') as HTMLElement;
    token.click();
    expect(model.get("selected_token")).toBe(2);
    expect(model.saveCount).toBe(1);
    await flush();
    expect(token.classList.contains("ilw-pinned")).toBe(true);
    token.click();
    expect(model.get("selected_token")).toBe(-1);
    await flush();
    expect(token.classList.contains("ilw-pinned")).toBe(false);
  });

  it("Escape clears the pin", async () => {
    const { model, q } = mount({ selected_token: 1 });
    expect(q('.ilw-token[data-token-index="1"]')?.classList.contains("ilw-pinned")).toBe(true);
    key(q(".ilw-head-grid") as HTMLElement, "Escape");
    expect(model.get("selected_token")).toBe(-1);
    await flush();
    expect(q(".ilw-pinned")).toBeNull();
  });

  it("a pin past the end of the tokens shows nothing and does not throw", async () => {
    const { model, q } = mount({ selected_token: 40 });
    expect(q(".ilw-pinned")).toBeNull();
    model.set("_tokens", []);
    await flush();
    expect(q(".ilw-token")).toBeNull();
  });
});
