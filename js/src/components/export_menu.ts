/**
 * The export control every view has: "SVG" and "PNG" buttons and a PNG scale (1×, 2×, 4×).
 *
 * The figure is drawn by Python (the same picture at any size, from the same colour maps), so a
 * click sends the custom message `{type: "export_svg", figure?, theme, nonce}` straight through
 * `model.send` — not the shell's `send`, which would bump `_request` and supersede live work.
 * Python answers `{type: "svg", nonce, figure, svg, filename}` or `{type: "svg_error", nonce,
 * message}`; a reply whose nonce this menu did not send is someone else's. The SVG is downloaded
 * as it is; a PNG is that SVG drawn on a canvas at `scale` times its width. In a static snapshot
 * (no kernel to answer) the control is hidden.
 */
import type { AnyModel } from "@anywidget/types";
import { h } from "../lib/dom";
import { downloadBlob } from "../lib/download";
import { themeOf } from "../lib/theme";

export const PNG_SCALES = [1, 2, 4] as const;

/** What the menu needs of its view (lib/view_shell.ts provides it all). */
export interface ExportHost {
  readonly root: HTMLElement;
  readonly signal: AbortSignal;
  /** Show `message` (plain text) in the view's error area under `source`; "" clears it. */
  report(source: string, message: string): void;
}

interface Pending {
  format: "svg" | "png";
  scale: number;
}

/** Nonces are unique in the page, so two menus of one model never take each other's replies. */
let lastNonce = 0;

/**
 * True when the view runs in a static HTML snapshot (interplab_widgets/widgets/static_html.py):
 * its model says so with `ilwSnapshot`, or the view sits in the snapshot page's `.ilw-snapshot` box.
 */
export function inSnapshot(model: object, el: Element | null): boolean {
  return (model as { ilwSnapshot?: unknown }).ilwSnapshot === true || el?.closest(".ilw-snapshot") != null;
}

export class ExportMenu {
  readonly el: HTMLSpanElement;
  private readonly scaleSelect: HTMLSelectElement;
  private readonly pending = new Map<number, Pending>();
  private readonly source: string;

  /**
   * `figure`: which of the view's figures (AttentionExplorer: "grid" or "detail"); omitted from
   * the message when undefined. `el`: where the view is rendered (for the snapshot check).
   */
  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: any view's model
    private readonly model: AnyModel<any>,
    private readonly host: ExportHost,
    private readonly figure?: string,
    el: Element | null = null,
  ) {
    this.source = figure === undefined ? "export" : `export ${figure}`;
    const what = figure === undefined ? "this figure" : `the ${figure}`;
    const svgButton = h("button", {
      className: "ilw-export-svg",
      text: "SVG",
      attrs: { type: "button", title: `Download ${what} as SVG` },
    });
    const pngButton = h("button", {
      className: "ilw-export-png",
      text: "PNG",
      attrs: { type: "button", title: `Download ${what} as PNG at the chosen scale` },
    });
    this.scaleSelect = h(
      "select",
      { className: "ilw-export-scale", attrs: { title: "PNG scale", "aria-label": "PNG scale" } },
      PNG_SCALES.map((s) => h("option", { text: `${s}×`, attrs: { value: String(s) } })),
    );
    this.scaleSelect.value = "2";
    this.el = h("span", { className: "ilw-export", attrs: figure ? { "data-figure": figure } : {} }, [
      svgButton,
      pngButton,
      this.scaleSelect,
    ]);
    const signal = host.signal;
    this.el.hidden = inSnapshot(model, el);
    svgButton.addEventListener("click", () => this.request("svg"), { signal });
    pngButton.addEventListener("click", () => this.request("png"), { signal });
    const onMessage = (content: unknown) => this.onMessage(content);
    model.on("msg:custom", onMessage);
    signal.addEventListener("abort", () => model.off("msg:custom", onMessage));
  }

  /** Ask Python for the figure's SVG, in the theme the page shows now. */
  request(format: "svg" | "png"): void {
    const nonce = ++lastNonce;
    this.pending.set(nonce, { format, scale: Number(this.scaleSelect.value) || 1 });
    this.host.report(this.source, "");
    const message: Record<string, unknown> = { type: "export_svg", theme: themeOf(this.host.root), nonce };
    if (this.figure !== undefined) message.figure = this.figure;
    this.model.send(message);
  }

  private onMessage(content: unknown): void {
    if (typeof content !== "object" || content === null) return;
    const m = content as Record<string, unknown>;
    const nonce = Number(m.nonce);
    const pending = this.pending.get(nonce);
    if (!pending || (m.type !== "svg" && m.type !== "svg_error")) return;
    this.pending.delete(nonce);
    if (m.type === "svg_error") {
      this.host.report(this.source, `Export failed: ${String(m.message ?? "unknown error")}`);
      return;
    }
    const svg = typeof m.svg === "string" ? m.svg : "";
    const name = typeof m.filename === "string" && m.filename !== "" ? m.filename : "figure.svg";
    if (svg === "") {
      this.host.report(this.source, "Export failed: the kernel sent no SVG");
      return;
    }
    if (pending.format === "svg") {
      downloadBlob(name, new Blob([svg], { type: "image/svg+xml" }));
      return;
    }
    svgToPng(svg, pending.scale).then(
      (blob) => downloadBlob(`${name.replace(/\.svg$/i, "")}.png`, blob),
      (err: unknown) =>
        this.host.report(
          this.source,
          `PNG export failed: ${err instanceof Error ? err.message : String(err)}`,
        ),
    );
  }
}

/** `svg` drawn on a canvas at `scale` times its own size, as a PNG Blob. */
export function svgToPng(svg: string, scale: number): Promise<Blob> {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
    const image = new Image();
    const done = () => URL.revokeObjectURL(url);
    image.onload = () => {
      try {
        const [w, hgt] = svgSize(svg, image);
        const canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(w * scale));
        canvas.height = Math.max(1, Math.round(hgt * scale));
        const ctx = canvas.getContext("2d");
        if (!ctx) throw new Error("no 2D canvas in this browser");
        ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
        done();
        canvas.toBlob(
          (blob) => (blob ? resolve(blob) : reject(new Error("the canvas made no PNG"))),
          "image/png",
        );
      } catch (err) {
        done();
        reject(err);
      }
    };
    image.onerror = () => {
      done();
      reject(new Error("the SVG could not be drawn"));
    };
    image.src = url;
  });
}

/** The SVG's size in CSS px: its width/height attributes, else the image's natural size. */
function svgSize(svg: string, image: HTMLImageElement): [number, number] {
  const open = /<svg\b[^>]*>/i.exec(svg)?.[0] ?? "";
  const attr = (name: string) =>
    Number.parseFloat(new RegExp(`\\b${name}="([\\d.]+)(px)?"`).exec(open)?.[1] ?? "");
  const w = attr("width") || image.naturalWidth || image.width;
  const hgt = attr("height") || image.naturalHeight || image.height;
  if (!(w > 0 && hgt > 0)) throw new Error("the SVG has no size");
  return [w, hgt];
}
