/** The patching explorer's "what am I looking at?" text, for a student new to activation patching. */
import type { HelpText } from "../components/help_panel";

export const PATCHING_HELP: HelpText = {
  title: "Patching explorer: which part of the model carries the answer?",
  intro: [
    "Two prompts differ in one detail and get different answers, e.g. “The Eiffel Tower is in the city of” (",
    { strong: "clean" },
    ") and “The Colosseum is in the city of” (",
    { strong: "corrupted" },
    "). We run the corrupted prompt but copy in one piece of the clean run (a ",
    { strong: "patch" },
    "), and measure how much of the clean answer comes back.",
  ],
  see: [
    [
      { strong: "Two rows of tokens" },
      " on top: the clean and the corrupted prompt, one column per position. Orange tokens are where the prompts differ.",
    ],
    [
      { strong: "Grid" },
      ": one row per layer (emb, the input, at the top; deeper layers below) and one column per position. Each cell is one separate run with one patch: that layer, that position.",
    ],
    [
      { strong: "Colours" },
      ": red = the run behaves like the clean one (1 = the clean answer fully restored), white = like the corrupted one (0 = the patch changed nothing), blue = below 0, even further from the clean answer. The score is the metric in the header.",
    ],
    [
      { strong: "patch" },
      " menu: what is copied. resid = everything the model carries at that point after the layer; attn = only that layer's attention output; mlp = only its MLP output.",
    ],
    [
      { strong: "Cell panel" },
      " (right): for the clicked cell, one bar per attention head of that layer (patching that head alone) and the top next tokens of the clean, corrupted and patched runs.",
    ],
  ],
  tryThis: [
    [
      { strong: "Click the reddest cell" },
      " and compare the patched run's top tokens with the clean run's. Arrow keys move the selection, Escape clears it.",
    ],
    "Follow the red down the layers: it often starts at the tokens that differ and later jumps to the last position, where the answer is produced.",
    [
      "Switch ",
      { strong: "patch" },
      " from resid to attn or mlp: which single layer's attention or MLP moves the answer?",
    ],
    [
      "Switch ",
      { strong: "direction" },
      " to corrupted → clean: now a cell close to 0 means copying in the corrupted piece broke the clean answer.",
    ],
  ],
  pitfall:
    "an effect of 1 means this one patch fully restored the clean answer for this pair of prompts. It shows the information passes through there, not what it means, and not that the model works the same way on other prompts.",
};
