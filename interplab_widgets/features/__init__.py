"""Sparse-autoencoder features: training from harvest shards, evaluation, dashboards' data."""

from __future__ import annotations

from .dashboards import FeatureDashboards, feature_dashboards
from .evaluate import SAEEvaluation, evaluate_sae
from .sae import SAEConfig, TopKSAE, TrainingLog, load_sae, load_sae_folder, save_sae, shipped_saes, train_sae

__all__ = [
    "FeatureDashboards",
    "SAEConfig",
    "SAEEvaluation",
    "TopKSAE",
    "TrainingLog",
    "evaluate_sae",
    "feature_dashboards",
    "load_sae",
    "load_sae_folder",
    "save_sae",
    "shipped_saes",
    "train_sae",
]
