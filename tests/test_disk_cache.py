"""The disk cache never serves another model's or another code version's results, and stays within its cap."""

from __future__ import annotations

import sys

import numpy as np
import torch

from interplab_widgets import clear_cache, harvest, load_model
from interplab_widgets.disk_cache import cache_dir, cached_results

TEXTS = ["lu ta do su no lo lu ta do", "ti pe so pi go da ti pe so"]  # words of the toy model's vocabulary


def test_tests_run_on_a_cache_folder_of_their_own():
    assert "interplab-test-cache-" in str(cache_dir())


def test_a_changed_model_under_the_same_name_does_not_read_the_original_harvest(tmp_path):
    """Only the last block's MLP changes, so a key over the config and the embeddings (the old one) would match."""
    original = load_model("toy-induction")
    first = harvest(original, TEXTS, cache=tmp_path, progress=False)
    assert not first.from_cache and harvest(original, TEXTS, cache=tmp_path, progress=False).from_cache
    edited = load_model("toy-induction", fresh=True)
    assert edited.name == original.name and edited.fingerprint() == original.fingerprint()
    last_mlp = [p for name, p in edited.model.named_parameters() if "mlp" in name][-1]
    with torch.no_grad():
        last_mlp.add_(0.5)
    assert edited.fingerprint() != original.fingerprint()
    second = harvest(edited, TEXTS, cache=tmp_path, progress=False)
    assert not second.from_cache
    n = original.n_layers
    assert not np.allclose(second.layer(n), first.layer(n)) and np.allclose(second.layer(0), first.layer(0))


def test_a_new_harvest_format_does_not_read_old_files(tmp_path, monkeypatch):
    module = sys.modules["interplab_widgets.capture.harvest"]
    model = load_model("toy-induction")
    harvest(model, TEXTS, cache=tmp_path, progress=False)
    monkeypatch.setattr(module, "FORMAT_VERSION", module.FORMAT_VERSION + 1)
    assert not harvest(model, TEXTS, cache=tmp_path, progress=False).from_cache


def test_the_cache_evicts_the_least_recently_used_result_and_clears(monkeypatch):
    model = load_model("toy-induction")
    clear_cache()
    texts = [[" ".join(words * 4)] for words in (["lu", "ta"], ["do", "su"], ["no", "lo"])]
    harvest(model, texts[0], progress=False)
    size = sum(p.stat().st_size for p in cached_results())
    monkeypatch.setenv("INTERPLAB_CACHE_MAX_BYTES", str(int(2.5 * size)))  # room for two harvests
    harvest(model, texts[1], progress=False)
    assert harvest(model, texts[0], progress=False).from_cache  # a read: texts[1] is now the oldest
    harvest(model, texts[2], progress=False)
    assert len(cached_results()) == 2
    assert harvest(model, texts[0], progress=False).from_cache
    assert harvest(model, texts[2], progress=False).from_cache
    assert not harvest(model, texts[1], progress=False).from_cache  # evicted
    assert clear_cache() > 0 and cached_results() == []
    assert (cache_dir()).is_dir()  # converted models stay unless asked: clear_cache(models=True)
