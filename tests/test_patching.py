"""Activation and attribution patching: exact identities on every family, the known factual-recall
pattern on SmolLM2, and the widget's handlers without a browser."""

from __future__ import annotations

import numpy as np
import pytest
from test_families import tiny_handle
from tiny_models import TINY_CONFIGS

from interplab_widgets import InputError, PatchingExplorer, PatchingPair, activation_patching, attribution_patching
from interplab_widgets.analysis.patching import COMPONENTS, LogitDifference
from interplab_widgets.widgets.wire import from_wire

CLEAN = "The Eiffel Tower is located in the city of"
CORRUPTED = "The Colosseum is located in the city of"
SUBJECT = (1, 2, 3)  # " E" "iffel" " Tower" / " Col" "osse" "um"
CAUSAL_FAMILIES = sorted(t for t in TINY_CONFIGS if t not in ("bert", "roberta"))


@pytest.fixture(scope="module")
def landmarks(smollm2):
    return PatchingPair(smollm2, CLEAN, CORRUPTED, answer=" Paris", contrast=" Rome")


@pytest.fixture(scope="module")
def resid_grid(landmarks):
    return landmarks.exact("resid", progress=False)


def all_cells(pair, component):
    width = pair.handle.n_heads if component == "head" else pair.n_tokens
    return [(layer, column) for layer in range(pair.n_sites(component)) for column in range(width)]


def test_patching_a_run_with_its_own_activations_changes_nothing(landmarks):
    for component in COMPONENTS:
        values = landmarks.patched_metric(
            component, all_cells(landmarks, component), source="clean", target="clean", batch_size=64
        )
        np.testing.assert_allclose(landmarks.normalise(values), 1.0, atol=1e-5, err_msg=component)


def test_patching_the_final_residual_at_the_last_token_restores_the_clean_output(landmarks, resid_grid):
    last_layer, last_token = landmarks.handle.n_layers, landmarks.n_tokens - 1
    assert resid_grid.effects[last_layer, last_token] == pytest.approx(1.0, abs=1e-5)
    # Earlier tokens of the final residual cannot reach the next-token logits any more.
    np.testing.assert_allclose(resid_grid.effects[last_layer, :last_token], 0.0, atol=1e-5)
    assert landmarks.patched_predictions("resid", last_layer, last_token)[0][0] == " Paris"
    noised = landmarks.exact("resid", direction="noise", layers=[last_layer], progress=False)
    assert noised.effects[0, last_token] == pytest.approx(0.0, abs=1e-5)
    assert landmarks.patched_predictions("resid", last_layer, last_token, direction="noise")[0][0] == " Rome"


def test_factual_recall_moves_from_the_subject_to_the_last_token(resid_grid):
    """Meng et al.'s picture on SmolLM2: the subject's tokens carry the fact through the early and
    middle layers; from block 23's attention on, the last token does."""
    effects, last = resid_grid.effects, resid_grid.effects.shape[1] - 1
    assert resid_grid.row_labels()[:2] == ["emb", "1"]
    for layer in range(1, 23):
        assert int(effects[layer].argmax()) in SUBJECT, layer
        assert effects[layer, list(SUBJECT)].max() > 0.6, layer
        assert abs(effects[layer, last]) < 0.1, layer
    for layer in range(24, 31):
        assert int(effects[layer].argmax()) == last, layer
        assert effects[layer, last] > 0.8, layer
        assert effects[layer, list(SUBJECT)].max() < 0.05, layer


def test_attribution_patching_tracks_exact_patching_for_attention(landmarks):
    """Measured: attn 0.83, head 0.87 (denoising); resid 0.50 and mlp -0.36, where layer 0's large,
    nonlinear changes break the linear approximation."""
    for component, floor in (("attn", 0.75), ("head", 0.8)):
        exact = landmarks.exact(component, progress=False)
        estimate = landmarks.attribution(component)
        assert estimate.method == "attribution" and estimate.effects.shape == exact.effects.shape
        assert np.corrcoef(exact.effects.ravel(), estimate.effects.ravel())[0, 1] > floor, component


def test_the_one_call_functions_agree_with_the_pair(smollm2, landmarks):
    heads = activation_patching(smollm2, CLEAN, CORRUPTED, component="head", layers=[23], progress=False)
    assert heads.effects.shape == (1, smollm2.n_heads) and heads.columns == list(range(smollm2.n_heads))
    same = landmarks.exact("head", layers=[23], progress=False)
    np.testing.assert_allclose(heads.effects, same.effects, atol=1e-5)
    estimate = attribution_patching(smollm2, CLEAN, CORRUPTED, component="mlp", positions=[-1])
    assert estimate.effects.shape == (smollm2.n_layers, 1) and estimate.positions == [9]


@pytest.mark.parametrize("model_type", CAUSAL_FAMILIES)
def test_every_causal_family_patches_each_component(model_type, smollm2):
    handle, _ = tiny_handle(model_type, {"causal": smollm2.tokenizer, "encoder": None})
    pair = PatchingPair(handle, "The cat sat on the mat", "The dog sat on the mat", metric=LogitDifference(11, 12))
    for component in COMPONENTS:
        same = pair.patched_metric(component, all_cells(pair, component), source="clean", target="clean")
        np.testing.assert_allclose(pair.normalise(same), 1.0, atol=1e-4, err_msg=component)
        grid = pair.exact(component, progress=False)
        assert np.isfinite(grid.effects).all()
        # " The" is the same token in both prompts and nothing before it differs: patching it is a no-op.
        if component != "head":
            np.testing.assert_allclose(grid.effects[:, 0], 0.0, atol=1e-4, err_msg=component)
        assert np.isfinite(pair.attribution(component).effects).all()
    final = pair.exact("resid", layers=[handle.n_layers], progress=False)
    assert final.effects[0, -1] == pytest.approx(1.0, abs=1e-4)


def test_prompts_of_different_lengths_show_both_tokenisations(smollm2):
    with pytest.raises(InputError, match=r"clean has 10: \['The', ' E', 'iffel'.*corrupted has 9"):
        PatchingPair(smollm2, CLEAN, "The Great Wall is located in the city of")


def test_bad_arguments_get_specific_errors(smollm2, minilm, landmarks):
    with pytest.raises(InputError, match="encoder"):
        PatchingPair(minilm, "a b c", "a b d")
    with pytest.raises(InputError, match=r"is 3 tokens \[. E., .iffel., .stadt.\]"):
        PatchingPair(smollm2, CLEAN, CORRUPTED, answer=" Eiffelstadt")
    with pytest.raises(InputError, match="both predict"):
        PatchingPair(smollm2, CLEAN, "The Louvre Tower is located in the city of")
    with pytest.raises(InputError, match="component must be one of"):
        landmarks.exact("neurons")
    with pytest.raises(InputError, match="direction must be one of"):
        landmarks.exact("resid", direction="sideways")
    with pytest.raises(InputError, match="layer 31 is out of range"):
        landmarks.exact("resid", layers=[31])
    with pytest.raises(InputError, match="position 10 is out of range"):
        landmarks.exact("attn", positions=[10])


def test_explorer_sends_a_grid_and_answers_a_click_with_one_cell(smollm2):
    explorer = PatchingExplorer(smollm2, CLEAN, CORRUPTED)
    grid = explorer._grid
    assert (grid["component"], grid["direction"]) == ("resid", "denoise")
    effects = from_wire(grid["effects"])
    assert effects.shape == (31, 10) and len(grid["rows"]) == 31
    assert explorer._clean_tokens[3] == " Tower" and explorer._corrupted_tokens[3] == "um"
    assert explorer._metric_label == "logit(' Paris') − logit(' Rome') at the last token"
    assert explorer._cell == {}

    explorer.selected_layer, explorer.selected_position = 23, 9
    explorer.wait()
    explorer.component = "attn"
    explorer.wait()
    cell = explorer._cell
    assert explorer._error == ""
    assert (cell["component"], cell["layer"], cell["position"], cell["head_layer"]) == ("attn", 23, 9, 23)
    heads = from_wire(cell["heads"])
    assert heads.shape == (9,) and heads.max() > 0.3  # one head of block 23 moves most of the fact
    assert cell["effect"] == pytest.approx(float(from_wire(explorer._grid["effects"])[23, 9]))
    assert cell["top"]["clean"][0][0] == " Paris"
    assert cell["top"]["corrupted"][0][0] == " Rome"
    assert len(cell["top"]["patched"]) == 5

    explorer.component = "resid"
    explorer.wait()
    explorer.selected_layer = 30
    explorer.wait()
    explorer.component = "mlp"  # mlp has rows 0..29: the selection moves to the last one
    explorer.wait()
    assert explorer.selected_layer == 29 and explorer._cell["layer"] == 29 and explorer._error == ""
    explorer.component = "resid"
    explorer.wait()
    explorer.selected_layer = 0
    explorer.wait()
    assert explorer._cell["head_layer"] is None and explorer._cell["heads"] is None
    assert set(explorer.results) == {("resid", "denoise"), ("attn", "denoise"), ("mlp", "denoise")}


def test_explorer_shows_bad_selections_and_keeps_going(smollm2):
    explorer = PatchingExplorer(smollm2, CLEAN, CORRUPTED, component="mlp")
    explorer.selected_layer, explorer.selected_position = 30, 2  # mlp has rows 0..29
    explorer.wait()
    assert "layer 30 is out of range" in explorer._error
    explorer.component = "neurons"
    explorer.wait()
    assert "component must be one of" in explorer._error
    explorer.component = "mlp"
    explorer.wait()
    explorer.selected_layer = 4
    explorer.wait()
    assert explorer._error == "" and explorer._cell["layer"] == 4 and explorer._status["state"] == "done"
