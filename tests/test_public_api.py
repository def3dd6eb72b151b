"""What the README imports from ``interplab_widgets`` is there, and its plug-in example works."""

from __future__ import annotations

import numpy as np
import pytest

import interplab_widgets
from interplab_widgets.widgets import ATTENTION_MODES
from interplab_widgets.widgets.wire import from_wire


def test_every_name_in_all_is_importable():
    missing = [name for name in interplab_widgets.__all__ if not hasattr(interplab_widgets, name)]
    assert missing == []


def test_plug_ins_are_exported_at_the_top_level():
    from interplab_widgets import AttentionMode, analysis, register_attention_mode, unregister_head_score
    from interplab_widgets.widgets import attention_modes

    assert AttentionMode is attention_modes.AttentionMode
    assert register_attention_mode is attention_modes.register_attention_mode
    assert unregister_head_score is analysis.unregister_head_score


@pytest.fixture
def clean_modes():
    before = dict(ATTENTION_MODES)
    yield
    ATTENTION_MODES.clear()
    ATTENTION_MODES.update(before)


@pytest.mark.slow
def test_readme_register_attention_mode_adds_a_mode_to_a_new_explorer(clean_modes):
    # README, AttentionExplorer: "More plug in with `register_attention_mode(AttentionMode(...))`."
    from interplab_widgets import AttentionExplorer, AttentionMode, load_model, register_attention_mode

    register_attention_mode(
        AttentionMode(
            name="diagonal",
            compute=lambda trace, layer, head, token: np.eye(trace.n_tokens, dtype=np.float32),
            per_head=False,
        )
    )
    view = AttentionExplorer(load_model("toy-induction"), "ba ko mi ba ko mi", mode="diagonal", roles=False)
    assert view._modes[-1] == "diagonal"
    assert view._detail["mode"] == "diagonal" and view._detail["head"] == -1
    np.testing.assert_array_equal(from_wire(view._detail["overview"]["pattern"]), np.eye(6))
