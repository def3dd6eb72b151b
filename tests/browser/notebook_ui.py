"""Driving a notebook in JupyterLab 4 or Notebook 7 from Playwright (sync API).

Used by the fixtures in ``conftest.py``; nothing here is pytest-specific. Every wait is on a
condition (a selector, a JS predicate, a kernel value), with generous timeouts for slow 2-core
machines, never a fixed sleep.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from playwright.sync_api import ConsoleMessage, Dialog, Locator, Page

from .jupyter_server import REPO_ROOT, JupyterServer, KernelHandle

Frontend = Literal["lab", "notebook7"]

CHROMIUM = os.environ.get("ILW_CHROMIUM", "/usr/bin/chromium")
# See /work/shared/pitfalls.md: without the background-networking flags Chromium tries the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"

# Seconds (converted to milliseconds for Playwright). Loading JupyterLab's bundles and starting a
# kernel on a busy 2-core machine can take most of a minute; a cell that loads a model can take longer.
LOAD_TIMEOUT = 120.0
CELL_TIMEOUT = 300.0
UI_TIMEOUT = 60.0


# -- console and page errors -----------------------------------------------------------------------


@dataclass
class PageProblem:
    kind: str  # "console" | "pageerror" | "dialog"
    text: str
    url: str
    detail: str = ""

    def __str__(self) -> str:
        where = f" [{self.url}]" if self.url else ""
        detail = f"\n    {self.detail}" if self.detail else ""
        return f"{self.kind}: {self.text}{where}{detail}"


def _is_notebook7(url: str) -> bool:
    path = urlparse(url).path
    return path.startswith(("/notebooks/", "/tree"))


def _is_voila(url: str) -> bool:
    return urlparse(url).path.startswith("/voila/")


# Voilà's own page template loads Font Awesome and MathJax from these CDNs (unreachable offline).
VOILA_TEMPLATE_CDN = ("https://cdn.jsdelivr.net/npm/@fortawesome/", "https://cdnjs.cloudflare.com/ajax/libs/mathjax/")


def known_harmless(problem: PageProblem) -> bool:
    """Errors proven to come from Jupyter itself and to change nothing a test looks at.

    Each was reproduced on a notebook with no widget at all (``x = 1``), with these settings and
    without them, so they say nothing about our code.
    """
    if _is_voila(problem.url):
        # Voilà 0.5 offline: its template's CDN stylesheets and MathJax fail to load.
        if problem.text.startswith("Failed to load resource") and problem.detail.startswith(VOILA_TEMPLATE_CDN):
            return True
        # Voilà 0.5 loads every federated JupyterLab extension; Notebook 7's lab-extension needs a
        # @jupyterlab/docregistry that Voilà's page does not share, so it fails to load (and is not used).
        if "RUNTIME-012" in problem.text and '"shareKey":"@jupyterlab/docregistry"' in problem.text:
            return True
    if problem.kind == "pageerror" and _is_notebook7(problem.url) and "static/notebook/" in problem.detail:
        # Notebook 7.6: the shortcuts plugin reads `registry.plugins[id].schema` for a plugin that
        # is not loaded yet (a start-up race in Notebook itself): jupyter/notebook#7862. Shortcuts
        # still work; run-all goes through the menu anyway.
        if problem.text == "Cannot read properties of undefined (reading 'schema')":
            return True
        # Notebook 7.6: the file-browser restore asks to open the notebook's path in a file browser,
        # but the /notebooks page has none. Seen on a warm server (e.g. after JupyterLab opened the
        # same notebook); the notebook itself loads and runs normally.
        if problem.text == "Command 'filebrowser:open-path' not registered.":
            return True
    return False


@dataclass
class ProblemLog:
    """Collects console errors, uncaught page errors and dialogs of one page."""

    events: list[PageProblem] = field(default_factory=list)  # in the order they happened
    reported: int = 0  # how many of `unexpected()` a test failure has already shown

    @property
    def problems(self) -> list[PageProblem]:
        """Console errors and uncaught page errors, harmless ones included."""
        return [p for p in self.events if p.kind != "dialog"]

    @property
    def dialogs(self) -> list[PageProblem]:
        """alert/confirm/prompt dialogs (all dismissed; beforeunload is accepted and not listed)."""
        return [p for p in self.events if p.kind == "dialog"]

    def attach(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self._on_pageerror(page, err))
        page.on("dialog", self._on_dialog)

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type != "error":
            return
        loc = msg.location or {}
        where = f"{loc.get('url', '')}:{loc.get('lineNumber', '')}" if loc.get("url") else ""
        self.events.append(PageProblem("console", msg.text, msg.page.url if msg.page else "", where))

    def _on_pageerror(self, page: Page, err: Any) -> None:
        stack = getattr(err, "stack", "") or ""
        self.events.append(PageProblem("pageerror", getattr(err, "message", str(err)), page.url, stack[:2000]))

    def _on_dialog(self, dialog: Dialog) -> None:
        if dialog.type == "beforeunload":
            # JupyterLab asks before leaving a notebook with unsaved changes; leaving is fine in tests.
            dialog.accept()
            return
        self.events.append(PageProblem("dialog", f"{dialog.type}: {dialog.message}", dialog.page.url))
        dialog.dismiss()

    def unexpected(self) -> list[PageProblem]:
        """Problems that fail a test, in the order they happened."""
        return [p for p in self.events if p.kind == "dialog" or not known_harmless(p)]


# -- a notebook in a page --------------------------------------------------------------------------


class NotebookError(AssertionError):
    """A cell raised, or the notebook did not get where a test waited for."""


# Runs in the page. Returns {done, running, total, errors}. A code cell is finished when its prompt
# shows an execution count; "[*]" means queued or running, "[ ]" not run (yet).
_CELLS_STATE_JS = """
() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const prompts = cells.map(c => (c.querySelector('.jp-InputArea-prompt')?.textContent || '').trim());
  const errors = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')]
    .map(o => o.textContent || '')
    .filter(t => t.includes('Traceback (most recent call last)'))
    .map(t => t.slice(0, 4000));
  return {
    total: cells.length,
    done: prompts.filter(p => /^\\[\\d+\\]:?$/.test(p)).length,
    running: prompts.filter(p => p.startsWith('[*]')).length,
    errors,
  };
}
"""


class NotebookPage:
    """One notebook open in one Playwright page, in JupyterLab 4 or Notebook 7.

    All timeouts are in seconds.
    """

    def __init__(
        self,
        page: Page,
        server: JupyterServer,
        name: str,
        frontend: Frontend,
        problems: ProblemLog | None = None,
    ) -> None:
        self.page = page
        self.server = server
        self.name = name
        self.frontend = frontend
        self.problems = problems
        self._kernel: KernelHandle | None = None

    # opening

    def open(self, *, timeout: float = LOAD_TIMEOUT) -> NotebookPage:
        if self.frontend == "lab":
            # A workspace of its own, so JupyterLab does not restore notebooks of earlier pages.
            url = self.server.lab_url(self.name, workspace=f"ilw-{uuid.uuid4().hex[:12]}")
        else:
            url = self.server.notebook7_url(self.name)
        self.page.goto(url, timeout=timeout * 1000)
        self.page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=timeout * 1000)
        self.wait_kernel_idle(timeout=timeout)
        return self

    def wait_kernel_idle(self, *, timeout: float = LOAD_TIMEOUT) -> None:
        """Wait until the page shows an idle kernel and the server agrees."""
        # Both frontends have this toolbar item; its data-status follows the kernel connection.
        self.page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first.wait_for(timeout=timeout * 1000)
        self._wait_until(lambda: self.server.kernel_state(self.name) == "idle", timeout, "kernel idle (REST)")

    def code_cell(self, index: int) -> Locator:
        """The ``index``-th code cell (0-based, markdown cells not counted), input and outputs."""
        return self.page.locator(".jp-Notebook .jp-CodeCell").nth(index)

    # running

    def run_all(self, *, timeout: float = CELL_TIMEOUT) -> None:
        """Run all cells through the menu (Run > Run All Cells), then wait for them to finish."""
        # The Run menu's entry is "runmenu:run-all", which runs "notebook:run-all-cells" on the
        # current notebook; accept either in case a version lists the notebook command directly.
        self._menu("Run", "runmenu:run-all", "notebook:run-all-cells")
        self.wait_cells_done(timeout=timeout)

    def _menu(self, menu: str, *commands: str) -> None:
        """Open ``menu`` in the menu bar and click the first enabled item with one of ``commands``."""
        # Lumino menus: the same markup in JupyterLab and Notebook 7.
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{re.escape(menu)}$")).first.click()
        selector = ", ".join(f'.lm-Menu-item[data-command="{c}"]:not(.lm-mod-disabled)' for c in commands)
        item = self.page.locator(selector).first
        item.wait_for(timeout=UI_TIMEOUT * 1000)
        item.click()

    def cells_state(self) -> dict[str, Any]:
        return self.page.evaluate(_CELLS_STATE_JS)

    def wait_cells_done(self, *, timeout: float = CELL_TIMEOUT) -> None:
        """Wait until every code cell has an execution count; fail at once on a traceback."""
        self.page.wait_for_function(
            f"() => {{ const s = ({_CELLS_STATE_JS})(); return s.errors.length > 0 || "
            "(s.total > 0 && s.done === s.total && s.running === 0); }",
            timeout=timeout * 1000,
            polling=200,
        )
        state = self.cells_state()
        if state["errors"]:
            raise NotebookError(f"a cell of {self.name} raised:\n" + "\n---\n".join(state["errors"]))
        self.wait_kernel_idle(timeout=timeout)

    def wait_rendered(self, view: Locator, *, timeout: float = UI_TIMEOUT) -> Locator:
        """Wait for a widget view to be visible; fail at once if the page reports an error meanwhile.

        A view whose module fails to load or whose render() throws leaves an empty output, and the
        reason is only in the console: waiting out the timeout would hide it.
        """
        deadline = time.monotonic() + timeout
        while True:
            if view.count() > 0 and view.first.is_visible():
                return view
            if self.problems is not None:
                new = self.problems.unexpected()[self.problems.reported :]
                if new:
                    self.problems.reported += len(new)
                    raise NotebookError(
                        "the view did not render; the page reported:\n" + "\n".join(f"  - {p}" for p in new)
                    )
            if time.monotonic() > deadline:
                raise NotebookError(f"timed out after {timeout:.0f} s waiting for {view} to render")
            self.page.wait_for_timeout(100)  # lets Playwright deliver page events (time.sleep would not)

    # kernel side door

    @property
    def kernel(self) -> KernelHandle:
        if self._kernel is None:
            self._kernel = self.server.kernel(self.name)
        return self._kernel

    def kernel_eval(self, expression: str, *, timeout: float = 120.0) -> str:
        """``print(expression)`` in the notebook's kernel, as text."""
        return self.kernel.eval(expression, timeout=timeout)

    def kernel_exec(self, code: str, *, timeout: float = 120.0) -> str:
        """Run ``code`` in the notebook's kernel (e.g. ``w.selected_layer = 3``); returns stdout."""
        return self.kernel.exec(code, timeout=timeout)

    def wait_kernel_value(self, expression: str, expected: str, *, timeout: float = 30.0) -> None:
        """Poll ``kernel_eval(expression)`` until it prints ``expected`` (JS → Python is asynchronous)."""
        last: list[str] = []

        def check() -> bool:
            last[:] = [self.kernel_eval(expression)]
            return last[0] == expected

        self._wait_until(check, timeout, f"kernel: {expression} == {expected!r} (last: {last})")

    # artefacts

    def let_image_errors_fire(self) -> None:
        """Wait until a broken control image has fired ``onerror``: an image injected from hostile text
        would have fired by then too (alert -> dialog, which the page fixture fails on)."""
        self.page.evaluate(
            """() => new Promise(resolve => {
                 const img = new Image();
                 img.onerror = img.onload = () => resolve();
                 img.src = "data:image/png;base64,AAAA";
               })"""
        )

    def screenshot(self, name: str, show: Locator | None = None) -> Path:
        """Save the page as ``test-artifacts/screenshots/NAME.png``, scrolled so ``show`` is at the top.

        A page screenshot, not an element one: an element taller than the viewport comes out
        clipped by the notebook's scroll area, with the status bar painted over it.
        """
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        if show is not None:
            show.evaluate("el => el.scrollIntoView({ block: 'start' })")
        self.page.screenshot(path=str(path))
        return path

    def set_theme(self, name: str) -> None:
        """Switch JupyterLab's theme from its Settings menu (e.g. "JupyterLab Dark"); the views repaint."""
        self.page.locator(".lm-MenuBar-item", has_text="Settings").first.click()
        self.page.locator(".lm-Menu-item", has_text="Theme").first.hover()
        self.page.get_by_role("menuitem", name=name, exact=True).click()
        self.page.locator(f'body[data-jp-theme-name="{name}"]').wait_for(state="attached", timeout=UI_TIMEOUT * 1000)
        self.page.wait_for_timeout(500)  # the theme's stylesheet applies, the views repaint

    def screenshot_dark(self, name: str, show: Locator | None = None) -> Path:
        """`screenshot` in "JupyterLab Dark", then back to the light theme (the server's other tests share it)."""
        self.set_theme("JupyterLab Dark")
        try:
            return self.screenshot(name, show)
        finally:
            self.set_theme("JupyterLab Light")

    def close(self) -> None:
        if self._kernel is not None:
            self._kernel.close()
            self._kernel = None

    # misc

    @staticmethod
    def _wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while not predicate():
            if time.monotonic() > deadline:
                raise NotebookError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)
