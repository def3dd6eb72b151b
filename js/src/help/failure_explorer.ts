/** The failure explorer's "what am I looking at?" text, for a student new to behavioural testing. */
import type { HelpText } from "../components/help_panel";

export const FAILURE_HELP: HelpText = {
  title: "Failure explorer: where does the model break?",
  intro:
    "The model gets a suite of small tests. Most take a prompt it answers well, change it a little (a typo, a negation, an extra sentence, a swapped name) and check whether the answer changes the way it should.",
  see: [
    [
      { strong: "Summary" },
      " (left): one row per kind of change: how many cases, how many failed, and the failure rate as a red bar.",
    ],
    [
      { strong: "Cases table" },
      ": one row per test. Failed rows are marked red (a red stripe on the left), passed ones green. It shows the tested prompt with the original below it, what the check expects, the model's top next token and the effect: how far the change moved the expected answer's probability.",
    ],
    [
      { strong: "Side by side" },
      " (below, for the clicked case): the original and the changed prompt run through the model: their tokens with the changed ones in orange, the top next tokens, and the logit lens (the model's best guess after each layer).",
    ],
    [
      { strong: "Head grid" },
      ": one cell per layer × head. White = that head's attention from the last token stayed the same, dark blue = it moved completely between the two prompts.",
    ],
  ],
  tryThis: [
    [
      { strong: "Click a kind" },
      " in the summary to show only its cases; click it again (or the “all kinds” row) to show every case.",
    ],
    [
      { strong: "Click a column header" },
      " (e.g. effect) to sort, or type in the filter box to find cases with a word.",
    ],
    [
      { strong: "Click a failed case" },
      " (or walk with ↑ ↓) and compare the two logit-lens tables: at which layer do the two runs start to disagree? Escape clears the selection.",
    ],
  ],
  pitfall:
    "the head grid shows which heads changed where they look, not which heads caused the failure: attention can move without changing the answer. And a failure rate from a few templated cases is a rough estimate, not a verdict on the model.",
};
