"""One anywidget class per view."""

from __future__ import annotations

from .attention_explorer import AttentionExplorer
from .attention_modes import ATTENTION_MODES, AttentionMode, register_attention_mode
from .attribution_view import AttributionView
from .circuit_explorer import CircuitExplorer
from .failure_explorer import FailureExplorer
from .feature_explorer import FeatureExplorer
from .generation_tracer import GenerationTracer
from .patching_explorer import PatchingExplorer
from .probe_view import ProbeView
from .projection_explorer import ProjectionExplorer
from .static_html import save_html

__all__ = [
    "ATTENTION_MODES",
    "AttentionExplorer",
    "AttentionMode",
    "AttributionView",
    "CircuitExplorer",
    "FailureExplorer",
    "FeatureExplorer",
    "GenerationTracer",
    "PatchingExplorer",
    "ProbeView",
    "ProjectionExplorer",
    "register_attention_mode",
    "save_html",
]
