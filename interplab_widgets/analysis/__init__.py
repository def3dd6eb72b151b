"""Pure functions on attention patterns and activations: no widgets, no Jupyter."""

from __future__ import annotations

from .attribution import Attribution, Faithfulness, TokenTarget, attribute, attribute_generation
from .circuit_tasks import CircuitTask, induction_task, ioi_task
from .circuits import CircuitGraph, CircuitResult, circuit_metrics, edge_effects, edge_scores, find_circuit
from .flow import attention_flow
from .generation import GenerationRecord, trace_generation
from .head_roles import (
    HEAD_SCORES,
    ROLE_THRESHOLDS,
    HeadRole,
    HeadScore,
    HeadScores,
    RepeatedSequence,
    head_roles,
    head_scores,
    register_head_score,
    unregister_head_score,
)
from .head_summary import HEAD_STATISTICS, downsample, head_statistics, thumbnail_bins
from .logit_lens import LensReadout, logit_lens
from .norm_attention import norm_attention, transformed_values
from .patching import (
    LogitDifference,
    PatchingPair,
    PatchingResult,
    activation_patching,
    attribution_patching,
)
from .probes import ProbeCurve, ProbeSplits, control_labels, probe_layers, probe_scores, probe_splits
from .projection import project
from .rollout import attention_rollout, fuse_heads, rollout_row

__all__ = [
    "HEAD_SCORES",
    "HEAD_STATISTICS",
    "ROLE_THRESHOLDS",
    "Attribution",
    "CircuitGraph",
    "CircuitResult",
    "CircuitTask",
    "Faithfulness",
    "GenerationRecord",
    "HeadRole",
    "HeadScore",
    "HeadScores",
    "LensReadout",
    "LogitDifference",
    "PatchingPair",
    "PatchingResult",
    "ProbeCurve",
    "ProbeSplits",
    "RepeatedSequence",
    "TokenTarget",
    "activation_patching",
    "attention_flow",
    "attention_rollout",
    "attribute",
    "attribute_generation",
    "attribution_patching",
    "circuit_metrics",
    "control_labels",
    "downsample",
    "edge_effects",
    "edge_scores",
    "find_circuit",
    "fuse_heads",
    "head_roles",
    "head_scores",
    "head_statistics",
    "induction_task",
    "ioi_task",
    "logit_lens",
    "norm_attention",
    "probe_layers",
    "probe_scores",
    "probe_splits",
    "project",
    "register_head_score",
    "rollout_row",
    "thumbnail_bins",
    "trace_generation",
    "transformed_values",
    "unregister_head_score",
]
