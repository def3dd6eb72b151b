"""``harvest_shards(..., engine="ray")``: the same shards written by model replicas on a Ray cluster.

Ray Data's batch-inference pattern: a dataset of the shards still to write, mapped by a callable class
that holds one model replica per actor (one per GPU where the cluster has GPUs, CPU actors otherwise)
and writes each shard it is given with :func:`~interplab_widgets.capture.shards.write_shard`, the code the
in-process engine runs. Ray schedules; this module only says what one shard is. The folder must be
reachable from every node (a shared file system on a multi-node cluster).

Needs the optional extra: ``pip install "interplab-widgets[ray]"``. Connects to the cluster that
``ray.init()`` finds (``RAY_ADDRESS``, or one started by the caller); starts a local one otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError


class ShardWriter:
    """One model replica: loads the model by name once, then writes the shards Ray hands it."""

    def __init__(self, model: str, fingerprint: str, folder: str, layers: list[int], batch_size: int,
                 special_tokens: bool, device: str | None, threads: int) -> None:  # fmt: skip
        import torch

        from ..models import load_model

        torch.set_num_threads(threads)  # the driver's thread count: the same sums in the same order
        self.handle = load_model(model, device=device)
        if self.handle.fingerprint() != fingerprint:
            raise InputError(f"The actor's {model} has other weights than the driver's: load the same checkpoint.")
        self.folder, self.layers, self.batch_size = Path(folder), layers, batch_size
        self.special_tokens = special_tokens

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Write each shard of ``batch`` (``index``, ``first``, ``last``, ``rows`` and the shard's ``texts``)."""
        from .harvest import kept_tokens
        from .runner import tokenize
        from .shards import ShardPlan, write_shard

        for index, first, last, rows, texts in zip(*(batch[k] for k in ("index", "first", "last", "rows", "texts"))):
            plan = ShardPlan(int(index), int(first), int(last), int(rows))
            tokenized = [tokenize(self.handle, str(text)) for text in texts]
            kept = kept_tokens(self.handle, tokenized, self.special_tokens)
            by_index = dict(enumerate(tokenized, start=plan.first)), dict(enumerate(kept, start=plan.first))
            write_shard(self.handle, self.folder, plan, *by_index, self.layers, self.batch_size)
        return {"index": batch["index"], "rows": batch["rows"]}


def write_shards_on_ray(
    handle: Any,
    folder: Path,
    todo: Sequence[Any],
    texts: list[str],
    layers: list[int],
    batch_size: int,
    special_tokens: bool,
    on_rows: Callable[[int], None],
    actors: int | None = None,
) -> None:
    """Write the shards ``todo`` with one actor per GPU (or ``actors`` CPU actors); ``on_rows`` as each finishes."""
    try:
        import ray
    except ImportError as error:
        raise InputError('engine="ray" needs Ray: pip install "interplab-widgets[ray]".') from error
    import torch

    if not handle.name:
        raise InputError('engine="ray" loads the model in every actor by name: pass a name or a folder, not an object.')
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the caller's bar counts tokens
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    gpus = int(ray.cluster_resources().get("GPU", 0))
    cpus = int(ray.cluster_resources().get("CPU", 1))
    count = actors or (gpus if gpus else max(1, cpus // max(1, torch.get_num_threads())))
    items = [{"index": p.index, "first": p.first, "last": p.last, "rows": p.rows, "texts": texts[p.first : p.last]}
             for p in todo]  # fmt: skip
    dataset = ray.data.from_items(items, override_num_blocks=len(items))
    written = dataset.map_batches(
        ShardWriter,
        fn_constructor_kwargs={
            "model": handle.name,
            "fingerprint": handle.fingerprint(),
            "folder": str(folder.resolve()),
            "layers": layers,
            "batch_size": batch_size,
            "special_tokens": special_tokens,
            "device": "cuda" if gpus else None,
            "threads": torch.get_num_threads(),
        },
        batch_size=1,
        concurrency=count,
        num_gpus=1 if gpus else 0,
        num_cpus=0 if gpus else max(1, cpus // count),
    )
    for row in written.iter_rows():
        on_rows(int(row["rows"]))
