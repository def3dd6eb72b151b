"""What Python syncs to the browser, the browser reads: no trait crosses the wire for nothing."""

from __future__ import annotations

import re
from pathlib import Path

import anywidget
import pytest

from interplab_widgets.widgets import (
    AttentionExplorer,
    AttributionView,
    FailureExplorer,
    GenerationTracer,
    PatchingExplorer,
    ProjectionExplorer,
)

JS_SOURCES = Path(__file__).resolve().parents[1] / "js" / "src"


@pytest.mark.parametrize(
    "view",
    [AttentionExplorer, AttributionView, FailureExplorer, GenerationTracer, PatchingExplorer, ProjectionExplorer],
)
def test_every_synced_trait_is_read_by_the_views(view):
    source = "\n".join(path.read_text(encoding="utf-8") for path in JS_SOURCES.rglob("*.ts"))
    read = set(re.findall(r'\.get\(\s*"(\w+)"', source))  # model.get("name"): the only way views read a trait
    own = set(view.class_trait_names(sync=True)) - set(anywidget.AnyWidget.class_trait_names(sync=True))
    assert own - read == set(), f"{view.__name__} syncs traits that no view reads"
