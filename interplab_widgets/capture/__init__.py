"""Running a model once with hooks and keeping what the views need."""

from __future__ import annotations

from .attention import recompute_attention
from .harvest import Harvest, harvest
from .runner import run, run_ids, run_many, tokenize
from .trace import Token, Trace

__all__ = ["Harvest", "Token", "Trace", "harvest", "recompute_attention", "run", "run_ids", "run_many", "tokenize"]
