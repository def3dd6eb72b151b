"""Shared fixtures: the embedded real models (loaded once per session) and tiny random models per family."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from interplab_widgets import load_model


@pytest.fixture(scope="session")
def smollm2():
    return load_model("smollm2-135m")


@pytest.fixture(scope="session")
def minilm():
    return load_model("minilm-l6")
