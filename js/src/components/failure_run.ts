/**
 * One run of the side-by-side (the original or the perturbed prompt): its tokens with those
 * that differ from the other run marked, its top next tokens, and the logit lens at the answer
 * position, one row per lens row with the top-1 token and a bar for the target's probability.
 */

import type { FailureRun } from "../failure/types";
import { h } from "../lib/dom";
import { visibleToken } from "../lib/token_text";
import { formatPercent } from "./failure_format";
import { lensRowLabel } from "./lens_heatmap";
import { quoteToken } from "./patch_labels";

export type RunName = "original" | "perturbed";

/** A bar of width `p` (0..1, clamped) in a track; `className` names the bar. */
function bar(p: number, className: string): HTMLSpanElement {
  const fill = h("span", { className });
  fill.style.width = `${Number.isFinite(p) ? (100 * Math.min(1, Math.max(0, p))).toFixed(1) : 0}%`;
  return h("span", { className: "ilw-bar-track" }, [fill]);
}

/** The column for run `name`, titled `title`; `target` is the token the lens follows. */
export function runColumn(name: RunName, title: string, run: FailureRun, target: string): HTMLDivElement {
  const tokens = h(
    "div",
    { className: "ilw-run-tokens", attrs: { "aria-label": `${title} tokens` } },
    run.tokens.map((token, i) =>
      h("span", {
        className: run.changed[i] ? "ilw-token ilw-changed" : "ilw-token",
        text: visibleToken(token),
        attrs: {
          "data-token-index": String(i),
          title: `${i}: ${JSON.stringify(token)}${run.changed[i] ? " (differs from the other prompt)" : ""}`,
        },
      }),
    ),
  );
  const top = h(
    "ol",
    { className: "ilw-run-top" },
    run.top.map(({ token, prob }) =>
      h("li", { className: token === target ? "ilw-target" : "" }, [
        h("span", { className: "ilw-run-top-token", text: visibleToken(token) }),
        bar(prob, "ilw-bar"),
        h("span", { className: "ilw-num", text: formatPercent(prob) }),
      ]),
    ),
  );
  const nRows = run.lensTop.length;
  const lensRows = run.lensTop.map((token, row) => {
    const p = run.lensTarget[row] as number;
    const label = lensRowLabel(row, nRows);
    return h(
      "tr",
      {
        className: token === target ? "ilw-lens-layer ilw-lens-hit" : "ilw-lens-layer",
        attrs: {
          "data-layer": String(row),
          title: `${label}: top-1 ${JSON.stringify(token)}, P(${JSON.stringify(target)}) = ${formatPercent(p)}`,
        },
      },
      [
        h("td", { className: "ilw-lens-label", text: label }),
        h("td", { className: "ilw-lens-top", text: visibleToken(token) }),
        h("td", { className: "ilw-lens-prob" }, [
          bar(p, "ilw-bar"),
          h("span", { className: "ilw-num", text: formatPercent(p) }),
        ]),
      ],
    );
  });
  const lens = h("table", { className: "ilw-lens-column" }, [
    h("thead", {}, [
      h("tr", {}, [
        h("th", { text: "layer", attrs: { scope: "col" } }),
        h("th", { text: "top-1", attrs: { scope: "col" } }),
        h("th", { text: `P(${quoteToken(target)})`, attrs: { scope: "col" } }),
      ]),
    ]),
    h("tbody", {}, lensRows),
  ]);
  return h("div", { className: "ilw-run", attrs: { "data-run": name } }, [
    h("div", { className: "ilw-run-title", text: title }),
    tokens,
    h("div", { className: "ilw-panel-title", text: "top next tokens" }),
    top,
    h("div", { className: "ilw-panel-title", text: "logit lens at the answer position" }),
    lens,
  ]);
}
