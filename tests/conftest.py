"""Shared fixtures: the embedded real models (loaded once per session) and tiny random models per family."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Every test run starts from an empty cache of its own (kernels the tests start inherit it), so no test
# reads a result some earlier code wrote and the user's own cache is never touched.
os.environ["INTERPLAB_CACHE"] = tempfile.mkdtemp(prefix="interplab-test-cache-")

from interplab_widgets import load_model

atexit.register(shutil.rmtree, os.environ["INTERPLAB_CACHE"], ignore_errors=True)


@pytest.fixture(scope="session")
def smollm2():
    return load_model("smollm2-135m")


@pytest.fixture(scope="session")
def minilm():
    return load_model("minilm-l6")


def pytest_terminal_summary(terminalreporter):
    """Print the wall times tests recorded (``record_property("wall_s", ...)``): measured, never asserted."""
    reports = [r for r in terminalreporter.stats.get("passed", []) if r.when == "call"]
    timed = [(r.nodeid, dict(r.user_properties)["wall_s"]) for r in reports if "wall_s" in dict(r.user_properties)]
    if timed:
        terminalreporter.write_sep("-", "wall times")
        for nodeid, seconds in timed:
            terminalreporter.write_line(f"{seconds:7.1f} s  {nodeid}")


@pytest.fixture(scope="session")
def toy_sae(tmp_path_factory):
    """A TopK SAE trained on 200k rows of toy-induction shards at layer 1 (token and previous token), and the
    shards: shared by the SAE and FeatureExplorer tests."""
    from toy_features import toy_texts

    from interplab_widgets.capture.shards import harvest_shards
    from interplab_widgets.features import train_sae

    toy = load_model("toy-induction")
    folder = tmp_path_factory.mktemp("toy-shards")
    shards = harvest_shards(toy, toy_texts(toy, 300, seed=2), folder / "h", layers=[1], shard_tokens=2000,
                            progress=False)  # fmt: skip
    sae, _ = train_sae(shards, layer=1, n_latents=256, k=16, tokens=200_000, batch_rows=512, lr=2e-3,
                       dead_tokens=10_000, progress=False)  # fmt: skip
    return sae, shards
