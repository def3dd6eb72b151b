"""FeatureExplorer on the toy model's SAE: the list, dashboards read back from the shards, the prompt view,
live requests, clear errors and the static export."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from toy_features import toy_texts

from interplab_widgets import FeatureExplorer, InputError, harvest_shards, load_model, save_html
from interplab_widgets.widgets.wire import from_wire


@pytest.fixture(scope="module")
def toy():
    return load_model("toy-induction")


@pytest.fixture(scope="module")
def explorer(toy, toy_sae):
    sae, shards = toy_sae
    return FeatureExplorer(toy, sae, shards, text="ba ko mi ba ko mi")


def test_the_list_and_a_dashboard_match_the_shards(explorer):
    features = explorer._features
    assert features["n_latents"] == 256 and features["layer"] == 1 and features["k"] == 16
    np.testing.assert_allclose(from_wire(features["density"]), explorer.dashboards.density, rtol=1e-6)
    # a single-token feature: its summary is one token and every top context's focus token is that token
    single = next(j for j, top in enumerate(features["top_tokens"]) if len(top) == 1 and top[0][1] == 20)
    dashboard = explorer.dashboard_payload(single)
    token = features["top_tokens"][single][0][0]
    assert len(dashboard["contexts"]) == 10
    for context, value in zip(dashboard["contexts"], explorer.dashboards.top_values[single]):
        assert context["tokens"][context["focus"]].strip() == token.strip()
        assert context["activation"] == pytest.approx(float(value), rel=1e-5)  # re-encoded = the pass's value
        assert context["values"][context["focus"]] == context["activation"] <= max(context["values"])
    # quantile samples span the activations below the top, each context inside its band
    bands = dashboard["quantiles"]
    assert len(bands) == 4 and bands[0]["low"] < bands[-1]["high"]
    assert bands[0]["high"] < dashboard["max_activation"]
    for band in bands:
        for context in band["contexts"]:
            assert band["low"] - 1e-4 <= context["activation"] <= band["high"] + 1e-4
    assert sum(dashboard["histogram"]["counts"]) == round(dashboard["density"] * explorer.dashboards.n_rows)
    assert len(dashboard["histogram"]["edges"]) == len(dashboard["histogram"]["counts"]) + 1
    assert [t["logit"] for t in dashboard["promoted"]] == sorted((t["logit"] for t in dashboard["promoted"]),
                                                                 reverse=True)  # fmt: skip


def test_the_prompt_shows_each_tokens_strongest_features(explorer, toy, toy_sae):
    sae, _ = toy_sae
    prompt = explorer._prompt
    trace = toy.run("ba ko mi ba ko mi")
    assert prompt["tokens"] == trace.tokens
    assert prompt["skipped"] == 1 and prompt["features"][0] == []  # the first token is not encoded
    z = sae.encode(trace.residual(1).float()).detach()
    for position in range(1, len(prompt["tokens"])):
        strongest = prompt["features"][position]
        assert 0 < len(strongest) <= 5
        assert strongest[0]["feature"] == int(torch.argmax(z[position]))
        assert strongest[0]["activation"] == pytest.approx(float(z[position].max()), rel=1e-4)


def test_selections_are_answered_on_the_worker_and_bad_ones_get_an_error(explorer):
    before = explorer.computations
    explorer.selected_feature = 3
    explorer.wait()
    assert explorer._dashboard["feature"] == 3 and explorer.computations == before + 1
    explorer.text = "mi mi mi ko"
    explorer.wait()
    assert len(explorer._prompt["tokens"]) == 4 and explorer._error == ""
    explorer.selected_feature = 3  # cached: no new computation
    explorer.selected_feature = 9999
    explorer.wait()
    assert "0..255" in explorer._error and explorer._dashboard["feature"] == 3
    explorer.selected_feature = -1
    explorer.wait()
    assert explorer._dashboard == {} and explorer._error == ""


def test_texts_are_harvested_for_the_user_and_mismatches_are_clear(toy, toy_sae, tmp_path):
    sae, shards = toy_sae
    own = FeatureExplorer(toy, sae, toy_texts(toy, 24, seed=5), selected_feature=0)
    assert own.dashboards.n_rows == sum(len(t.split()) - 1 for t in toy_texts(toy, 24, seed=5))
    assert own._dashboard["feature"] == 0
    with pytest.raises(InputError, match="TopKSAE"):
        FeatureExplorer(toy, "not an sae", shards)
    other_layer = harvest_shards(toy, toy_texts(toy, 4, seed=6), tmp_path / "l2", layers=[2], progress=False)
    with pytest.raises(InputError, match=r"harvest layers=\[1\]"):
        FeatureExplorer(toy, sae, other_layer)
    with pytest.raises(InputError, match=r"0\.\.255"):
        FeatureExplorer(toy, sae, shards, selected_feature=256)
    with pytest.raises(InputError, match="sort_by"):
        FeatureExplorer(toy, sae, shards, sort_by="name")
    with pytest.raises(InputError, match="d_model"):
        FeatureExplorer(load_model("smollm2-135m"), sae, shards)


def test_the_static_export_carries_the_dashboard_and_hostile_text_stays_data(explorer, tmp_path):
    explorer.text = "<img src=x onerror=alert(1)></script>"
    explorer.selected_feature = 5
    explorer.wait()
    page = save_html(tmp_path / "features.html", explorer).read_text()
    assert "feature_explorer" in page or "ilw-feature" in page
    assert "<img src=x" not in page and "</script>ba" not in page  # escaped inside the snapshot's JSON
    assert '"selected_feature": 5' in page or '"selected_feature":5' in page
