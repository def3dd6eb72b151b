import { afterEach, describe, expect, it } from "vitest";
import { ROW_HEIGHT } from "../src/components/token_lines";
import { causal, detail, detailLines } from "./attention_fixture";
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

const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

describe("token strip on long inputs", () => {
  it("shows every token and no pager at 1,024 tokens", () => {
    const { q, qa } = mount({ _tokens: names(1024), _detail: {}, _detail_lines: {} });
    expect(qa(".ilw-token-strip .ilw-token")).toHaveLength(1024);
    expect((q(".ilw-strip-pager") as HTMLElement).hidden).toBe(true);
  });

  it("pages 512 tokens at a time above 1,024, with ‹ › and the range shown", () => {
    const { q, qa } = mount({ _tokens: names(1100), _detail: {}, _detail_lines: {} });
    const indices = () => qa(".ilw-token-strip .ilw-token").map((s) => Number(s.dataset.tokenIndex));
    const label = q(".ilw-strip-page") as HTMLElement;
    const prev = q<HTMLButtonElement>(".ilw-strip-prev") as HTMLButtonElement;
    const next = q<HTMLButtonElement>(".ilw-strip-next") as HTMLButtonElement;
    expect((q(".ilw-strip-pager") as HTMLElement).hidden).toBe(false);
    expect(indices()).toHaveLength(512);
    expect(label.textContent).toBe("tokens 0–511 of 1100");
    expect(prev.disabled).toBe(true);
    next.click();
    expect(indices()[0]).toBe(512);
    expect(label.textContent).toBe("tokens 512–1023 of 1100");
    next.click();
    expect(indices()).toEqual(Array.from({ length: 76 }, (_, i) => 1024 + i));
    expect(label.textContent).toBe("tokens 1024–1099 of 1100");
    expect(next.disabled).toBe(true);
    prev.click();
    expect(label.textContent).toBe("tokens 512–1023 of 1100");
  });

  it("turns to the page of a token pinned or hovered elsewhere", async () => {
    const { model, q } = mount({ _tokens: names(2000), _detail: {}, _detail_lines: {} });
    const label = q(".ilw-strip-page") as HTMLElement;
    model.set("selected_token", 1500); // pinned from the kernel (or the heatmap, or the lines)
    await flush();
    expect(label.textContent).toBe("tokens 1024–1535 of 2000");
    expect(q(".ilw-pinned")?.dataset.tokenIndex).toBe("1500");
    // hovering a row of the lines view (scrolled back to the top) shows that token in the strip
    const body = q(".ilw-tl-body") as HTMLElement;
    body.scrollTop = 0;
    body.dispatchEvent(new Event("scroll"));
    hover(q('.ilw-tl-queries .ilw-tl-token[data-token-index="3"]') as Element);
    expect(label.textContent).toBe("tokens 0–511 of 2000");
    expect(q(".ilw-token-strip .ilw-hover")?.dataset.tokenIndex).toBe("3");
    expect(q(".ilw-pinned")).toBeNull(); // the pinned token is on another page
    q<HTMLButtonElement>(".ilw-strip-next")?.click();
    q<HTMLButtonElement>(".ilw-strip-next")?.click();
    expect(q(".ilw-pinned")?.dataset.tokenIndex).toBe("1500"); // and is marked again on its page
  });

  it("keeps hostile token text as text on every page", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    const { model, el, qa } = mount({ _tokens: names(1500), _detail: {}, _detail_lines: {} });
    model.set("_tokens", [...names(1499), evil]);
    model.set("selected_token", 1499);
    await flush();
    expect(qa(".ilw-token-strip .ilw-token").pop()?.textContent).toBe(evil);
    expect(el.querySelector("img")).toBeNull();
  });
});

describe("8,192 tokens", () => {
  it("keep the strip to one page and the lines to the rows in view", async () => {
    const n = 8192;
    const { model, q, qa } = mount({
      _tokens: names(n),
      _detail: detail(causal, n),
      _detail_lines: detailLines(causal, n, 4),
    });
    expect((q(".ilw-error") as HTMLElement).hidden).toBe(true);
    expect(qa(".ilw-token-strip .ilw-token").length).toBeLessThanOrEqual(512);
    const rows = () => qa(".ilw-tl-queries .ilw-tl-token").length + qa(".ilw-tl-keys .ilw-tl-token").length;
    expect(rows()).toBeLessThanOrEqual(300);
    expect(q(".ilw-tl-lines")?.getAttribute("height")).toBe(String(n * ROW_HEIGHT));
    expect(qa(".ilw-tl-lines line").length).toBeLessThanOrEqual(120);
    expect((q(".ilw-heatmap") as HTMLElement).dataset).toMatchObject({
      window: "0,8192,0,8192",
      exact: "false",
    });
    model.set("selected_token", 8000);
    await flush();
    expect(q(".ilw-strip-page")?.textContent).toBe("tokens 7680–8191 of 8192");
    expect(q(".ilw-token-strip .ilw-pinned")?.dataset.tokenIndex).toBe("8000");
    // the lines scroll to the pinned row and draw its lines, to rows far outside the ones rendered
    expect(q('.ilw-tl-queries .ilw-tl-token[data-token-index="8000"]')).not.toBeNull();
    expect(q('.ilw-tl-queries .ilw-tl-token[data-token-index="0"]')).toBeNull();
    expect(rows()).toBeLessThanOrEqual(300);
    const lines = qa<SVGLineElement>(".ilw-tl-lines line");
    expect(lines.map((l) => l.getAttribute("y1"))).toEqual(Array(4).fill(String(8000.5 * ROW_HEIGHT)));
    expect(lines[0]?.getAttribute("y2")).toBe(String(8000.5 * ROW_HEIGHT)); // itself, 0.5
    expect(lines.slice(1).map((l) => l.getAttribute("y2"))).toEqual(["9", "27", "45"]); // keys 0, 1, 2
  });
});
