import type { RenderProps } from "@anywidget/types";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AttentionExplorerTraits } from "../src/attention/types";
import widget from "../src/attention_explorer";
import { exampleState } from "./attention_fixture";
import { FakeModel, flush } from "./fake_model";
import { mount } from "./mount";
import { mountPatching } from "./patching_fixture";

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><text>&lt;b&gt;</text></svg>';

/** Spy on the download path: Blob URLs made and anchors clicked (with their file names). */
function spyDownloads() {
  const urls = vi.spyOn(URL, "createObjectURL").mockReturnValue("blob:fake");
  vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
  const names: string[] = [];
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    names.push(this.download);
  });
  return { urls, names };
}

describe("export control", () => {
  it("asks Python for the detail figure's SVG with the page's theme and downloads the reply", async () => {
    const { urls, names } = spyDownloads();
    const { model, q } = mount();
    (q('.ilw-export[data-figure="detail"] .ilw-export-svg') as HTMLButtonElement).click();
    const sent = model.sent[model.sent.length - 1] as Record<string, unknown>;
    expect(sent).toEqual({ type: "export_svg", figure: "detail", theme: "light", nonce: expect.any(Number) });
    // Not a request: nothing superseded, no busy indicator.
    expect(model.get("_request")).toBe(0);
    expect(q(".ilw-busy")?.hidden).toBe(true);
    // A reply to someone else's nonce is ignored.
    model.emit("msg:custom", { type: "svg", nonce: -5, figure: "detail", svg: SVG, filename: "x.svg" });
    expect(names).toEqual([]);
    model.emit("msg:custom", {
      type: "svg",
      nonce: sent.nonce,
      figure: "detail",
      svg: SVG,
      filename: "attention_detail.svg",
    });
    expect(names).toEqual(["attention_detail.svg"]);
    const blob = urls.mock.calls[urls.mock.calls.length - 1]?.[0] as Blob;
    expect(blob.type).toBe("image/svg+xml");
    expect(await blob.text()).toBe(SVG);
    // The same nonce answered twice downloads once.
    model.emit("msg:custom", { type: "svg", nonce: sent.nonce, svg: SVG, filename: "attention_detail.svg" });
    expect(names).toHaveLength(1);
  });

  it("names the grid figure, and says dark on a dark page", () => {
    spyDownloads();
    const { model, q, el } = mount();
    (el.firstElementChild as HTMLElement).style.setProperty("--ilw-bg", "#1e1e1e");
    (q('.ilw-export[data-figure="grid"] .ilw-export-png') as HTMLButtonElement).click();
    expect(model.sent[model.sent.length - 1]).toMatchObject({
      type: "export_svg",
      figure: "grid",
      theme: "dark",
    });
  });

  it("shows an svg_error reply as text in the error banner", async () => {
    spyDownloads();
    const { model, q } = mount();
    (q('.ilw-export[data-figure="grid"] .ilw-export-svg') as HTMLButtonElement).click();
    const { nonce } = model.sent[model.sent.length - 1] as { nonce: number };
    model.emit("msg:custom", { type: "svg_error", nonce, message: "<img src=x onerror=alert(1)> too big" });
    const banner = q(".ilw-error") as HTMLElement;
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toBe("Export failed: <img src=x onerror=alert(1)> too big");
    expect(banner.querySelector("img")).toBeNull();
    // A new export clears the old message.
    (q('.ilw-export[data-figure="grid"] .ilw-export-svg') as HTMLButtonElement).click();
    expect(banner.hidden).toBe(true);
  });

  it("draws a PNG at the chosen scale from the SVG", async () => {
    const { names } = spyDownloads();
    vi.spyOn(HTMLCanvasElement.prototype, "toBlob").mockImplementation(function (
      this: HTMLCanvasElement,
      cb,
    ) {
      cb(new Blob(["png"], { type: "image/png" }));
    });
    const images: HTMLImageElement[] = [];
    const RealImage = globalThis.Image;
    vi.stubGlobal(
      "Image",
      class extends RealImage {
        constructor() {
          super();
          images.push(this);
        }
      },
    );
    const { model, q } = mount();
    const drawn: number[][] = [];
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue({
      drawImage: (_i: unknown, x: number, y: number, w: number, hgt: number) => drawn.push([x, y, w, hgt]),
    } as never);
    const scale = q(".ilw-export[data-figure=detail] .ilw-export-scale") as HTMLSelectElement;
    expect([...scale.options].map((o) => o.textContent)).toEqual(["1×", "2×", "4×"]);
    scale.value = "4";
    (q(".ilw-export[data-figure=detail] .ilw-export-png") as HTMLButtonElement).click();
    const { nonce } = model.sent[model.sent.length - 1] as { nonce: number };
    model.emit("msg:custom", { type: "svg", nonce, svg: SVG, filename: "attention_detail.svg" });
    expect(images).toHaveLength(1);
    images[0]?.onload?.(new Event("load"));
    await flush();
    expect(drawn).toEqual([[0, 0, 160, 80]]);
    expect(names).toEqual(["attention_detail.png"]);
    vi.unstubAllGlobals();
  });

  it("omits the figure for single-figure views and removes its listener on destroy", () => {
    spyDownloads();
    const { model, q, cleanup } = mountPatching();
    (q(".ilw-export .ilw-export-svg") as HTMLButtonElement).click();
    const sent = model.sent[model.sent.length - 1] as Record<string, unknown>;
    expect(sent.type).toBe("export_svg");
    expect("figure" in sent).toBe(false);
    const before = model.listenerCount();
    cleanup();
    expect(model.listenerCount()).toBeLessThan(before);
    expect(model.listenerCount()).toBe(0);
  });

  it("is hidden in a static snapshot, where no kernel answers", () => {
    expect(mount().q(".ilw-export")?.hidden).toBe(false);
    // The snapshot page's model says so ...
    const flagged = new FakeModel(exampleState());
    Object.assign(flagged, { ilwSnapshot: true });
    const a = document.createElement("div");
    document.body.appendChild(a);
    widget.render({ model: flagged, el: a } as unknown as RenderProps<AttentionExplorerTraits>);
    expect([...a.querySelectorAll<HTMLElement>(".ilw-export")].map((e) => e.hidden)).toEqual([true, true]);
    // ... and the page renders each view into a `.ilw-snapshot` box.
    const box = document.createElement("div");
    box.className = "ilw-snapshot";
    document.body.appendChild(box);
    widget.render({
      model: new FakeModel(exampleState()),
      el: box,
    } as unknown as RenderProps<AttentionExplorerTraits>);
    expect([...box.querySelectorAll<HTMLElement>(".ilw-export")].map((e) => e.hidden)).toEqual([true, true]);
  });
});
