"""GenerationTracer without a browser: payloads and handlers on the real smollm2-135m."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from interplab_widgets import GenerationTracer, InputError
from interplab_widgets.analysis.attribution import METHODS, TokenTarget, attribute_generation, attribute_ids
from interplab_widgets.widgets import generation_tracer
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


@pytest.mark.parametrize(
    ("trait", "value"), [("step", 99), ("selected_layer", 31), ("metric", "loss"), ("selected_head", -5)]
)
def test_bad_selections_show_an_error_and_recover(tracer, trait, value):
    setattr(tracer, trait, value)
    tracer.wait()
    assert tracer._error
    tracer.step, tracer.selected_layer, tracer.metric, tracer.selected_head = 0, 30, "probability", -1
    tracer.wait()
    assert tracer._error == ""


def test_encoder_is_refused_with_the_view_to_use(minilm):
    with pytest.raises(InputError, match="AttentionExplorer"):
        GenerationTracer(minilm, "Hello")


# -- the attribution mode ---------------------------------------------------------------------------


def choose(tracer, **changes) -> None:
    """Change several traits as one message from the view does: one request, answered before this returns."""
    tracer.set_state(changes)
    tracer.wait()


@pytest.fixture
def attributing(tracer):
    """The shared tracer in the attribution mode (gradient × input: one backward pass), off again after."""
    choose(
        tracer, step=0, selected_attention_layer=-1, selected_head=-1, show_attribution=True,
        attribution_method="gradient_x_input", attribution_target="token", attribution_foil="",
    )  # fmt: skip
    yield tracer
    choose(
        tracer, step=0, selected_attention_layer=-1, selected_head=-1, show_attribution=False,
        attribution_target="token", attribution_foil="",
    )  # fmt: skip


def check_strip(tracer, expected, step, method, target) -> None:
    """``_attribution`` is ``expected`` (an Attribution) for (step, method, target) over the step's context."""
    payload = tracer._attribution
    assert (payload["step"], payload["method"], payload["target_kind"]) == (step, method, target)
    scores = from_wire(payload["scores"])
    assert scores.shape == (tracer.record.generation.n_prompt + step,)
    np.testing.assert_allclose(scores, expected.scores, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(from_wire(payload["attributed"]).astype(bool), expected.attributed)
    assert payload["target"] == expected.target and payload["warning"] == expected.warning
    assert payload["value"] == pytest.approx(expected.value, abs=1e-5)


def test_the_strip_is_attribute_generations_scores_for_the_step(attributing):
    tracer, record = attributing, attributing.record
    tracer.step = 1
    tracer.wait()
    assert tracer._error == ""
    expected = token = attribute_generation(record, 1, method="gradient_x_input", faithfulness=False)
    check_strip(tracer, expected, 1, "gradient_x_input", "token")
    assert expected.target == f"log p({record.tokens[1]!r})" and expected.tokens[-1] == " Paris"
    # Against the model's most likely other token at that step (the output row of the lens).
    tracer.attribution_target = "alternative"
    tracer.wait()
    top = record.lens.top_ids[1, tracer.handle.n_layers]
    alternative = int(top[0] if top[0] != record.token_ids[1] else top[1])
    expected = attribute_generation(record, 1, method="gradient_x_input", foil=alternative, faithfulness=False)
    check_strip(tracer, expected, 1, "gradient_x_input", "alternative")
    assert " − log p(" in tracer._attribution["target"]
    # Gradient × input is linear in the target: the contrast is the token's scores minus the alternative's.
    context = record.generation.trace.token_ids.tolist()[: record.generation.n_prompt + 1]
    other = attribute_ids(
        tracer.handle, context, TokenTarget(alternative), method="gradient_x_input", faithfulness=False
    )
    np.testing.assert_allclose(
        from_wire(tracer._attribution["scores"]), token.scores - other.scores, rtol=1e-3, atol=1e-5
    )


def test_a_method_change_recomputes_only_the_attribution(attributing, monkeypatch):
    tracer = attributing
    choose(tracer, step=2, selected_attention_layer=18, selected_head=6)
    calls, payloads = [], []
    real = generation_tracer.attribute_generation

    def spy(record, step, *, method, **options):
        calls.append((step, method))
        return real(record, step, method=method, **options)

    monkeypatch.setattr(generation_tracer, "attribute_generation", spy)
    for name in ("step_attention_payload", "head_row_payload"):
        original = getattr(tracer, name)
        monkeypatch.setattr(tracer, name, lambda *args, f=original, n=name: payloads.append(n) or f(*args))
    attention, row = tracer._step_attention, tracer._head_row
    tracer.attribution_method = "occlusion"
    tracer.wait()
    assert calls == [(2, "occlusion")] and payloads == []
    assert tracer._step_attention is attention and tracer._head_row is row
    expected = real(tracer.record, 2, method="occlusion", faithfulness=False)
    check_strip(tracer, expected, 2, "occlusion", "token")
    # Back to a method already computed at this step: the cached answer, on the kernel, no worker.
    tracer.attribution_method = "gradient_x_input"
    assert tracer._status["state"] == "done" and tracer._attribution["method"] == "gradient_x_input"
    assert calls == [(2, "occlusion")]
    # Stepping recomputes for the new step; a step superseded before it is answered is never shown.
    tracer.step = 3
    tracer.step = 4
    tracer.wait()
    assert tracer._attribution["step"] == 4 and calls[-1] == (4, "gradient_x_input")
    assert tracer._step_attention["step"] == 4 and tracer._head_row["step"] == 4


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"attribution_target": "foil", "attribution_foil": " Parisians and"}, "a target reads one token"),
        ({"attribution_target": "foil", "attribution_foil": " Paris"}, "same token"),
        ({"attribution_target": "foil", "attribution_foil": ""}, "Type a foil token"),
        ({"attribution_target": "answer"}, "attribution_target must be one of"),
        ({"attribution_method": "lime"}, "method must be one of"),
    ],
)
def test_a_bad_foil_or_choice_shows_the_error_and_the_worker_lives_on(attributing, changes, error):
    tracer = attributing
    choose(tracer, **changes)
    assert error in tracer._error and tracer._status["state"] == "error"
    choose(tracer, attribution_method="gradient_x_input", attribution_target="foil", attribution_foil=" London")
    assert tracer._error == ""
    expected = attribute_generation(tracer.record, 0, method="gradient_x_input", foil=" London", faithfulness=False)
    check_strip(tracer, expected, 0, "gradient_x_input", "foil")
    assert tracer._attribution["target"] == "log p(' Paris') − log p(' London')"


def test_integrated_gradients_legend_numbers_and_faithfulness_when_asked(smollm2):
    options = {"steps": 2, "max_steps": 4, "faithfulness": True}
    tracer = GenerationTracer(smollm2, "The capital of France is", max_new_tokens=2, attribution_options=options)
    choose(tracer, show_attribution=True, step=1)
    assert tracer._error == ""
    expected = attribute_generation(tracer.record, 1, **options)
    payload = tracer._attribution
    check_strip(tracer, expected, 1, "integrated_gradients", "token")
    assert payload["steps"] == expected.steps in (2, 4) and payload["layer"] is None
    assert payload["completeness_error"] == pytest.approx(expected.completeness_error, abs=1e-5)
    assert payload["warning"]  # 4 steps are not enough for 2 %: the view must say so
    f = expected.faithfulness
    assert payload["faithfulness"] == pytest.approx(
        {
            "deletion_area": f.deletion_area,
            "insertion_area": f.insertion_area,
            "random_deletion_area": f.random_deletion_area,
            "random_insertion_area": f.random_insertion_area,
        },
        abs=1e-4,
    )


def test_attribution_options_are_checked_and_the_view_offers_every_method(smollm2):
    with pytest.raises(InputError, match="does not take metric"):
        GenerationTracer(smollm2, "Hello", attribution_options={"metric": len})
    view_types = (Path(__file__).resolve().parents[1] / "js" / "src" / "tracer" / "types.ts").read_text()
    assert all(f'"{method}"' in view_types for method in METHODS)
