"""The live core: every view's requests run off the kernel's main thread, latest first, cancellable.

The kernel's main thread only routes. A selection from the browser becomes one request
(:meth:`LiveWidget.request`): ``compute`` runs on the model's worker thread, which holds the model
handle's lock (so two views, or a view and the user's own cell, never run the model at once), and
``apply`` sets the answer's traits back on the kernel's own event loop (the pattern of ipywidgets'
"Asynchronous Widgets" docs; sending from threads broke in ipykernel 7.0.0, ipykernel#1450).

Every request has an id, ``_request``: the view bumps it in the same message as the selection,
Python bumps it for changes made from Python. ``_status`` echoes the id with the state
(``running`` with a real ``fraction`` from :mod:`interplab_widgets.progress`, ``done``, ``error``,
``cancelled``). Only the latest request is answered: one that is superseded before it starts never
runs, a running one stops at its next checkpoint, and a finished one that is no longer the latest is
dropped. Cancelling (``{"type": "cancel"}`` from the view) puts the input traits back to those of the
last answer, so the view is consistent again.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import anywidget
import traitlets

from ..errors import InputError
from ..models import ModelHandle
from ..progress import Cancelled, Job, running

log = logging.getLogger(__name__)

#: The most often a running request's progress reaches the view.
PROGRESS_INTERVAL_S = 0.1


class Request(Job):
    """One request of one widget: what to compute on the worker and how to apply it on the kernel."""

    def __init__(self, owner: LiveWidget, id: int, label: str, compute: Callable[[], Any], apply: Callable) -> None:
        super().__init__(on_progress=self._report)
        self.owner, self.id, self.label = owner, id, label
        self.compute, self.apply = compute, apply
        self.finished = threading.Event()
        self._delivery: Callable[[], None] | None = None
        self._delivery_lock = threading.Lock()
        self._last_report = 0.0

    def _report(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last_report >= PROGRESS_INTERVAL_S:
            self._last_report = now
            self.owner._post(lambda: self.owner._show_progress(self, fraction))

    def deliver(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the kernel's loop (or right now in plain Python); at most once."""
        with self._delivery_lock:
            self._delivery = callback
        self.owner._post(self.run_delivery)

    def run_delivery(self) -> None:
        with self._delivery_lock:
            callback, self._delivery = self._delivery, None
        if callback is not None:
            callback()


class ModelWorker:
    """One thread per model handle, running requests one at a time while holding the handle's lock.

    It holds no reference to its handle (each request's owner does), so a handle nothing else holds is
    freed, and its finaliser stops this thread. Whatever a request raises, the thread lives on: an
    ``Exception`` is shown in the view, a ``KeyboardInterrupt`` (or any other ``BaseException``) raised
    by user code ends that request as cancelled.
    """

    def __init__(self, handle: ModelHandle) -> None:
        self._queue: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=f"interplab worker {handle.name}", daemon=True)
        self._thread.start()
        weakref.finalize(handle, self._queue.put, None)  # the handle is gone: end the thread

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, request: Request) -> None:
        self._queue.put(request)

    def _loop(self) -> None:
        while (request := self._queue.get()) is not None:
            try:
                self._run(request)
            except BaseException:  # nothing a request does may end the thread
                log.exception("interplab worker: request %s could not be answered", request.label)
                request.finished.set()
            request = None  # drop the last request (and its view, its handle) before waiting again

    @staticmethod
    def _run(request: Request) -> None:
        owner = request.owner
        if request.cancelled:  # superseded before it started: never runs
            request.finished.set()
            return
        try:
            owner.computations += 1
            with owner.handle.lock, running(request):
                value = request.compute()
            request.deliver(lambda r=request, v=value: r.owner._finish(r, v))
        except Cancelled:
            pass
        except Exception as error:  # shown in the view; the worker lives on
            request.deliver(lambda r=request, e=error: r.owner._fail(r, e))
        except BaseException:  # KeyboardInterrupt from user code: that request is cancelled, not the worker
            request.cancel()
            request.deliver(lambda r=request: r.owner._cancelled(r))
        finally:
            request.finished.set()


_WORKERS: weakref.WeakKeyDictionary[ModelHandle, ModelWorker] = weakref.WeakKeyDictionary()
_WORKERS_LOCK = threading.Lock()


def worker_for(handle: ModelHandle) -> ModelWorker:
    """The worker of ``handle``, started on first use and shared by every view of that handle; a worker
    whose thread has died is replaced."""
    with _WORKERS_LOCK:
        worker = _WORKERS.get(handle)
        if worker is None or not worker.alive:
            if worker is not None:
                log.warning("interplab: the worker of %s had stopped; a new one takes its requests", handle.name)
            worker = _WORKERS[handle] = ModelWorker(handle)
        return worker


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the IPython kernel this runs in, or None (plain Python: answers apply in the worker).

    Only a kernel's loop: another library's loop that merely looks running on this thread (Playwright's
    sync API keeps one) may never run our callbacks.
    """
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:
        return None
    if not Kernel.initialized():
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LiveWidget(anywidget.AnyWidget):
    """An anywidget whose recomputations go through :meth:`request`.

    Subclasses set ``handle``, name in ``live_inputs`` the traits their answers depend on (a change
    of any calls :meth:`refresh`; a cancelled request puts them back) and call :meth:`start_live`
    at the end of construction.
    """

    live_inputs: Sequence[str] = ()

    _request = traitlets.Int(0).tag(sync=True)
    """Id of the latest request; the view bumps it with every selection it sends."""
    _status = traitlets.Dict().tag(sync=True)
    """``{request, state, label, fraction}``: where the latest request stands."""
    _error = traitlets.Unicode("").tag(sync=True)

    handle: ModelHandle

    def __init__(self, **kwargs: Any) -> None:
        self.computations = 0
        """Requests whose ``compute`` started (the rest were superseded before they ran)."""
        self._loop = _kernel_loop()
        self._latest: Request | None = None
        self._answered: dict[str, Any] = {}
        self._sent_id = 0
        self._pending: tuple | None = None
        self._batching = 0
        self._quiet = 1  # construction computes in the user's cell; start_live() opens the door
        super().__init__(**kwargs)
        self.on_msg(self._on_live_message)

    def start_live(self) -> None:
        """End of construction: from now on a change of any of ``live_inputs`` calls :meth:`refresh`."""
        self._quiet = 0
        self._remember_inputs()
        self.observe(self._on_live_input, names=list(self.live_inputs))

    def _on_live_input(self, change: dict) -> None:
        try:
            self.refresh()
        except Exception as error:  # a request the view waits for must get an answer, even this one
            self._show_error(self._request, "request", error)

    def refresh(self) -> None:
        """Answer the current inputs with one :meth:`request` (every view defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define refresh()")

    # -- for subclasses ---------------------------------------------------------------------

    def request(
        self,
        label: str,
        compute: Callable[[], Any],
        apply: Callable[[Any], None],
        *,
        ready: bool = False,
    ) -> None:
        """Answer the current inputs: ``compute()`` on the worker, then ``apply(value)`` on the kernel.

        ``ready``: the answer is cached and cheap, so compute and apply it right here. Requests made
        while one browser message is applied collapse into its last one.
        """
        if self._quiet:
            return
        if self._batching:
            self._pending = (label, compute, apply, ready)
            return
        if self._latest is not None:
            self._latest.cancel()  # superseded: it never starts, or stops at its next checkpoint
        if self._request == self._sent_id:  # a change made from Python: it gets an id of its own
            with self._quietly():
                self._request += 1
        self._sent_id = self._request
        request = Request(self, self._request, label, compute, apply)
        self._latest = request
        if ready:
            self.computations += 1
            try:
                value = compute()
            except Exception as error:
                self._fail(request, error)
            except BaseException:  # a KeyboardInterrupt here is the user's: answer the view, then let it through
                request.cancel()
                self._cancelled(request)
                raise
            else:
                self._finish(request, value)
            finally:
                request.finished.set()
            return
        self._status = {"request": request.id, "state": "running", "label": label, "fraction": None}
        worker_for(self.handle).submit(request)

    def wait(self, timeout: float | None = 600) -> None:
        """Block until the latest request is answered (scripts and tests; a view never needs it)."""
        request = self._latest
        if request is None:
            return
        if not request.finished.wait(timeout):
            raise TimeoutError(f"{type(self).__name__}: request {request.id} ({request.label}) still running.")
        request.run_delivery()  # on the kernel, it may still wait for the loop this cell is blocking

    def set_state(self, sync_data: dict) -> None:
        """One browser message, one request: observers of several traits changed together compute once.

        Every message that carries a request id is answered exactly once: by the request it starts, by
        "done" when nothing it sets changes an answer, or by an error for a trait this view does not have
        or a value of the wrong type (checked before ipywidgets would roll the message back unanswered).
        Ids never go backwards: an id at or below the last one is replaced by the next.
        """
        requested = sync_data.get("_request")
        if not self._quiet:
            valid_id = isinstance(requested, int) and not isinstance(requested, bool)
            if valid_id and requested <= self._sent_id:
                sync_data = {**sync_data, "_request": self._sent_id + 1}
            problem = self._state_problem(sync_data)
            if problem is not None:
                with self._quietly():
                    self._request = self._sent_id = sync_data["_request"] if valid_id else self._sent_id + 1
                self._show_error(self._request, "request", InputError(problem))
                return
        before = self._latest
        with self._batch():
            super().set_state(sync_data)
        answered = self._status.get("request") == self._request
        if requested is not None and not self._quiet and self._latest is before and not answered:
            self._sent_id = self._request  # nothing to recompute: the current answer stands
            self._status = {"request": self._request, "state": "done", "label": "no change", "fraction": 1.0}

    def _state_problem(self, sync_data: dict) -> str | None:
        """Why the view's message cannot be applied (an unknown trait, a wrongly typed value), or None."""
        unknown = sorted(name for name in sync_data if name not in self.keys)
        if unknown:
            return f"{type(self).__name__} has no synced value named {', '.join(map(repr, unknown))}."
        for name, value in sync_data.items():
            trait = self.traits()[name]
            if isinstance(trait, traitlets.Int) and (isinstance(value, bool) or not isinstance(value, int)):
                if value is None and trait.allow_none:
                    continue
                return f"{name} must be a whole number, got {value!r} ({type(value).__name__})."
            try:
                trait.validate(self, self.trait_metadata(name, "from_json", self._trait_from_json)(value, self))
            except traitlets.TraitError as error:
                return f"{name}: {error}"
        return None

    # -- internals --------------------------------------------------------------------------

    @contextmanager
    def _batch(self) -> Iterator[None]:
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
        if not self._batching and self._pending is not None:
            label, compute, apply, ready = self._pending
            self._pending = None
            self.request(label, compute, apply, ready=ready)

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Trait changes made here are answers or restorations, not requests."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _post(self, callback: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            callback()
        else:
            loop.call_soon_threadsafe(callback)

    def _is_latest(self, request: Request) -> bool:
        return request is self._latest and not request.cancelled

    def _show_progress(self, request: Request, fraction: float) -> None:
        if self._is_latest(request) and not request.finished.is_set():
            self._status = {"request": request.id, "state": "running", "label": request.label, "fraction": fraction}

    def _finish(self, request: Request, value: Any) -> None:
        if not self._is_latest(request):
            return  # superseded while it ran: its answer is never shown
        with self._quietly(), self.hold_sync():
            self._error = ""  # before apply: an answer may carry a note of its own (ProjectionExplorer)
            request.apply(value)
            self._status = {"request": request.id, "state": "done", "label": request.label, "fraction": 1.0}
            self._remember_inputs()

    def _fail(self, request: Request, error: Exception) -> None:
        if self._is_latest(request):
            self._show_error(request.id, request.label, error)

    def _show_error(self, request_id: int, label: str, error: Exception) -> None:
        if not isinstance(error, InputError):
            log.error("%s: %s failed", type(self).__name__, label, exc_info=error)
        message = str(error) if isinstance(error, InputError) else f"{type(error).__name__}: {error}"
        self._sent_id = max(self._sent_id, request_id)
        with self._quietly(), self.hold_sync():
            self._error = message
            self._status = {"request": request_id, "state": "error", "label": label, "fraction": None}

    def _cancelled(self, request: Request) -> None:
        """Answer ``request`` as cancelled and put the inputs back to those of the last answer."""
        if request is not self._latest:
            return
        with self._quietly(), self.hold_sync():
            for name, value in self._answered.items():
                if getattr(self, name) != value:
                    setattr(self, name, value)
            self._status = {"request": request.id, "state": "cancelled", "label": request.label, "fraction": None}

    def _remember_inputs(self) -> None:
        self._answered = {name: getattr(self, name) for name in self.live_inputs}

    def cancel(self) -> None:
        """Stop the running request and put the inputs back to those of the last answer."""
        request = self._latest
        if request is None or (request.finished.is_set() and request._delivery is None):
            return
        request.cancel()
        self._cancelled(request)

    def _on_live_message(self, widget: Any, content: Any, buffers: list) -> None:
        if isinstance(content, dict) and content.get("type") == "cancel":
            self.cancel()
        elif isinstance(content, dict) and content.get("type") == "export_svg":
            self._export_svg(content)

    def _export_svg(self, content: dict) -> None:
        """The view's export button: ``{type: "export_svg", figure?, theme, nonce}`` → ``{type: "svg", nonce,
        figure, svg, filename}`` or ``{type: "svg_error", nonce, message}``.

        The SVG is drawn from data the view already holds, on a short-lived thread of its own (a large figure
        takes more than the main thread may spend, and it must not wait behind the model's worker); the reply
        goes out on the kernel's loop.
        """
        nonce = content.get("nonce")

        def build() -> None:
            try:
                to_svg = getattr(self, "to_svg", None)
                if to_svg is None:
                    raise InputError(f"{type(self).__name__} has no SVG export.")
                figure = self.svg_figure(content.get("figure") or None)  # type: ignore[attr-defined]
                text = to_svg(figure=figure, theme=content.get("theme", "light"))
                reply = {"type": "svg", "nonce": nonce, "figure": figure, "svg": text,
                         "filename": self.svg_filename(figure)}  # type: ignore[attr-defined]  # fmt: skip
            except Exception as error:  # the button shows it; the kernel lives on
                message = str(error)
                if not isinstance(error, InputError):
                    log.error("%s: SVG export failed", type(self).__name__, exc_info=error)
                    message = f"{type(error).__name__}: {error}"
                reply = {"type": "svg_error", "nonce": nonce, "message": message}
            self._post(lambda: self.send(reply))

        threading.Thread(target=build, name=f"interplab svg {type(self).__name__}", daemon=True).start()
