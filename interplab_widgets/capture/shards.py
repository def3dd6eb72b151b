"""Corpus-scale harvests: token activations streamed to shard files on disk, resumable, read back lazily.

:func:`harvest` keeps everything in memory; :func:`harvest_shards` writes the same rows, a shard at a time,
to a folder, so a corpus of millions of tokens needs one shard's worth of memory, an interrupted run
resumes where it stopped, and training (``features/``) or a ProjectionExplorer reads rows back without
loading the whole folder. The layout (format 1)::

    folder/
      manifest.json               what was harvested (model name + weight fingerprint, layers, d_model,
                                  batch_size, shard plan: each shard's texts [start, end) and rows)
      texts.jsonl                 the texts, one JSON string per line (contexts come from here)
      shard-00000.layer-12.npy    float32 [rows, d_model]: the residual after 12 blocks, one row per token
      shard-00000.rows.npz        int32 [rows] each: token_id, text_index, token_index, start, end
                                  (character span); written last, so a shard is finished iff it exists

Shards hold whole texts in corpus order: shard ``s`` holds texts ``shards[s].texts``, in batches of
``batch_size`` texts as :func:`~interplab_widgets.capture.runner.batched_residuals` forms them, so a
shard's rows depend only on its own texts and any runner (this process, or Ray actors) writes the same
files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..disk_cache import atomic_write
from ..errors import InputError
from ..progress import checkpoint
from .harvest import Harvest, kept_tokens
from .runner import batched_residuals, tokenize

if TYPE_CHECKING:
    from ..models.handle import ModelHandle

SHARD_FORMAT = 1
ENGINES = ("local", "ray")
PROVENANCE = ("token_id", "text_index", "token_index", "start", "end")


@dataclass(frozen=True)
class ShardPlan:
    """Shard ``index`` holds texts ``[first, last)``: ``rows`` token rows."""

    index: int
    first: int
    last: int
    rows: int

    @property
    def stem(self) -> str:
        return f"shard-{self.index:05d}"


def harvest_shards(
    model: Any,
    texts: Sequence[str],
    folder: str | Path,
    *,
    layers: Sequence[int],
    shard_tokens: int = 65_536,
    batch_size: int = 16,
    special_tokens: bool = False,
    engine: str = "local",
    progress: bool = True,
) -> ActivationShards:
    """Token activations of ``texts`` at ``layers`` written to ``folder`` shard by shard (see the module docstring).

    A folder that already holds this harvest (same model weights, texts, layers and plan) is resumed:
    finished shards are kept, the others computed. A folder holding another harvest is an error.

    Args:
        layers: residual layers to keep (``L`` = after ``L`` blocks); each costs ``4 · d_model`` bytes per token.
        shard_tokens: about this many token rows per shard (a shard closes after the batch that reaches it).
        batch_size: texts per forward pass.
        special_tokens: keep rows for special tokens.
        engine: ``"local"`` (this process) or ``"ray"`` (model replicas as Ray actors, one per GPU or CPU actors;
            the same files: see :mod:`interplab_widgets.capture.shards_ray`).
    """
    from ..models import load_model

    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(map(repr, ENGINES))}; got {engine!r}.")
    handle = load_model(model)
    texts = _check_texts(texts)
    layers = _check_layers(handle, layers)
    if not isinstance(shard_tokens, int) or shard_tokens < 1 or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(
            f"shard_tokens and batch_size must be positive integers; got {shard_tokens!r}, {batch_size!r}."
        )
    folder = Path(folder)
    tokenized = [tokenize(handle, text) for text in texts]
    kept = kept_tokens(handle, tokenized, special_tokens)
    plan = plan_shards([len(k) for k in kept], shard_tokens, batch_size)
    manifest = {
        "format": SHARD_FORMAT,
        "model": handle.name,
        "fingerprint": handle.fingerprint(),
        "texts_sha256": hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest(),
        "n_texts": len(texts),
        "layers": layers,
        "d_model": handle.d_model,
        "dtype": "float32",
        "batch_size": batch_size,
        "shard_tokens": shard_tokens,
        "special_tokens": special_tokens,
        "shards": [{"texts": [p.first, p.last], "rows": p.rows} for p in plan],
    }
    _open_folder(folder, manifest, texts)
    shards = ActivationShards(folder)
    todo = [p for p in plan if not shards.finished(p.index)]
    total = sum(p.rows for p in todo)
    bar = tqdm(total=total, desc="harvesting", unit="tok", unit_scale=True, disable=not progress)
    try:
        if engine == "ray":
            from .shards_ray import write_shards_on_ray

            write_shards_on_ray(handle, folder, todo, texts, layers, batch_size, special_tokens, bar.update)
        else:
            for shard in todo:
                write_shard(handle, folder, shard, tokenized, kept, layers, batch_size, on_rows=bar.update)
    finally:
        bar.close()
    return shards


def plan_shards(rows_per_text: Sequence[int], shard_tokens: int, batch_size: int) -> list[ShardPlan]:
    """Consecutive texts in shards of whole batches, each closed once it holds ``shard_tokens`` rows."""
    plan: list[ShardPlan] = []
    first, rows = 0, 0
    for start in range(0, len(rows_per_text), batch_size):
        end = min(start + batch_size, len(rows_per_text))
        rows += int(sum(rows_per_text[start:end]))
        if rows >= shard_tokens or end == len(rows_per_text):
            plan.append(ShardPlan(len(plan), first, end, rows))
            first, rows = end, 0
    return plan


def write_shard(
    handle: ModelHandle,
    folder: Path,
    shard: ShardPlan,
    tokenized: Mapping[int, Sequence[Any]] | Sequence[Sequence[Any]],
    kept: Mapping[int, Sequence[Any]] | Sequence[Sequence[Any]],
    layers: Sequence[int],
    batch_size: int,
    on_rows: Any = None,
) -> None:
    """Compute one shard's rows and write its files (activations first, provenance last, each atomically).

    ``tokenized`` / ``kept`` are indexed by text index: the whole corpus, or only the shard's texts."""
    texts = range(shard.first, shard.last)
    offsets = np.cumsum([0] + [len(kept[i]) for i in texts])
    activations = {layer: np.empty((shard.rows, handle.d_model), dtype=np.float32) for layer in layers}
    local = [tokenized[i] for i in texts]
    for batch, residuals in batched_residuals(handle, local, batch_size, progress=False, up_to=max(layers)):
        checkpoint()
        for row, i in enumerate(batch):
            positions = torch.tensor([t.index for t in kept[shard.first + i]])
            start = int(offsets[i])
            for layer in layers:
                activations[layer][start : start + len(positions)] = (
                    residuals[layer][row, positions].float().cpu().numpy()
                )
            if on_rows is not None:
                on_rows(len(positions))
    for layer in layers:
        atomic_write(
            folder / f"{shard.stem}.layer-{layer}.npy", lambda partial, a=activations[layer]: np.save(partial, a)
        )
    flat = [(i, t) for i in texts for t in kept[i]]
    provenance = {
        "token_id": [t.id for _, t in flat],
        "text_index": [i for i, _ in flat],
        "token_index": [t.index for _, t in flat],
        "start": [t.start for _, t in flat],
        "end": [t.end for _, t in flat],
    }
    arrays = {name: np.asarray(values, dtype=np.int32) for name, values in provenance.items()}
    atomic_write(folder / f"{shard.stem}.rows.npz", lambda partial: np.savez(partial, **arrays))


class ActivationShards:
    """A folder written by :func:`harvest_shards`, read lazily (activations are memory-mapped)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        path = self.folder / "manifest.json"
        if not path.exists():
            raise InputError(f"{self.folder} holds no harvest (no manifest.json): write one with harvest_shards().")
        self.manifest: dict[str, Any] = json.loads(path.read_text())
        if self.manifest.get("format") != SHARD_FORMAT:
            raise InputError(
                f"{self.folder} is shard format {self.manifest.get('format')}; this version reads {SHARD_FORMAT}."
            )
        self.plan = [ShardPlan(i, *s["texts"], s["rows"]) for i, s in enumerate(self.manifest["shards"])]
        self.offsets = np.cumsum([0] + [p.rows for p in self.plan])

    @property
    def layers(self) -> list[int]:
        return list(self.manifest["layers"])

    @property
    def d_model(self) -> int:
        return int(self.manifest["d_model"])

    @property
    def n_rows(self) -> int:
        """Rows of the whole plan (finished or not)."""
        return int(self.offsets[-1])

    @property
    def complete(self) -> bool:
        return all(self.finished(p.index) for p in self.plan)

    def finished(self, index: int) -> bool:
        return (self.folder / f"{self.plan[index].stem}.rows.npz").exists()

    def texts(self) -> list[str]:
        with open(self.folder / "texts.jsonl", encoding="utf-8") as lines:
            return [json.loads(line) for line in lines]

    def activations(self, index: int, layer: int) -> np.ndarray:
        """Shard ``index``'s rows at ``layer``, ``[rows, d_model]`` float32, memory-mapped."""
        self._check(index, layer)
        return np.load(self.folder / f"{self.plan[index].stem}.layer-{layer}.npy", mmap_mode="r")

    def provenance(self, index: int) -> dict[str, np.ndarray]:
        """Shard ``index``'s ``token_id``, ``text_index``, ``token_index``, ``start``, ``end`` (int32 ``[rows]``)."""
        self._check(index, None)
        with np.load(self.folder / f"{self.plan[index].stem}.rows.npz") as data:
            return {name: data[name] for name in PROVENANCE}

    def batches(
        self,
        layer: int,
        batch_rows: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        shards: Sequence[int] | None = None,
        min_position: int = 0,
    ) -> Iterator[np.ndarray]:
        """Rows of ``layer`` in batches ``[batch_rows, d_model]`` (the last may be shorter), one shard in memory at
        a time: shards in a random order and rows shuffled within each when ``shuffle``; rows of tokens before
        ``min_position`` in their text are left out (``1``: the first token, the attention sink)."""
        rng = np.random.default_rng(seed)
        order = list(range(len(self.plan)) if shards is None else shards)
        if shuffle:
            rng.shuffle(order)
        for index in order:
            rows = np.asarray(self.activations(index, layer))
            if min_position > 0:
                rows = rows[self.provenance(index)["token_index"] >= min_position]
            if shuffle:
                rows = rows[rng.permutation(len(rows))]
            for start in range(0, len(rows), batch_rows):
                yield rows[start : start + batch_rows]

    def sample(self, n: int, layers: Sequence[int] | None = None, seed: int = 0) -> Harvest:
        """``n`` rows drawn uniformly without replacement, read from the memory-mapped shards without loading
        them, as a :class:`~interplab_widgets.capture.harvest.Harvest` (for a ProjectionExplorer or a probe)."""
        layers = self.layers if layers is None else [int(layer) for layer in layers]
        rows = np.sort(np.random.default_rng(seed).choice(self.n_rows, size=min(int(n), self.n_rows), replace=False))
        shard_of = np.searchsorted(self.offsets, rows, side="right") - 1
        activations = {layer: np.empty((len(rows), self.d_model), dtype=np.float32) for layer in layers}
        provenance = {name: np.empty(len(rows), dtype=np.int32) for name in PROVENANCE}
        for index in np.unique(shard_of):
            where = np.flatnonzero(shard_of == index)
            local = rows[where] - self.offsets[index]
            for layer in layers:
                activations[layer][where] = self.activations(int(index), layer)[local]
            for name, values in self.provenance(int(index)).items():
                provenance[name][where] = values[local]
        texts = self.texts()
        return Harvest(
            model_name=self.manifest["model"],
            texts=texts,
            layers=layers,
            unit="token",
            pooling="mean",
            activations=activations,
            text_index=provenance["text_index"],
            token_index=provenance["token_index"],
            start=provenance["start"],
            end=provenance["end"],
            tokens=[texts[t][s:e] for t, s, e in zip(provenance["text_index"], provenance["start"], provenance["end"])],
            from_cache=True,
        )

    def _check(self, index: int, layer: int | None) -> None:
        if not 0 <= index < len(self.plan):
            raise InputError(f"shard {index} does not exist: this harvest has shards 0..{len(self.plan) - 1}.")
        if layer is not None and layer not in self.layers:
            raise InputError(f"layer {layer} was not harvested; harvested layers: {self.layers}.")
        if not self.finished(index):
            raise InputError(f"shard {index} is not finished: run harvest_shards() on {self.folder} again to resume.")

    def __repr__(self) -> str:
        done = sum(self.finished(p.index) for p in self.plan)
        return (
            f"ActivationShards({str(self.folder)!r}, model={self.manifest['model']!r}, layers={self.layers}, "
            f"rows={self.n_rows}, shards={done}/{len(self.plan)} finished)"
        )


def _open_folder(folder: Path, manifest: dict[str, Any], texts: list[str]) -> None:
    """Start a harvest in ``folder``, or check that the one there is this one (then it resumes)."""
    path = folder / "manifest.json"
    if path.exists():
        existing = json.loads(path.read_text())
        if existing != manifest:
            differs = sorted(k for k in manifest if existing.get(k) != manifest[k])
            raise InputError(
                f"{folder} holds another harvest (it differs in {', '.join(differs)}): choose an empty folder, "
                "or delete this one to start again."
            )
        return
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise InputError(f"{folder} is not empty and holds no harvest: choose an empty or new folder.")
    atomic_write(
        folder / "texts.jsonl",
        lambda partial: Path(partial).write_text(
            "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8"
        ),
    )
    atomic_write(path, lambda partial: Path(partial).write_text(json.dumps(manifest, indent=1)))


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise InputError("harvest_shards takes a list of texts; wrap a single text in a list.")
    texts = list(texts)
    if not texts:
        raise InputError("texts is empty: give at least one text.")
    return texts


def _check_layers(handle: ModelHandle, layers: Sequence[int]) -> list[int]:
    if isinstance(layers, int):
        layers = [layers]
    chosen = sorted({int(layer) for layer in layers})
    bad = [layer for layer in chosen if not 0 <= layer <= handle.n_layers]
    if not chosen or bad:
        raise InputError(
            f"layers must be residual layers in 0..{handle.n_layers} of {handle.name}; got {list(layers)}."
        )
    return chosen
