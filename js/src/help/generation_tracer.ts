/** The generation tracer's "what am I looking at?" text, for a student new to the logit lens. */
import type { HelpText } from "../components/help_panel";

export const TRACER_HELP: HelpText = {
  title: "Generation tracer: how is each new token chosen?",
  intro:
    "The model writes one token at a time: at every step it reads everything so far and picks the next token. This view replays the steps and looks inside the model at each one.",
  see: [
    [
      { strong: "Step slider and ▶ play" },
      ": which step you are looking at. In the text below, the prompt comes first and the current step's token has an orange frame.",
    ],
    [
      { strong: "Logit lens heatmap" },
      ": one column per generated token, one row per layer, from emb (the input, bottom) to out (the final answer, top). A cell asks: if the model had to answer right after this layer, how likely would it pick the token it finally chose? White = unlikely, dark blue = likely.",
    ],
    [
      { strong: "Top tokens" },
      " (next to it): the model's best guesses at the selected layer and step, with their probabilities.",
    ],
    [
      { strong: "Attention of the new token, per head" },
      ": one thin strip per layer (row) × head (column) showing where the new token looks among the earlier tokens, start of the prompt on the left. Dark = a lot of attention.",
    ],
    [
      { strong: "Head row" },
      " (right): for the head you click, every earlier token shaded by how much the new token looks at it.",
    ],
  ],
  tryThis: [
    [
      "Press ",
      { strong: "▶ play" },
      " (or drag the slider) and watch each column: at which layer does it turn dark blue? That is roughly where the model settles on the token.",
    ],
    [
      { strong: "Click a cell" },
      " of the heatmap to list that layer's top guesses at that step; compare a middle layer with out. ",
      { strong: "colour by" },
      " rank shows the token's place in the ranking instead (dark = near the top).",
    ],
    [
      { strong: "Click a generated token" },
      " in the text to jump to its step, then ",
      { strong: "click a strip" },
      " in the attention grid to see which earlier tokens that head reads.",
    ],
    [
      "Tick ",
      { strong: "attribution" },
      ": the earlier tokens are coloured by how much each moved the model towards the current step's token (red raised it, blue lowered it). Switch the method, or ask why this token rather than the model's top alternative or a foil you type. Integrated gradients shows its completeness error: far from 0 %, its scores do not add up.",
    ],
  ],
  pitfall:
    "the logit lens reads every layer with the model's final output layer, which the middle layers were never trained for. A pale cell in an early layer does not prove the model knows nothing yet, only that this readout cannot see it.",
};
