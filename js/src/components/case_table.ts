/**
 * The cases table: one row per case (pass/fail badge, kind and capability, prompt with its
 * original below, the check, the top next token, the signed effect) under sortable headers,
 * with a text filter above. Rows are built once per `_cases`; sorting re-appends the same row
 * elements in the new order and filtering toggles `hidden`, so a thousand cases stay cheap.
 * Arrow keys walk the rows as they are shown (sort order, filters applied); Escape is the view's.
 * The effect tints are on the diverging map of the page's palette (0 is the background); `repaint`
 * recolours them in the page's current theme (the view calls it through `ViewShell.onTheme`).
 */

import type { FailureCase } from "../failure/types";
import { divergingRgb, inkOn, type Palette, rgbCss } from "../lib/colormap";
import { h } from "../lib/dom";
import { paletteOf } from "../lib/theme";
import { visibleToken } from "../lib/token_text";
import { formatEffect, formatPercent, plural } from "./failure_format";

export type SortKey = "id" | "passed" | "kind" | "prompt" | "top" | "effect";

export interface CaseTableCallbacks {
  /** A row was clicked. */
  onSelect(id: number): void;
  /** ArrowDown (+1) or ArrowUp (-1): select the next or previous shown row. */
  onMove(delta: 1 | -1): void;
}

interface Row {
  c: FailureCase;
  el: HTMLTableRowElement;
  /** The effect cell, tinted by the effect's sign and size. */
  effect: HTMLTableCellElement;
  /** Lower-cased prompt, original, kind and capability, for the text filter. */
  search: string;
}

/** Columns: sort key (null: not sortable), header text, header tooltip. */
const COLUMNS: ReadonlyArray<[SortKey | null, string, string]> = [
  ["id", "#", "Case id"],
  ["passed", "result", "Did the model pass the check?"],
  ["kind", "kind", "Perturbation kind and CheckList capability"],
  ["prompt", "prompt", "The tested prompt, and below it the original it was made from"],
  [null, "expected", "What the check asks of the model"],
  ["top", "top token", "The model's most likely next token for the tested prompt"],
  ["effect", "effect", "Signed effect size (perturbed − original)"],
];

/** What the CheckList capabilities test, for tooltips. */
const CAPABILITIES: Record<string, string> = {
  MFT: "minimum functionality test: a simple case the model should get right",
  INV: "invariance test: the perturbation should not change the answer",
  DIR: "directional test: the perturbation should move the answer a known way",
  BIAS: "bias probe: swapping a group term should not shift the answer",
};

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** NaN sorts as the smallest number, so comparisons stay consistent. */
const num = (x: number) => (Number.isNaN(x) ? Number.NEGATIVE_INFINITY : x);

const COMPARE: Record<SortKey, (a: FailureCase, b: FailureCase) => number> = {
  id: (a, b) => a.id - b.id,
  passed: (a, b) => Number(a.passed) - Number(b.passed),
  kind: (a, b) => collator.compare(a.kind, b.kind),
  prompt: (a, b) => collator.compare(a.prompt, b.prompt),
  top: (a, b) => collator.compare(a.top, b.top),
  effect: (a, b) => num(a.effect) - num(b.effect),
};

/** The order before any header is clicked, and every sort's tie-break: failures, then largest |effect|, then id. */
export function defaultOrder(a: FailureCase, b: FailureCase): number {
  return (
    Number(a.passed) - Number(b.passed) || num(Math.abs(b.effect)) - num(Math.abs(a.effect)) || a.id - b.id
  );
}

export class CaseTable {
  readonly el: HTMLDivElement;
  private readonly filterInput: HTMLInputElement;
  private readonly count: HTMLSpanElement;
  private readonly scroller: HTMLDivElement;
  private readonly headers = new Map<SortKey, HTMLTableCellElement>();
  private readonly body: HTMLTableSectionElement;
  private readonly empty: HTMLDivElement;
  /** Rows in the order shown (hidden ones included). */
  private rows: Row[] = [];
  private readonly byId = new Map<number, Row>();
  private sort: { key: SortKey; descending: boolean } | null = null;
  private kind = "";
  private query = "";
  private selected: Row | null = null;

  constructor(callbacks: CaseTableCallbacks, signal: AbortSignal) {
    this.filterInput = h("input", {
      className: "ilw-case-filter",
      attrs: { type: "search", placeholder: "filter by prompt or kind…", "aria-label": "Filter cases" },
    });
    this.filterInput.addEventListener("input", () => this.setQuery(this.filterInput.value), { signal });
    this.filterInput.addEventListener(
      "keydown",
      (e) => {
        // Escape empties a non-empty filter; on an empty one it bubbles up and clears the selection.
        if (e.key !== "Escape" || this.filterInput.value === "") return;
        this.filterInput.value = "";
        this.setQuery("");
        e.preventDefault();
        e.stopPropagation();
      },
      { signal },
    );
    this.count = h("span", { className: "ilw-case-count" });

    const headRow = h(
      "tr",
      {},
      COLUMNS.map(([key, text, tip]) => {
        if (key === null) return h("th", { text, attrs: { scope: "col", title: tip } });
        const th = h("th", { attrs: { scope: "col", "data-sort": key, title: tip } }, [
          h("button", { className: "ilw-sort", text, attrs: { type: "button" } }),
        ]);
        this.headers.set(key, th);
        return th;
      }),
    );
    headRow.addEventListener(
      "click",
      (e) => {
        const th = e.target instanceof Element ? e.target.closest<HTMLElement>("th[data-sort]") : null;
        if (th) this.sortBy(th.dataset.sort as SortKey);
      },
      { signal },
    );
    this.body = h("tbody");
    this.body.addEventListener(
      "click",
      (e) => {
        const tr = e.target instanceof Element ? e.target.closest<HTMLElement>("tr.ilw-case") : null;
        if (!tr) return;
        this.scroller.focus({ preventScroll: true });
        callbacks.onSelect(Number(tr.dataset.case));
      },
      { signal },
    );
    this.empty = h("div", { className: "ilw-case-empty", attrs: { hidden: "" } });
    this.scroller = h(
      "div",
      {
        className: "ilw-case-scroll",
        attrs: {
          tabindex: "0",
          "aria-label": "Cases. Arrow keys move the selected case, Escape clears it.",
        },
      },
      [h("table", { className: "ilw-cases" }, [h("thead", {}, [headRow]), this.body]), this.empty],
    );
    this.scroller.addEventListener(
      "keydown",
      (e) => {
        if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
        callbacks.onMove(e.key === "ArrowDown" ? 1 : -1);
        e.preventDefault();
      },
      { signal },
    );
    this.el = h("div", { className: "ilw-case-table" }, [
      h("div", { className: "ilw-case-toolbar" }, [this.filterInput, this.count]),
      this.scroller,
    ]);
  }

  /** Rebuild every row; sort, filters and selection carry over. */
  setCases(cases: readonly FailureCase[]): void {
    this.byId.clear();
    const palette = paletteOf(this.el);
    this.rows = cases.map((c) => {
      const effect = effectCell(c, palette);
      const row = {
        c,
        el: caseRow(c, effect),
        effect,
        search: [c.prompt, c.original, c.kind, c.capability].join("\n").toLowerCase(),
      };
      this.byId.set(c.id, row);
      return row;
    });
    const selected = this.selected?.c.id;
    this.selected = null;
    this.body.replaceChildren();
    this.order();
    this.filter();
    if (selected !== undefined) this.setSelected(selected);
  }

  /** Recolour the effect tints in the page's current palette (after a theme change). */
  repaint(): void {
    const palette = paletteOf(this.el);
    for (const row of this.rows) paintEffect(row.effect, row.c.effect, palette);
  }

  /** Show only cases of `kind` ("" for all). */
  setKind(kind: string): void {
    this.kind = kind;
    this.filter();
  }

  /** Mark case `id` (-1 or an unknown id: none); touches only the old and the new row. */
  setSelected(id: number): void {
    const row = this.byId.get(id) ?? null;
    if (row === this.selected) return;
    this.selected?.el.classList.remove("ilw-selected");
    this.selected?.el.removeAttribute("aria-selected");
    row?.el.classList.add("ilw-selected");
    row?.el.setAttribute("aria-selected", "true");
    this.selected = row;
  }

  /**
   * The id of the shown row `delta` rows from case `id`, or null past either end. From a case
   * that is not shown, down goes to the first shown row and up to the last.
   */
  neighbour(id: number, delta: 1 | -1): number | null {
    const shown = this.rows.filter((r) => !r.el.hidden);
    const at = shown.findIndex((r) => r.c.id === id);
    const next = at < 0 ? (delta > 0 ? shown[0] : shown[shown.length - 1]) : shown[at + delta];
    return next ? next.c.id : null;
  }

  /** Scroll case `id`'s row into view within the table (for keyboard moves). */
  reveal(id: number): void {
    const el = this.byId.get(id)?.el;
    if (el && typeof el.scrollIntoView === "function") el.scrollIntoView({ block: "nearest" });
  }

  /** A header click: sort by `key`, or reverse when it already sorts. Effects start largest first. */
  private sortBy(key: SortKey): void {
    this.sort =
      this.sort?.key === key
        ? { key, descending: !this.sort.descending }
        : { key, descending: key === "effect" };
    this.order();
  }

  private order(): void {
    const sort = this.sort;
    if (sort === null) {
      this.rows.sort((a, b) => defaultOrder(a.c, b.c));
    } else {
      const compare = COMPARE[sort.key];
      const sign = sort.descending ? -1 : 1;
      this.rows.sort((a, b) => sign * compare(a.c, b.c) || defaultOrder(a.c, b.c));
    }
    this.body.append(...this.rows.map((r) => r.el));
    for (const [key, th] of this.headers) {
      if (key === sort?.key) th.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    }
  }

  private setQuery(text: string): void {
    this.query = text.trim().toLowerCase();
    this.filter();
  }

  private filter(): void {
    let shown = 0;
    for (const row of this.rows) {
      const hide =
        (this.kind !== "" && row.c.kind !== this.kind) ||
        (this.query !== "" && !row.search.includes(this.query));
      if (row.el.hidden !== hide) row.el.hidden = hide;
      if (!hide) shown++;
    }
    const n = this.rows.length;
    this.count.textContent =
      shown === n ? plural(n, "case") : `showing ${shown.toLocaleString("en-US")} of ${plural(n, "case")}`;
    this.empty.hidden = shown > 0;
    this.empty.textContent = n === 0 ? "No cases yet." : "No case matches the filter.";
  }
}

/**
 * Tint `cell` by `effect` at half strength: a tint to scan by, light enough that the number stays
 * readable (its text colour follows the tint's luminance). No effect, no tint, so a selected row's
 * highlight shows through.
 */
function paintEffect(cell: HTMLElement, effect: number, palette: Palette): void {
  if (effect === 0 || Number.isNaN(effect)) {
    cell.style.backgroundColor = "";
    cell.style.color = "";
    return;
  }
  const rgb = divergingRgb(effect / 2, palette);
  cell.style.backgroundColor = rgbCss(rgb);
  cell.style.color = inkOn(rgb, palette);
}

function effectCell(c: FailureCase, palette: Palette): HTMLTableCellElement {
  const cell = h("td", {
    className: `ilw-num ilw-case-effect${c.effect < 0 ? " ilw-negative" : ""}`,
    text: formatEffect(c.effect),
  });
  paintEffect(cell, c.effect, palette);
  return cell;
}

function caseRow(c: FailureCase, effect: HTMLTableCellElement): HTMLTableRowElement {
  const prompt = h("td", { className: "ilw-case-prompt-cell" }, [
    h("div", { className: "ilw-case-prompt", text: visibleToken(c.prompt) }),
  ]);
  if (c.original !== "") {
    prompt.append(h("div", { className: "ilw-case-original", text: visibleToken(c.original) }));
  }
  const expected = h("td", { className: "ilw-case-expected-cell" }, [
    h("div", { className: "ilw-case-expected", text: c.expected }),
  ]);
  if (c.detail !== "") expected.append(h("div", { className: "ilw-case-detail", text: c.detail }));
  return h(
    "tr",
    {
      className: c.passed ? "ilw-case" : "ilw-case ilw-failed",
      attrs: { "data-case": String(c.id) },
    },
    [
      h("td", { className: "ilw-num ilw-case-id", text: String(c.id) }),
      h("td", {}, [
        h("span", {
          className: c.passed ? "ilw-badge ilw-badge-pass" : "ilw-badge ilw-badge-fail",
          text: c.passed ? "✓ pass" : "✗ fail",
        }),
      ]),
      h("td", {}, [
        h("span", { className: "ilw-case-kind", text: c.kind }),
        h("span", {
          className: "ilw-case-capability",
          text: c.capability,
          attrs: { title: CAPABILITIES[c.capability] ?? c.capability },
        }),
      ]),
      prompt,
      expected,
      h("td", { className: "ilw-case-top-cell" }, [
        h("span", { className: "ilw-case-top", text: visibleToken(c.top) }),
        h("span", { className: "ilw-case-top-prob", text: formatPercent(c.topProb) }),
      ]),
      effect,
    ],
  );
}
