"""The built wheel, installed where there is no Node.js, runs a view end to end in JupyterLab, in both themes.

``python -m build`` makes the sdist and, from it, the wheel (as a package index would). The wheel goes into a
fresh virtual environment (``--system-site-packages``: its dependencies, torch included, come from this
machine rather than minutes of reinstalling; ``binder/check.sh`` installs everything from scratch), and a
JupyterLab server runs from that environment with a PATH that has no ``node``/``npm``. The kernel must import
the package from the wheel, not from this checkout. Then, in headless Chromium:

- AttentionExplorer on the toy model renders and answers a head click from the kernel;
- in the light theme, and again after switching JupyterLab to "JupyterLab Dark" from its Settings menu, the
  empty (causally masked) cells of the head-detail heatmap and of a grid thumbnail are, in the page's own
  pixels (a screenshot, decoded by the browser), the page background; in dark they are dark;
- the detail panel's SVG and PNG buttons download the kernel's figure.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ElementTree
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from .jupyter_server import REPO_ROOT, JupyterServer
from .notebook_ui import NotebookPage, ProblemLog

pytestmark = pytest.mark.slow  # builds the wheel and starts its own JupyterLab

VIEW_ENTRIES = sorted(p.stem for p in (REPO_ROOT / "js" / "src").glob("*.ts"))  # one bundle per view
TEXT = "ba be bi bo bu ba be bi bo bu"
SVG = "{http://www.w3.org/2000/svg}"  # 10 tokens of the toy model's vocabulary

EXPLORER_CELL = f"""
import shutil, interplab_widgets
from interplab_widgets import AttentionExplorer
print(interplab_widgets.__file__, shutil.which("node"))
w = AttentionExplorer("toy-induction", {TEXT!r}, roles=False)
w
"""

# Decodes a PNG screenshot in the page and returns the RGB of the pixel at (x, y).
_PIXEL_JS = """
async ([png, x, y]) => {
  const bitmap = await createImageBitmap(await (await fetch(`data:image/png;base64,${png}`)).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  return Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
}
"""


def build_wheel(out: Path) -> tuple[Path, Path]:
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO_ROOT)], check=True,
                   capture_output=True)  # fmt: skip
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def check_wheel_contents(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    outside = [n for n in names if not n.startswith(("interplab_widgets/", "interplab_widgets-"))]
    assert not outside, f"the wheel carries files from outside the package: {outside[:10]}"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    for entry in VIEW_ENTRIES:
        assert f"interplab_widgets/static/{entry}.js" in names, f"the wheel has no built {entry}.js"
    for css in (REPO_ROOT / "js" / "src").glob("*.css"):
        assert f"interplab_widgets/static/{css.name}" in names, f"the wheel has no {css.name}"
    for data in ("colormaps.json", "models/toy_induction/model.safetensors", "models/toy_induction/tokenizer.json"):
        assert f"interplab_widgets/{data}" in names, f"the wheel has no {data}"


def venv_without_node(wheel: Path, root: Path) -> tuple[Path, str]:
    """A fresh virtual environment with the wheel installed; its python and a PATH without Node.js."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    path = str(venv / "bin")
    assert shutil.which("node", path=path) is None and shutil.which("npm", path=path) is None
    return python, path


def pixel(page: Page, x: float, y: float) -> list[int]:
    png = base64.b64encode(page.screenshot()).decode()
    return page.evaluate(_PIXEL_JS, [png, round(x), round(y)])


def background(view: Locator) -> list[int]:
    """The view's background as the browser computes it (rgb(...) → [r, g, b])."""
    css = view.evaluate("el => getComputedStyle(el).backgroundColor")
    return [int(float(v)) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]


def empty_pixels(page: Page, root: Locator) -> dict[str, list[int]]:
    """Page pixels inside the top-right (query 0, last key: masked) cell of the detail heatmap and of the
    selected head's thumbnail."""
    out = {}
    for name, locator in (("detail", root.locator(".ilw-heatmap-canvas")), ("thumbnail", root.locator(".ilw-thumb"))):
        box = locator.first.bounding_box()
        assert box is not None and box["width"] > 20, f"the {name} canvas is not laid out"
        out[name] = pixel(page, box["x"] + box["width"] * 0.95, box["y"] + box["height"] * 0.05)
    return out


def check_export_buttons(page: Page, root: Locator) -> None:
    """The detail panel's SVG button downloads the kernel's SVG of the head (one cell per token pair, the
    page's dark background); PNG downloads that figure rasterised at the chosen scale."""
    menu = root.locator('.ilw-export[data-figure="detail"]')
    with page.expect_download() as svg_download:
        menu.locator(".ilw-export-svg").click()
    svg = ElementTree.fromstring(Path(svg_download.value.path()).read_bytes())
    cells = [e for e in svg.iter(f"{SVG}rect") if "cell" in (e.get("class") or "").split()]
    assert len(cells) == 10 * 10, len(cells)
    assert [e.get("fill") for e in svg.iter(f"{SVG}rect") if e.get("class") == "background"] == ["#111111"]
    menu.locator(".ilw-export-scale").select_option("2")
    with page.expect_download() as png_download:
        menu.locator(".ilw-export-png").click()
    png = Path(png_download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == round(2 * float(svg.get("width"))), (width, svg.get("width"))


def assert_close(a: list[int], b: list[int], what: str) -> None:
    assert max(abs(x - y) for x, y in zip(a, b)) <= 2, f"{what}: {a} is not the page background {b}"


def test_the_wheel_without_node_runs_attention_explorer_in_jupyterlab_light_and_dark(
    browser, page_problems: ProblemLog, tmp_path: Path
) -> None:
    wheel, sdist = build_wheel(tmp_path / "dist")
    check_wheel_contents(wheel)
    assert sdist.stat().st_size > 0
    python, path = venv_without_node(wheel, tmp_path)
    base_share = Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["data"]) / "share" / "jupyter"
    env = {
        "PATH": path,
        "PYTHONPATH": "",  # nothing of this checkout
        "JUPYTER_PATH": str(base_share),  # the JupyterLab extensions (anywidget's) of the system environment
        "JUPYTER_CONFIG_PATH": str(Path(sys.base_prefix) / "etc" / "jupyter"),
    }
    with JupyterServer(python=python, pythonpath=(), extra_env=env) as server:
        server.write_notebook("wheel.ipynb", [EXPLORER_CELL])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page_problems.attach(page)
        nb = NotebookPage(page, server, "wheel.ipynb", "lab", page_problems).open()
        try:
            nb.run_all(timeout=300)
            printed = nb.code_cell(0).locator(".jp-OutputArea-output").first.text_content() or ""
            site = str(python.parent.parent)
            assert printed.startswith(site) and printed.rstrip().endswith("None"), printed
            root = nb.wait_rendered(nb.code_cell(0).locator(".ilw-attention-explorer"))
            root.locator('.ilw-head-cell[data-layer="1"][data-head="2"]').click()
            expect(root.locator(".ilw-detail")).to_have_attribute("data-head", "2", timeout=60_000)
            expect(root.locator(".ilw-detail")).to_have_attribute("data-layer", "1")

            light = background(root)
            assert min(light) > 200, f"light theme background {light}"
            for name, rgb in empty_pixels(page, root).items():
                assert_close(rgb, light, f"light theme, empty {name} cell")

            nb.set_theme("JupyterLab Dark")
            expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
            dark = background(root)
            assert max(dark) < 80, f"dark theme background {dark}"
            for name, rgb in empty_pixels(page, root).items():
                assert_close(rgb, dark, f"dark theme, empty {name} cell")
            nb.screenshot("wheel_attention_explorer_dark", show=root)
            check_export_buttons(page, root)
        finally:
            nb.close()
            context.close()
