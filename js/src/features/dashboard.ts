/**
 * The selected latent's dashboard, as Python computed it (`_dashboard`): its density and max
 * activation, the activation histogram, the output tokens its decoder direction promotes and
 * suppresses, its top-activating contexts and samples from lower activation ranges. Token text via
 * `textContent` only.
 */
import type { Palette } from "../lib/colormap";
import { h } from "../lib/dom";
import { paletteOf } from "../lib/theme";
import { formatActivation, formatDensity, formatSigned } from "./format";
import { histogramSvg } from "./histogram";
import { contextRow, tokenText } from "./tokens";
import type { Context, Dashboard, LogitEffect } from "./types";

export const EMPTY_HINT =
  "Click a feature in the list, or a feature chip under a prompt token, to see its dashboard.";

export interface DashboardState {
  dashboard: Dashboard | null;
  /** `selected_feature`: -1 for none. */
  selected: number;
  /** A request is unanswered (another latent's dashboard is about to arrive). */
  busy: boolean;
}

function heading(text: string): HTMLDivElement {
  return h("div", { className: "ilw-feature-heading", text });
}

function hint(text: string): HTMLSpanElement {
  return h("span", { className: "ilw-feature-hint", text });
}

function logitList(className: string, title: string, effects: readonly LogitEffect[]): HTMLDivElement {
  const items = effects.map((e) =>
    h("li", {}, [
      tokenText("ilw-feature-logit-token", e.token),
      h("span", { className: "ilw-feature-logit-value", text: formatSigned(e.logit) }),
    ]),
  );
  return h("div", { className: "ilw-feature-logits" }, [
    heading(title),
    items.length > 0 ? h("ol", { className: className }, items) : hint("none"),
  ]);
}

/** The rows of `contexts`, coloured on one scale up to `max`. */
function contextRows(contexts: readonly Context[], max: number, palette: Palette): HTMLElement[] {
  return contexts.length > 0 ? contexts.map((c) => contextRow(c, max, palette)) : [hint("no contexts")];
}

/** The colour scale's top: the latent's max activation, else the largest value shown. */
function scaleOf(d: Dashboard): number {
  if (d.maxActivation > 0) return d.maxActivation;
  const all = [...d.contexts, ...d.quantiles.flatMap((q) => q.contexts)].flatMap((c) => c.values);
  return Math.max(0, ...all.filter((v) => Number.isFinite(v)));
}

export class FeatureDashboard {
  readonly el: HTMLDivElement;

  constructor() {
    this.el = h("div", { className: "ilw-feature-dashboard", attrs: { "aria-live": "polite" } });
    this.set({ dashboard: null, selected: -1, busy: false });
  }

  set({ dashboard, selected, busy }: DashboardState): void {
    this.el.classList.toggle("ilw-stale", dashboard !== null && dashboard.feature !== selected);
    if (dashboard === null) {
      this.el.removeAttribute("data-feature");
      const waiting = selected >= 0 && busy;
      this.el.replaceChildren(
        ...(waiting ? [h("div", { className: "ilw-feature-title", text: `Feature ${selected}` })] : []),
        hint(waiting ? "waiting for the kernel…" : EMPTY_HINT),
      );
      return;
    }
    const d = dashboard;
    const max = scaleOf(d);
    const palette = paletteOf(this.el);
    this.el.dataset.feature = String(d.feature);
    this.el.replaceChildren(
      h("div", { className: "ilw-feature-title", text: `Feature ${d.feature}` }),
      h("div", {
        className: "ilw-feature-stats",
        text: `density ${formatDensity(d.density)} · max activation ${formatActivation(d.maxActivation)}`,
      }),
      h("div", { className: "ilw-feature-overview" }, [
        h("div", { className: "ilw-feature-histogram-box" }, [
          heading("activations where it fires"),
          d.histogram && d.histogram.counts.length > 0
            ? histogramSvg(d.histogram, palette)
            : hint("never fires"),
        ]),
        logitList("ilw-feature-promoted", "promoted tokens", d.promoted),
        logitList("ilw-feature-suppressed", "suppressed tokens", d.suppressed),
      ]),
      h("div", { className: "ilw-feature-contexts" }, [
        heading("top activations"),
        ...contextRows(d.contexts, max, palette),
      ]),
      ...d.quantiles.map((q) =>
        h("div", { className: "ilw-feature-quantile" }, [
          heading(q.label),
          ...contextRows(q.contexts, max, palette),
        ]),
      ),
    );
  }
}
