"""interplab_widgets: live, linked Jupyter views of what happens inside Transformer language models."""

from __future__ import annotations

from .analysis import (
    CircuitTask,
    PatchingPair,
    activation_patching,
    attribute,
    attribute_generation,
    attribution_patching,
    find_circuit,
    head_roles,
    head_scores,
    probe_layers,
    register_head_score,
    trace_generation,
    unregister_head_score,
)
from .capture import ActivationShards, Harvest, Token, Trace, harvest, harvest_shards
from .datasets import LabelledDataset, load_dataset
from .disk_cache import clear_cache
from .errors import (
    InputError,
    InterplabError,
    ModelNotInstalledError,
    UnknownModelError,
    UnsupportedArchitectureError,
)
from .failures import Case, adversarial_search, load_suite, perturb, run_cases
from .features import evaluate_sae, load_sae, train_sae
from .models import ArchitectureAdapter, ModelHandle, load_model, register_adapter
from .widgets import (
    AttentionExplorer,
    AttentionMode,
    AttributionView,
    CircuitExplorer,
    FailureExplorer,
    FeatureExplorer,
    GenerationTracer,
    PatchingExplorer,
    ProbeView,
    ProjectionExplorer,
    register_attention_mode,
    save_html,
)

__version__ = "0.1.0"

__all__ = [
    "ActivationShards",
    "ArchitectureAdapter",
    "AttentionExplorer",
    "AttentionMode",
    "AttributionView",
    "Case",
    "CircuitExplorer",
    "CircuitTask",
    "FailureExplorer",
    "FeatureExplorer",
    "GenerationTracer",
    "Harvest",
    "InputError",
    "InterplabError",
    "LabelledDataset",
    "ModelHandle",
    "ModelNotInstalledError",
    "PatchingExplorer",
    "PatchingPair",
    "ProbeView",
    "ProjectionExplorer",
    "Token",
    "Trace",
    "UnknownModelError",
    "UnsupportedArchitectureError",
    "activation_patching",
    "adversarial_search",
    "attribute",
    "attribute_generation",
    "attribution_patching",
    "clear_cache",
    "evaluate_sae",
    "find_circuit",
    "harvest",
    "harvest_shards",
    "head_roles",
    "head_scores",
    "load_dataset",
    "load_model",
    "load_sae",
    "load_suite",
    "perturb",
    "probe_layers",
    "register_adapter",
    "register_attention_mode",
    "register_head_score",
    "run_cases",
    "save_html",
    "trace_generation",
    "train_sae",
    "unregister_head_score",
]
