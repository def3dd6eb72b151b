/** The attention explorer's "what am I looking at?" text, for a student new to attention. */
import type { HelpText } from "../components/help_panel";

export const ATTENTION_HELP: HelpText = {
  title: "Attention explorer: where does each token look?",
  intro: [
    "The model reads your text as ",
    { strong: "tokens" },
    " (words or pieces of words). In every layer, several ",
    { strong: "attention heads" },
    " each decide, for every token, how much to look at each earlier token. This view shows those choices.",
  ],
  see: [
    [
      { strong: "Token strip" },
      " (under the text box): your text cut into the tokens the model actually reads.",
    ],
    [
      { strong: "Head grid" },
      " (left): one small picture per head. Rows L0, L1, … are layers, columns H0, H1, … are the heads of a layer. The orange frame marks the head shown in full.",
    ],
    [
      { strong: "Big heatmap" },
      " (right): the selected head. Each row is a token that is looking (query ↓), each column a token it looks at (key →). White = no attention, dark blue = the most attention in this picture (the caption gives the scale). The empty top-right triangle: a token cannot look at tokens after it. Zoom with the mouse wheel and drag to pan (double-click shows it all again): the kernel then sends the part you look at in more detail. Zoomed out on a long text, a cell covers a block of tokens and shows the largest value in it, so a single strong key is never hidden (the tooltip says how many tokens a cell covers).",
    ],

    [
      { strong: "Lines view" },
      ": the same head as lines from each token on the left to the tokens it looks at on the right; darker line = more attention.",
    ],
    [
      { strong: "mode" },
      ": raw = the head's own weights; rollout and flow combine all layers up to the selected one; norm also counts how much each looked-at token actually passes on.",
    ],
  ],
  tryThis: [
    [
      { strong: "Click a thumbnail" },
      " in the grid (or move with the arrow keys) to show that head in full. Hover a thumbnail for its numbers.",
    ],
    [
      { strong: "Hover a token" },
      " in the strip: its row lights up in orange in every picture. Switch ",
      { strong: "highlight as" },
      " to key column to see who looks at it instead. Click a token to pin it; Escape unpins.",
    ],
    "Look for a head whose picture is a thin line just below the diagonal: each token looks at the one before it (a previous-token head).",
    ["Edit the text and press ", { strong: "Run" }, " (or Ctrl+Enter) to look at your own sentence."],
  ],
  pitfall: [
    "attention is not explanation. A dark cell shows where a head looks, not that this token mattered for the answer; many heads simply park their attention on the first token. To test what the model ",
    { strong: "uses" },
    ", try the patching explorer.",
  ],
};
