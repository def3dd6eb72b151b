"""FeatureExplorer: the features of a sparse autoencoder, each with its dashboard, and the features of a prompt.

The view (``js/src/feature_explorer.ts``) lists every latent (density, max activation, its top tokens),
sortable; a clicked latent gets its dashboard: its top-activating contexts with each token's activation as
its background, samples from lower quantiles of its activations, its histogram, and the output tokens its
decoder direction promotes and suppresses. A typed prompt shows each token's strongest features; clicking
one opens its dashboard. ``selected_feature`` and ``text`` are traits, for ``ipywidgets.link``.

The pass over every harvested row (:func:`~interplab_widgets.features.dashboards.feature_dashboards`) runs in
the user's cell at construction, with a progress bar, and is cached on disk; a feature's dashboard (its
contexts read back from the shards) and a prompt's features are computed on the worker and cached here.
"""

from __future__ import annotations

import tempfile
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from shutil import rmtree
from typing import Any

import numpy as np
import traitlets

from ..capture.shards import ActivationShards, harvest_shards
from ..errors import InputError
from ..features.contexts import Context, ContextReader, prompt_features
from ..features.dashboards import FeatureDashboards, feature_dashboards
from ..features.sae import TopKSAE
from ..models import load_model
from .live import LiveWidget
from .static_html import StaticExport
from .svg import Palette, Svg, SvgExport, colour_bar, hex_colour, scaled, token_strip
from .view_support import static_asset
from .wire import to_wire

SORTS = ("index", "density", "max_activation")
TOP_CONTEXTS = 10
"""Top-activating contexts a dashboard shows (of the ``top_k`` kept per feature)."""
QUANTILE_BANDS = 4
PER_BAND = 3


class FeatureExplorer(SvgExport, StaticExport, LiveWidget):
    """The latents of ``sae`` over the activations harvested in ``shards``, with dashboards and a prompt view.

    Args:
        model: a :class:`ModelHandle`, a name for :func:`load_model`, or a ``PreTrainedModel``: the SAE's model.
        sae: a :class:`~interplab_widgets.features.TopKSAE` (``load_sae("smollm2-135m", layer=15)``).
        shards: :class:`~interplab_widgets.ActivationShards` (or their folder) harvested from ``model`` at the
            SAE's layer, or a list of texts (harvested into a temporary folder).
        text: the prompt whose features are shown first.
        selected_feature: the latent whose dashboard is shown first; ``-1`` none.
        sort_by: ``"density"``, ``"max_activation"`` or ``"index"``.
        top_k: top-activating rows kept per feature.

    ``to_svg(path)`` writes the selected feature's dashboard (its contexts, shaded by activation) as an SVG file.
    """

    svg_figures = ("dashboard",)

    live_inputs = ("selected_feature", "text")

    selected_feature = traitlets.Int(-1).tag(sync=True)
    """The latent whose dashboard is shown: 0 to the SAE's latents − 1, or ``-1`` for none (another value is
    answered with an error)."""
    text = traitlets.Unicode("").tag(sync=True)
    """The prompt whose tokens show their strongest features."""
    sort_by = traitlets.Unicode("density").tag(sync=True)
    """The list's order: ``"density"``, ``"max_activation"`` (both descending) or ``"index"``. View state."""

    _model_label = traitlets.Unicode().tag(sync=True)
    _features = traitlets.Dict().tag(sync=True)  # see features_payload
    _dashboard = traitlets.Dict().tag(sync=True)  # see dashboard_payload
    _prompt = traitlets.Dict().tag(sync=True)  # see prompt_features

    def __init__(
        self,
        model: Any,
        sae: TopKSAE,
        shards: ActivationShards | str | Path | Sequence[str],
        *,
        text: str = "",
        selected_feature: int = -1,
        sort_by: str = "density",
        top_k: int = 20,
    ) -> None:
        self._esm = static_asset("feature_explorer.js").read_text()
        self._css = static_asset("feature_explorer.css").read_text()
        self.handle = load_model(model)
        if not isinstance(sae, TopKSAE):
            raise InputError(f"sae must be a TopKSAE (load_sae(...) or train_sae(...)); got {type(sae).__name__}.")
        self.sae = sae
        self.layer = sae.config.layer
        if sae.config.d_model != self.handle.d_model or not 0 <= self.layer <= self.handle.n_layers:
            raise InputError(
                f"This SAE reads {sae.config.d_model}-wide residuals at layer {self.layer}; {self.handle.name} has "
                f"d_model {self.handle.d_model} and layers 0..{self.handle.n_layers}: load the SAE of this model."
            )
        self.shards = self._shards(shards)
        if sort_by not in SORTS:
            raise InputError(f"sort_by must be one of {', '.join(map(repr, SORTS))}; got {sort_by!r}.")
        self.dashboards: FeatureDashboards = feature_dashboards(sae, self.shards, self.handle, top_k=top_k)
        """Every feature's numbers over the harvest (see :class:`~interplab_widgets.features.FeatureDashboards`)."""
        self._reader = ContextReader(sae, self.shards, self.layer)
        self._token_ids = self._reader.token_ids()
        self._dashboard_cache: dict[int, dict[str, Any]] = {}
        self._prompt_cache: dict[str, dict[str, Any]] = {}
        super().__init__(
            selected_feature=self._check_feature(selected_feature),
            text=text,
            sort_by=sort_by,
            _model_label=self.handle.name,
            _features=self.features_payload(),
        )
        self._dashboard = self.dashboard_payload(self.selected_feature)
        self._prompt = self.prompt_payload(self.text)
        self.start_live()

    def _shards(self, shards: Any) -> ActivationShards:
        if isinstance(shards, (str, Path)):
            shards = ActivationShards(shards)
        elif not isinstance(shards, ActivationShards):
            if isinstance(shards, str) or not isinstance(shards, Sequence):
                raise InputError(
                    f"shards must be ActivationShards, their folder, or a list of texts; got {type(shards).__name__}."
                )
            folder = tempfile.mkdtemp(prefix="interplab-features-")
            weakref.finalize(self, rmtree, folder, ignore_errors=True)
            shards = harvest_shards(self.handle, list(shards), folder, layers=[self.layer])
        if shards.manifest["fingerprint"] != self.handle.fingerprint():
            raise InputError(
                f"These shards were harvested from {shards.manifest['model']!r} with other weights than "
                f"{self.handle.name!r} has now: harvest them again from this model (harvest_shards)."
            )
        if self.layer not in shards.layers:
            raise InputError(
                f"The SAE reads layer {self.layer}; these shards hold layers {shards.layers}: harvest "
                f"layers=[{self.layer}]."
            )
        return shards

    def _check_feature(self, feature: int) -> int:
        n = self.sae.config.n_latents
        if not isinstance(feature, (int, np.integer)) or not -1 <= int(feature) < n:
            raise InputError(f"selected_feature must be -1 (none) or a latent in 0..{n - 1}; got {feature!r}.")
        return int(feature)

    # -- answers ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Send the selected feature's dashboard and the prompt's features."""
        feature, text = self.selected_feature, self.text
        ready = feature in self._dashboard_cache and text in self._prompt_cache

        def compute() -> tuple[dict, dict]:
            return self.dashboard_payload(feature), self.prompt_payload(text)

        def apply(value: tuple[dict, dict]) -> None:
            self._dashboard, self._prompt = value

        label = f"dashboard of feature {feature}" if feature not in self._dashboard_cache else "features of the prompt"
        self.request(label, compute, apply, ready=ready)

    # -- payloads ---------------------------------------------------------------------------

    def features_payload(self) -> dict[str, Any]:
        """``{n_latents, n_rows, layer, k, top_k, density, max_activation: float32 [n], top_tokens}``:
        ``top_tokens`` per latent the (up to 3) commonest ``[token text, count]`` among its top rows."""
        d = self.dashboards
        return {
            "n_latents": d.n_latents,
            "n_rows": int(d.n_rows),
            "layer": self.layer,
            "k": self.sae.config.k,
            "top_k": int(d.top_rows.shape[1]),
            "density": to_wire(d.density, "float32"),
            "max_activation": to_wire(d.max_activation, "float32"),
            "top_tokens": [self._top_tokens(rows) for rows in d.top_rows],
        }

    def _top_tokens(self, rows: np.ndarray) -> list[list[Any]]:
        counts = Counter(self._token_ids[rows[rows >= 0]].tolist()).most_common(3)
        return [[self._decode(token), count] for token, count in counts]

    def _decode(self, token_id: int) -> str:
        return self.handle.tokenizer.decode([int(token_id)])

    def dashboard_payload(self, feature: int) -> dict[str, Any]:
        """``{}`` for no feature, else ``{feature, density, max_activation, contexts, quantiles, histogram,
        promoted, suppressed}``: the top contexts, ``quantiles`` = ``[{label, low, high, contexts}]`` drawn from
        the feature's uniform sample, the histogram's nonzero range and the promoted/suppressed tokens."""
        feature = self._check_feature(feature)
        if feature < 0:
            return {}
        if feature not in self._dashboard_cache:
            self._dashboard_cache[feature] = self._dashboard_for(feature)
        return self._dashboard_cache[feature]

    def _dashboard_for(self, feature: int) -> dict[str, Any]:
        d = self.dashboards
        counts = d.histogram[feature]
        nonzero = np.flatnonzero(counts)
        lo, hi = (int(nonzero[0]), int(nonzero[-1]) + 1) if len(nonzero) else (0, 0)
        return {
            "feature": feature,
            "density": float(d.density[feature]),
            "max_activation": float(d.max_activation[feature]),
            "contexts": self._wire_contexts(feature, d.top_rows[feature][:TOP_CONTEXTS]),
            "quantiles": self._quantiles(feature),
            "histogram": {"counts": counts[lo:hi].tolist(), "edges": d.bin_edges[lo : hi + 1].tolist()},
            "promoted": self._tokens(d.promoted[feature], d.promoted_logits[feature]),
            "suppressed": self._tokens(d.suppressed[feature], d.suppressed_logits[feature]),
        }

    def _quantiles(self, feature: int) -> list[dict[str, Any]]:
        """Bands of the feature's sampled activations between its quantiles, a few contexts from each."""
        rows, values = self.dashboards.sample_rows[feature], self.dashboards.sample_values[feature]
        rows, values = rows[rows >= 0], values[rows >= 0]
        if len(rows) < QUANTILE_BANDS * 2:
            return []
        edges = np.quantile(values, np.linspace(0, 1, QUANTILE_BANDS + 1))
        bands = []
        for band in range(QUANTILE_BANDS):
            low, high = float(edges[band]), float(edges[band + 1])
            last = band == QUANTILE_BANDS - 1
            inside = np.flatnonzero((values >= low) & ((values <= high) if last else (values < high)))
            share = 100 // QUANTILE_BANDS
            bands.append({
                "label": f"quantile {band * share}–{(band + 1) * share} %: activation {low:.2f}–{high:.2f}",
                "low": low,
                "high": high,
                "contexts": self._wire_contexts(feature, rows[inside[:PER_BAND]]),
            })  # fmt: skip
        return bands

    def _wire_contexts(self, feature: int, rows: np.ndarray) -> list[dict[str, Any]]:
        return [asdict(c) for c in self._reader.contexts(feature, rows)]

    def _tokens(self, ids: np.ndarray, logits: np.ndarray) -> list[dict[str, Any]]:
        return [{"token": self._decode(i), "logit": float(v)} for i, v in zip(ids, logits)]

    def prompt_payload(self, text: str) -> dict[str, Any]:
        """``{}`` for no text, else :func:`~interplab_widgets.features.contexts.prompt_features` of it."""
        if not text:
            return {}
        if text not in self._prompt_cache:
            self._prompt_cache[text] = prompt_features(self.sae, self.handle, text)
        return self._prompt_cache[text]

    def contexts(self, feature: int, n: int = TOP_CONTEXTS) -> list[Context]:
        """The ``n`` top-activating contexts of ``feature`` (Python access to what the dashboard shows)."""
        if self._check_feature(feature) < 0:
            raise InputError("contexts() needs a latent index, not -1.")
        return self._reader.contexts(feature, self.dashboards.top_rows[feature][:n])

    def _svg_dashboard(self, palette: Palette) -> Svg:
        """The selected feature's dashboard as shown: its top contexts and the quantile bands' samples, each
        token shaded by the feature's activation on one scale (its max activation), and the output tokens its
        decoder direction promotes and suppresses."""
        d = self._dashboard
        if not d:
            raise InputError("No feature is selected: set selected_feature (or click a feature) before exporting.")
        contexts = [c for q in d["quantiles"] for c in q["contexts"]] + d["contexts"]
        values = [v for c in contexts for v in c["values"] if np.isfinite(v)]
        top = d["max_activation"] if d["max_activation"] > 0 else max([0.0, *values])
        title = f"{self._model_label} · layer {self.layer} · feature {d['feature']}"
        n_lines = len(d["contexts"]) + sum(1 + len(q["contexts"]) for q in d["quantiles"])
        svg = Svg(400, 110 + 24 * n_lines + 60, palette, title)
        svg.text(10, 18, title, 13, font_weight="bold", class_="title")
        muted = hex_colour(palette.muted)
        svg.text(10, 36, f"density {d['density']:.3g} · max activation {d['max_activation']:.3g}", 10, fill=muted,
                 class_="subtitle")  # fmt: skip
        y = 52.0

        def rows(heading: str, group: list[dict[str, Any]]) -> None:
            nonlocal y
            svg.text(10, y + 10, heading, 11, font_weight="bold", class_="heading")
            y += 16
            for context in group:
                colours = palette.colours(scaled(np.nan_to_num(np.asarray(context["values"], dtype=float)), top))
                token_strip(svg, 10, y, context["tokens"], [hex_colour(c) for c in colours], size=11)
                y += 22

        rows("top activations", d["contexts"])
        for band in d["quantiles"]:
            rows(band["label"], band["contexts"])
        words = [
            ("promotes", " ".join(repr(t["token"]) for t in d["promoted"])),
            ("suppresses", " ".join(repr(t["token"]) for t in d["suppressed"])),
        ]
        for name, tokens in words:
            svg.text(10, y + 12, f"{name}: {tokens}", 10, fill=muted, class_="logit-tokens")
            y += 16
        colour_bar(svg, 10, y + 8, 160, "sequential", "activation, linear scale", "0", f"{top:.3g}")
        svg.height = y + 40
        return svg
