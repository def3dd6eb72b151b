/**
 * The list of latents: one table row per latent (index, density, max activation, the tokens it
 * fires on most in its top contexts), sortable by the column headers, filtered by a substring of the
 * top-token summary or an exact index, shown a page at a time. A click on a row (or Enter / Space on
 * it) selects the latent. Token text via `textContent` only.
 */
import { h } from "../lib/dom";
import { formatActivation, formatCount, formatDensity, topTokenSummary } from "./format";
import { tokenText } from "./tokens";
import type { Features, SortKey } from "./types";

/** Rows rendered at first, and added by each "Show more". */
export const PAGE = 300;

export interface FeatureListCallbacks {
  onSort(key: SortKey): void;
  onSelect(feature: number): void;
}

const COLUMNS: ReadonlyArray<[SortKey | null, string, string]> = [
  ["index", "#", "Sort by index"],
  ["density", "density", "Sort by density: the share of tokens where the feature fires"],
  ["max_activation", "max act.", "Sort by max activation"],
  [null, "top tokens", ""],
];

/** Latent indices in the order `key` sorts them: index ascending, the numeric columns descending. */
export function sortedIndices(features: Features, key: SortKey): number[] {
  const order = Array.from({ length: features.nLatents }, (_, i) => i);
  if (key === "index") return order;
  const values = key === "density" ? features.density : features.maxActivation;
  // NaN sorts last; ties keep index order.
  const v = (i: number) => {
    const x = values[i] as number;
    return Number.isNaN(x) ? Number.NEGATIVE_INFINITY : x;
  };
  return order.sort((a, b) => v(b) - v(a) || a - b);
}

/** The top-token cell: each token (visible whitespace) with its count, " · " between them. */
function summaryCell(features: Features, i: number): HTMLTableCellElement {
  const tops = features.topTokens[i] ?? [];
  const parts: Node[] = [];
  tops.forEach((t, j) => {
    if (j > 0) parts.push(document.createTextNode(" · "));
    parts.push(tokenText("ilw-feature-top-token", t.token), document.createTextNode(` ×${t.count}`));
  });
  return h(
    "td",
    {
      className: "ilw-feature-tops",
      attrs: { title: `how often each token is the focus of the feature's top ${features.topK} contexts` },
    },
    parts,
  );
}

export class FeatureList {
  readonly el: HTMLDivElement;
  private readonly filterInput: HTMLInputElement;
  private readonly headers = new Map<SortKey, HTMLTableCellElement>();
  private readonly body: HTMLTableSectionElement;
  private readonly countEl: HTMLSpanElement;
  private readonly moreButton: HTMLButtonElement;
  private features: Features | null = null;
  /** Per latent, the text the filter searches (lower case). */
  private summaries: string[] = [];
  private sortKey: SortKey = "index";
  private filter = "";
  private limit = PAGE;
  private selected = -1;
  private rows = new Map<number, HTMLTableRowElement>();

  constructor(callbacks: FeatureListCallbacks, signal: AbortSignal) {
    const opts = { signal };
    this.filterInput = h("input", {
      className: "ilw-feature-filter",
      attrs: {
        type: "search",
        placeholder: "filter: token or #",
        "aria-label": "Filter features by top token or index",
      },
    });
    this.filterInput.addEventListener(
      "input",
      () => {
        this.filter = this.filterInput.value;
        this.limit = PAGE;
        this.render();
      },
      opts,
    );
    const headRow = h(
      "tr",
      {},
      COLUMNS.map(([key, label, title]) => {
        if (key === null) return h("th", { text: label, attrs: { scope: "col" } });
        const th = h("th", { attrs: { scope: "col", "data-sort": key } }, [
          h("button", { className: "ilw-feature-sort", text: label, attrs: { type: "button", title } }),
        ]);
        this.headers.set(key, th);
        return th;
      }),
    );
    headRow.addEventListener(
      "click",
      (e) => {
        const th = (e.target as Element | null)?.closest<HTMLElement>("th[data-sort]");
        const key = th?.dataset.sort as SortKey | undefined;
        if (key !== undefined) callbacks.onSort(key);
      },
      opts,
    );
    this.body = h("tbody");
    const rowFeature = (e: Event) => {
      const row = (e.target as Element | null)?.closest<HTMLElement>("tr.ilw-feature-row");
      const index = Number(row?.dataset.feature);
      return Number.isInteger(index) ? index : -1;
    };
    this.body.addEventListener(
      "click",
      (e) => {
        const index = rowFeature(e);
        if (index >= 0) callbacks.onSelect(index);
      },
      opts,
    );
    this.body.addEventListener(
      "keydown",
      (e) => {
        if (e.key !== "Enter" && e.key !== " ") return;
        const index = rowFeature(e);
        if (index < 0) return;
        e.preventDefault();
        callbacks.onSelect(index);
      },
      opts,
    );
    this.moreButton = h("button", {
      className: "ilw-feature-more",
      text: `Show more`,
      attrs: { type: "button", title: `Show ${PAGE} more features`, hidden: "" },
    });
    this.moreButton.addEventListener(
      "click",
      () => {
        this.limit += PAGE;
        this.render();
      },
      opts,
    );
    this.countEl = h("span", { className: "ilw-feature-count" });
    this.el = h("div", { className: "ilw-feature-list" }, [
      this.filterInput,
      h("div", { className: "ilw-feature-table-box" }, [
        h("table", { className: "ilw-feature-table" }, [h("thead", {}, [headRow]), this.body]),
      ]),
      h("div", { className: "ilw-feature-list-foot" }, [this.countEl, this.moreButton]),
    ]);
    this.markSort();
  }

  setFeatures(features: Features | null): void {
    this.features = features;
    this.summaries = features ? features.topTokens.map((t) => topTokenSummary(t).toLowerCase()) : [];
    this.limit = PAGE;
    this.render();
  }

  setSort(key: SortKey): void {
    if (key === this.sortKey) return;
    this.sortKey = key;
    this.markSort();
    this.render();
  }

  setSelected(feature: number): void {
    this.rows.get(this.selected)?.classList.remove("ilw-selected");
    this.rows.get(this.selected)?.setAttribute("aria-selected", "false");
    this.selected = feature;
    this.rows.get(feature)?.classList.add("ilw-selected");
    this.rows.get(feature)?.setAttribute("aria-selected", "true");
  }

  private markSort(): void {
    for (const [key, th] of this.headers) {
      const sorted = key === this.sortKey;
      th.classList.toggle("ilw-sorted", sorted);
      if (sorted) th.setAttribute("aria-sort", key === "index" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
  }

  /** The latents that pass the filter, in sort order. */
  private visible(features: Features): number[] {
    const order = sortedIndices(features, this.sortKey);
    const query = this.filter.toLowerCase();
    if (query.trim() === "") return order;
    const index = query.trim().replace(/^#/, "");
    return order.filter((i) => (this.summaries[i] ?? "").includes(query) || String(i) === index);
  }

  private render(): void {
    const f = this.features;
    this.rows = new Map();
    if (f === null) {
      this.body.replaceChildren();
      this.countEl.textContent = "";
      this.moreButton.hidden = true;
      return;
    }
    const shown = this.visible(f);
    const page = shown.slice(0, this.limit);
    this.body.replaceChildren(
      ...page.map((i) => {
        const selected = i === this.selected;
        const row = h(
          "tr",
          {
            className: `ilw-feature-row${selected ? " ilw-selected" : ""}`,
            attrs: { "data-feature": String(i), tabindex: "0", "aria-selected": String(selected) },
          },
          [
            h("td", { className: "ilw-feature-index", text: String(i) }),
            h("td", { className: "ilw-feature-density", text: formatDensity(f.density[i] as number) }),
            h("td", { className: "ilw-feature-max", text: formatActivation(f.maxActivation[i] as number) }),
            summaryCell(f, i),
          ],
        );
        this.rows.set(i, row);
        return row;
      }),
    );
    const of = shown.length === f.nLatents ? "" : ` (${formatCount(f.nLatents)} in all)`;
    this.countEl.textContent = `${formatCount(page.length)} of ${formatCount(shown.length)} features${of}`;
    this.moreButton.hidden = page.length >= shown.length;
  }
}
