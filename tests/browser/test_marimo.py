"""The views inside marimo: ``notebooks/marimo_tour.py`` in a real ``marimo run`` server, in headless Chromium.

marimo has no Jupyter kernel: anywidget views are wrapped in ``mo.ui.anywidget`` and their synced traits
are the element's ``.value``. Checked: AttentionExplorer and GenerationTracer render, a click in each
reaches Python (the view's answer comes back: the detail panel shows the clicked head), and marimo's
reactivity runs the cell that reads the value again (its text shows the new selection).

The server listens on 127.0.0.1 with a token and stops by itself: the test stops it, it gets SIGTERM
if the test process dies (``PR_SET_PDEATHSIG``), and marimo ends idle sessions after ``--session-ttl``.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .jupyter_server import REPO_ROOT, _die_with_parent, _free_port
from .notebook_ui import SCREENSHOT_DIR

pytestmark = pytest.mark.slow  # loads SmolLM2-135M in marimo's kernel

TOUR = REPO_ROOT / "notebooks" / "marimo_tour.py"
LOAD_TIMEOUT_MS = 300_000  # the model, an AttentionExplorer and a generation of 8 tokens on 2 busy cores
ANSWER_TIMEOUT_MS = 120_000


class MarimoServer:
    """``marimo run NOTEBOOK`` on 127.0.0.1, a free port and a random token; a context manager."""

    def __init__(self, notebook: Path, *, startup_timeout: float = 120.0) -> None:
        self.notebook = notebook
        self.startup_timeout = startup_timeout
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = b""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?access_token={self.token}"

    def __enter__(self) -> MarimoServer:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
        env.update(ANYWIDGET_HMR="0", PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "marimo", "run", str(self.notebook), "--headless", "--no-sandbox",
                   "--host", "127.0.0.1", "--port", str(self.port), "--token-password", self.token,
                   "--session-ttl", "60"]  # fmt: skip
        self.proc = subprocess.Popen(
            command,
            cwd=self.notebook.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"marimo exited with {self.proc.returncode}: {self.proc.stdout.read().decode()}")
            try:
                urllib.request.urlopen(self.url, timeout=5).read(1)
                return self
            except OSError:
                time.sleep(0.25)
        self.__exit__()
        raise RuntimeError(f"marimo did not answer in {self.startup_timeout} s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)


@pytest.fixture
def marimo_page(page) -> Iterator:
    with MarimoServer(TOUR) as server:
        page.goto(server.url)
        yield page
        page.close()


def test_attention_explorer_and_generation_tracer_in_marimo_answer_clicks_reactively(marimo_page) -> None:
    page = marimo_page
    attention = page.locator(".ilw-attention-explorer")
    expect(attention).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    expect(attention.locator(".ilw-head-cell")).to_have_count(30 * 9)
    expect(page.get_by_text("Selected in the view: layer 0, head 0")).to_be_visible()

    cell = attention.locator('.ilw-head-cell[data-layer="5"][data-head="3"]')
    cell.scroll_into_view_if_needed()
    cell.click()
    # Python answered the click (the detail panel draws what the kernel computed for it) ...
    detail = attention.locator(".ilw-detail")
    expect(detail).to_have_attribute("data-layer", "5", timeout=ANSWER_TIMEOUT_MS)
    expect(detail).to_have_attribute("data-head", "3")
    # ... and marimo ran the cell that reads the element's value again.
    expect(page.get_by_text("Selected in the view: layer 5, head 3")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)

    tracer = page.locator(".ilw-generation-tracer")
    expect(tracer).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    expect(page.get_by_text("Step shown in the view: 0")).to_be_visible()
    token = tracer.locator('.ilw-gen-token[data-step="3"]')
    token.scroll_into_view_if_needed()
    token.click()
    expect(tracer.locator(".ilw-topk")).to_have_attribute("data-step", "3", timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_text("Step shown in the view: 3")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    attention.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT_DIR / "marimo_attention_explorer.png"))
