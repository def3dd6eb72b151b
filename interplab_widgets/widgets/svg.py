"""Figures for papers: each view's main figure as a standalone SVG file, drawn from Python.

The colours come from ``interplab_widgets/colormaps.json``, the file the JS views read, with the same rule:
a map's stop at 0 is the page's background (empty cells match the page, a diverging map's midpoint is the
background), and the dark stops are used when the background's relative luminance is below 0.5. Token text
is data: every label is an escaped ``<text>`` element, never markup. Up to :data:`MAX_CELLS` cells a heatmap
is one ``<rect class="cell">`` per cell (editable in a vector editor); a larger raster, or one whose cells are
block maxima rather than tokens, goes in as an embedded PNG drawn with ``image-rendering="pixelated"``.
"""

from __future__ import annotations

import base64
import html
import json
import re
import struct
import zlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

MAX_CELLS = 65_536
"""The most ``<rect>`` cells one heatmap is drawn with; beyond, an embedded PNG."""
THEMES = ("light", "dark")
FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
MONO = "ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace"
CHAR = 0.62
"""Width of one monospace character, in font sizes (token cells are sized from it)."""

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_VISIBLE = {"\n": "↵", "\r": "␍", "\t": "⇥"}


@cache
def colormaps() -> dict[str, Any]:
    """The shared colour maps (``colormaps.json``, shipped in the package)."""
    return json.loads((Path(__file__).resolve().parent.parent / "colormaps.json").read_text(encoding="utf-8"))


def scales() -> tuple[str, ...]:
    return tuple(colormaps()["scales"])


def check_scale(name: str) -> str:
    """``name`` if it is a colour scale of ``colormaps.json``, else an error naming the choices."""
    if name not in scales():
        raise InputError(f"color_scale must be one of {', '.join(map(repr, scales()))}; got {name!r}.")
    return name


def relative_luminance(rgb: Sequence[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0..255 channels)."""

    def linear(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def scaled(values: Any, maximum: Any, scale: str = "linear") -> np.ndarray:
    """Values as positions on a map, as the JS computes them: ``t = v / m`` (0 where ``m <= 0``), then the
    scale on ``|t|`` with the sign kept; "log" maps ``t`` to ``1 + log10(t) / decades`` clipped to [0, 1]."""
    v = np.asarray(values, dtype=np.float64)
    m = np.asarray(maximum, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(m > 0, v / np.where(m > 0, m, 1.0), 0.0)
        a = np.abs(t)
        if scale == "sqrt":
            a = np.sqrt(a)
        elif scale == "log":
            a = np.where(a > 0, np.clip(1 + np.log10(np.where(a > 0, a, 1.0)) / colormaps()["log_decades"], 0, 1), 0)
        elif scale != "linear":
            check_scale(scale)
    return np.clip(np.sign(t) * a, -1, 1)


def scale_legend(scale: str, normalised_rows: bool = False) -> str:
    """What the legend says about the scale: ``"log scale, 3 decades, rows normalised"``."""
    text = f"log scale, {colormaps()['log_decades']} decades" if scale == "log" else f"{scale} scale"
    return text + (", rows normalised" if normalised_rows else "")


def hex_colour(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in rgb[:3]))


class Palette:
    """The colours of one theme: background, text, and the shared maps with their 0 stop set to the background."""

    def __init__(self, theme: str = "light") -> None:
        if theme not in THEMES:
            raise InputError(f"theme must be one of {', '.join(map(repr, THEMES))}; got {theme!r}.")
        maps = colormaps()
        self.theme = theme
        self.background = tuple(maps[f"{theme}_background"])
        self.dark = relative_luminance(self.background) < 0.5
        side = "dark" if self.dark else "light"
        self.text = (235, 235, 235) if self.dark else (34, 34, 34)
        self.muted = (160, 160, 160) if self.dark else (110, 110, 110)
        self._stops = {kind: self._with_background(maps[kind][side]) for kind in ("sequential", "diverging")}
        self.categorical = [tuple(c) for c in maps["categorical"]]
        self.unlabelled = tuple(maps["unlabelled"])

    def _with_background(self, stops: list[list[float]]) -> np.ndarray:
        array = np.array(stops, dtype=np.float64)
        array[array[:, 0] == 0, 1:] = self.background
        return array

    def colours(self, positions: Any, kind: str = "sequential") -> np.ndarray:
        """``uint8 [..., 3]`` colours of map positions (0..1 sequential, -1..1 diverging); NaN is the background.

        As in ``js/src/lib/colormap.ts``: the sequential map is a 256-level table (level ``round(255 t)``), the
        diverging map is continuous; channels are interpolated linearly between stops and rounded half up.
        """
        stops = self._stops[kind]
        x = np.asarray(positions, dtype=np.float64)
        if kind == "sequential":
            x = np.floor(255 * x + 0.5) / 255
        out = np.empty((*x.shape, 3), dtype=np.uint8)
        finite = np.isfinite(x)
        clipped = np.clip(np.where(finite, x, 0.0), stops[0, 0], stops[-1, 0])
        for channel in range(3):
            values = np.floor(np.interp(clipped, stops[:, 0], stops[:, 1 + channel]) + 0.5)
            out[..., channel] = np.where(finite, values, self.background[channel])
        return out

    def colour(self, value: float, maximum: float, scale: str = "linear", kind: str = "sequential") -> str:
        """One value's colour as ``#rrggbb``."""
        return hex_colour(self.colours(scaled(value, maximum, scale), kind))

    def label_colour(self, label: int) -> tuple[int, ...]:
        return self.unlabelled if label < 0 else self.categorical[label % len(self.categorical)]

    def ink_on(self, rgb: Sequence[int]) -> str:
        """Text colour readable on a cell of colour ``rgb``."""
        return "#ffffff" if relative_luminance(rgb) < 0.3 else "#111111"


def clean_text(text: str) -> str:
    """Token text as the views show it (newlines and tabs as symbols), with characters XML 1.0 cannot hold
    replaced by U+FFFD, so any text still makes a file that parses."""
    return _INVALID_XML.sub("\ufffd", re.sub("[\n\r\t]", lambda m: _VISIBLE[m.group()], str(text)))


def text_width(text: str, size: float) -> float:
    """Width of ``text`` in a monospace font of ``size``."""
    return len(text) * size * CHAR


def png(rgb: np.ndarray) -> bytes:
    """An RGB ``uint8 [h, w, 3]`` image as PNG bytes (8-bit truecolour, no filter)."""
    image = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = image.shape[:2]
    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8), image.reshape(height, width * 3)], axis=1)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + chunk(b"IEND", b"")
    )


def _number(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.2f}".rstrip("0").rstrip(".")
    return str(value)


class Svg:
    """An SVG document built element by element; attributes and text are escaped here and only here."""

    def __init__(self, width: float, height: float, palette: Palette, title: str = "") -> None:
        self.width, self.height, self.palette = width, height, palette
        self.title = title
        self.parts: list[str] = []
        self.rect(0, 0, "100%", "100%", fill=hex_colour(palette.background), class_="background")

    @staticmethod
    def _attrs(attrs: dict[str, Any]) -> str:
        out = []
        for name, value in attrs.items():
            if value is None:
                continue
            name = name.rstrip("_").replace("_", "-")
            out.append(f' {name}="{html.escape(clean_text(_number(value)), quote=True)}"')
        return "".join(out)

    def element(self, tag: str, text: str | None = None, **attrs: Any) -> None:
        if text is None:
            self.parts.append(f"<{tag}{self._attrs(attrs)}/>")
        else:
            self.parts.append(f"<{tag}{self._attrs(attrs)}>{html.escape(clean_text(text), quote=False)}</{tag}>")

    def open(self, tag: str, **attrs: Any) -> None:
        self.parts.append(f"<{tag}{self._attrs(attrs)}>")

    def close(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def rect(self, x: float, y: float, width: float, height: float, **attrs: Any) -> None:
        self.element("rect", x=x, y=y, width=width, height=height, **attrs)

    def text(self, x: float, y: float, text: str, size: float = 11, **attrs: Any) -> None:
        attrs.setdefault("fill", hex_colour(self.palette.text))
        self.element("text", text, x=x, y=y, font_size=size, **attrs)
        if "transform" not in attrs:  # the page grows to hold unrotated text (an estimate: no font metrics here)
            anchor = {"end": 0.0, "middle": 0.5}.get(attrs.get("text_anchor", ""), 1.0)
            self.width = max(self.width, x + anchor * text_width(clean_text(text), size) + 12)

    def image(self, x: float, y: float, width: float, height: float, rgb: np.ndarray, **attrs: Any) -> None:
        """``rgb`` (``uint8 [h, w, 3]``) stretched over the box, each pixel a sharp square."""
        uri = "data:image/png;base64," + base64.b64encode(png(rgb)).decode("ascii")
        self.element(
            "image", x=x, y=y, width=width, height=height, href=uri, preserveAspectRatio="none",
            image_rendering="pixelated", style="image-rendering: pixelated", **attrs,
        )  # fmt: skip

    def to_string(self) -> str:
        w, h = _number(float(self.width)), _number(float(self.height))
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="{html.escape(FONT, quote=True)}" xml:space="preserve">'
        )
        title = [f"<title>{html.escape(clean_text(self.title), quote=False)}</title>"] if self.title else []
        return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', head, *title, *self.parts, "</svg>"]) + "\n"


def heatmap(
    svg: Svg,
    x: float,
    y: float,
    colours: np.ndarray,
    cell: tuple[float, float],
    *,
    cells: bool | None = None,
    titles: Any = None,
) -> None:
    """Colours ``uint8 [rows, cols, 3]`` as a grid of ``cell = (width, height)`` boxes from ``(x, y)``: one
    ``<rect class="cell">`` each up to :data:`MAX_CELLS` (or when ``cells`` says so), else one PNG.
    ``titles(row, col)``, when given, is each cell's tooltip."""
    rows, cols = colours.shape[:2]
    w, h = cell
    if cells is False or (cells is None and rows * cols > MAX_CELLS):
        svg.image(x, y, cols * w, rows * h, colours, class_="raster")
        return
    for r in range(rows):
        for c in range(cols):
            fill = hex_colour(colours[r, c])
            if titles is None:
                svg.rect(x + c * w, y + r * h, w, h, fill=fill, class_="cell")
            else:
                svg.open("rect", x=x + c * w, y=y + r * h, width=w, height=h, fill=fill, class_="cell")
                svg.element("title", titles(r, c))
                svg.close("rect")


def colour_bar(svg: Svg, x: float, y: float, width: float, kind: str, label: str, low: str, high: str) -> None:
    """A legend: the map's gradient in 32 steps, its ends and what the scale is."""
    palette = svg.palette
    lo = -1.0 if kind == "diverging" else 0.0
    positions = np.linspace(lo, 1.0, 32)
    colours = palette.colours(positions, kind)
    step = width / len(positions)
    for i, rgb in enumerate(colours):
        svg.rect(x + i * step, y, step + 0.3, 10, fill=hex_colour(rgb), class_="legend-swatch")
    svg.rect(x, y, width, 10, fill="none", stroke=hex_colour(palette.muted), stroke_width=0.5)
    muted = hex_colour(palette.muted)
    svg.text(x, y + 22, low, 10, fill=muted, class_="legend")
    svg.text(x + width, y + 22, high, 10, fill=muted, text_anchor="end", class_="legend")
    svg.text(x + width + 10, y + 9, label, 10, fill=muted, class_="legend")


def token_strip(
    svg: Svg, x: float, y: float, tokens: Sequence[str], fills: Sequence[str | None], size: float = 12
) -> float:
    """Tokens side by side as text on their own background boxes (``None``: no box); returns the width."""
    height = size * 1.6
    at = x
    for token, fill in zip(tokens, fills):
        label = clean_text(token)
        width = max(text_width(label, size), size * 0.4) + 4
        if fill is not None:
            rgb = tuple(int(fill[i : i + 2], 16) for i in (1, 3, 5))
            svg.rect(at, y, width, height, fill=fill, class_="cell")
            ink = svg.palette.ink_on(rgb)
        else:
            ink = hex_colour(svg.palette.text)
        svg.text(at + 2, y + size * 1.15, label, size, fill=ink, font_family=MONO, class_="token")
        at += width + 1
    return at - x


def view_name(view: Any) -> str:
    """``AttentionExplorer`` → ``attention_explorer`` (the file name's stem)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(view).__name__).lower()


class SvgExport:
    """``view.to_svg(path)``: the view's main figure, drawn from the data it holds (no model runs, no browser).

    A view lists its figures in ``svg_figures`` (the first is the default) and draws figure ``name`` with a
    method ``_svg_<name>(palette) -> Svg``.
    """

    svg_figures: tuple[str, ...] = ()

    def svg_figure(self, figure: str | None = None) -> str:
        """The figure's name (``None``: the default), or an error naming the valid ones."""
        if figure is None or figure == "":
            return self.svg_figures[0]
        if figure not in self.svg_figures:
            names = ", ".join(map(repr, self.svg_figures))
            raise InputError(f"{type(self).__name__} has no figure {figure!r}: choose one of {names}.")
        return figure

    def svg_filename(self, figure: str | None = None) -> str:
        return f"{view_name(self)}_{self.svg_figure(figure)}.svg"

    def to_svg(self, path: str | Path | None = None, *, figure: str | None = None, theme: str = "light") -> str:
        """The SVG text of ``figure`` (default the view's main one) on a ``"light"`` or ``"dark"`` page; also
        written to ``path`` when given."""
        return self._write_svg(path, self._draw_svg(figure, theme))

    def _draw_svg(self, figure: str | None, theme: str, **options: Any) -> str:
        name = self.svg_figure(figure)
        palette = Palette(theme)
        return getattr(self, f"_svg_{name}")(palette, **options).to_string()

    @staticmethod
    def _write_svg(path: str | Path | None, text: str) -> str:
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


__all__ = [
    "MAX_CELLS",
    "Palette",
    "Svg",
    "SvgExport",
    "check_scale",
    "clean_text",
    "colormaps",
    "colour_bar",
    "heatmap",
    "png",
    "relative_luminance",
    "scale_legend",
    "scaled",
    "token_strip",
]
