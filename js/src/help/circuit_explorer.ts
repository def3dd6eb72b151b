/** The circuit explorer's "what am I looking at?" text, for a student new to circuit discovery. */
import type { HelpText } from "../components/help_panel";

export const CIRCUIT_HELP: HelpText = {
  title: "Circuit explorer: which heads and MLPs carry the behaviour?",
  intro: [
    "The task is a set of prompt pairs: a ",
    { strong: "clean" },
    " prompt where the model shows the behaviour and a ",
    { strong: "corrupted" },
    " one where it does not. Every edge between two parts of the model gets a score for how much patching it from corrupted to clean moves the metric; a ",
    { strong: "circuit" },
    " is the set of the best edges, and its faithfulness says how much of the behaviour those edges alone recover.",
  ],
  see: [
    [
      { strong: "The graph" },
      ": the input at the bottom, the logits on top, one row per layer with its attention heads (a3.h1) side by side and its MLP (m3) at the right. Nodes that no edge of the circuit touches are faded.",
    ],
    [
      { strong: "Edges" },
      ": blue edges carry the behaviour, red ones work against it; the wider, the larger |score|. An edge into a head enters its query (solid), its key (dashed) or its value (dotted).",
    ],
    [
      { strong: "The curve" },
      ": the faithfulness of the circuit of each size (log scale): 1 means the circuit alone does as well as the whole model, 0 as badly as the corrupted run. The dashed line is 0.8.",
    ],
    [
      { strong: "Details" },
      " (right) of the selected node: its exact direct effect on the metric, its strongest edges and, for a head, its attention pattern on one pair (hover it for the tokens).",
    ],
  ],
  tryThis: [
    [
      "Move the ",
      { strong: "size slider" },
      ": it steps along the curve, so you see how few edges it takes before faithfulness stops rising.",
    ],
    [
      { strong: "Hover an edge" },
      " for its score, ",
      { strong: "click a node" },
      " for its details; click it again, or empty space, or press Escape to clear.",
    ],
    [
      "Switch ",
      { strong: "scores" },
      " between EAP (one gradient, fast) and EAP-IG (integrated over steps, slower and closer to real patching), or ",
      { strong: "circuits" },
      " between top-n and greedy.",
    ],
  ],
  pitfall:
    "edge scores are linear estimates of patching; only the faithfulness curve and the direct effect are measured by actually patching. A high score on one task says what this task uses, not what the head does in general.",
};
