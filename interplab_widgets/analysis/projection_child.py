"""The UMAP / t-SNE fits, and the loop of the process that runs them away from the kernel.

:func:`fit` is the whole computation; :mod:`.projection_process` runs it in a child process started
with this file as its program (``python -c`` + ``runpy``, not ``-m``), so this module imports nothing
of the package: the child loads numpy, scikit-learn and umap-learn, not torch and transformers.

Protocol on two pipes (``multiprocessing.connection`` framing, pickled tuples): the child sends
``("ready", pid)`` once started; then for each ``(job, method, features, options)`` it answers
``(job, "done", xy, warnings)`` or ``(job, kind, exception, warnings, traceback_text)`` with ``kind``
``"parameters"`` (the options were refused) or ``"error"``. It exits
when the parent's end closes.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def estimator(method: str, options: dict[str, Any]) -> Any:
    """The unfitted ``umap.UMAP`` or ``sklearn.manifold.TSNE`` for 2 components and ``options``."""
    if method == "umap":
        import umap

        return umap.UMAP(n_components=2, **options)
    if method == "tsne":
        from sklearn.manifold import TSNE

        return TSNE(n_components=2, **options)
    raise ValueError(f"no such method in the projection process: {method!r}")


def fit(method: str, features: np.ndarray, options: dict[str, Any]) -> np.ndarray:
    """``[n, d]`` float32 → ``[n, 2]`` float32 by ``"umap"`` or ``"tsne"`` with exactly ``options``."""
    model = estimator(method, options)
    with warnings.catch_warnings():  # umap: "n_jobs overridden by random_state": the seed is the point
        warnings.simplefilter("ignore", UserWarning)
        return model.fit_transform(features).astype(np.float32)


#: Functions of umap-learn, scikit-learn and :func:`estimator` that raise only for bad parameters.
PARAMETER_CHECKS = frozenset({"estimator", "_validate_parameters", "_validate_params", "_check_params_vs_input"})


def bad_parameters(error: BaseException) -> bool:
    """Whether ``error`` came from checking the options (the user's to change), not from the fit itself."""
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_name in PARAMETER_CHECKS:
            return True
        traceback = traceback.tb_next
    return False


def _picklable(error: BaseException) -> BaseException:
    """``error`` if it survives pickling, else a RuntimeError that says what it was."""
    import pickle

    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__module__}.{type(error).__qualname__}: {error}")


def _caught(records: list[warnings.WarningMessage]) -> list[tuple[str, str, str, str, int]]:
    """Warnings as plain data (message, category module and name, where): the parent warns them again."""
    return [(str(w.message), w.category.__module__, w.category.__qualname__, w.filename, w.lineno) for w in records]


def serve(receive_fd: int, send_fd: int) -> None:
    """The child's loop: answer jobs until the parent closes its end."""
    import os
    import signal
    import traceback
    from multiprocessing.connection import Connection

    # Interrupting the kernel (SIGINT to its process group) must not kill a fit half way: cancelling
    # is the parent's call, and it terminates this process when it cancels.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    receive, send = Connection(receive_fd, writable=False), Connection(send_fd, readable=False)
    send.send(("ready", os.getpid()))
    while True:
        try:
            job, method, features, options = receive.recv()
        except EOFError:
            return
        with warnings.catch_warnings(record=True) as records:
            try:
                xy = fit(method, features, options)
            except Exception as error:
                kind = "parameters" if bad_parameters(error) else "error"
                answer = (job, kind, _picklable(error), _caught(records), traceback.format_exc())
            else:
                answer = (job, "done", xy, _caught(records))
        send.send(answer)


if __name__ == "__main__":
    import sys

    serve(int(sys.argv[1]), int(sys.argv[2]))
