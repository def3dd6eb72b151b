"""Running a model once with hooks and keeping what the views need."""

from __future__ import annotations

from .attention import recompute_attention
from .harvest import Harvest, harvest
from .runner import run, run_ids, run_many, tokenize
from .shards import ActivationShards, harvest_shards
from .trace import Token, Trace

__all__ = [
    "ActivationShards",
    "Harvest",
    "Token",
    "Trace",
    "harvest",
    "harvest_shards",
    "recompute_attention",
    "run",
    "run_ids",
    "run_many",
    "tokenize",
]
