"""Sparse-autoencoder features: training from harvest shards, evaluation, dashboards' data."""

from __future__ import annotations

from .contexts import Context, ContextReader, prompt_features
from .dashboards import FeatureDashboards, feature_dashboards
from .evaluate import SAEEvaluation, evaluate_sae
from .sae import SAEConfig, TopKSAE, TrainingLog, load_sae, load_sae_folder, save_sae, shipped_saes, train_sae

__all__ = [
    "Context",
    "ContextReader",
    "FeatureDashboards",
    "SAEConfig",
    "SAEEvaluation",
    "TopKSAE",
    "TrainingLog",
    "evaluate_sae",
    "feature_dashboards",
    "load_sae",
    "load_sae_folder",
    "prompt_features",
    "save_sae",
    "shipped_saes",
    "train_sae",
]
