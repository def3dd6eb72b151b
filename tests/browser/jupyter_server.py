"""A throwaway Jupyter server for browser tests, and a side door into its kernels.

`JupyterServer` starts ``python -m jupyter lab`` (JupyterLab 4; the same server also serves
Notebook 7 at ``/tree`` and ``/notebooks/...``) on 127.0.0.1, a free port and a random token, with
its root, config, data, runtime, settings, workspaces and IPython directories all inside one fresh
temporary directory, so nothing from ``~`` leaks in and nothing is left behind.

It never outlives the test run:

- ``stop()`` (also run by ``__exit__`` and ``atexit``) POSTs ``/api/shutdown``, which makes the
  server shut its kernels down; then it kills the server's process group and any kernel still alive.
- Kernels run in their own sessions (jupyter_client starts them with ``start_new_session=True``),
  so killing the server's process group does not reach them; they are found by the unique runtime
  directory on their command line (``-f <runtime>/kernel-<id>.json``).
- If the Python process running the tests dies without cleaning up (SIGKILL), Linux sends the
  server SIGTERM (``PR_SET_PDEATHSIG``), and jupyter_server shuts its kernels down on SIGTERM.
- Last resort: idle kernels are culled after 30 minutes and an idle server stops itself after 30 more.

`KernelHandle` talks to the kernel of an open notebook over ZMQ with a `BlockingKernelClient`, to
read or change widget state without the UI. The kernel handles one request at a time and only when
idle, so this waits behind whatever the notebook is running.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

# Written into the isolated user-settings directory, which JupyterLab and Notebook 7 both read.
USER_SETTINGS: dict[str, dict[str, Any]] = {
    # Keep every cell in the DOM: the default ("contentVisibility" in JupyterLab 4.6) detaches or
    # skips cells outside the viewport, so selectors would miss widgets further down.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No news/update toast (it would also try the network, which is unreachable here).
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class JupyterServerError(RuntimeError):
    """The server did not start, or a REST call failed."""


class KernelError(RuntimeError):
    """Code run through a `KernelHandle` raised; the message holds the traceback."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the process that started it dies."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 == PR_SET_PDEATHSIG
    except Exception:  # not Linux, or no libc: the other safety nets remain
        pass


def _pids_with_arg(needle: str) -> list[int]:
    """PIDs of processes whose command line contains ``needle`` (Linux /proc; [] elsewhere)."""
    pids = []
    me = os.getpid()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmdline and int(entry.name) != me:
            pids.append(int(entry.name))
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _wait_gone(pids: Iterable[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    left = [p for p in pids if _alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in left if _alive(p)]
    return left


class KernelHandle:
    """A ZMQ client on one running kernel: `exec` runs code, `eval` returns a printed expression."""

    def __init__(self, connection_file: Path, *, kernel_id: str, ready_timeout: float = 60.0) -> None:
        from jupyter_client import BlockingKernelClient

        self.kernel_id = kernel_id
        self.client = BlockingKernelClient()
        self.client.load_connection_file(str(connection_file))
        self.client.start_channels()
        try:
            # Also proves IOPub is subscribed, so the first exec cannot miss its own output.
            self.client.wait_for_ready(timeout=ready_timeout)
        except Exception:
            self.close()
            raise

    def exec(self, code: str, *, timeout: float = 120.0) -> str:
        """Run ``code`` (not stored in history) and return its stdout; raise `KernelError` if it raised."""
        out: list[str] = []
        err: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                (out if content["name"] == "stdout" else err).append(content["text"])
            elif kind == "error":
                err.append(_ANSI.sub("", "\n".join(content["traceback"])))

        reply = self.client.execute_interactive(
            code, silent=False, store_history=False, allow_stdin=False, timeout=timeout, output_hook=hook
        )
        if reply["content"]["status"] != "ok":
            raise KernelError(f"kernel raised running {code!r}:\n{''.join(err)}")
        return "".join(out)

    def eval(self, expression: str, *, timeout: float = 120.0) -> str:
        """What ``print(expression)`` writes in the kernel, without the final newline."""
        text = self.exec(f"print({expression})", timeout=timeout)
        return text[:-1] if text.endswith("\n") else text

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.stop_channels()

    def __enter__(self) -> KernelHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JupyterServer:
    """``python -m jupyter lab`` in a fresh temporary directory; a context manager.

    Parameters
    ----------
    startup_timeout:
        Seconds to wait for ``/api/status`` to answer.
    pythonpath:
        Prepended to ``PYTHONPATH`` of the server and so of its kernels (the repository root by
        default, so notebooks import the working tree's ``interplab_widgets``).
    extra_env:
        More environment variables for the server and its kernels.
    keep_dir:
        Keep the temporary directory (notebooks, server log) after `stop`, for debugging.
    python:
        The interpreter that runs the server and so its kernels (another virtual environment's, to
        test an installed wheel).
    """

    def __init__(
        self,
        *,
        startup_timeout: float = 120.0,
        pythonpath: Sequence[str | os.PathLike[str]] = (REPO_ROOT,),
        extra_env: dict[str, str] | None = None,
        keep_dir: bool = False,
        python: str | os.PathLike[str] = sys.executable,
    ) -> None:
        self.python = str(python)
        self.startup_timeout = startup_timeout
        self.pythonpath = [str(p) for p in pythonpath]
        self.extra_env = dict(extra_env or {})
        self.keep_dir = keep_dir
        self.token = secrets.token_hex(24)
        self.port: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_dir = Path(tempfile.mkdtemp(prefix="ilw-jupyter-"))
        self.root_dir = self.base_dir / "root"
        self.config_dir = self.base_dir / "config"
        self.data_dir = self.base_dir / "data"
        self.runtime_dir = self.base_dir / "runtime"
        self.settings_dir = self.base_dir / "user-settings"
        self.workspaces_dir = self.base_dir / "workspaces"
        self.ipython_dir = self.base_dir / "ipython"
        self.log_path = self.base_dir / "server.log"
        self._log_file: Any = None
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> JupyterServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Anything pointing at user-wide Jupyter configuration goes; our own directories come in.
        for name in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_PLATFORM_DIRS", "JUPYTER_PREFER_ENV_PATH"):
            env.pop(name, None)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.config_dir),
            JUPYTER_DATA_DIR=str(self.data_dir),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTERLAB_SETTINGS_DIR=str(self.settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self.workspaces_dir),
            IPYTHONDIR=str(self.ipython_dir),
            # Drops ~/.local/{etc,share}/jupyter from Jupyter's search paths (and user site-packages).
            PYTHONNOUSERSITE="1",
            PYTHONUNBUFFERED="1",
            # Anywidget hot reload starts a file watcher in the kernel; never in tests.
            ANYWIDGET_HMR="0",
        )
        env["PYTHONPATH"] = os.pathsep.join([*self.pythonpath, *filter(None, [env.get("PYTHONPATH")])])
        env.update(self.extra_env)
        return env

    def _write_settings(self) -> None:
        for plugin, values in USER_SETTINGS.items():
            path = self.settings_dir / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2))

    def _command(self) -> list[str]:
        return [
            self.python,
            "-m",
            "jupyterlab",  # not `jupyter lab`: that looks `jupyter-lab` up on PATH, which a test may narrow
            "--allow-root",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",  # fail instead of silently taking another port
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=None",
            # Safety nets for an orphaned server (see the module docstring).
            "--MappingKernelManager.cull_idle_timeout=1800",
            "--MappingKernelManager.cull_interval=60",
            "--ServerApp.shutdown_no_activity_timeout=1800",
        ]

    def start(self) -> JupyterServer:
        if self.proc is not None:
            return self
        for d in (self.root_dir, self.config_dir, self.data_dir, self.runtime_dir, self.workspaces_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._write_settings()
        atexit.register(self.stop)
        last_error: Exception | None = None
        for _attempt in range(3):  # the free port can be taken between probing and binding
            self.port = _free_port()
            self._log_file = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                self._command(),
                cwd=self.root_dir,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killpg reaches the server and its helpers
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
            try:
                self._wait_ready()
                return self
            except JupyterServerError as e:
                last_error = e
                if self.proc.poll() is None:  # running but not answering: not a port race
                    self.stop()
                    raise
                self._log_file.close()
                self.proc = None
        self.stop()
        assert last_error is not None
        raise last_error

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise JupyterServerError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=5)
                return
            except (OSError, JupyterServerError):
                time.sleep(0.25)
        raise JupyterServerError(f"jupyter lab did not answer in {self.startup_timeout} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def kernel_pids(self) -> list[int]:
        """PIDs of kernels this server started, found by its runtime directory on their command line."""
        return _pids_with_arg(str(self.runtime_dir) + os.sep)

    def stop(self) -> None:
        """Shut down through the API, then kill what is left. Idempotent; never raises."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        proc, self.proc = self.proc, None
        kernels = self.kernel_pids()
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(Exception):
                    self.api("POST", "/api/shutdown", timeout=10)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self._signal_group(proc.pid, signal.SIGTERM)
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        self._signal_group(proc.pid, signal.SIGKILL)
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            proc.wait(timeout=10)
            # Helpers the server started in its own group (not kernels) go too.
            self._signal_group(proc.pid, signal.SIGKILL)
        # Kernels: shut down by the server normally; anything still alive is killed with its group.
        kernels = sorted({*kernels, *self.kernel_pids()})
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            kernels = [p for p in kernels if _alive(p)]
            for pid in kernels:
                self._signal_group(pid, sig)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
            kernels = _wait_gone(kernels, wait)
        if self._log_file is not None:
            with contextlib.suppress(Exception):
                self._log_file.close()
        if not self.keep_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    @staticmethod
    def _signal_group(pid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)

    # -- REST --------------------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None, *, timeout: float = 30.0) -> Any:
        """Call the REST API with the token; return the decoded JSON (None for an empty body)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise JupyterServerError(f"{method} {path}: HTTP {e.code} {e.read()[:500]!r}") from e
        return json.loads(raw) if raw.strip() else None

    def lab_url(self, name: str, *, workspace: str | None = None) -> str:
        """JupyterLab 4 URL that opens the notebook ``name`` (relative to the root).

        With ``workspace``, JupyterLab keeps its layout in that workspace instead of "default", so
        a later page does not restore (and start kernels for) notebooks an earlier page had open.
        """
        ws = f"/workspaces/{workspace}" if workspace else ""
        return f"{self.url}/lab{ws}/tree/{name}?token={self.token}"

    def notebook7_url(self, name: str) -> str:
        """Notebook 7 URL that opens the notebook ``name`` (relative to the root)."""
        return f"{self.url}/notebooks/{name}?token={self.token}"

    # -- notebooks and kernels ---------------------------------------------------------------------

    def write_notebook(self, name: str, cells: Sequence[str | tuple[str, str]]) -> Path:
        """Write a notebook into the server root. A cell is code text, or ``("markdown", text)``.

        Empty code cells are refused: they get no execution count, which would confuse the
        "all cells ran" check.
        """
        import nbformat
        from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

        nb_cells = []
        for cell in cells:
            kind, source = ("code", cell) if isinstance(cell, str) else cell
            if kind == "code":
                if not source.strip():
                    raise ValueError("empty code cell")
                nb_cells.append(new_code_cell(source))
            elif kind == "markdown":
                nb_cells.append(new_markdown_cell(source))
            else:
                raise ValueError(f"unknown cell kind {kind!r}")
        nb = new_notebook(
            cells=nb_cells,
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
                "language_info": {"name": "python"},
            },
        )
        path = self.root_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return path

    def session_for(self, name: str, *, timeout: float = 60.0) -> dict[str, Any]:
        """The session of the open notebook ``name`` (waits for the UI to create it)."""
        deadline = time.monotonic() + timeout
        while True:
            for session in self.api("GET", "/api/sessions"):
                if session.get("path") == name and session.get("kernel"):
                    return session
            if time.monotonic() > deadline:
                raise JupyterServerError(f"no kernel session for {name!r} after {timeout} s")
            time.sleep(0.25)

    def kernel_state(self, name: str) -> str:
        """``execution_state`` of the notebook's kernel: starting, idle, busy, ..."""
        kernel_id = self.session_for(name)["kernel"]["id"]
        return self.api("GET", f"/api/kernels/{kernel_id}")["execution_state"]

    def kernel(self, name: str, *, timeout: float = 60.0) -> KernelHandle:
        """A `KernelHandle` on the kernel of the open notebook ``name``; close it (or use ``with``)."""
        kernel_id = self.session_for(name, timeout=timeout)["kernel"]["id"]
        connection_file = self.runtime_dir / f"kernel-{kernel_id}.json"
        deadline = time.monotonic() + timeout
        while not connection_file.exists():
            if time.monotonic() > deadline:
                raise JupyterServerError(f"no connection file {connection_file}")
            time.sleep(0.1)
        return KernelHandle(connection_file, kernel_id=kernel_id, ready_timeout=timeout)

    def shutdown_kernels(self) -> None:
        """Delete every session (and so its kernel), e.g. between tests to free memory and CPU."""
        for session in self.api("GET", "/api/sessions"):
            with contextlib.suppress(JupyterServerError):
                self.api("DELETE", f"/api/sessions/{session['id']}")
