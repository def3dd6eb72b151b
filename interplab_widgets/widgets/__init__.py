"""One anywidget class per view."""

from __future__ import annotations

from .attention_explorer import AttentionExplorer
from .attention_modes import ATTENTION_MODES, AttentionMode, register_attention_mode
from .generation_tracer import GenerationTracer
from .patching_explorer import PatchingExplorer

__all__ = [
    "ATTENTION_MODES",
    "AttentionExplorer",
    "AttentionMode",
    "GenerationTracer",
    "PatchingExplorer",
    "register_attention_mode",
]
