/**
 * Attention explorer view (anywidget front end of
 * `interplab_widgets/widgets/attention_explorer.py`).
 *
 * Model → view: `syncTraits` (lib/trait_sync.ts) batches `change:<trait>` events and
 * `apply` gets all dirty traits together, so traits that arrive in one message
 * (tokens with their matrix) are never shown half-updated.
 * View → model: user actions write public traits with `set` + `save_changes`.
 * Hover and the "highlight as" axis are view state and never reach the kernel.
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import { HeadGrid } from "./components/head_grid";
import { Header } from "./components/header";
import { Heatmap } from "./components/heatmap";
import { HelpPanel } from "./components/help_panel";
import { TextInput } from "./components/text_input";
import { TokenLines } from "./components/token_lines";
import { TokenStrip } from "./components/token_strip";
import { ATTENTION_HELP } from "./help/attention_explorer";
import { h } from "./lib/dom";
import { syncTraits } from "./lib/trait_sync";
import { readDetail, readHeadStats, readRoles, readStrings, readThumbnails } from "./lib/traits";
import type { AttentionExplorerTraits, Axis, DetailMatrix } from "./lib/types";

type Model = AnyModel<AttentionExplorerTraits>;
type Trait = keyof AttentionExplorerTraits;

const TRAITS: Trait[] = [
  "text",
  "selected_layer",
  "selected_head",
  "selected_token",
  "mode",
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
  "_busy",
  "_error",
];

/** A grid selection made by the user, waiting for its `_detail` to be painted. */
interface PendingSelection {
  layer: number;
  head: number;
  startedAt: number;
}

class AttentionExplorerView {
  readonly root: HTMLDivElement;
  private readonly controller = new AbortController();
  private readonly stopSync: () => void;

  private readonly header: Header;
  private readonly help: HelpPanel;
  private readonly textInput: TextInput;
  private readonly strip: TokenStrip;
  private readonly grid: HeadGrid;
  private readonly heatmap: Heatmap;
  private readonly lines: TokenLines;
  private readonly detailEl: HTMLDivElement;
  private readonly caption: HTMLDivElement;

  private tokens: string[] = [];
  private detail: DetailMatrix | null = null;
  private hover = -1;
  private axis: Axis = "query";
  private pending: PendingSelection | null = null;
  /** Problems found by the view itself (bad shapes), by source; shown under `_error`. */
  private readonly problems = new Map<string, string>();

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    const signal = this.controller.signal;
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
    this.heatmap = new Heatmap(signal);
    this.lines = new TokenLines(tokenCallbacks, signal);
    this.caption = h("div", { className: "ilw-detail-caption" });
    this.detailEl = h("div", { className: "ilw-detail" }, [
      this.caption,
      h("div", { className: "ilw-detail-views" }, [this.heatmap.el, this.lines.el]),
    ]);
    this.help = new HelpPanel(ATTENTION_HELP, signal);
    this.header.addHelpToggle(this.help.toggle);
    this.root = h(
      "div",
      // Keep JupyterLab's notebook shortcuts (arrows, Escape, a/b/d…) away from keys pressed in here.
      // tabindex -1: a click anywhere inside focuses the view, so Escape reaches it.
      {
        className: "ilw-attention-explorer ilw-view",
        attrs: { "data-lm-suppress-shortcuts": "true", tabindex: "-1" },
      },
      [
        this.header.el,
        this.help.el,
        this.textInput.el,
        this.strip.el,
        h("div", { className: "ilw-main" }, [this.grid.el, this.detailEl]),
      ],
    );
    this.root.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "Escape") this.unpin();
      },
      { signal },
    );
    el.appendChild(this.root);

    this.stopSync = syncTraits(model, TRAITS, {
      name: "attention explorer",
      apply: (changed) => this.apply(changed),
      onError: (err) => {
        this.problems.set("view", `view error: ${err.message}`);
        this.showErrors();
      },
    });
  }

  destroy(): void {
    this.stopSync();
    this.controller.abort();
    this.root.remove();
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = (...traits: Trait[]) => traits.some((t) => dirty.has(t));
    const nLayers = Number(m.get("_n_layers")) || 0;
    const nHeads = Number(m.get("_n_heads")) || 0;
    const shape = has("_n_layers", "_n_heads");
    this.problems.delete("view");

    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("text")) this.textInput.setText(String(m.get("text") ?? ""));
    if (has("_modes", "mode"))
      this.header.setModes(readStrings(m.get("_modes")), String(m.get("mode") ?? ""));
    if (has("_busy")) {
      this.header.setBusy(Boolean(m.get("_busy")));
      this.root.classList.toggle("ilw-is-busy", Boolean(m.get("_busy")));
    }
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
      this.problems.set("thumbnails", thumbs.problem);
      this.grid.setThumbnails(thumbs.value);
    }
    if (shape || has("_head_stats", "_head_stat_names", "_head_roles")) {
      const stats = readHeadStats(m.get("_head_stats"), m.get("_head_stat_names"), nLayers, nHeads);
      this.problems.set("stats", stats.problem);
      this.grid.setInfo(stats.value, readRoles(m.get("_head_roles")));
    }
    if (shape || has("selected_layer", "selected_head")) {
      this.grid.setSelected(Number(m.get("selected_layer")), Number(m.get("selected_head")));
    }
    if (has("_detail", "_tokens", "_causal")) {
      const detail = readDetail(m.get("_detail"), this.tokens.length);
      this.problems.set("detail", detail.problem);
      this.showDetail(detail.value);
    }
    this.showErrors();
    this.applyFocus();
    if (has("selected_token")) this.lines.reveal(this.pinned());
    this.reportPaint();
  }

  private showDetail(detail: DetailMatrix | null): void {
    this.detail = detail;
    this.heatmap.setMatrix(detail, Boolean(this.model.get("_causal")));
    this.lines.setMatrix(detail);
    const data = this.detailEl.dataset;
    if (detail) {
      data.layer = String(detail.layer);
      data.head = String(detail.head);
      data.mode = detail.mode;
      const which = detail.head >= 0 ? `Layer ${detail.layer}, head ${detail.head}` : `Layer ${detail.layer}`;
      this.caption.textContent = `${which} · ${detail.mode} · colour scale 0 – ${detail.max.toPrecision(3)}`;
    } else {
      delete data.layer;
      delete data.head;
      delete data.mode;
      this.caption.textContent = this.tokens.length === 0 ? "Enter a text and press Run." : "";
    }
  }

  private showErrors(): void {
    const messages = [String(this.model.get("_error") ?? ""), ...this.problems.values()];
    this.header.setError(messages.filter((s) => s !== "").join("\n"));
  }

  /** Record click-to-paint time once the `_detail` for the user's last selection is on screen. */
  private reportPaint(): void {
    const p = this.pending;
    const d = this.detail;
    if (!p || !d) return;
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
    for (const [key, value] of Object.entries(changes) as Array<[Trait, never]>) this.model.set(key, value);
    this.model.save_changes();
  }

  private select(layer: number, head: number): void {
    this.pending = { layer, head, startedAt: performance.now() };
    this.commit({ selected_layer: layer, selected_head: head });
  }

  private move(dLayer: number, dHead: number): void {
    const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), Math.max(n - 1, 0));
    const layer = clamp(
      Number(this.model.get("selected_layer")) + dLayer,
      Number(this.model.get("_n_layers")),
    );
    const head = clamp(Number(this.model.get("selected_head")) + dHead, Number(this.model.get("_n_heads")));
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

function initialize(): void {
  // All state lives in synced traits; nothing to set up per model.
}

function render({ model, el }: RenderProps<AttentionExplorerTraits>): () => void {
  const view = new AttentionExplorerView(model, el);
  return () => view.destroy();
}

export default { initialize, render };
