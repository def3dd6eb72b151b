"""ProbeView's "what am I looking at?" text, as static HTML for an ``ipywidgets.HTML`` panel.

The anywidget views build their panel in the browser (``js/src/components/help_panel.ts``, texts in
``js/src/help/``); ProbeView is an ipywidgets box, so its panel is built here with the same parts
(title, intro, "What you see", "Try this", one pitfall) and the same class names. Every run of text
goes through ``html.escape``: emphasis is a separate ``<strong>`` element, never markup in the text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

HELP_TOGGLE_TITLE = "What am I looking at?"


class Strong(str):
    """A run of help text to emphasise."""


#: A line of help: plain text, or runs of plain and emphasised text.
Line = str | Sequence[str]

PROBE_TITLE = "Probe view: which layer holds a property?"

PROBE_INTRO: Line = (
    "A ",
    Strong("probe"),
    " is a small classifier (logistic regression) trained to read a property of each item, such as "
    "tense or negation, from the model's vectors at one layer. If it predicts that property for items "
    "it was not trained on, the layer holds it in a form that is easy to read off. One probe per layer.",
)

PROBE_SEE: tuple[Line, ...] = (
    (
        Strong("accuracy"),
        " (red): the probe's accuracy on held-out test items, one point per layer. The test items' types "
        "(e.g. their last word) also occur in training, with other items. The dotted ",
        Strong("majority"),
        " line is what always guessing the most common label scores.",
    ),
    (
        Strong("control"),
        " (grey): the same probe on a control task (Hewitt & Liang): every type gets a random label. "
        "Same split, same regularisation. It can only be learned by memorising types, so it measures "
        "how much the probe can memorise.",
    ),
    (
        Strong("selectivity"),
        " (blue) = accuracy − control: how much better the probe does on the real property than on "
        "memorised random labels. High selectivity means the layer encodes the property itself.",
    ),
    (
        Strong("held-out types"),
        " (generalisation): accuracy on a second split whose test types never occur in training. "
        "It is missing when the dataset has too few types to hold some out.",
    ),
    (
        Strong("Regularisation"),
        ": each layer's probe has a limited capacity. Its inverse regularisation strength C is chosen per "
        "layer on a validation split carved from the training side (never from the test items); the "
        "control probe uses the same C.",
    ),
)

PROBE_TRY: tuple[Line, ...] = (
    (
        Strong("Hover a point"),
        " to read the layer and its accuracy; ",
        Strong("click a point"),
        " to mark that layer (a dashed line). A ProjectionExplorer linked with ",
        Strong("ipywidgets.link"),
        " on selected_layer moves to the same layer.",
    ),
    (
        "Find the layer where ",
        Strong("accuracy"),
        " peaks, then the one where ",
        Strong("selectivity"),
        " peaks: are they the same?",
    ),
    (
        "Compare ",
        Strong("held-out types"),
        " with accuracy: does the property carry over to words the probe never saw?",
    ),
)

PROBE_PITFALL: Line = (
    "high accuracy alone does not show that a layer encodes the property. When the label follows from the "
    "type (each word always has the same label), a probe can score well by recognising words: then the ",
    Strong("control"),
    " is high too and selectivity low. Read selectivity and held-out types before concluding.",
)


def _runs(line: Line) -> str:
    parts = [line] if isinstance(line, str) else line
    return "".join(
        f"<strong>{html.escape(part)}</strong>" if isinstance(part, Strong) else html.escape(part) for part in parts
    )


def _section(class_name: str, heading: str, lines: Sequence[Line]) -> str:
    items = "".join(f"<li>{_runs(line)}</li>" for line in lines)
    return (
        f'<div class="ilw-help-section {class_name}"><div class="ilw-help-heading" style="font-weight: 600">'
        f'{html.escape(heading)}</div><ul class="ilw-help-list" style="margin: 2px 0">{items}</ul></div>'
    )


def probe_help_html() -> str:
    """The panel's HTML: static text, every run escaped."""
    return (
        '<div style="max-width: 72em; padding: 8px 12px; border-left: 4px solid #2471a3; background: #f5f7f9; '
        'line-height: 1.45">'
        f'<div class="ilw-help-title" style="font-weight: 600; font-size: 1.1em">{html.escape(PROBE_TITLE)}</div>'
        f'<p class="ilw-help-intro">{_runs(PROBE_INTRO)}</p>'
        + _section("ilw-help-see", "What you see", PROBE_SEE)
        + _section("ilw-help-try", "Try this", PROBE_TRY)
        + f'<p class="ilw-help-pitfall"><strong>Careful: </strong>{_runs(PROBE_PITFALL)}</p></div>'
    )
