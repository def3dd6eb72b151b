"""SVG figures for papers (issue #17): each view's main figure drawn from Python, from the data it holds.

Every figure must parse as XML, hold one element per cell / tile / point / node of the view's own data, keep
token text as literal ``<text>`` content, and colour a zero as the page's background, as the JS views do.
Views are built once per module on the toy model with short texts.
"""

from __future__ import annotations

import base64
import queue
import struct
import threading
import xml.etree.ElementTree as ElementTree
import zlib

import numpy as np
import pytest
from toy_features import toy_texts

from interplab_widgets import (
    AttentionExplorer,
    AttributionView,
    CircuitExplorer,
    FailureExplorer,
    FeatureExplorer,
    GenerationTracer,
    InputError,
    PatchingExplorer,
    ProjectionExplorer,
    harvest_shards,
    load_model,
)
from interplab_widgets.analysis.circuit_tasks import induction_task
from interplab_widgets.failures import Case
from interplab_widgets.features import train_sae
from interplab_widgets.widgets.svg import Palette, clean_text, colormaps, scaled
from interplab_widgets.widgets.wire import from_wire

NS = "{http://www.w3.org/2000/svg}"
TEXT = "ba ko mi ba ko mi"
HOSTILE = '<script>alert(1)</script> & "q" ]]> \x01'
LIGHT, DARK = "#ffffff", "#111111"  # colormaps.json's light_background and dark_background


def parse(svg: str) -> ElementTree.Element:
    root = ElementTree.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{NS}svg" and root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert root.get("font-family") and float(root.get("width")) > 0 and float(root.get("height")) > 0
    assert not [e for e in root.iter() if e.tag.endswith("script") or e.tag.endswith("foreignObject")]
    return root


def of_class(root: ElementTree.Element, tag: str, name: str) -> list[ElementTree.Element]:
    return [e for e in root.iter(f"{NS}{tag}") if name in (e.get("class") or "").split()]


def texts(root: ElementTree.Element, name: str) -> list[str]:
    return [e.text or "" for e in of_class(root, "text", name)]


def background(root: ElementTree.Element) -> str:
    return of_class(root, "rect", "background")[0].get("fill")


def png_pixels(href: str) -> np.ndarray:
    """Decode the tiny PNG encoder's output (8-bit RGB, filter 0) back to ``[h, w, 3]``."""
    data = base64.b64decode(href.removeprefix("data:image/png;base64,"))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat = data[8 + 8 + 13 + 4 + 8 : -12]  # after the signature and IHDR, before IEND
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + 3 * width)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 3)


@pytest.fixture(scope="module")
def toy():
    return load_model("toy-induction")


@pytest.fixture(scope="module")
def attention(toy):
    return AttentionExplorer(toy, TEXT, roles=False)


@pytest.fixture(autouse=True)
def reset_attention(request):
    yield
    if "attention" in request.fixturenames:
        view = request.getfixturevalue("attention")
        view.color_scale, view.normalize_rows = "linear", False


# -- colours --------------------------------------------------------------------------------------


def test_zero_is_the_background_and_the_scales_match_the_js_rule():
    light, dark = Palette("light"), Palette("dark")
    assert not light.dark and dark.dark
    for palette, bg in ((light, LIGHT), (dark, DARK)):
        for scale in colormaps()["scales"]:
            assert palette.colour(0, 1, scale) == bg
            assert palette.colour(0, 1, scale, "diverging") == bg
        assert palette.colour(1, 1) != bg and palette.colour(-1, 1, kind="diverging") != bg
    # log: 3 decades below the maximum is the background; one decade above that is a third of the map,
    # where linear is still all but the background.
    assert light.colour(1e-3, 1, "log") == LIGHT
    assert scaled(1e-2, 1, "log") == pytest.approx(1 / 3)
    near = [int(light.colour(1e-2, 1, "linear")[i : i + 2], 16) for i in (1, 3, 5)]
    assert min(near) >= 250 and light.colour(1e-2, 1, "log") != light.colour(1e-2, 1, "linear")
    assert scaled(0.25, 1, "sqrt") == pytest.approx(0.5) and scaled(-0.25, 1, "sqrt") == pytest.approx(-0.5)
    assert scaled(3.0, 0.0) == 0 and scaled(-5, 1) == -1  # no maximum: 0; beyond it: saturated
    # the file's stops at 1 (sequential) and at -1, 1 (diverging) are kept as they are
    assert light.colour(1, 1) == "#08306b" and dark.colour(1, 1) == "#deebf7"
    assert light.colour(-1, 1, kind="diverging") == "#2166ac"
    with pytest.raises(InputError, match="theme must be one of 'light', 'dark'"):
        Palette("sepia")


# -- AttentionExplorer ---------------------------------------------------------------------------


def test_attention_detail_has_a_cell_per_token_pair_and_token_labels(attention, tmp_path):
    n = len(attention._tokens)
    svg = attention.to_svg()
    root = parse(svg)
    cells = of_class(root, "rect", "cell")
    assert len(cells) == n * n
    assert texts(root, "query") == attention._tokens and texts(root, "key") == attention._tokens
    assert background(root) == LIGHT and "linear scale" in texts(root, "legend")
    # causal: every key after its query is 0, painted as the page
    fills = np.array([c.get("fill") for c in cells]).reshape(n, n)
    pattern = from_wire(attention._detail["overview"]["pattern"])
    assert (pattern[np.triu_indices(n, 1)] == 0).all() and set(fills[np.triu_indices(n, 1)]) == {LIGHT}
    assert LIGHT not in set(fills[np.diag_indices(n)])
    dark = parse(attention.to_svg(theme="dark"))
    dark_fills = np.array([c.get("fill") for c in of_class(dark, "rect", "cell")]).reshape(n, n)
    assert background(dark) == DARK and set(dark_fills[np.triu_indices(n, 1)]) == {DARK}
    assert attention.to_svg(figure="detail") == svg  # the default figure
    assert attention.to_svg(tmp_path / "detail.svg") == svg == (tmp_path / "detail.svg").read_text(encoding="utf-8")
    attention.to_svg(str(tmp_path / "as_str.svg"))
    assert (tmp_path / "as_str.svg").read_text(encoding="utf-8") == svg


def test_attention_grid_is_one_png_tile_per_head(attention):
    root = parse(attention.to_svg(figure="grid", theme="dark"))
    layers, heads = attention._n_layers, attention._n_heads
    assert len(of_class(root, "rect", "tile")) == layers * heads
    images = list(root.iter(f"{NS}image"))
    assert len(images) == layers * heads and all(i.get("image-rendering") == "pixelated" for i in images)
    assert texts(root, "layer-label") == [f"L{i}" for i in range(layers)]
    assert texts(root, "head-label") == [f"H{i}" for i in range(heads)]
    thumbnails = from_wire(attention._thumbnails)
    pixels = png_pixels(images[0].get("href"))
    assert pixels.shape[:2] == thumbnails.shape[2:]
    zero = thumbnails[0, 0] == 0
    assert zero.any() and (pixels[zero] == [17, 17, 17]).all() and not (pixels[~zero] == [17, 17, 17]).all(axis=1).any()


def test_scale_and_row_normalisation_change_the_figure_not_the_model(attention):
    n = len(attention._tokens)
    values = from_wire(attention._detail["overview"]["pattern"]).astype(np.float64)
    status, computations = dict(attention._status), attention.computations
    attention.color_scale, attention.normalize_rows = "log", True
    assert attention.computations == computations and attention._status == status  # view state only
    root = parse(attention.to_svg())
    fills = np.array([c.get("fill") for c in of_class(root, "rect", "cell")]).reshape(n, n)
    rows = values / values.max(axis=1, keepdims=True)
    tiny = (rows > 0) & (rows <= 1e-3)
    assert set(fills[rows == 1]) == {"#08306b"}  # each row's maximum is the top of the map
    assert set(fills[tiny]) <= {LIGHT}
    assert "log scale, 3 decades, rows normalised" in texts(root, "legend")
    attention.normalize_rows = False
    linear_top = values / values.max()
    attention.color_scale = "linear"
    linear = np.array([c.get("fill") for c in of_class(parse(attention.to_svg()), "rect", "cell")]).reshape(n, n)
    attention.color_scale = "log"
    log = np.array([c.get("fill") for c in of_class(parse(attention.to_svg()), "rect", "cell")]).reshape(n, n)
    weak = (linear_top > 1e-3) & (linear_top < 0.05)
    assert weak.any() and (log[weak] != linear[weak]).all()


def test_normalised_rows_of_a_zoomed_window_keep_their_whole_rows_maximum(attention):
    """As in the view: a row is normalised by its maximum over every key, not only the keys in the window."""
    full = from_wire(attention._detail["overview"]["pattern"]).astype(np.float64)  # exact: 6 tokens
    attention.detail_window = [3, 6, 0, 2]
    attention.wait()
    try:
        attention.normalize_rows = True
        fills = [c.get("fill") for c in of_class(parse(attention.to_svg()), "rect", "cell")]
        expected = Palette("light").colours(scaled(full[3:6, 0:2], full[3:6].max(axis=1, keepdims=True)))
        assert fills == ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in expected.reshape(-1, 3)]
        assert (full[3:6, 0:2].max(axis=1) < full[3:6].max(axis=1)).any()  # some row's maximum lies outside
    finally:
        attention.detail_window = []
        attention.wait()


def test_bad_scales_and_figures_are_refused_with_the_choices(attention, toy):
    with pytest.raises(InputError, match="color_scale must be one of 'linear', 'sqrt', 'log'; got 'bogus'"):
        attention.color_scale = "bogus"
    assert attention.color_scale == "linear"
    with pytest.raises(InputError, match="color_scale must be one of"):
        AttentionExplorer(toy, TEXT, roles=False, color_scale="bogus")
    with pytest.raises(InputError, match="no figure 'heads': choose one of 'detail', 'grid'"):
        attention.to_svg(figure="heads")


def test_hostile_token_text_stays_literal_text(minilm):
    view = AttentionExplorer(minilm, HOSTILE, roles=False)  # a real tokenizer splits it; no GGUF to convert
    svg = view.to_svg()
    root = parse(svg)
    labels = texts(root, "query")
    assert "<script" not in svg and labels == [clean_text(t) for t in view._tokens] == texts(root, "key")
    assert {"<", "script", ">", "&", '"', "]"} <= set(labels)


# -- the other views -----------------------------------------------------------------------------


def test_generation_tracer_lens_is_layers_by_steps(toy):
    tracer = GenerationTracer(toy, "ba ko mi ba ko", max_new_tokens=4)
    root = parse(tracer.to_svg())
    steps, rows = from_wire(tracer._lens_probs).shape
    assert len(of_class(root, "rect", "cell")) == steps * rows == 4 * (toy.n_layers + 1)
    assert texts(root, "token") == tracer._tokens
    assert texts(root, "row-label") == ["out", *[f"L{i}" for i in range(toy.n_layers - 1, 0, -1)], "emb"]
    tracer.metric = "rank"
    tracer.wait()
    assert "rank of the chosen token, log scale" in texts(parse(tracer.to_svg(theme="dark")), "legend")


def test_patching_grid_is_diverging_with_zero_as_the_background(toy):
    view = PatchingExplorer(toy, "ba ko mi ba ko", "ba ko mi be ko", answer="mi", contrast="ba")
    effects = from_wire(view._grid["effects"])
    for theme, bg in (("light", LIGHT), ("dark", DARK)):
        root = parse(view.to_svg(theme=theme))
        cells = of_class(root, "rect", "cell")
        assert len(cells) == effects.size
        fills = np.array([c.get("fill") for c in cells]).reshape(effects.shape)
        none = np.abs(effects) < 1e-3  # patching there changes nothing
        assert none.any() and set(fills[none]) == {bg} and bg not in set(fills[effects >= 0.5])
    assert texts(root, "clean") == view._clean_tokens and texts(root, "corrupted") == ["be"]
    assert texts(root, "row-label") == view._grid["rows"]
    with pytest.raises(InputError, match="color_scale must be one of"):
        view.color_scale = "bogus"
    view.color_scale = "sqrt"
    assert "effect: 0 = corrupted, 1 = clean, saturating beyond ±1 · sqrt scale" in texts(
        parse(view.to_svg()), "legend"
    )


def test_projection_scatter_has_a_point_per_row_and_a_legend(toy):
    texts_ = ["ba ko mi ba ko mi", "de fu la de fu la", "po ri su po ri su"]
    view = ProjectionExplorer(toy, texts_, layers=[1], labels={"kind": ["a", HOSTILE, None] * 6})
    root = parse(view.to_svg())
    points = of_class(root, "circle", "point")
    assert len(points) == view._n_points == 18
    names = view._label_sets["kind"]["names"]
    assert texts(root, "legend-label") == [f"{clean_text(name)} (6)" for name in names]
    assert f"{HOSTILE.replace(chr(1), chr(0xFFFD))} (6)" in texts(root, "legend-label")
    colours = {"#" + "".join(f"{c:02x}" for c in colormaps()["categorical"][i]) for i in range(len(names))}
    assert {p.get("fill") for p in points} == colours


def test_failure_side_by_side_shows_both_runs(toy):
    cases = [Case("ba ko mi be ko", "same_top", original="ba ko mi ba ko", kind="swap", capability="INV")]
    view = FailureExplorer(toy, cases)
    with pytest.raises(InputError, match="No case is selected"):
        view.to_svg()
    view.selected_case = 0
    view.wait()
    root = parse(view.to_svg())
    sbs = view._side_by_side
    n_lens = len(sbs["perturbed"]["lens_top"])
    assert len(of_class(root, "rect", "cell")) == 2 + 2 * n_lens + toy.n_layers * toy.n_heads  # 2 changed tokens
    assert texts(root, "token") == sbs["original"]["tokens"] + sbs["perturbed"]["tokens"]


def test_attribution_strip_colours_scored_tokens_on_a_signed_scale(toy):
    view = AttributionView(toy, "ba ko mi ba ko", "mi", methods=["gradient_x_input", "occlusion"], faithfulness=False)
    root = parse(view.to_svg(theme="dark"))
    scored = [from_wire(row["attributed"]).astype(bool) for row in view._rows]
    assert len(of_class(root, "rect", "cell")) == sum(int(s.sum()) for s in scored)
    assert texts(root, "token") == view._tokens * 2 and texts(root, "method") == ["gradient x input", "occlusion"]
    assert background(root) == DARK


def test_circuit_graph_has_its_nodes_and_the_circuits_edges(toy):
    view = CircuitExplorer(induction_task(toy, n_pairs=4, segment_length=4, seed=0), "eap", circuit_size=10)
    root = parse(view.to_svg(theme="dark"))
    assert len(of_class(root, "path", "edge")) == int(view.result().circuit(10).sum())
    names = [*view.graph.upstream_names, "logits"]
    assert len(of_class(root, "g", "node")) == len(names) and texts(root, "node-label") == names
    assert background(root) == DARK
    assert len(of_class(parse(view.to_svg(size=3)), "path", "edge")) == int(view.result().circuit(3).sum())


def test_feature_dashboard_shades_each_context_token(toy, tmp_path):
    shards = harvest_shards(toy, toy_texts(toy, 24, seed=1), tmp_path / "h", layers=[1], progress=False)
    sae, _ = train_sae(shards, layer=1, n_latents=32, k=4, tokens=4000, batch_rows=256, dead_tokens=2000,
                       progress=False)  # fmt: skip
    view = FeatureExplorer(toy, sae, shards)
    with pytest.raises(InputError, match="No feature is selected"):
        view.to_svg()
    view.selected_feature = int(np.argmax(view.dashboards.density))
    view.wait()
    d = view._dashboard
    contexts = d["contexts"] + [c for band in d["quantiles"] for c in band["contexts"]]
    root = parse(view.to_svg())
    assert len(of_class(root, "rect", "cell")) == sum(len(c["tokens"]) for c in contexts) > 0
    expected = d["contexts"] + [c for band in d["quantiles"] for c in band["contexts"]]
    assert texts(root, "token") == [t for c in expected for t in c["tokens"]]
    zero = [
        cell.get("fill")
        for cell, value in zip(of_class(root, "rect", "cell"), [v for c in expected for v in c["values"]])
        if value == 0
    ]
    assert zero and set(zero) == {LIGHT}


# -- the export button's message -------------------------------------------------------------------


def replies(view, monkeypatch) -> queue.Queue:
    sent: queue.Queue = queue.Queue()
    monkeypatch.setattr(view, "send", lambda content, buffers=None: sent.put(content))
    return sent


def test_the_export_message_is_answered_off_the_main_thread(attention, monkeypatch):
    sent = replies(attention, monkeypatch)
    release = threading.Event()
    draw = attention._draw_svg

    def slow(figure, theme, **options):
        assert release.wait(10)
        return draw(figure, theme, **options)

    monkeypatch.setattr(attention, "_draw_svg", slow)
    attention._on_live_message(attention, {"type": "export_svg", "figure": "grid", "theme": "dark", "nonce": 7}, [])
    assert sent.empty()  # the handler returned while the figure was still being drawn
    release.set()
    reply = sent.get(timeout=10)
    assert reply["type"] == "svg" and reply["nonce"] == 7 and reply["figure"] == "grid"
    assert reply["filename"] == "attention_explorer_grid.svg"
    root = parse(reply["svg"])
    assert background(root) == DARK and len(of_class(root, "rect", "tile")) == attention._n_layers * attention._n_heads


def test_the_export_message_defaults_and_errors(attention, monkeypatch):
    sent = replies(attention, monkeypatch)
    attention._on_live_message(attention, {"type": "export_svg", "theme": "light", "nonce": 1}, [])
    reply = sent.get(timeout=10)
    assert (reply["type"], reply["figure"], reply["filename"]) == ("svg", "detail", "attention_explorer_detail.svg")
    assert reply["svg"] == attention.to_svg()
    attention._on_live_message(attention, {"type": "export_svg", "figure": "bogus", "nonce": 2}, [])
    error = sent.get(timeout=10)
    assert error["type"] == "svg_error" and error["nonce"] == 2 and "'detail', 'grid'" in error["message"]
    attention._on_live_message(attention, {"type": "export_svg", "theme": "neon", "nonce": 3}, [])
    error = sent.get(timeout=10)
    assert error == {"type": "svg_error", "nonce": 3, "message": "theme must be one of 'light', 'dark'; got 'neon'."}
