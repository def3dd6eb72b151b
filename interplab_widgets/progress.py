"""Progress and cooperative cancellation for long work, without knowing who asked for it.

Capture and analysis code marks its layer and batch boundaries with :func:`checkpoint` and wraps
its loops in :func:`steps` (a tqdm bar as well). Outside a live request both only drive the bar;
inside one (``widgets/live.py`` runs each request under :func:`running`), ``checkpoint`` raises
:class:`Cancelled` once the request was cancelled or superseded, and every boundary reports a real
fraction: nested loops split their parent's share, so a batch loop around a layer loop still
reports one fraction from 0 to 1.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


class Cancelled(Exception):
    """The request this work belongs to was cancelled or superseded; raised at the next checkpoint."""


class Job:
    """One unit of cancellable work: a cancel flag and the fraction done, reported to ``on_progress``."""

    def __init__(self, on_progress: Callable[[float], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._spans: list[tuple[float, float]] = [(0.0, 1.0)]
        self._on_progress = on_progress
        self.fraction = 0.0

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def checkpoint(self, done: float | None = None, total: float | None = None) -> None:
        """Stop here if cancelled; otherwise record ``done / total`` of the current span."""
        if self._cancel.is_set():
            raise Cancelled
        if done is not None and total:
            low, high = self._spans[-1]
            self.fraction = max(self.fraction, low + (high - low) * min(done / total, 1.0))
            if self._on_progress is not None:
                self._on_progress(self.fraction)

    @contextmanager
    def span(self, index: int, count: int) -> Iterator[None]:
        """Item ``index`` of ``count`` owns that share of the current span while it runs."""
        low, high = self._spans[-1]
        width = (high - low) / max(count, 1)
        self._spans.append((low + width * index, low + width * (index + 1)))
        try:
            yield
        finally:
            self._spans.pop()


_current: ContextVar[Job | None] = ContextVar("interplab_job", default=None)


@contextmanager
def running(job: Job) -> Iterator[Job]:
    """Make ``job`` the one that :func:`checkpoint` and :func:`steps` report to in this thread."""
    token = _current.set(job)
    try:
        yield job
    finally:
        _current.reset(token)


def in_request() -> bool:
    """True inside a view's request: its progress shows in the view, so no bar goes to the notebook."""
    return _current.get() is not None


def checkpoint(done: float | None = None, total: float | None = None) -> None:
    """A boundary where work may stop: raises :class:`Cancelled` if the current request was cancelled."""
    job = _current.get()
    if job is not None:
        job.checkpoint(done, total)


def steps(
    items: Iterable[T],
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
    disable: bool = False,
    leave: bool = True,
) -> Iterator[T]:
    """``items`` with a tqdm bar in the user's cell, or inside a view's request a checkpoint before each and its
    share of the request's progress (the view shows it: a bar would land in whichever cell ran last)."""
    items = list(items) if total is None and not hasattr(items, "__len__") else items
    count = total if total is not None else len(items)  # type: ignore[arg-type]
    job = _current.get()
    bar = tqdm(items, total=count, desc=desc, unit=unit, disable=disable or job is not None, leave=leave)
    for index, item in enumerate(bar):
        if job is None:
            yield item
            continue
        job.checkpoint(index, count)
        with job.span(index, count):
            yield item
        job.checkpoint(index + 1, count)


@contextmanager
def share(index: int, count: int) -> Iterator[None]:
    """Phase ``index`` of ``count`` of the current request (e.g. a trace, then its thumbnails)."""
    job = _current.get()
    if job is None:
        yield
        return
    job.checkpoint(index, count)
    with job.span(index, count):
        yield
    job.checkpoint(index + 1, count)
