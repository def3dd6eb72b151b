/**
 * Attention explorer view (anywidget front end of
 * `interplab_widgets/widgets/attention_explorer.py`).
 *
 * Built on the view shell (lib/view_shell.ts): it batches `change:<trait>` events so traits that
 * arrive in one message (tokens with their matrix) are never shown half-updated, and every user
 * action is a request (`shell.request`). Hover and the "highlight as" axis are view state and
 * never reach the kernel.
 */
import type { AnyModel } from "@anywidget/types";
import { readDetail, readDetailLines, readHeadStats, readRoles, readThumbnails } from "./attention/traits";
import type { AttentionExplorerTraits, DetailLines, DetailViewport } from "./attention/types";
import { ExportMenu } from "./components/export_menu";
import { HeadGrid } from "./components/head_grid";
import { Header } from "./components/header";
import { Heatmap } from "./components/heatmap";
import { HelpPanel } from "./components/help_panel";
import { ScaleControls } from "./components/scale_controls";
import { ScaleLegend } from "./components/scale_legend";
import { TextInput } from "./components/text_input";
import { TokenLines } from "./components/token_lines";
import { TokenStrip } from "./components/token_strip";
import { ATTENTION_HELP } from "./help/attention_explorer";
import { h } from "./lib/dom";
import { readScale } from "./lib/scale";
import { clampIndex, readInts, readStrings } from "./lib/traits";
import type { Axis } from "./lib/types";
import { changedAny, ViewShell, viewModule } from "./lib/view_shell";

type Model = AnyModel<AttentionExplorerTraits>;
type Trait = keyof AttentionExplorerTraits;

const TRAITS: Trait[] = [
  "text",
  "selected_layer",
  "selected_head",
  "selected_token",
  "mode",
  "detail_window",
  "color_scale",
  "normalize_rows",
  "_model_label",
  "_n_layers",
  "_n_heads",
  "_causal",
  "_tokens",
  "_modes",
  "_thumbnails",
  "_head_stats",
  "_head_stat_names",
  "_head_roles",
  "_detail",
  "_detail_lines",
];

/** A grid selection made by the user, waiting for its `_detail` to be painted. */
interface PendingSelection {
  layer: number;
  head: number;
  startedAt: number;
}

class AttentionExplorerView {
  readonly shell: ViewShell<AttentionExplorerTraits>;
  private readonly header: Header;
  private readonly textInput: TextInput;
  private readonly strip: TokenStrip;
  private readonly grid: HeadGrid;
  private readonly heatmap: Heatmap;
  private readonly lines: TokenLines;
  private readonly detailEl: HTMLDivElement;
  private readonly caption: HTMLDivElement;
  private readonly scaleControls: ScaleControls;
  private readonly legend = new ScaleLegend();

  private tokens: string[] = [];
  private detail: DetailViewport | null = null;
  private detailLines: DetailLines | null = null;
  private hover = -1;
  private axis: Axis = "query";
  private pending: PendingSelection | null = null;

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    this.shell = new ViewShell(model, { name: "attention explorer", className: "ilw-attention-explorer" });
    const signal = this.shell.signal;
    this.header = new Header(
      {
        onMode: (mode) => this.commit({ mode }),
        onAxis: (axis) => {
          this.axis = axis;
          this.applyFocus();
        },
      },
      signal,
    );
    this.textInput = new TextInput((text) => this.commit({ text }), signal);
    const tokenCallbacks = {
      onHover: (i: number) => this.setHover(i),
      onPin: (i: number) => this.togglePin(i),
    };
    this.strip = new TokenStrip(tokenCallbacks, signal);
    this.grid = new HeadGrid(
      { onSelect: (layer, head) => this.select(layer, head), onMove: (dl, dh) => this.move(dl, dh) },
      signal,
    );
    this.heatmap = new Heatmap(signal, { onWindow: (w) => this.commit({ detail_window: w }) });
    this.lines = new TokenLines(tokenCallbacks, signal);
    this.caption = h("div", { className: "ilw-detail-caption" });
    // Scale and row normalisation are view state: saved, never a request (Python does not recompute).
    this.scaleControls = new ScaleControls(
      {
        onScale: (color_scale) => this.shell.save({ color_scale }),
        onNormaliseRows: (normalize_rows) => this.shell.save({ normalize_rows }),
      },
      signal,
      true,
    );
    this.header.bar.append(this.scaleControls.el);
    const gridExport = new ExportMenu(model, this.shell, "grid", el);
    const detailExport = new ExportMenu(model, this.shell, "detail", el);
    this.detailEl = h("div", { className: "ilw-detail" }, [
      h("div", { className: "ilw-figure-bar" }, [this.caption, detailExport.el]),
      h("div", { className: "ilw-detail-views" }, [this.heatmap.el, this.lines.el]),
      this.legend.el,
    ]);
    const gridPanel = h("div", { className: "ilw-grid-panel" }, [
      h("div", { className: "ilw-figure-bar" }, [h("span", { text: "heads" }), gridExport.el]),
      this.grid.el,
    ]);
    this.shell.root.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "Escape") this.unpin();
      },
      { signal },
    );
    const layout = {
      header: this.header,
      help: new HelpPanel(ATTENTION_HELP, signal),
      body: [
        this.textInput.el,
        this.strip.el,
        h("div", { className: "ilw-main" }, [gridPanel, this.detailEl]),
      ],
    };
    this.shell.mount(el, layout, TRAITS, (changed) => this.apply(changed));
    this.shell.onTheme(() => {
      this.grid.repaint();
      this.heatmap.paint();
      this.legend.repaint();
    });
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = changedAny(dirty);
    const nLayers = Number(m.get("_n_layers")) || 0;
    const nHeads = Number(m.get("_n_heads")) || 0;
    const shape = has("_n_layers", "_n_heads");
    const problems = this.shell.problems;

    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("text")) this.textInput.setText(String(m.get("text") ?? ""));
    if (has("_modes", "mode"))
      this.header.setModes(readStrings(m.get("_modes")), String(m.get("mode") ?? ""));
    if (has("_tokens")) {
      this.tokens = readStrings(m.get("_tokens"));
      this.hover = -1;
      this.header.setTokenCount(this.tokens.length);
      this.strip.setTokens(this.tokens);
      this.lines.setTokens(this.tokens);
      this.heatmap.setTokens(this.tokens);
    }
    if (shape) this.grid.setShape(nLayers, nHeads);
    if (shape || has("_thumbnails")) {
      const thumbs = readThumbnails(m.get("_thumbnails"), nLayers, nHeads);
      problems.set("thumbnails", thumbs.problem);
      this.grid.setThumbnails(thumbs.value);
    }
    if (shape || has("_head_stats", "_head_stat_names", "_head_roles")) {
      const stats = readHeadStats(m.get("_head_stats"), m.get("_head_stat_names"), nLayers, nHeads);
      const roles = readRoles(m.get("_head_roles"));
      problems.set("stats", stats.problem);
      problems.set("roles", roles.problem);
      this.grid.setInfo(stats.value, roles.value ?? []);
    }
    if (shape || has("selected_layer", "selected_head")) {
      this.grid.setSelected(Number(m.get("selected_layer")), Number(m.get("selected_head")));
    }
    if (has("detail_window")) this.heatmap.setRequested(readInts(m.get("detail_window")));
    if (has("_detail", "_tokens", "_causal")) {
      const detail = readDetail(m.get("_detail"), this.tokens.length);
      problems.set("detail", detail.problem);
      this.showDetail(detail.value);
    }
    if (has("_detail_lines", "_detail", "_tokens")) {
      const lines = readDetailLines(m.get("_detail_lines"), this.tokens.length);
      problems.set("lines", lines.problem);
      this.detailLines = lines.value;
      this.showLines();
    }
    if (has("color_scale", "normalize_rows", "_detail")) this.applyScale();
    this.applyFocus();
    if (has("selected_token")) this.lines.reveal(this.pinned());
    this.reportPaint();
  }

  /** Colour scale and row normalisation on the thumbnails, the heatmap and the legend. */
  private applyScale(): void {
    const scale = readScale(this.model.get("color_scale"));
    const rows = Boolean(this.model.get("normalize_rows"));
    this.scaleControls.set(scale, rows);
    this.grid.setScale(scale, rows);
    this.heatmap.setScale(scale, rows);
    const max = this.detail?.scaleMax ?? null;
    this.legend.set({ scale, max, rowsNormalised: rows, of: "each head's maximum" });
  }

  private showDetail(detail: DetailViewport | null): void {
    this.detail = detail;
    this.heatmap.setData(detail, Boolean(this.model.get("_causal")));
    const data = this.detailEl.dataset;
    if (detail) {
      data.layer = String(detail.layer);
      data.head = String(detail.head);
      data.mode = detail.mode;
      this.caption.textContent = captionText(detail);
    } else {
      delete data.layer;
      delete data.head;
      delete data.mode;
      this.caption.textContent = this.tokens.length === 0 ? "Enter a text and press Run." : "";
    }
  }

  /** Lines for the matrix on screen only: lines of another head or mode next to it would mislead. */
  private showLines(): void {
    const d = this.detail;
    const l = this.detailLines;
    const matches = l !== null && d !== null && l.layer === d.layer && l.head === d.head && l.mode === d.mode;
    this.lines.setLines(matches ? l : null);
  }

  /**
   * Record click-to-paint time once the `_detail` answering the user's last selection is on
   * screen: a reply to an older request that happens to match does not count.
   */
  private reportPaint(): void {
    const p = this.pending;
    const d = this.detail;
    if (!p || !d || !this.shell.isCurrent()) return;
    const matches =
      d.layer === p.layer && (d.head === p.head || d.head === -1) && d.mode === this.model.get("mode");
    if (!matches) return;
    this.detailEl.dataset.paintMs = (performance.now() - p.startedAt).toFixed(1);
    this.pending = null;
  }

  // -- view state ---------------------------------------------------------------------

  private pinned(): number {
    const i = Number(this.model.get("selected_token"));
    return Number.isInteger(i) && i >= 0 && i < this.tokens.length ? i : -1;
  }

  private setHover(i: number): void {
    if (i === this.hover) return;
    this.hover = i;
    this.applyFocus();
  }

  private applyFocus(): void {
    const n = this.tokens.length;
    const hover = this.hover < n ? this.hover : -1;
    const pinned = this.pinned();
    const focus = hover >= 0 ? hover : pinned;
    this.strip.setHover(hover);
    this.strip.setPinned(pinned);
    this.grid.setFocus(focus, this.axis, n);
    this.heatmap.setFocus({ hover, pinned, axis: this.axis });
    this.lines.setFocus(focus, this.axis);
  }

  // -- view → model -------------------------------------------------------------------

  private commit(changes: Partial<AttentionExplorerTraits>): void {
    this.shell.request(changes);
  }

  private select(layer: number, head: number): void {
    this.pending = { layer, head, startedAt: performance.now() };
    this.commit({ selected_layer: layer, selected_head: head });
  }

  private move(dLayer: number, dHead: number): void {
    const layer = clampIndex(
      Number(this.model.get("selected_layer")) + dLayer,
      Number(this.model.get("_n_layers")),
    );
    const head = clampIndex(
      Number(this.model.get("selected_head")) + dHead,
      Number(this.model.get("_n_heads")),
    );
    if (layer === this.model.get("selected_layer") && head === this.model.get("selected_head")) return;
    this.select(layer, head);
  }

  private togglePin(i: number): void {
    this.commit({ selected_token: this.pinned() === i ? -1 : i });
  }

  private unpin(): void {
    if (this.model.get("selected_token") !== -1) this.commit({ selected_token: -1 });
  }
}

export default viewModule<AttentionExplorerTraits>((model, el) => new AttentionExplorerView(model, el).shell);

/**
 * "Layer 1, head 3 · raw · colour scale 0 – 0.912", then which tokens the cells cover: when zoomed,
 * "tokens 100–199 × 0–255" (inclusive), and whether the cells are exact values or block maxima.
 */
export function captionText(d: DetailViewport): string {
  const which = d.head >= 0 ? `Layer ${d.layer}, head ${d.head}` : `Layer ${d.layer}`;
  const parts = [which, d.mode, `colour scale 0 – ${d.scaleMax.toPrecision(3)}`];
  const w = d.window;
  if (w) {
    const [q0, q1, k0, k1] = w.bounds;
    parts.push(`tokens ${q0}–${q1 - 1} × ${k0}–${k1 - 1}`, w.exact ? "exact" : "block maxima");
  } else if (!d.overview.exact) {
    parts.push("block maxima (zoom in for single tokens)");
  }
  return parts.join(" · ");
}
