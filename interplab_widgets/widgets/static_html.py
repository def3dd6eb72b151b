"""Standalone HTML snapshots of views: the same built view code, fed the saved state by a small in-page model.

The page needs no kernel and no network. Anywidget views are rebuilt from their state; a view that is
not an anywidget (ProbeView, an ipywidgets box) gives its own static HTML, already escaped, through a
``snapshot_fragment()`` method, and goes in place. Each view renders on its own: one that fails shows
its error where it would have been, and the others still render.

Every piece of data (token text included) travels as JSON inside a ``<script type="application/json">``
element with ``<``, ``>`` and ``&`` escaped, and the view code is loaded from a Blob, so nothing in
the saved data can close a script tag or run as code.
In the snapshot, choices that only change what is shown (hover, sorting, zoom) work; choices that would
ask the kernel for new data show what was computed when the snapshot was saved.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget

from ..errors import InputError

BINARY = "__ilw_base64__"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }}
.ilw-snapshot-note {{ font-size: 0.85rem; color: #555; border-left: 3px solid #c0392b; padding: 0.3rem 0.7rem; }}
.ilw-snapshot {{ margin: 1.5rem 0; }}
.ilw-snapshot-error {{ color: #c0392b; border: 1px solid #c0392b; padding: 0.5rem 0.8rem; white-space: pre-wrap; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="ilw-snapshot-note">A static snapshot made with interplab_widgets from <code>{models}</code>. It runs
without a kernel: hovering, sorting and zooming work; selections that need new computation show what was
computed when the snapshot was saved.</p>
{views}
<script type="module">
const BINARY = "{binary}";
const revive = (key, value) => {{
  if (value && typeof value === "object" && typeof value[BINARY] === "string") {{
    const bytes = Uint8Array.from(atob(value[BINARY]), (c) => c.charCodeAt(0));
    return new DataView(bytes.buffer);
  }}
  return value;
}};
class SnapshotModel {{
  constructor(state) {{ this.state = state; this.listeners = new Map(); }}
  get(name) {{ return this.state[name]; }}
  set(name, value) {{
    this.state[name] = value;
    for (const listener of this.listeners.get(`change:${{name}}`) ?? []) listener();
  }}
  // No kernel answers here: every request is answered at once with what the snapshot holds.
  save_changes() {{
    this.set("_status", {{ request: this.state._request ?? 0, state: "done", label: "", fraction: null }});
  }}
  send() {{}}
  on(event, listener) {{
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(listener);
  }}
  off(event, listener) {{
    if (event && listener) this.listeners.get(event)?.delete(listener);
    else if (event) this.listeners.delete(event);
    else this.listeners.clear();
  }}
}}
// Each view on its own: one that throws (bad state, a bug) shows its error in place, the others render.
async function show(holder) {{
  const el = document.getElementById(holder.dataset.target);
  try {{
    const {{ esm, css, state }} = JSON.parse(holder.textContent, revive);
    const style = document.createElement("style");
    style.textContent = css;
    document.head.appendChild(style);
    const url = URL.createObjectURL(new Blob([esm], {{ type: "text/javascript" }}));
    const module = await import(url);
    const widget = typeof module.default === "function" ? await module.default() : module.default;
    const model = new SnapshotModel(state);
    await widget.initialize?.({{ model }});
    await widget.render({{ model, el }});
  }} catch (err) {{
    console.warn(`interplab_widgets snapshot: view ${{holder.dataset.target}} failed`, err);
    const box = document.createElement("div");
    box.className = "ilw-snapshot-error";
    box.setAttribute("role", "alert");
    box.textContent = `This view could not be shown: ${{err instanceof Error ? err.message : String(err)}}`;
    el.replaceChildren(box);
  }}
}}
await Promise.all([...document.querySelectorAll("script.ilw-snapshot-data")].map(show));
</script>
</body>
</html>
"""


def _plain(value: Any) -> Any:
    """The state as JSON-able values, bytes as ``{BINARY: base64}``."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {BINARY: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _script_json(data: Any) -> str:
    """JSON that cannot end its ``<script>`` element early, whatever strings it holds."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def snapshot_html(widgets: Sequence[Any], title: str = "interplab_widgets snapshot") -> str:
    """One page showing every widget in ``widgets``, in order.

    Each is an anywidget view (rebuilt in the page from its state, ``_esm`` and ``_css``) or has a
    ``snapshot_fragment()`` method returning its own static, escaped HTML (ProbeView).

    Raises:
        InputError: for anything else, before any HTML is made.
    """
    for widget in widgets:
        if not isinstance(widget, anywidget.AnyWidget) and not callable(getattr(widget, "snapshot_fragment", None)):
            raise InputError(
                f"save_html cannot show a {type(widget).__module__}.{type(widget).__qualname__}: it takes the "
                "package's views (anywidget views, or widgets with a snapshot_fragment() method such as ProbeView)."
            )
    blocks = []
    for index, widget in enumerate(widgets):
        target = f"ilw-snapshot-{index}"
        if not isinstance(widget, anywidget.AnyWidget):
            blocks.append(f'<div class="ilw-snapshot" id="{target}">{widget.snapshot_fragment()}</div>')
            continue
        state = {name: value for name, value in widget.get_state().items() if name not in ("_esm", "_css")}
        payload = {"esm": str(widget._esm), "css": str(widget._css), "state": _plain(state)}
        blocks.append(
            f'<div class="ilw-snapshot" id="{target}"></div>\n'
            f'<script type="application/json" class="ilw-snapshot-data" data-target="{target}">'
            f"{_script_json(payload)}</script>"
        )
    models = sorted({getattr(w, "_model_label", "") for w in widgets} - {""})
    return PAGE.format(
        title=html.escape(title),
        models=html.escape(", ".join(models) or "a model"),
        views="\n".join(blocks),
        binary=BINARY,
    )


def save_html(path: str | Path, *widgets: Any, title: str = "interplab_widgets snapshot") -> Path:
    """Write a standalone HTML snapshot of one or more views to ``path``; returns the path."""
    path = Path(path)
    path.write_text(snapshot_html(widgets, title), encoding="utf-8")
    return path


class StaticExport:
    """``widget.save_html(path)`` for anywidget views."""

    def save_html(self, path: str | Path, title: str | None = None) -> Path:
        """Write this view, with its current state and the data already computed, as a standalone HTML file."""
        return save_html(path, self, title=title or f"{type(self).__name__} — {getattr(self, '_model_label', '')}")
