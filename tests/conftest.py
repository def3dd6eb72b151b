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
