/** The feature explorer's "what am I looking at?" text, for a student new to sparse autoencoders. */
import type { HelpText } from "../components/help_panel";

export const FEATURE_HELP: HelpText = {
  title: "Feature explorer: what does each SAE feature respond to?",
  intro: [
    "A ",
    { strong: "sparse autoencoder" },
    " (SAE) rewrites the residual stream at one layer as a sum of a few of many learned directions, its ",
    { strong: "features" },
    " (latents): on each token only the k strongest fire. Each feature's statistics come from the tokens it was harvested on.",
  ],
  see: [
    [
      { strong: "The list" },
      " (left), one row per feature: its ",
      { strong: "density" },
      ' (the share of tokens where it fires; "dead" if never), its ',
      { strong: "max activation" },
      " and the tokens it fires on most often among its top contexts (×count).",
    ],
    [
      { strong: "Top activations" },
      ": the contexts where the feature fires hardest, each token shaded by the feature's activation on it (white 0, dark blue the max activation), the token the row is about outlined and its activation at the left. ",
      { strong: "Lower quantiles" },
      " below sample weaker activations, which show what the feature does most of the time.",
    ],
    [
      { strong: "The histogram" },
      " counts the tokens where the feature fires by activation, on log-spaced bins.",
    ],
    [
      { strong: "Promoted / suppressed tokens" },
      ": the output tokens whose logits the feature's decoder direction raises or lowers most directly, read through the final norm's scale and the unembedding (no later layers).",
    ],
  ],
  tryThis: [
    [
      "Click a column header to ",
      { strong: "sort" },
      " (density or max activation, largest first), type in the ",
      { strong: "filter" },
      " to find a token or a feature number, and click a row for its dashboard.",
    ],
    [
      "Type a ",
      { strong: "prompt" },
      " and press Run: each token shows the strongest features active on it; click a chip for that feature's dashboard.",
    ],
  ],
  pitfall:
    "the first token of a prompt is not encoded: it is the attention sink, whose residual is huge and unlike any other token's, and the SAE was not trained on it. A feature's top contexts show when it fires most, not what it means; check the lower quantiles too.",
};
