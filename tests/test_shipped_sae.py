"""The SAE shipped for smollm2-135m: it reloads, reproduces its recorded numbers on a held-out slice, and has
features whose top contexts are one token."""

from __future__ import annotations

import json

import numpy as np
import pytest

from interplab_widgets import FeatureExplorer, InputError, harvest_shards, load_sae
from interplab_widgets.features import evaluate_sae, shipped_saes
from interplab_widgets.features.sae import SHIPPED

FOLDER = SHIPPED / "smollm2-135m-layer15"


@pytest.fixture(scope="module")
def shipped():
    sae = load_sae("smollm2-135m", layer=15)
    held = [json.loads(line) for line in (FOLDER / "heldout.jsonl").read_text().splitlines()]
    return sae, held


def test_the_shipped_sae_reproduces_its_recorded_numbers(shipped, smollm2):
    sae, held = shipped
    recorded = sae.config.notes["heldout_slice"]
    assert shipped_saes() == {"smollm2-135m": [15]}
    assert (sae.config.d_model, sae.config.layer, sae.config.k) == (576, 15, 32)
    assert (FOLDER / "sae.safetensors").stat().st_size < 6 * 2**20  # float16: fits the wheel
    result = evaluate_sae(sae, smollm2, held[: recorded["texts"]], progress=False)
    assert result.fvu == pytest.approx(recorded["fvu"], abs=1e-4)
    assert result.mean_l0 == pytest.approx(recorded["mean_l0"], abs=1e-3)
    assert result.loss_recovered == pytest.approx(recorded["loss_recovered"], abs=1e-3)
    with pytest.raises(InputError, match="No SAE is shipped"):
        load_sae("smollm2-135m", layer=3)


def test_the_shipped_sae_has_single_token_features(shipped, smollm2, tmp_path):
    """On 120 held-out texts (4,540 tokens): 82 latents whose 20 top contexts are all one token (measured);
    latent 61 is " the", and FeatureExplorer's dashboard shows it on every top context."""
    sae, held = shipped
    shards = harvest_shards(smollm2, held[:120], tmp_path / "h", layers=[15], progress=False)
    explorer = FeatureExplorer(smollm2, sae, shards)
    dashboards = explorer.dashboards
    tokens = np.concatenate([shards.provenance(i)["token_id"] for i in range(len(shards.plan))])
    single = {}
    for latent in range(sae.config.n_latents):
        rows = dashboards.top_rows[latent]
        if (rows >= 0).all() and len(set(tokens[rows])) == 1:
            single[latent] = smollm2.tokenizer.decode([int(tokens[rows[0]])])
    assert len(single) >= 40, single
    assert single.get(61) == " the"
    contexts = explorer.dashboard_payload(61)["contexts"]
    assert len(contexts) == 10 and {c["tokens"][c["focus"]] for c in contexts} == {" the"}
    assert explorer._features["top_tokens"][61] == [[" the", 20]]
