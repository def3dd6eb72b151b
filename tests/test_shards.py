"""Corpus-scale harvests: shards equal the in-memory harvest, resume after an interruption, read lazily."""

from __future__ import annotations

import numpy as np
import pytest

from interplab_widgets import InputError, ProjectionExplorer, harvest, load_model
from interplab_widgets.capture.shards import ActivationShards, harvest_shards, plan_shards


@pytest.fixture(scope="module")
def toy():
    return load_model("toy-induction")


@pytest.fixture(scope="module")
def texts(toy):
    syllables = toy.tokenizer.convert_ids_to_tokens(list(range(64)))
    rng = np.random.default_rng(0)
    return [" ".join(rng.choice(syllables, size=rng.integers(4, 30))) for _ in range(40)]


def test_shards_equal_the_in_memory_harvest(toy, texts, tmp_path):
    shards = harvest_shards(toy, texts, tmp_path / "h", layers=[1, 2], shard_tokens=200, batch_size=4, progress=False)
    assert shards.complete and len(shards.plan) > 2
    memory = harvest(toy, texts, layers=[1, 2], batch_size=4, cache=False, progress=False)
    for layer in (1, 2):
        streamed = np.concatenate([shards.activations(i, layer) for i in range(len(shards.plan))])
        np.testing.assert_allclose(streamed, memory.layer(layer), atol=1e-5, rtol=0)  # batches pad differently
    provenance = {n: np.concatenate([shards.provenance(i)[n] for i in range(len(shards.plan))]) for n in
                  ("text_index", "token_index", "start", "end")}  # fmt: skip
    for name in provenance:
        assert np.array_equal(provenance[name], getattr(memory, name)), name
    assert shards.texts() == texts and shards.n_rows == memory.n_rows

    sample = shards.sample(50, layers=[2], seed=1)  # a Harvest, as ProjectionExplorer takes one
    assert sample.n_rows == 50 and sample.layers == [2]
    rows = [int(np.flatnonzero((memory.text_index == t) & (memory.token_index == k))[0])
            for t, k in zip(sample.text_index, sample.token_index)]  # fmt: skip
    np.testing.assert_allclose(sample.layer(2), memory.layer(2)[rows], atol=1e-5, rtol=0)
    assert sample.tokens == [memory.tokens[r] for r in rows]
    assert ProjectionExplorer(toy, sample).harvest.n_rows == 50  # a view takes the sample as it is
    batches = list(shards.batches(1, 64, seed=3))
    assert sum(len(b) for b in batches) == shards.n_rows and max(len(b) for b in batches) == 64


def test_an_interrupted_harvest_resumes_without_recomputing_finished_shards(toy, texts, tmp_path):
    blocks = toy.adapter.block_list(toy.model)
    calls = []

    def interrupt(module, args):
        calls.append(1)
        if len(calls) == 4:  # inside the second shard (shards here are two batches)
            raise KeyboardInterrupt

    hook = blocks[0].register_forward_pre_hook(interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            harvest_shards(toy, texts, tmp_path / "h", layers=[2], shard_tokens=60, batch_size=2, progress=False)
    finally:
        hook.remove()
    shards = ActivationShards(tmp_path / "h")
    assert shards.finished(0) and not shards.finished(1) and not shards.complete
    first = (tmp_path / "h" / "shard-00000.layer-2.npy").stat().st_mtime_ns
    with pytest.raises(InputError, match="not finished"):
        shards.activations(1, 2)
    counted = blocks[0].register_forward_pre_hook(lambda module, args: calls.append(1))
    calls.clear()
    try:
        resumed = harvest_shards(toy, texts, tmp_path / "h", layers=[2], shard_tokens=60, batch_size=2, progress=False)
    finally:
        counted.remove()
    assert resumed.complete
    assert len(calls) == sum(-(-(p.last - p.first) // 2) for p in resumed.plan[1:])  # batches of shards 1.. only
    assert (tmp_path / "h" / "shard-00000.layer-2.npy").stat().st_mtime_ns == first
    reference = harvest_shards(
        toy, texts, tmp_path / "fresh", layers=[2], shard_tokens=60, batch_size=2, progress=False
    )
    for i in range(len(reference.plan)):
        assert np.array_equal(resumed.activations(i, 2), reference.activations(i, 2))


def test_shard_plans_and_clear_errors(toy, texts, tmp_path):
    plan = plan_shards([5, 5, 5, 5, 5], shard_tokens=9, batch_size=2)
    assert [(p.first, p.last, p.rows) for p in plan] == [(0, 2, 10), (2, 4, 10), (4, 5, 5)]
    harvest_shards(toy, texts[:6], tmp_path / "h", layers=[1], progress=False)
    with pytest.raises(InputError, match="another harvest"):
        harvest_shards(toy, texts[:6], tmp_path / "h", layers=[2], progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        harvest_shards(toy, texts[:6], tmp_path / "other", layers=[1], progress=False)
    with pytest.raises(InputError, match="layers must be"):
        harvest_shards(toy, texts[:6], tmp_path / "x", layers=[7], progress=False)
    with pytest.raises(InputError, match="no harvest"):
        ActivationShards(tmp_path / "other")
    with pytest.raises(InputError, match="list of texts"):
        harvest_shards(toy, "ba be", tmp_path / "y", layers=[1], progress=False)
