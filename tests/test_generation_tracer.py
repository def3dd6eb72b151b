"""GenerationTracer without a browser: payloads and handlers on the real smollm2-135m."""

from __future__ import annotations

import numpy as np
import pytest

from interplab_widgets import GenerationTracer, InputError
from interplab_widgets.widgets.wire import from_wire

pytestmark = pytest.mark.slow

EIFFEL = "The Eiffel Tower is located in the city of"


@pytest.fixture(scope="module")
def tracer(smollm2):
    return GenerationTracer(smollm2, EIFFEL, max_new_tokens=8)


def test_first_paint_is_the_lens_of_every_layer_and_step(tracer):
    record = tracer.record
    assert tracer._tokens[0] == " Paris" and len(tracer._tokens) == record.n_steps
    probs = from_wire(tracer._lens_probs)
    assert probs.shape == (record.n_steps, 31)
    np.testing.assert_allclose(probs, record.lens.target_probs)
    np.testing.assert_array_equal(from_wire(tracer._lens_ranks), record.lens.target_ranks)
    assert tracer.selected_layer == 30  # the model's own output row first


def test_selecting_a_cell_sends_that_layers_topk(tracer):
    tracer.step, tracer.selected_layer = 0, 28
    tracer.wait()
    assert (tracer._topk["step"], tracer._topk["layer"]) == (0, 28)
    assert tracer._topk["tokens"][0] == " Paris"  # the row where ' Paris' first becomes top-1
    np.testing.assert_allclose(from_wire(tracer._topk["probs"]), tracer.record.lens.top_probs[0, 28])


def test_step_attention_and_a_heads_full_row(tracer):
    tracer.step = 3
    tracer.wait()
    thumbnails = from_wire(tracer._step_attention["thumbnails"])
    context = tracer.record.generation.positions[3] + 1
    assert tracer._step_attention["step"] == 3 and thumbnails.shape == (30, 9, min(context, 64))
    tracer.selected_attention_layer, tracer.selected_head = 18, 6
    tracer.wait()
    row = from_wire(tracer._head_row["weights"]).astype(np.float32)
    np.testing.assert_allclose(row, tracer.record.step_attention(3)[18, 6], atol=1e-3)
    assert row.shape == (context,)


@pytest.mark.parametrize(("trait", "value"), [("step", 99), ("selected_layer", 31), ("metric", "loss")])
def test_bad_selections_show_an_error_and_recover(tracer, trait, value):
    setattr(tracer, trait, value)
    tracer.wait()
    assert tracer._error
    tracer.step, tracer.selected_layer, tracer.metric = 0, 30, "probability"
    tracer.wait()
    assert tracer._error == ""


def test_encoder_is_refused_with_the_view_to_use(minilm):
    with pytest.raises(InputError, match="AttentionExplorer"):
        GenerationTracer(minilm, "Hello")
