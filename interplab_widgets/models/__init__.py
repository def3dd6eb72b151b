"""Loading models and describing their architecture."""

from __future__ import annotations

from ..disk_cache import cache_dir
from .adapters import ArchitectureAdapter, adapter_for, register_adapter, supported_families
from .embedded import EMBEDDED_MODELS
from .handle import ModelHandle
from .loading import load_model

__all__ = [
    "EMBEDDED_MODELS",
    "ArchitectureAdapter",
    "ModelHandle",
    "adapter_for",
    "cache_dir",
    "load_model",
    "register_adapter",
    "supported_families",
]
