"""Fixtures for end-to-end tests: a real JupyterLab 4 / Notebook 7 server driven by headless Chromium.

- ``jupyter``: one `JupyterServer` for the session (temporary root, isolated config, stopped at the end).
- ``browser``: Chromium (/usr/bin/chromium) launched once for the session.
- ``page``: a fresh browser context and page per test; the test FAILS on any console error, uncaught
  page error or dialog (alert/confirm/prompt), except the allow-listed Jupyter errors in
  `notebook_ui.known_harmless`.
- ``open_notebook(name, frontend="lab"|"notebook7")``: opens a notebook written with
  ``jupyter.write_notebook(...)`` in ``page`` and waits for an idle kernel; returns a `NotebookPage`
  (``run_all``, ``kernel_eval``, ``kernel_exec``, ``screenshot``...). At the end of the test it
  saves a ``FAILED-<test>.png`` screenshot if the test failed, closes the page and shuts the
  notebook's kernel down.

Every test under tests/browser is marked ``browser``: deselect them with ``-m "not browser"``.

Environment: ``ILW_KEEP_JUPYTER_DIR=1`` keeps the server's temporary directory (notebooks, server.log);
``ILW_KERNEL_PYTHONPATH`` puts other directories first on the kernels' path instead of this checkout;
``ILW_CHROMIUM`` is the browser binary (default /usr/bin/chromium; the tests skip if it is missing).
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .jupyter_server import JupyterServer
from .notebook_ui import CHROMIUM, CHROMIUM_ARGS, UI_TIMEOUT, Frontend, NotebookPage, ProblemLog

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Keep each phase's report on the item, so fixtures can tell in teardown whether the test failed.
    report = yield
    setattr(item, f"ilw_report_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    # Fail the test itself (not only its teardown) on console/page errors seen while it ran.
    result = yield
    log: ProblemLog | None = getattr(item, "ilw_page_problems", None)
    if log is not None:
        _fail_on_problems(log, item.name)
    return result


def _fail_on_problems(log: ProblemLog, test_name: str) -> None:
    problems = log.unexpected()[log.reported :]
    log.reported += len(problems)
    if problems:
        pytest.fail(
            f"{len(problems)} console/page error(s) or dialog(s) during {test_name}:\n"
            + "\n".join(f"  - {p}" for p in problems),
            pytrace=False,
        )


def _interrupt_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def jupyter() -> Iterator[JupyterServer]:
    # SIGTERM would end pytest without teardown: the server would still stop (it gets SIGTERM when
    # this process dies, and stops its kernels), but its temporary directory would stay. As a
    # KeyboardInterrupt, pytest tears everything down as it does for Ctrl-C.
    previous = signal.getsignal(signal.SIGTERM)
    if previous == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    keep = os.environ.get("ILW_KEEP_JUPYTER_DIR") == "1"  # keep notebooks and server.log for debugging
    kwargs = {}
    if os.environ.get("ILW_KERNEL_PYTHONPATH"):  # e.g. another checkout of interplab_widgets
        kwargs["pythonpath"] = os.environ["ILW_KERNEL_PYTHONPATH"].split(os.pathsep)
    try:
        with JupyterServer(keep_dir=keep, **kwargs) as server:
            yield server
            if keep:
                print(f"\n[jupyter] kept {server.base_dir}")
    finally:
        if previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not found (`make browser` installs Debian's chromium; or set ILW_CHROMIUM)"
        if os.environ.get("CI"):  # in CI a missing browser is a broken install, not a reason to skip
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as pw:
        # Playwright's launch() gives every browser a fresh temporary profile (--user-data-dir) and
        # deletes it on close; the flags are those pitfalls.md lists for this machine.
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page_problems() -> ProblemLog:
    """What ``page`` collected so far: ``.problems`` (console/page errors), ``.dialogs``."""
    return ProblemLog()


@pytest.fixture
def page(browser, page_problems: ProblemLog, request: pytest.FixtureRequest):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT * 1000)
    expect.set_options(timeout=UI_TIMEOUT * 1000)
    page = context.new_page()
    page_problems.attach(page)
    request.node.ilw_page_problems = page_problems
    yield page
    context.close()
    # Whatever arrived after the test body (or while it failed for another reason).
    _fail_on_problems(page_problems, request.node.name)


@pytest.fixture
def open_notebook(
    page, page_problems: ProblemLog, jupyter: JupyterServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., NotebookPage]]:
    opened: list[NotebookPage] = []

    def _open(name: str, frontend: Frontend = "lab") -> NotebookPage:
        nb = NotebookPage(page, jupyter, name, frontend, page_problems).open()
        opened.append(nb)
        return nb

    yield _open

    report = getattr(request.node, "ilw_report_call", None)
    if report is not None and report.failed and not page.is_closed():
        from .notebook_ui import SCREENSHOT_DIR

        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            page.screenshot(path=str(SCREENSHOT_DIR / f"FAILED-{safe}.png"))
        except Exception as e:  # a screenshot must not hide the real failure
            print(f"[browser] no failure screenshot: {e}")
    for nb in opened:
        nb.close()
    # Close the page before its kernels go, or it would report the dead kernel.
    page.context.close()
    names = {nb.name for nb in opened}
    for session in jupyter.api("GET", "/api/sessions"):
        if session.get("path") in names:
            jupyter.api("DELETE", f"/api/sessions/{session['id']}")
