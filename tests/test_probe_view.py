"""ProbeView without a browser, on a ProbeCurve made by hand (no model): its help panel."""

from __future__ import annotations

import ipywidgets
import numpy as np

from interplab_widgets import ProbeView
from interplab_widgets.analysis.probes import ProbeCurve

TASK = "tense <b>&amp;</b>"  # markup in a task name is shown as text


def small_probe_view() -> ProbeView:
    curve = ProbeCurve(
        task=TASK,
        layers=[0, 4, 8],
        accuracy=np.array([0.6, 0.9, 0.8]),
        control_accuracy=np.array([0.5, 0.55, 0.6]),
        generalisation=np.array([0.55, 0.8, 0.7]),
        regularisation=np.array([0.01, 0.1, 0.1]),
        n_train=36,
        n_test=12,
        chance=0.5,
    )
    return ProbeView(curve=curve)


def test_probe_view_help_opens_from_a_question_mark_toggle():
    view = small_probe_view()
    toggles = [w for w in view.children[0].children if isinstance(w, ipywidgets.ToggleButton)]
    assert [t.description for t in toggles] == ["?"] and toggles[0].tooltip == "What am I looking at?"
    panel = view.help_panel
    assert panel in view.children and panel.layout.display == "none"
    toggles[0].value = True
    assert panel.layout.display is None
    toggles[0].value = False
    assert panel.layout.display == "none"
    text = panel.value
    for words in ("accuracy", "control task", "Hewitt &amp; Liang", "selectivity", "held-out types", "validation"):
        assert words in text, words
    assert "Careful: " in text and "<script" not in text
