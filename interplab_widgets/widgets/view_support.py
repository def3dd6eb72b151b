"""What every view needs: its built JS/CSS."""

from __future__ import annotations

import logging
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
log = logging.getLogger(__name__)


def static_asset(name: str) -> Path:
    """A built view file, or an error that says how to build it."""
    path = STATIC / name
    if not path.exists():
        raise FileNotFoundError(
            f"The view bundle {path} is missing. Build it with `npm --prefix js ci && npm --prefix js run build`, "
            "or reinstall the package with `pip install -e .` from a clone."
        )
    return path
