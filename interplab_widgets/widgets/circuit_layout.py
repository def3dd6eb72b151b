"""Where CircuitExplorer draws each node and edge end, and the same drawing as a standalone SVG (``to_svg``).

One layout for the view and the SVG file, in unit coordinates (``x`` left to right, ``y`` bottom to top):
the embeddings at the bottom, the logits on top, one row per layer with its heads side by side and its
MLP at the right end, half a row up (it reads the layer's heads). A head's query, key and value inputs
enter at the left, middle and right of its lower edge; a key/value group's input enters between its heads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..analysis.circuits import CircuitGraph, CircuitResult
from .svg import Palette, Svg, hex_colour

PORT_OFFSET = 0.25  # of a node's width: where query and value inputs enter, left and right of the middle


def graph_layout(graph: CircuitGraph) -> dict[str, Any]:
    """``{nodes: [{name, kind, layer, head, x, y}], downstream: [{name, kind, node, heads, x, y}], width}``.

    ``nodes`` are the upstream nodes in graph order, then ``logits``; ``width`` is one node's width. A
    downstream input enters ``node`` (a key/value group: its first head; ``heads`` lists the group).
    """
    rows = graph.n_layers + 2
    row = 1.0 / rows
    columns = graph.n_heads + 1
    width = 1.0 / columns

    def column_x(index: int) -> float:
        return (index + 0.5) * width

    def layer_y(layer: int) -> float:
        return (layer + 1.5) * row

    nodes: list[dict[str, Any]] = [{"name": "input", "kind": "input", "layer": -1, "head": -1, "x": 0.5, "y": row / 2}]
    for layer in range(graph.n_layers):
        for head in range(graph.n_heads):
            nodes.append(
                {"name": f"a{layer}.h{head}", "kind": "head", "layer": layer, "head": head,
                 "x": column_x(head), "y": layer_y(layer)}
            )  # fmt: skip
        nodes.append(
            {"name": f"m{layer}", "kind": "mlp", "layer": layer, "head": -1, "x": column_x(graph.n_heads),
             "y": layer_y(layer) + row / 2}
        )  # fmt: skip
    nodes.append({"name": "logits", "kind": "logits", "layer": graph.n_layers, "head": -1, "x": 0.5, "y": 1 - row / 2})
    downstream: list[dict[str, Any]] = []
    names = graph.downstream_names
    for v, name in enumerate(names):
        layer, head = graph.node_of(v)
        if layer is None:
            entry = {"kind": "logits", "node": len(nodes) - 1, "heads": [], "x": 0.5, "y": nodes[-1]["y"]}
        elif v == graph.mlp_input(layer):
            node = graph.mlp_node(layer)
            entry = {"kind": "mlp", "node": node, "heads": [], "x": nodes[node]["x"], "y": nodes[node]["y"]}
        elif head is not None:
            node = graph.head_node(layer, head)
            x = nodes[node]["x"] - PORT_OFFSET * width
            entry = {"kind": "q", "node": node, "heads": [node], "x": x, "y": nodes[node]["y"]}
        else:
            slot = v - graph.attention_inputs(layer).start - graph.n_heads
            kind, group = ("k", slot) if slot < graph.n_kv_heads else ("v", slot - graph.n_kv_heads)
            heads = [graph.head_node(layer, group * graph.group_size + i) for i in range(graph.group_size)]
            x = float(np.mean([nodes[n]["x"] for n in heads])) + (PORT_OFFSET * width if kind == "v" else 0.0)
            entry = {"kind": kind, "node": heads[0], "heads": heads, "x": x, "y": nodes[heads[0]]["y"]}
        downstream.append({"name": name, **entry})
    return {"nodes": nodes, "downstream": downstream, "width": width, "row": row}


def circuit_svg(
    result: CircuitResult,
    size: int,
    *,
    palette: Palette | None = None,
    pixel_width: int = 900,
    pixel_height: int | None = None,
) -> Svg:
    """The circuit of ``size`` edges as an SVG drawing: nodes as labelled boxes (``<g class="node">``), edges as
    curves (``<path class="edge">``) whose width follows |score| and whose colour its sign (blue positive: the
    edge carries the behaviour; red negative), on ``palette``'s page (default light)."""
    palette = palette or Palette("light")
    layout = graph_layout(result.graph)
    height = pixel_height or max(360, int(36 * (result.graph.n_layers + 2)))
    margin = 24

    def point(x: float, y: float) -> tuple[float, float]:
        return margin + x * (pixel_width - 2 * margin), margin + (1 - y) * (height - 2 * margin)

    mask = result.circuit(size)
    up, down = np.nonzero(mask)
    scores = result.scores[up, down]
    largest = float(np.abs(scores).max()) if len(scores) else 1.0
    node_w = layout["width"] * (pixel_width - 2 * margin) * 0.8
    node_h = min(18.0, layout["row"] * (height - 2 * margin) * 0.5)
    svg = Svg(pixel_width, height, palette, f"{result.method} circuit of {size} edges")
    ends = palette.colours(np.array([-1.0, 1.0]), "diverging")  # the diverging map's ends: blue, red
    positive, negative = hex_colour(ends[0]), hex_colour(ends[1])
    for u, v, score in sorted(zip(up, down, scores), key=lambda e: abs(e[2])):
        source, target = layout["nodes"][u], layout["downstream"][v]
        x1, y1 = point(source["x"], source["y"])
        x2, y2 = point(target["x"], target["y"])
        y1, y2 = y1 - node_h / 2, y2 + node_h / 2
        bend = (y2 - y1) / 2
        stroke = 0.5 + 4.5 * abs(float(score)) / (largest or 1.0)
        dash = {"k": "5 3", "v": "1.5 2.5"}.get(target["kind"])
        svg.open(
            "path", d=f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2:.1f}",
            fill="none", stroke=positive if score >= 0 else negative, stroke_width=f"{stroke:.2f}",
            stroke_opacity="0.75", stroke_dasharray=dash, class_="edge",
        )  # fmt: skip
        svg.element("title", f"{result.graph.upstream_names[u]} → {target['name']}: {float(score):.4g}")
        svg.close("path")
    used = set(up.tolist())  # a key/value group's edge touches every head of the group, as in the view
    for v in down:
        used |= {layout["downstream"][v]["node"], *layout["downstream"][v]["heads"]}
    fill, line = ("#2a2a2a", "#9a9a9a") if palette.dark else ("#f4f4f4", "#555555")
    for index, node in enumerate(layout["nodes"]):
        x, y = point(node["x"], node["y"])
        w = node_w if node["kind"] in ("head", "mlp") else node_w * 2
        svg.open("g", opacity="1" if index in used else "0.3", class_="node")
        svg.rect(x - w / 2, y - node_h / 2, w, node_h, rx=3, fill=fill, stroke=line)
        svg.text(x, y + 3.5, node["name"], 10, text_anchor="middle", class_="node-label")
        svg.close("g")
    return svg
