"""interplab_widgets: live, linked Jupyter views of what happens inside Transformer language models."""

from __future__ import annotations

from .analysis import (
    PatchingPair,
    activation_patching,
    attribution_patching,
    head_roles,
    head_scores,
    register_head_score,
    trace_generation,
)
from .capture import Token, Trace
from .errors import (
    InputError,
    InterplabError,
    ModelNotInstalledError,
    UnknownModelError,
    UnsupportedArchitectureError,
)
from .models import ArchitectureAdapter, ModelHandle, load_model, register_adapter
from .widgets import AttentionExplorer, GenerationTracer, PatchingExplorer

__version__ = "0.1.0"

__all__ = [
    "ArchitectureAdapter",
    "AttentionExplorer",
    "GenerationTracer",
    "InputError",
    "InterplabError",
    "ModelHandle",
    "ModelNotInstalledError",
    "PatchingExplorer",
    "PatchingPair",
    "Token",
    "Trace",
    "UnknownModelError",
    "UnsupportedArchitectureError",
    "activation_patching",
    "attribution_patching",
    "head_roles",
    "head_scores",
    "load_model",
    "register_adapter",
    "register_head_score",
    "trace_generation",
]
