"""UMAP and t-SNE in a child process: cancelled at once, crashes contained, the kernel's GIL left free.

umap-learn's numba code holds the GIL (no ``nogil``) and neither library can be stopped half way, so
on the model's worker thread a fit froze the kernel's main thread and made Cancel wait for its end.
Here one long-lived child process (started on first use, reused so numba compiles once per session)
fits; the calling thread waits for the answer in short polls, each a :func:`~interplab_widgets.progress.checkpoint`.
A cancelled request kills the child at its next poll (a fresh one starts on the next call); a child
that dies (a segfault in compiled code, the out-of-memory killer) becomes one
:class:`ProjectionProcessError`, not a dead kernel.

The child is ``python -c`` running :mod:`.projection_child` by its path: a fresh interpreter (never a
fork of a threaded kernel) that imports neither the package (torch, transformers) nor the user's
``__main__`` (an unguarded script would run again in a ``multiprocessing`` spawn child).
"""

from __future__ import annotations

import atexit
import importlib
import itertools
import os
import signal
import subprocess
import sys
import threading
import warnings
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, InterplabError
from ..progress import checkpoint

#: How long the waiting thread blocks between checkpoints: the most a cancel waits.
POLL_S = 0.05
CHILD_PROGRAM = Path(__file__).with_name("projection_child.py")
NAMES = {"umap": "UMAP", "tsne": "t-SNE"}


class ProjectionProcessError(InterplabError, RuntimeError):
    """The projection process stopped before it answered; the kernel itself is unaffected."""


class ProjectionProcess:
    """One child process that fits UMAP / t-SNE, one job at a time, for every thread of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._send: Connection | None = None
        self._receive: Connection | None = None
        self._jobs = itertools.count(1)
        self.busy = threading.Event()
        """Set while a job is in the child (tests wait for it before they cancel or kill)."""
        self.started = 0
        """Child processes started so far (one per session unless cancelled or crashed)."""

    @property
    def pid(self) -> int | None:
        process = self._process
        return None if process is None else process.pid

    def alive(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    def run(self, method: str, features: np.ndarray, options: dict[str, Any]) -> np.ndarray:
        """``[n, 2]`` float32 fitted in the child by ``projection_child.fit(method, features, options)``.

        Raises :class:`~interplab_widgets.progress.Cancelled` within :data:`POLL_S` of the request's
        cancel (the child is killed), :class:`ProjectionProcessError` if the child dies, an
        :class:`InputError` if the options are refused, and the library's own error otherwise.
        """
        while not self._lock.acquire(timeout=POLL_S):  # another thread's fit: wait, cancellably
            checkpoint()
        try:
            answer = self._exchange(method, np.ascontiguousarray(features, dtype=np.float32), options)
        finally:
            self._lock.release()
        _warn_again(answer[3])
        if answer[1] == "done":
            return answer[2]
        error, child_traceback = answer[2], answer[4]
        if answer[1] == "parameters":
            raise InputError(f"{NAMES.get(method, method)} refused its parameters: {error}") from error
        if hasattr(error, "add_note"):
            error.add_note(f"Raised in the projection process:\n{child_traceback}")
        raise error

    def stop(self) -> None:
        """Kill the child (if any) and forget it: the next :meth:`run` starts a fresh one."""
        process, self._process = self._process, None
        for connection in (self._send, self._receive):
            if connection is not None:
                connection.close()
        self._send = self._receive = None
        if process is not None:
            if process.poll() is None:
                process.kill()  # numba and BLAS never look at signals: only a kill stops them at once
            process.wait()

    # -- internals ------------------------------------------------------------------------

    def _exchange(self, method: str, features: np.ndarray, options: dict[str, Any]) -> tuple:
        name = NAMES.get(method, method)
        try:
            if not self.alive():
                self._start(name)
            job = next(self._jobs)
            try:
                self._send.send((job, method, features, options))  # type: ignore[union-attr]
            except OSError:  # the child died since its last answer
                raise self._died(name) from None
            self.busy.set()
            answer = self._answer(name)
            if answer[0] != job:
                raise ProjectionProcessError(f"The {name} process answered job {answer[0]}, not {job}.")
            return answer
        except BaseException:  # cancelled, interrupted or dead: the child's state is unknown, so it goes
            self.stop()
            raise
        finally:
            self.busy.clear()

    def _start(self, name: str) -> None:
        self.stop()
        if not sys.executable:
            raise ProjectionProcessError(f"{name} runs in a child process, and this Python has no executable.")
        to_child, from_parent = os.pipe()
        from_child, to_parent = os.pipe()
        bootstrap = (
            f"import runpy, sys; sys.path[:] = {sys.path!r}; "
            f"runpy.run_path({str(CHILD_PROGRAM)!r}, run_name='__main__')"
        )
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", bootstrap, str(to_child), str(to_parent)],
                pass_fds=(to_child, to_parent),
                stdin=subprocess.DEVNULL,
            )
        finally:
            os.close(to_child)
            os.close(to_parent)
        self._send = Connection(from_parent, readable=False)
        self._receive = Connection(from_child, writable=False)
        self.started += 1
        ready = self._answer(name)
        if ready[0] != "ready":
            raise ProjectionProcessError(f"The {name} process did not start: it said {ready!r}.")

    def _answer(self, name: str) -> tuple:
        """The child's next message, checking for cancellation between short waits."""
        receive = self._receive
        assert receive is not None
        while not receive.poll(POLL_S):
            checkpoint()
        try:
            return receive.recv()
        except (EOFError, OSError):  # its end closed: it exited or was killed
            raise self._died(name) from None

    def _died(self, name: str) -> ProjectionProcessError:
        process = self._process
        code = None if process is None else process.wait()
        if code is not None and code < 0:
            try:
                how = f"was stopped by signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"was stopped by signal {-code}"
        else:
            how = f"exited with code {code}"
        hint = " (the system's out-of-memory killer sends SIGKILL: try fewer points)" if code == -signal.SIGKILL else ""
        return ProjectionProcessError(
            f"The {name} process {how} before it answered{hint}. The kernel is unaffected; the next "
            f"projection starts a fresh process."
        )


_WARNED: dict = {}  # the registry of warnings already shown: "default" filters show each one once


def _warn_again(caught: list[tuple[str, str, str, str, int]]) -> None:
    """The child's warnings, warned here where the user sees them (each once, as the libraries' own would be)."""
    for message, module, name, filename, lineno in caught:
        try:
            category: Any = importlib.import_module(module)
            for part in name.split("."):
                category = getattr(category, part)
        except Exception:
            category = UserWarning
        if not (isinstance(category, type) and issubclass(category, Warning)):
            category = UserWarning
        warnings.warn_explicit(message, category, filename, lineno, registry=_WARNED)


_PROCESS: ProjectionProcess | None = None
_PROCESS_LOCK = threading.Lock()


def projection_process() -> ProjectionProcess:
    """The process-wide :class:`ProjectionProcess` (its child starts on the first fit)."""
    global _PROCESS
    with _PROCESS_LOCK:
        if _PROCESS is None:
            _PROCESS = ProjectionProcess()
        return _PROCESS


@atexit.register
def _stop_at_exit() -> None:
    if _PROCESS is not None:
        _PROCESS.stop()
