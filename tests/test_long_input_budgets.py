"""Long inputs (#19): patching and attribution work within a stated budget, or refuse before any model run
with the estimate, the limit and what to cut. The limits are lowered here so that a short prompt reaches
them; the measured laws behind the defaults are printed by benchmarks/long_budgets.py."""

from __future__ import annotations

import pytest

from interplab_widgets import AttributionView, InputError, PatchingExplorer, PatchingPair, activation_patching
from interplab_widgets.analysis import attribution, budget, patching
from interplab_widgets.analysis.head_roles import repeated_sequences

pytestmark = pytest.mark.slow

CLEAN = "The Eiffel Tower is located in the city of"
CORRUPTED = "The Colosseum is located in the city of"
FACT = "The capital of France is the city of"


@pytest.fixture(scope="module")
def pair(smollm2):
    return PatchingPair(smollm2, CLEAN, CORRUPTED, answer=" Paris", contrast=" Rome")


@pytest.fixture
def no_model_run(smollm2, monkeypatch):
    """Any forward pass of the model fails the test."""

    def fail(*args, **kwargs):
        pytest.fail("the model ran before the refusal")

    monkeypatch.setattr(type(smollm2.model), "forward", fail)


def grid_work(pair: PatchingPair, component: str = "resid") -> float:
    layers = range(pair.n_sites(component))
    width = pair.handle.n_heads if component == "head" else pair.n_tokens
    return patching.cells_work(pair.handle, pair.n_tokens, [layer for layer in layers for _ in range(width)])


# -- patching ------------------------------------------------------------------------------------


def test_patching_explorer_refuses_a_long_grid_before_any_run(smollm2, pair, monkeypatch, no_model_run):
    monkeypatch.setattr(patching, "MAX_WORK", grid_work(pair) / 2)
    with pytest.raises(InputError) as refused:
        PatchingExplorer(smollm2, CLEAN, CORRUPTED, answer=" Paris", contrast=" Rome")
    message = str(refused.value)
    assert "Patching every resid cell (31 layers × 10 positions) at 10 tokens" in message
    assert "over the limit of" in message and "interplab_widgets.analysis.patching.MAX_WORK" in message
    assert "PatchingExplorer patches every position: shorten the prompts to at most" in message
    assert "exact(component, positions=[...])" in message


def test_exact_refuses_a_grid_over_the_limit_and_names_what_to_cut(smollm2, pair, monkeypatch, no_model_run):
    monkeypatch.setattr(patching, "MAX_WORK", grid_work(pair) / 2)
    with pytest.raises(InputError, match=r"positions=\[\.\.\.\] \(those that differ, \[1, 2, 3\], and the last\)"):
        pair.exact("resid")
    monkeypatch.setattr(patching, "MAX_WORK", grid_work(pair, "head") / 2)
    with pytest.raises(InputError, match="patch fewer layers"):
        pair.exact("head")
    with pytest.raises(InputError, match="shorten the prompts to at most"):  # the one-call form, before its pair
        activation_patching(smollm2, CLEAN, CORRUPTED, answer=" Paris", contrast=" Rome")
    with pytest.raises(InputError, match=r"above max_bytes=0\.0 GiB: shorten the text to at most"):
        pair.exact("resid", layers=[30], positions=[9], max_bytes=1000)


def test_a_grid_at_the_limit_runs_in_batches_within_max_bytes(pair, monkeypatch):
    layers, positions = [28, 29, 30], [8, 9]
    cells = [layer for layer in layers for _ in positions]
    monkeypatch.setattr(patching, "MAX_WORK", patching.cells_work(pair.handle, pair.n_tokens, cells))
    with pytest.raises(InputError, match="over the limit"):  # one position more is over it
        pair.exact("resid", layers=layers, positions=[7, 8, 9])
    whole = pair.exact("resid", layers=layers, positions=positions, progress=False)
    sizes: list[int] = []
    last_logits = pair.last_logits
    monkeypatch.setattr(pair, "last_logits", lambda ids: sizes.append(len(ids)) or last_logits(ids))
    two_rows = 2 * budget.pass_bytes(pair.handle, pair.n_tokens, grad=False)
    batched = pair.exact("resid", layers=layers, positions=positions, max_bytes=two_rows, progress=False)
    assert sizes == [2, 2, 2]
    assert batched.values == pytest.approx(whole.values, abs=1e-4)


def test_attribution_patching_refuses_a_gradient_pass_over_max_bytes(pair, no_model_run):
    with pytest.raises(InputError, match="One gradient pass over 10 tokens needs about"):
        pair.attribution("resid", max_bytes=1000)


# -- attribution ---------------------------------------------------------------------------------


def test_attribute_refuses_over_the_work_limit_before_any_run(smollm2, monkeypatch, no_model_run):
    monkeypatch.setattr(attribution, "MAX_WORK", 500)
    with pytest.raises(InputError) as refused:
        attribution.attribute(smollm2, FACT, method="occlusion")
    message = str(refused.value)
    assert "Attributing by occlusion at 8 tokens" in message
    assert "over the limit of 5e+02 (interplab_widgets.analysis.attribution.MAX_WORK" in message
    assert "Shorten the text to at most" in message and "faithfulness=False" in message
    assert "method='gradient_x_input'" in message
    # The view checks every method before the first runs: gradient × input fits, integrated gradients does not.
    monkeypatch.setattr(
        attribution, "MAX_WORK", attribution.attribution_work(8, "gradient_x_input", top_prediction=True)
    )
    with pytest.raises(InputError, match="Attributing by integrated_gradients at 8 tokens"):
        AttributionView(smollm2, FACT, methods=["gradient_x_input", "integrated_gradients"])


def test_attribute_refuses_a_gradient_pass_over_max_bytes_before_any_run(smollm2, no_model_run):
    n = 8
    forward, gradient = (budget.pass_bytes(smollm2, n, grad=grad) for grad in (False, True))
    with pytest.raises(InputError, match=r"One gradient pass over 8 tokens needs .* raise max_bytes to 1 GiB"):
        attribution.attribute(smollm2, FACT, " Paris", method="gradient_x_input", max_bytes=(forward + gradient) // 2)


def test_attribution_at_the_work_limit_runs_and_integrated_gradients_stops_doubling_there(smollm2, monkeypatch):
    n, options = 8, dict(steps=2, faithfulness=False)
    first_round = attribution.attribution_work(n, "integrated_gradients", **options)
    monkeypatch.setattr(attribution, "MAX_WORK", first_round)
    with pytest.raises(InputError, match="over the limit"):  # the pass that finds the top prediction is one more
        attribution.attribute(smollm2, FACT, **options)
    result = attribution.attribute(smollm2, FACT, " Paris", tolerance=1e-9, progress=False, **options)
    assert result.scores.shape == (n,) and result.tokens[-1] == " of"
    assert result.steps == 2
    assert "doubling to 4 steps would pass the work limit at 8 tokens" in result.warning


# -- head roles ----------------------------------------------------------------------------------


def test_head_roles_score_their_own_short_inputs_whatever_the_text(smollm2):
    """cached_head_roles (what AttentionExplorer labels heads with) runs head_scores' defaults: 8 inputs of
    2 × 25 random tokens, so its cost does not depend on the length of the user's text."""
    sequences, length, start = repeated_sequences(smollm2, 8, 25, 0)
    assert (len(sequences), length, start) == (8, 25, 0)
    assert {len(ids) for ids in sequences} == {50}
