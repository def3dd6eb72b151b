"""Range bounds of the numbers a view takes from the browser, each with the reason for its bound.

Inputs that start a request (``live_inputs``) are checked in the request's ``compute``, so a bad value is
answered in the view like any other failed request. View state that recomputes nothing (a slider's
position, a pinned token) has no request to answer it: its trait is a :class:`BoundedInt`, whose own
``validate`` refuses an out-of-range value with a :class:`BoundError`. That is a ``TraitError`` (the live
core checks every browser message's values with ``trait.validate`` before applying them, and answers one
that fails with the error) and an :class:`~interplab_widgets.errors.InputError` (what Python code catches).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import traitlets

from ..errors import InputError


class BoundError(InputError, traitlets.TraitError):
    """A number outside the range its view allows (the message says the range and why)."""


class BoundedInt(traitlets.Int):
    """An ``Int`` trait in ``low..high(view)`` (``high`` may depend on the view: its edges, its tokens).

    ``high`` returns ``None`` while the view is still being built (the bound is not known yet); ``why``
    says what the range is, for the message.
    """

    def __init__(self, default_value: int, *, low: int, high: Callable[[Any], int | None], why: str, **kwargs):
        super().__init__(default_value, **kwargs)
        self.low, self.high, self.why = low, high, why

    def validate(self, obj: Any, value: Any) -> int:
        value = super().validate(obj, value)
        top = self.high(obj)
        if top is not None and not self.low <= value <= top:
            raise BoundError(f"{self.name} must be in {self.low}..{top} ({self.why}); got {value!r}.")
        return value
