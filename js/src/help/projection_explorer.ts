/** The projection explorer's "what am I looking at?" text, for a student new to probes and projections. */
import type { HelpText } from "../components/help_panel";

export const PROJECTION_HELP: HelpText = {
  title: "Projection explorer: what does a layer group together?",
  intro:
    "At every layer the model turns each token into a long list of numbers (a vector, hundreds of numbers). This view squashes those vectors down to 2-D so you can see them: each dot is one token, or one sentence.",
  see: [
    [
      { strong: "Scatter plot" },
      ": one dot per token or sentence at the chosen layer. Dots close together have similar vectors there. The x and y axes have no meaning of their own.",
    ],
    [
      { strong: "Colours" },
      ": the labels picked in ",
      { strong: "colour by" },
      " (e.g. affirmative vs negated sentences). The legend names each colour; grey = unlabelled. Selected dots get a ring; the others fade.",
    ],
    [
      { strong: "layer" },
      " slider and ",
      { strong: "method" },
      ": which layer, and how the squashing is done. PCA keeps the broadest directions; UMAP and t-SNE keep near neighbours together but bend distances.",
    ],
    [
      { strong: "Selection panel" },
      " (right): how many dots are selected, their labels, and the text around each one with its token marked.",
    ],
  ],
  tryThis: [
    [
      { strong: "Hover a dot" },
      " to read its token in its sentence. Drag to pan, use the wheel to zoom, ",
      { strong: "Fit" },
      " (or double-click) to see every dot again.",
    ],
    [
      "Press ",
      { strong: "Box" },
      " and ",
      { strong: "drag a box" },
      " around a cluster (or ",
      { strong: "Lasso" },
      " and draw around it, or click a legend entry), then read the contexts: what do these tokens share? Escape clears the selection.",
    ],
    [
      { strong: "Move the layer slider" },
      ": do the colours separate into their own groups at some layers and mix at others?",
    ],
    [
      "With a selection, press ",
      { strong: "Probe: selection vs rest at this layer" },
      " to train a simple classifier that tries to tell your dots from all the others using the full vectors.",
    ],
  ],
  pitfall: [
    "a probe's accuracy alone can mislead: it can score high just by recognising words. Compare it with the ",
    { strong: "control" },
    " accuracy shown next to it (the same probe, trained on a random label per word): only a clear gap means the layer holds the information. And clusters can appear or vanish with the method, so check with PCA too.",
  ],
};
