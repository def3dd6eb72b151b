"""Pure functions on attention patterns and activations: no widgets, no Jupyter."""

from __future__ import annotations

from .flow import attention_flow
from .head_summary import HEAD_STATISTICS, downsample, head_statistics, thumbnail_bins
from .norm_attention import norm_attention, transformed_values
from .rollout import attention_rollout, fuse_heads

__all__ = [
    "HEAD_STATISTICS",
    "attention_flow",
    "attention_rollout",
    "downsample",
    "fuse_heads",
    "head_statistics",
    "norm_attention",
    "thumbnail_bins",
    "transformed_values",
]
