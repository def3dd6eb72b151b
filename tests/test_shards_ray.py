"""harvest_shards on Ray: a local cluster on 127.0.0.1 with this machine's 2 CPUs writes the same files."""

from __future__ import annotations

import filecmp

import numpy as np
import pytest

from interplab_widgets import InputError, load_model
from interplab_widgets.capture.shards import harvest_shards

ray = pytest.importorskip("ray")  # the optional extra interplab-widgets[ray]; the test extra installs it


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    yield
    ray.shutdown()  # a cluster ray.init started stops with it


def test_ray_actors_write_the_in_process_shards_bit_for_bit(cluster, tmp_path):
    toy = load_model("toy-induction")
    syllables = toy.tokenizer.convert_ids_to_tokens(list(range(64)))
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(syllables, size=rng.integers(4, 30))) for _ in range(40)]
    options = {"layers": [1, 2], "shard_tokens": 200, "batch_size": 4, "progress": False}
    on_ray = harvest_shards(toy, texts, tmp_path / "ray", engine="ray", **options)
    local = harvest_shards(toy, texts, tmp_path / "local", **options)
    assert on_ray.complete and len(on_ray.plan) == len(local.plan) > 2
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "ray").iterdir())
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "ray", tmp_path / "local", names, shallow=False)
    assert mismatch == [] and errors == []
    with pytest.raises(InputError, match="engine must be"):
        harvest_shards(toy, texts, tmp_path / "x", engine="spark", **options)
