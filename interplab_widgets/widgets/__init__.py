"""One anywidget class per view."""

from __future__ import annotations

from .attention_explorer import AttentionExplorer
from .attention_modes import ATTENTION_MODES, AttentionMode, register_attention_mode

__all__ = ["ATTENTION_MODES", "AttentionExplorer", "AttentionMode", "register_attention_mode"]
