"""harvest: activations of many texts at chosen layers, one row per token or per text, cached on disk.

Rows remember where they came from (text, token, character span), so any point of a projection
or probe can be shown in its context. Only the chosen layers are kept, batch by batch, and the
total is checked against a memory budget before the first forward pass.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..disk_cache import mark_used, result_path, store
from ..errors import InputError
from .runner import batched_residuals, tokenize

UNITS = ("token", "sentence")
POOLINGS = ("mean", "last")
MAX_BYTES = 2 * 2**30
FORMAT_VERSION = 2
"""Part of every cache key: raise it when harvesting or the file layout changes, so old files are not read."""


@dataclass(frozen=True)
class Harvest:
    """Activations ``[rows, d_model]`` per layer (float32) and each row's provenance.

    ``text_index[r]`` / ``token_index[r]`` say which text and token row ``r`` is (``token_index``
    is -1 for a pooled sentence); ``start``/``end`` its character span in the text; ``tokens[r]``
    the token's text (the whole text for a sentence). Layer ``L`` is the residual after ``L`` blocks.
    """

    model_name: str
    texts: list[str]
    layers: list[int]
    unit: str
    pooling: str
    activations: dict[int, np.ndarray]
    text_index: np.ndarray
    token_index: np.ndarray
    start: np.ndarray
    end: np.ndarray
    tokens: list[str]
    from_cache: bool = False

    @property
    def n_rows(self) -> int:
        return len(self.text_index)

    def layer(self, layer: int) -> np.ndarray:
        if layer not in self.activations:
            raise InputError(f"layer {layer} was not harvested; harvested layers: {self.layers}.")
        return self.activations[layer]

    def context(self, row: int, width: int = 60) -> str:
        """The text around row ``row``'s token, with the token in [brackets]."""
        text = self.texts[int(self.text_index[row])]
        start, end = int(self.start[row]), int(self.end[row])
        before = text[max(0, start - width) : start]
        after = text[end : end + width]
        ellipsis = ("…" if start > width else "", "…" if end + width < len(text) else "")
        return f"{ellipsis[0]}{before}[{text[start:end]}]{after}{ellipsis[1]}"


def harvest(
    model: Any,
    texts: Sequence[str],
    *,
    layers: Sequence[int] | None = None,
    unit: str = "token",
    pooling: str = "mean",
    batch_size: int = 16,
    special_tokens: bool = False,
    max_bytes: int = MAX_BYTES,
    cache: bool | str | Path = True,
    progress: bool = True,
) -> Harvest:
    """Activations of ``texts`` at ``layers`` (default: all ``n_layers + 1``), batched, with a progress bar.

    Args:
        unit: ``"token"`` (one row per token) or ``"sentence"`` (one row per text, pooled).
        pooling: for sentences, ``"mean"`` over tokens or the ``"last"`` token (which saw the whole text).
        special_tokens: keep rows for special tokens such as BERT's ``[CLS]``/``[SEP]`` (and pool over them).
        max_bytes: refuse, before any forward pass, a harvest whose arrays would be larger.
        cache: ``True`` for the package cache folder (size-capped, see :mod:`interplab_widgets.disk_cache`),
            a folder of your own, or ``False``. The key is the model (name and a fingerprint of all its
            weights), the texts, these settings and :data:`FORMAT_VERSION`.
    """
    from ..models import load_model

    handle = load_model(model)
    if isinstance(texts, str):
        raise InputError("harvest takes a list of texts; wrap a single text in a list.")
    texts = list(texts)
    if not texts:
        raise InputError("texts is empty: give at least one text.")
    if unit not in UNITS or pooling not in POOLINGS:
        raise InputError(f"unit must be one of {UNITS} and pooling one of {POOLINGS}; got {unit!r}, {pooling!r}.")
    n_layers = handle.n_layers
    layers = list(range(n_layers + 1)) if layers is None else sorted({int(layer) for layer in layers})
    bad = [layer for layer in layers if not 0 <= layer <= n_layers]
    if bad:
        raise InputError(f"layers {bad} are out of range: {handle.name} has residual layers 0..{n_layers}.")

    path = _cache_path(handle, texts, layers, unit, pooling, special_tokens, cache)
    if path is not None and path.exists():
        return _load(path, handle.name, texts)

    tokenized = [tokenize(handle, text) for text in texts]
    kept = kept_tokens(handle, tokenized, special_tokens)
    n_rows = sum(len(k) for k in kept) if unit == "token" else len(texts)
    size = n_rows * len(layers) * handle.d_model * 4
    if size > max_bytes:
        raise InputError(
            f"This harvest would hold {size / 2**30:.1f} GiB "
            f"({n_rows} rows × {len(layers)} layers × {handle.d_model}); "
            f"the limit is {max_bytes / 2**30:.1f} GiB. Choose fewer layers (layers=[...]), fewer texts, "
            "unit='sentence', or raise max_bytes."
        )
    activations = {layer: np.empty((n_rows, handle.d_model), dtype=np.float32) for layer in layers}
    rows_of_text = np.cumsum([0] + [len(k) if unit == "token" else 1 for k in kept])
    for batch, residuals in batched_residuals(
        handle, tokenized, batch_size, progress=progress, desc="harvesting", up_to=max(layers)
    ):
        for row, i in enumerate(batch):
            positions = torch.tensor([t.index for t in kept[i]])
            first = int(rows_of_text[i])
            for layer in layers:
                vectors = residuals[layer][row, positions].float()
                if unit == "sentence":
                    vectors = vectors.mean(0, keepdim=True) if pooling == "mean" else vectors[-1:]
                activations[layer][first : first + len(vectors)] = vectors.cpu().numpy()

    if unit == "token":
        text_index = np.repeat(np.arange(len(texts)), [len(k) for k in kept])
        flat = [t for k in kept for t in k]
        token_index = np.array([t.index for t in flat])
        start, end = np.array([t.start for t in flat]), np.array([t.end for t in flat])
        tokens = [t.text for t in flat]
    else:
        text_index = np.arange(len(texts))
        token_index = np.full(len(texts), -1)
        start, end = np.zeros(len(texts)), np.array([len(text) for text in texts])
        tokens = list(texts)
    result = Harvest(
        model_name=handle.name,
        texts=texts,
        layers=layers,
        unit=unit,
        pooling=pooling,
        activations=activations,
        text_index=text_index.astype(np.int32),
        token_index=token_index.astype(np.int32),
        start=start.astype(np.int32),
        end=end.astype(np.int32),
        tokens=tokens,
    )
    if path is not None:
        _save(path, result)
    return result


def kept_tokens(handle: Any, tokenized: Sequence[Sequence[Any]], special_tokens: bool) -> list[list[Any]]:
    """Per text the tokens that get a row: all, or all but special tokens (unless a text has nothing else)."""
    special = set(handle.tokenizer.all_special_ids) if not special_tokens else set()
    return [[t for t in tokens if t.id not in special] or list(tokens) for tokens in tokenized]


def _cache_path(handle, texts, layers, unit, pooling, special_tokens, cache) -> Path | None:
    if cache is False:
        return None
    key = [FORMAT_VERSION, handle.name, handle.fingerprint(), texts, layers, unit, pooling, special_tokens]
    return result_path("harvests", key, None if cache is True else Path(cache))


def _save(path: Path, result: Harvest) -> None:
    arrays = {f"layer_{layer}": values for layer, values in result.activations.items()}
    meta = {"layers": result.layers, "unit": result.unit, "pooling": result.pooling, "tokens": result.tokens}
    store(
        path,
        lambda partial: np.savez(
            partial,
            text_index=result.text_index,
            token_index=result.token_index,
            start=result.start,
            end=result.end,
            meta=np.array(json.dumps(meta, ensure_ascii=False)),
            **arrays,
        ),
    )


def _load(path: Path, model_name: str, texts: list[str]) -> Harvest:
    mark_used(path)
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        return Harvest(
            model_name=model_name,
            texts=texts,
            layers=meta["layers"],
            unit=meta["unit"],
            pooling=meta["pooling"],
            activations={layer: data[f"layer_{layer}"] for layer in meta["layers"]},
            text_index=data["text_index"],
            token_index=data["token_index"],
            start=data["start"],
            end=data["end"],
            tokens=meta["tokens"],
            from_cache=True,
        )
