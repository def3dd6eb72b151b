"""AttentionExplorer without a browser: state, payloads and handlers on the real smollm2-135m."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ipywidgets.widgets.widget import _remove_buffers

from interplab_widgets import AttentionExplorer, InputError
from interplab_widgets.analysis import attention_flow, attention_rollout, downsample, norm_attention
from interplab_widgets.widgets.wire import from_wire, to_wire

pytestmark = pytest.mark.slow

TEXT = "The cat sat on the mat because it was tired."
HOSTILE = "<img src=x onerror=alert(1)>"


def shown(detail: dict) -> np.ndarray:
    """The overview the detail panel paints, float32 (exact: these texts are under 256 tokens)."""
    return from_wire(detail["overview"]["pattern"]).astype(np.float32)


@pytest.fixture(scope="module")
def explorer(smollm2):
    return AttentionExplorer(smollm2, TEXT)


@pytest.fixture(autouse=True)
def reset(explorer):
    yield
    explorer.text, explorer.mode, explorer.selected_token, explorer.detail_window = TEXT, "raw", -1, []
    explorer.wait()
    explorer.selected_layer = explorer.selected_head = 0
    explorer.wait()


def test_first_paint_state(explorer):
    trace = explorer.trace
    assert (explorer._n_layers, explorer._n_heads) == (30, 9)
    assert explorer._tokens == trace.tokens
    assert explorer._modes[:2] == ["raw", "rollout"]
    thumbs = from_wire(explorer._thumbnails)
    assert thumbs.dtype == np.uint8 and thumbs.shape == (30, 9, trace.n_tokens, trace.n_tokens)
    assert from_wire(explorer._head_stats).shape == (30, 9, 3)


def test_thumbnails_are_the_trace_attention_scaled_per_head(explorer):
    thumbs = from_wire(explorer._thumbnails).astype(np.float32) / 255
    for layer in (0, 11, 29):
        expected = downsample(explorer.trace.attention(layer).numpy(), 32)
        expected /= expected.max(axis=(-2, -1), keepdims=True)
        assert thumbs[layer].max(axis=(-2, -1)).min() == 1.0  # each head drawn against its own max
        assert np.abs(thumbs[layer] - expected).max() <= 1 / 255 / 2 + 1e-6


def test_selecting_a_head_sends_its_full_pattern(explorer):
    explorer.selected_layer, explorer.selected_head = 5, 3
    explorer.wait()
    detail = explorer._detail
    assert (detail["layer"], detail["head"], detail["mode"]) == (5, 3, "raw")
    assert from_wire(detail["overview"]["pattern"]).dtype == np.float16 and detail["window"] is None
    np.testing.assert_allclose(shown(detail), explorer.trace.attention(5)[3].numpy(), atol=1e-3)


def test_rollout_mode_sends_the_rollout_up_to_the_selected_layer(explorer):
    explorer.selected_layer = 4
    explorer.wait()
    explorer.mode = "rollout"
    explorer.wait()
    assert (explorer._detail["mode"], explorer._detail["head"]) == ("rollout", -1)
    expected = attention_rollout(explorer.trace, end_layer=4)
    np.testing.assert_allclose(shown(explorer._detail), expected, atol=1e-3)


def test_flow_mode_sends_the_pinned_tokens_flow(explorer):
    explorer.selected_layer, explorer.mode = 3, "flow"
    explorer.wait()
    assert explorer._modes == ["raw", "rollout", "flow", "norm"]
    last = explorer.trace.n_tokens - 1
    stack = np.stack([explorer.trace.attention(layer).numpy() for layer in range(4)])
    pattern = shown(explorer._detail)
    np.testing.assert_allclose(pattern[last], attention_flow(stack, positions=[last])[0], atol=1e-3)
    explorer.selected_token = 6  # pinning a token recomputes the flow for it
    explorer.wait()
    pattern = shown(explorer._detail)
    np.testing.assert_allclose(pattern[6], attention_flow(stack, positions=[6])[0], atol=1e-3)
    assert np.abs(np.delete(pattern, 6, axis=0)).max() == 0
    assert from_wire(explorer._detail["rows"]).tolist() == [6]  # the other rows are not computed


def test_at_length_rollout_sends_the_pinned_tokens_row_and_flow_refuses_before_allocating(explorer, monkeypatch):
    """Long inputs (here: the thresholds lowered to this text): rollout becomes the pinned token's row, computed
    from query chunks; flow past its memory limit says what to cut, before any pattern is computed."""
    from dataclasses import replace

    from interplab_widgets.widgets import attention_modes

    rollout = attention_modes.ATTENTION_MODES["rollout"]
    monkeypatch.setitem(attention_modes.ATTENTION_MODES, "rollout", replace(rollout, per_token_from=5))
    monkeypatch.setattr(attention_modes, "ROW_ONLY_FROM", 5)
    explorer.selected_layer, explorer.mode, explorer.selected_token = 4, "rollout", 3
    explorer.wait()
    pattern = shown(explorer._detail)
    np.testing.assert_allclose(pattern[3], attention_rollout(explorer.trace, end_layer=4)[3], atol=1e-3)
    assert np.abs(np.delete(pattern, 3, axis=0)).max() == 0
    explorer.selected_token = 6  # the row follows the pinned token
    explorer.wait()
    assert shown(explorer._detail)[6].sum() == pytest.approx(1, abs=1e-2)

    monkeypatch.setattr(attention_modes, "FLOW_MAX_BYTES", 1000)
    monkeypatch.setattr(type(explorer.trace), "attentions", lambda *a, **k: pytest.fail("a pattern was computed"))
    explorer.mode = "flow"
    explorer.wait()
    assert "over the 0 GiB limit" in explorer._error and "cut the text to about" in explorer._error
    monkeypatch.setattr(attention_modes, "FLOW_MAX_BYTES", 2**40)  # memory fits, the max-flow work does not
    monkeypatch.setattr(attention_modes, "FLOW_MAX_WORK", 10 * 10**3)
    explorer.selected_layer = 2  # not a layer the flow test left in the detail cache
    explorer.wait()
    assert "the work limit" in explorer._error and "pick layer 1 or nearer 0, cut the text to about 10 tokens" in (
        explorer._error
    )


def test_norm_mode_sends_the_heads_norm_based_attention(explorer):
    explorer.selected_layer, explorer.selected_head, explorer.mode = 2, 4, "norm"
    explorer.wait()
    expected = norm_attention(explorer.trace, 2)[4]
    np.testing.assert_allclose(shown(explorer._detail), expected, rtol=1e-2, atol=1e-3)


def block_maxima(full: np.ndarray, query_starts: np.ndarray, key_starts: np.ndarray, q1: int, k1: int) -> np.ndarray:
    """The oracle, block by block: the largest weight of each block of ``full``."""
    q_ends, k_ends = [*query_starts[1:], q1], [*key_starts[1:], k1]
    return np.array([[full[a:b, c:d].max() for c, d in zip(key_starts, k_ends)] for a, b in zip(query_starts, q_ends)])


def test_viewport_replies_are_block_maxima_of_the_full_pattern_and_exact_when_zoomed_in(smollm2):
    """~600 tokens: the panel gets the whole matrix as <= 256 x 256 block maxima (a lone strong key stays
    visible), a zoomed window likewise, and one token a cell once the window is <= 256 tokens a side."""
    view = AttentionExplorer(smollm2, " ".join([TEXT] * 50), roles=False, selected_layer=6, selected_head=2)
    n = view.trace.n_tokens
    assert n > 512
    full = view.trace.attention(6)[2].numpy()  # the eager module's own pattern, the whole of it
    detail = view._detail
    overview = detail["overview"]
    starts = [from_wire(overview["query_starts"]), from_wire(overview["key_starts"])]
    assert overview["bounds"] == [0, n, 0, n] and len(starts[0]) == len(starts[1]) == 256
    np.testing.assert_allclose(shown(detail), block_maxima(full, *starts, n, n), atol=1e-3)
    assert detail["scale_max"] == pytest.approx(full.max(), abs=1e-6)

    for window, exact in (([100, 480, 50, 400], False), ([300, 420, 200, 456], True)):
        view.detail_window = window
        view.wait()
        part = view._detail["window"]
        q0, q1, k0, k1 = part["bounds"]
        assert part["bounds"] == window
        query_starts, key_starts = from_wire(part["query_starts"]), from_wire(part["key_starts"])
        expected = block_maxima(full, query_starts, key_starts, q1, k1)
        np.testing.assert_allclose(from_wire(part["pattern"]).astype(np.float32), expected, atol=1e-3)
        assert (len(query_starts) == q1 - q0 and len(key_starts) == k1 - k0) == exact
        assert len(query_starts) <= 256 and len(key_starts) <= 256
    np.testing.assert_allclose(from_wire(part["pattern"]).astype(np.float32), full[300:420, 200:456], atol=1e-3)

    lines = view._detail_lines  # each query's strongest keys and each key's strongest queries
    assert (lines["layer"], lines["head"], lines["k"]) == (6, 2, 8)
    top_keys, top_queries = from_wire(lines["top_keys"]), from_wire(lines["top_queries"])
    for q in (0, 7, n - 1):
        strongest = np.argsort(-full[q], kind="stable")[: min(8, q + 1)]
        assert set(top_keys[q][top_keys[q] >= 0]) == set(strongest)
    assert set(top_queries[n - 1]) == {n - 1, -1}  # causal: only the last query sees the last key
    np.testing.assert_allclose(from_wire(lines["top_query_weights"])[0], np.sort(full[:, 0])[::-1][:8], atol=1e-3)

    state, _, buffers = _remove_buffers(view.get_state())
    first_display = sum(len(b) for b in buffers) + len(json.dumps(state))
    assert first_display < 2 * 2**20  # the whole matrix would be 2 n² bytes even as float16


def test_arrays_travel_as_binary_buffers_not_json(explorer):
    state, _, buffers = _remove_buffers(explorer.get_state())
    assert sum(len(b) for b in buffers) > 30 * 9 * 11 * 11
    view_code = len(state.pop("_esm")) + len(state.pop("_css"))
    assert view_code < 100_000
    assert len(json.dumps(state)) < 20_000  # tokens, names, roles and shapes only


@pytest.mark.parametrize(
    ("trait", "value", "message"),
    [
        ("detail_window", [0, 99, 0, 5], "outside this text's 11 tokens"),
        ("detail_window", [3, 2], "four token indices"),
        ("selected_layer", 30, "layer 30 is out of range"),
        ("selected_head", -1, "head -1 is out of range"),
        ("selected_token", 99, "token 99 is out of range"),
        ("mode", "nonsense", "Unknown mode"),
    ],
)
def test_out_of_range_selection_from_the_browser_shows_an_error_and_recovers(explorer, trait, value, message):
    setattr(explorer, trait, value)
    explorer.wait()
    assert message in explorer._error
    explorer.selected_layer, explorer.selected_head, explorer.mode, explorer.selected_token = 1, 1, "raw", 2
    explorer.detail_window = []
    explorer.wait()
    assert explorer._error == ""
    assert (explorer._detail["layer"], explorer._detail["head"]) == (1, 1)


def test_new_text_retraces_and_bad_text_keeps_the_old_view(explorer):
    explorer.selected_token, explorer.detail_window = 8, [2, 9, 0, 9]
    explorer.wait()
    explorer.text = "Paris is the capital of France."
    explorer.wait()
    assert explorer._tokens == ["Paris", " is", " the", " capital", " of", " France", "."]
    assert explorer.selected_token == -1 and explorer.detail_window == []  # both pointed into the old text
    assert shown(explorer._detail).shape == (7, 7)
    explorer.text = ""
    explorer.wait()
    assert "empty" in explorer._error
    assert explorer.trace.text == "Paris is the capital of France."


def test_token_text_is_data(explorer):
    explorer.text = HOSTILE
    explorer.wait()
    assert "".join(explorer._tokens) == HOSTILE


def test_constructor_errors_are_raised_in_python(smollm2):
    with pytest.raises(InputError, match="empty"):
        AttentionExplorer(smollm2, "")
    with pytest.raises(InputError, match="Unknown mode"):
        AttentionExplorer(smollm2, TEXT, mode="flow-ish")
    with pytest.raises(InputError, match="head 9 is out of range"):
        AttentionExplorer(smollm2, TEXT, selected_head=9)
    with pytest.raises(TypeError):
        AttentionExplorer(smollm2, TEXT, colour="red")


def test_wire_round_trip_is_little_endian():
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    wire = to_wire(values, "float32")
    assert wire["shape"] == [2, 3] and wire["data"][:8] == np.array([0, 1], "<f4").tobytes()
    np.testing.assert_array_equal(from_wire(wire), values)


def test_role_badges_come_from_head_roles(explorer):
    roles = {(r["layer"], r["head"]): r["role"] for r in explorer._head_roles}
    # measured with head_roles on smollm2-135m: L18H6 induction 0.89, L2H1 previous-token 0.77
    assert roles[(18, 6)] == "induction"
    assert roles[(2, 1)] == "previous-token"
    assert explorer.handle.memo["head_roles"]  # computed once per model, shared by later views


def test_widget_keeps_the_anywidget_model_and_ships_its_code(explorer):
    state = explorer.get_state()
    assert state["_model_name"] == "AnyModel"  # a trait of ours named like this once broke rendering
    assert "as default" in state["_esm"] and ".ilw-attention-explorer" in state["_css"]


def test_building_the_view_computes_each_layers_scores_once(smollm2, monkeypatch):
    """The grid's thumbnails and the first detail (a head's pattern; a long text's rollout row, the threshold
    lowered to this text) come from one pass of scores per layer, at build and on a new text, not one for each."""
    from collections import Counter
    from dataclasses import replace

    from interplab_widgets.capture import attention
    from interplab_widgets.widgets import attention_modes

    rollout = attention_modes.ATTENTION_MODES["rollout"]
    monkeypatch.setitem(attention_modes.ATTENTION_MODES, "rollout", replace(rollout, per_token_from=5))
    monkeypatch.setattr(attention_modes, "ROW_ONLY_FROM", 5)
    scored = Counter()  # layer -> replays of its attention that compute scores (eager patterns or query chunks)
    replay = attention._replay

    def counted(handle, layer, residual, implementation, **kwargs):
        if implementation != "interplab_values":
            scored[layer] += 1
        return replay(handle, layer, residual, implementation, **kwargs)

    monkeypatch.setattr(attention, "_replay", counted)
    text = " ".join([TEXT] * 20)
    every_layer_once = dict.fromkeys(range(30), 1)

    view = AttentionExplorer(smollm2, text, selected_layer=7, selected_head=2, roles=False)
    assert scored == every_layer_once
    np.testing.assert_allclose(shown(view._detail), view.trace.attention(7)[2].numpy(), atol=1e-3)

    scored.clear()
    view = AttentionExplorer(smollm2, text, mode="rollout", selected_layer=5, roles=False)
    assert scored == every_layer_once
    last = view.trace.n_tokens - 1
    pattern = shown(view._detail)
    np.testing.assert_allclose(pattern[last], attention_rollout(view.trace, end_layer=5)[last], atol=1e-3)
    assert np.abs(np.delete(pattern, last, axis=0)).max() == 0

    view.selected_token = 3
    view.wait()
    scored.clear()
    view.text = text + " The dog slept."  # a new trace: its thumbnails and the pinned token's row, one pass
    view.wait()
    assert view._error == "" and scored == every_layer_once
    pattern = shown(view._detail)
    np.testing.assert_allclose(pattern[3], attention_rollout(view.trace, end_layer=5)[3], atol=1e-3)
