/** The attribution view's "what am I looking at?" text, for a student new to input attribution. */
import type { HelpText } from "../components/help_panel";

export const ATTRIBUTION_HELP: HelpText = {
  title: "Attribution view: which words of the prompt made the model say that?",
  intro: [
    "The model predicts the next token after the prompt. Each ",
    { strong: "attribution method" },
    " gives every prompt token a score for how much it pushed that prediction (the ",
    { strong: "target" },
    "). Different methods can disagree, so they are shown one under the other, each with a measured check of how far to trust it.",
  ],
  see: [
    [
      { strong: "One row per method" },
      ": integrated gradients, gradient × input, occlusion (replace a token by the baseline and see how much the target drops), attention × gradient.",
    ],
    [
      { strong: "Colours" },
      ": red tokens raise the target, blue ones lower it, white ones do little. Each row has its own scale (the legend under it): the strongest token of that row is full colour, so compare colours within a row, and numbers across rows.",
    ],
    [
      { strong: "Completeness error" },
      " (integrated gradients): the scores should add up to how much the target changes between the baseline and the real prompt. A large error, or a warning, means these scores do not add up and should not be trusted.",
    ],
    [
      { strong: "Curves" },
      " (right): the target as the top-scored tokens are removed (deletion, falls) or put back (insertion, rises), against random orders (dashed). Deletion below random and insertion above it (✓) mean the ranking really finds the tokens the model uses.",
    ],
    "The first token gets no score (grey): it is kept fixed in every baseline, because it is the attention sink.",
  ],
  tryThis: [
    [
      { strong: "Hover a token" },
      ": it lights up in every row and its score and rank in each method show on the right. Click to pin it, Escape unpins.",
    ],
    [
      "Type another ",
      { strong: "target" },
      " (one token, e.g. “ London” with its leading space), or a ",
      { strong: "foil" },
      ": then the scores explain why the model prefers the target over the foil.",
    ],
    [
      "Tick or untick ",
      { strong: "methods" },
      ", or switch the ",
      { strong: "baseline" },
      " to pad: only what was not computed yet is computed.",
    ],
  ],
  pitfall:
    "a high score means the prediction is sensitive to that token by this method, not that the model “understands” it. When methods disagree, trust the one whose curves beat random.",
};
