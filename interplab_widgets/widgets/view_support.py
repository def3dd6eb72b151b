"""What every view needs: its built JS/CSS, and failures shown inside the widget."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import InputError

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


@contextmanager
def errors_to_view(widget: Any) -> Iterator[None]:
    """Show a failure in the widget's ``_error`` instead of breaking the kernel's message loop."""
    try:
        yield
    except InputError as error:
        widget._error = str(error)
    except Exception as error:
        log.exception("%s failed", type(widget).__name__)
        widget._error = f"{type(error).__name__}: {error}"
    finally:
        widget._busy = False
