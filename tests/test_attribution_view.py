"""AttributionView on SmolLM2: the payload the view gets, what a change recomputes, and errors shown in the view."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from interplab_widgets import AttributionView, InputError, attribute
from interplab_widgets.widgets import attribution_view
from interplab_widgets.widgets.static_html import _script_json, snapshot_html
from interplab_widgets.widgets.wire import from_wire

EIFFEL = "The Eiffel Tower is located in the city of"
HOSTILE = "<img src=x onerror=alert(1)>"


def test_rows_carry_the_attributions_their_completeness_and_curves(smollm2, record_property):
    started = time.perf_counter()
    view = AttributionView(
        smollm2, EIFFEL, " Paris", methods=["integrated_gradients", "occlusion"], steps=4, max_steps=4
    )
    record_property("wall_s", time.perf_counter() - started)  # the first paint: two methods with curves
    options = dict(faithfulness=False, progress=False)
    ig = attribute(smollm2, EIFFEL, " Paris", method="integrated_gradients", steps=4, max_steps=4, **options)
    occlusion = attribute(smollm2, EIFFEL, " Paris", method="occlusion", **options)

    assert view._tokens == ig.tokens and view._tokens[3] == " Tower"
    assert view._error == "" and view._status == {}
    assert [row["method"] for row in view._rows] == ["integrated_gradients", "occlusion"]
    for row, expected in zip(view._rows, (ig, occlusion), strict=True):
        np.testing.assert_allclose(from_wire(row["scores"]), expected.scores, rtol=1e-5, atol=1e-7)
        assert from_wire(row["scores"]).dtype == np.float32
        np.testing.assert_array_equal(from_wire(row["attributed"]), [0] + [1] * 9)
        assert row["target"] == "log p(' Paris')"
        assert (row["target_token"], row["foil"], row["baseline"]) == (" Paris", "", "zero")
        assert row["value"] == pytest.approx(expected.value, abs=1e-5)
        # The curves start (deletion) and end (insertion) at the input itself: the target's own value.
        f = row["faithfulness"]
        fractions = from_wire(f["fractions"])
        assert fractions[0] == 0 and fractions[-1] == 1 and len(fractions) == 11
        for curve in ("deletion", "random_deletion"):
            assert from_wire(f[curve])[0] == pytest.approx(expected.value, abs=1e-4)
        for curve in ("insertion", "random_insertion"):
            assert from_wire(f[curve])[-1] == pytest.approx(expected.value, abs=1e-4)
            assert from_wire(f[curve])[0] == pytest.approx(expected.baseline_value, abs=1e-4)
        assert f["deletion_area"] == pytest.approx(np.trapezoid(from_wire(f["deletion"]), fractions), rel=1e-5)
    shown_ig, shown_occlusion = view._rows
    # Integrated gradients says how far its scores add up, and warns when they do not (4 steps are too few).
    assert (shown_ig["steps"], shown_ig["completeness_error"]) == (4, pytest.approx(ig.completeness_error))
    assert shown_ig["completeness_error"] > 0.02 and "completeness error" in shown_ig["warning"]
    assert shown_ig["warning"] == ig.warning
    assert (shown_occlusion["steps"], shown_occlusion["completeness_error"], shown_occlusion["warning"]) == (
        None,
        None,
        "",
    )


def test_a_change_computes_only_what_is_missing_on_the_worker_and_bad_input_shows_in_the_view(
    smollm2, monkeypatch, tmp_path
):
    calls: list[tuple[str, str | None, str]] = []
    real = attribution_view.attribute

    def counted(handle, text, target, *, method, **options):
        calls.append((method, target, threading.current_thread().name))
        return real(handle, text, target, method=method, **options)

    monkeypatch.setattr(attribution_view, "attribute", counted)
    with pytest.raises(InputError, match="is 2 tokens"):
        AttributionView(smollm2, EIFFEL, " Paris France", methods=["gradient_x_input"], faithfulness=False)
    calls.clear()

    text = f"{HOSTILE} {EIFFEL}"
    view = AttributionView(smollm2, text, " Paris", methods=["gradient_x_input"], faithfulness=False)
    assert [c[:2] for c in calls] == [("gradient_x_input", " Paris")]
    assert calls[0][2] == threading.current_thread().name  # construction: in the user's cell

    view.methods = ["gradient_x_input", "attention_x_gradient"]
    view.wait()
    assert [c[:2] for c in calls[1:]] == [("attention_x_gradient", " Paris")]  # only the new method
    assert calls[1][2].startswith("interplab worker")  # a view's request runs on the model's worker
    assert [row["method"] for row in view._rows] == ["gradient_x_input", "attention_x_gradient"]
    assert view._rows[1]["layer"] == smollm2.n_layers - 1 and view._status["state"] == "done"
    view.methods = ["attention_x_gradient", "gradient_x_input"]  # both cached: answered at once
    view.wait()
    assert len(calls) == 2 and [row["method"] for row in view._rows] == ["attention_x_gradient", "gradient_x_input"]

    view.target = " Paris France"  # bad input from the browser: the view shows it, the kernel lives
    view.wait()
    assert "target=' Paris France' is 2 tokens" in view._error and view._status["state"] == "error"
    assert view._rows[0]["target_token"] == " Paris"  # the last answer stays (the view dims it)
    view.methods = ["occlusion", "saliency"]
    view.wait()
    assert "methods must be a non-empty list" in view._error
    # One browser message setting three traits is one request.
    view.set_state({"methods": ["gradient_x_input", "attention_x_gradient"], "target": " London", "foil": " Paris"})
    view.wait()
    assert view._error == "" and view._status["state"] == "done"
    assert [row["target"] for row in view._rows] == ["log p(' London') − log p(' Paris')"] * 2
    assert [c[:2] for c in calls[-2:]] == [("gradient_x_input", " London"), ("attention_x_gradient", " London")]
    assert set(view.results) == {
        (method, target, foil, "zero")
        for method in ("gradient_x_input", "attention_x_gradient")
        for target, foil in ((" Paris", ""), (" London", " Paris"))
    }
    np.testing.assert_array_equal(from_wire(view._rows[0]["scores"]), view.attribution("gradient_x_input").scores)
    # The pinned token is view state: a token the prompt lacks is refused with its range, from the browser too.
    n = len(view._tokens)
    view.set_state({"selected_token": n, "_request": view._request + 1})
    assert view._status["state"] == "error" and f"selected_token must be in -1..{n - 1}" in view._error
    assert view.selected_token == -1
    with pytest.raises(InputError, match=f"selected_token must be in -1..{n - 1}"):
        view.selected_token = -2

    assert "".join(view._tokens).startswith(HOSTILE)  # token text is data: escaped in the static export
    page = snapshot_html([view])
    assert "<img" not in page
    assert f'"_tokens": {_script_json(view._tokens)}' in page  # every token, "<" escaped as \\u003c
