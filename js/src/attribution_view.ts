/**
 * Attribution view (anywidget front end of `interplab_widgets/widgets/attribution_view.py`).
 *
 * The prompt's tokens once per method, coloured by that method's attribution scores (diverging
 * colours, symmetric around 0 per row), each row labelled with its method, target and, for
 * integrated gradients, its completeness error and steps, with the faithfulness curves beside it.
 * Hovering a token lights it in every row and lists its scores; clicking pins it
 * (`selected_token`, view state only).
 *
 * Built on the view shell (lib/view_shell.ts): a change of methods, target, foil or baseline is a
 * request; rows that answer other choices than the current ones stay on screen dimmed, and a
 * chosen method without a row yet shows as pending until Python sends it.
 */
import type { AnyModel } from "@anywidget/types";
import { TokenDetail } from "./attribution/detail";
import { AttributionHeader } from "./attribution/header";
import { AttributionRowView } from "./attribution/row";
import { readRows } from "./attribution/traits";
import type { AttributionRow, AttributionViewTraits } from "./attribution/types";
import { ExportMenu } from "./components/export_menu";
import { HelpPanel } from "./components/help_panel";
import { methodLabel } from "./components/tracer_attribution";
import { ATTRIBUTION_HELP } from "./help/attribution_view";
import { h, tokenIndexAt } from "./lib/dom";
import { paletteOf } from "./lib/theme";
import { int, readStrings } from "./lib/traits";
import { changedAny, ViewShell, viewModule } from "./lib/view_shell";

type Model = AnyModel<AttributionViewTraits>;
type Trait = keyof AttributionViewTraits;

const TRAITS: Trait[] = [
  "methods",
  "target",
  "foil",
  "baseline",
  "selected_token",
  "_model_label",
  "_tokens",
  "_all_methods",
  "_baselines",
  "_rows",
];

class AttributionView {
  readonly shell: ViewShell<AttributionViewTraits>;

  private readonly header: AttributionHeader;
  private readonly rowsEl: HTMLDivElement;
  private readonly detail = new TokenDetail();
  private tokens: string[] = [];
  private rows: AttributionRow[] = [];
  private views: AttributionRowView[] = [];
  private hover = -1;

  constructor(
    private readonly model: Model,
    el: HTMLElement,
  ) {
    this.shell = new ViewShell(model, { name: "attribution view", className: "ilw-attribution-view" });
    const signal = this.shell.signal;
    this.header = new AttributionHeader(
      {
        onTarget: (target) => this.shell.request({ target }),
        onFoil: (foil) => this.shell.request({ foil }),
        onBaseline: (baseline) => this.shell.request({ baseline }),
        onMethod: (method, on) => this.toggleMethod(method, on),
      },
      signal,
    );
    this.rowsEl = h("div", {
      className: "ilw-attr-rows",
      attrs: { tabindex: "0", "aria-label": "Attribution rows. Click a token to pin it, Escape unpins." },
    });
    const opts = { signal };
    this.rowsEl.addEventListener(
      "mouseover",
      (e) => this.setHover(tokenIndexAt(e.target, ".ilw-signed-cell")),
      opts,
    );
    this.rowsEl.addEventListener("mouseleave", () => this.setHover(-1), opts);
    this.rowsEl.addEventListener(
      "click",
      (e) => {
        const i = tokenIndexAt(e.target, ".ilw-signed-cell");
        if (i >= 0) this.pin(this.pinned() === i ? -1 : i);
      },
      opts,
    );
    this.rowsEl.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "Escape" && this.pinned() !== -1) {
          this.pin(-1);
          e.stopPropagation();
        }
      },
      opts,
    );
    const layout = {
      header: this.header,
      help: new HelpPanel(ATTRIBUTION_HELP, signal),
      body: [h("div", { className: "ilw-attr-main" }, [this.rowsEl, this.detail.el])],
    };
    layout.header.bar.append(new ExportMenu(model, this.shell, undefined, el).el);
    this.shell.mount(el, layout, TRAITS, (changed) => this.apply(changed));
    this.shell.onTheme(() => {
      for (const view of this.views) view.repaint();
    });
  }

  // -- model → view -------------------------------------------------------------------

  private apply(dirty: Set<Trait>): void {
    const m = this.model;
    const has = changedAny(dirty);
    const methods = readStrings(m.get("methods"));
    if (has("_model_label")) this.header.setModelName(String(m.get("_model_label") ?? ""));
    if (has("target", "foil"))
      this.header.setTarget(String(m.get("target") ?? ""), String(m.get("foil") ?? ""));
    if (has("_baselines", "baseline"))
      this.header.setBaselines(readStrings(m.get("_baselines")), String(m.get("baseline") ?? ""));
    if (has("_all_methods", "methods")) this.header.setMethods(readStrings(m.get("_all_methods")), methods);

    const rebuild = has("_tokens", "_rows", "methods");
    if (has("_tokens", "_rows")) {
      this.tokens = readStrings(m.get("_tokens"));
      const rows = readRows(m.get("_rows"), this.tokens.length);
      this.shell.problems.set("rows", rows.problem);
      this.rows = rows.value ?? [];
    }
    if (rebuild) this.build(methods);
    if (rebuild || has("target", "foil", "baseline")) this.markStale(methods);
    if (rebuild || has("selected_token")) {
      const pinned = this.pinned();
      for (const view of this.views) view.setPinned(pinned);
      this.showDetail();
    }
  }

  /** One row view per chosen method, in the chosen order: its row if Python sent one, else pending. */
  private build(methods: readonly string[]): void {
    const byMethod = new Map(this.rows.map((row) => [row.method, row]));
    // Rows of methods no longer chosen stay (dimmed) until Python's answer drops them.
    const order = [...methods, ...this.rows.map((r) => r.method).filter((m) => !methods.includes(m))];
    this.views = [];
    const palette = paletteOf(this.rowsEl);
    const children = order.map((method) => {
      const row = byMethod.get(method);
      if (row === undefined) {
        return h("div", { className: "ilw-attr-row ilw-attr-pending", attrs: { "data-method": method } }, [
          h("span", { className: "ilw-attr-method", text: methodLabel(method) }),
          h("span", { className: "ilw-attr-pending-text", text: "waiting for the kernel…" }),
        ]);
      }
      const view = new AttributionRowView(row, this.tokens, palette);
      this.views.push(view);
      return view.el;
    });
    this.rowsEl.replaceChildren(...children);
    this.hover = -1;
    if (this.rows.length === 0 && methods.length === 0) {
      this.rowsEl.replaceChildren(h("div", { className: "ilw-attr-empty", text: "No methods chosen." }));
    }
  }

  private markStale(methods: readonly string[]): void {
    const m = this.model;
    const target = String(m.get("target") ?? "");
    const foil = String(m.get("foil") ?? "");
    const baseline = String(m.get("baseline") ?? "");
    for (const view of this.views) {
      const r = view.row;
      view.setStale(
        !methods.includes(r.method) || r.targetToken !== target || r.foil !== foil || r.baseline !== baseline,
      );
    }
  }

  // -- linking (view state: hover never goes to the kernel) ---------------------------

  private pinned(): number {
    return int(this.model.get("selected_token"), -1);
  }

  private setHover(index: number): void {
    if (index === this.hover) return;
    this.hover = index;
    for (const view of this.views) view.setHover(index);
    this.showDetail();
  }

  private showDetail(): void {
    const pinned = this.pinned();
    const index = this.hover >= 0 ? this.hover : pinned;
    const rows = this.views.map((v) => v.row);
    this.detail.set(index, this.tokens, rows, this.hover < 0 && pinned >= 0);
  }

  private pin(index: number): void {
    this.shell.save({ selected_token: index });
  }

  // -- view → model -------------------------------------------------------------------

  /** Keep the chosen order: an unticked method leaves it, a ticked one goes last. */
  private toggleMethod(method: string, on: boolean): void {
    const methods = readStrings(this.model.get("methods"));
    const next = on ? [...methods.filter((m) => m !== method), method] : methods.filter((m) => m !== method);
    if (next.length === 0) return;
    this.shell.request({ methods: next });
  }
}

export default viewModule<AttributionViewTraits>((model, el) => new AttributionView(model, el).shell);
