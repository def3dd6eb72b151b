"""ModelHandle: a loaded model, its tokenizer and its adapter, with the shape facts views need."""

from __future__ import annotations

import functools
import hashlib
import inspect
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from .adapters import ArchitectureAdapter

if TYPE_CHECKING:
    from ..capture.trace import Trace


@dataclass(eq=False)
class ModelHandle:
    """A model ready to be traced. Build it with :func:`interplab_widgets.load_model`.

    Attributes:
        model: the ``transformers`` model (``PreTrainedModel``), in eval mode.
        tokenizer: its (fast) tokenizer.
        adapter: where the model's family keeps its parts.
        name: the name or path it was loaded from.
        memo: results derived from the model alone (e.g. head roles), computed once and shared by views.
        lock: held while anything runs this model or has hooks on it: every view's worker holds it for
            its whole request, and the model's own ``forward`` takes it (see :func:`_lock_forward`), so
            your own ``handle.model(...)`` or ``generate`` waits until a view's hooks are gone instead of
            running through them. Take it yourself (``with handle.lock:``) around your own hooked runs.
    """

    model: Any
    tokenizer: Any
    adapter: ArchitectureAdapter
    name: str
    memo: dict[str, Any] = field(default_factory=dict, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.lock = _lock_forward(self.model, self.lock)

    @property
    def config(self) -> Any:
        return self.model.config

    @property
    def family(self) -> str:
        return self.adapter.family

    @property
    def n_layers(self) -> int:
        return int(self.config.num_hidden_layers)

    @property
    def n_heads(self) -> int:
        return int(self.config.num_attention_heads)

    @property
    def n_kv_heads(self) -> int:
        return int(getattr(self.config, "num_key_value_heads", None) or self.n_heads)

    @property
    def d_model(self) -> int:
        return int(self.config.hidden_size)

    @property
    def is_causal(self) -> bool:
        return self.adapter.is_causal

    @property
    def device(self) -> torch.device:
        """Where input ids go: the device of the input embeddings."""
        return self.model.get_input_embeddings().weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.get_input_embeddings().weight.dtype

    @property
    def max_tokens(self) -> int:
        """The longest input the model takes, in tokens (special tokens included)."""
        limits = [getattr(self.config, "max_position_embeddings", None), getattr(self.config, "n_positions", None)]
        if self.config.model_type == "roberta":  # positions start after padding_idx
            limits = [limit - self.config.pad_token_id - 1 for limit in limits if limit]
        tokenizer_limit = getattr(self.tokenizer, "model_max_length", None)
        if tokenizer_limit and tokenizer_limit < 1_000_000:
            limits.append(tokenizer_limit)
        return int(min(limit for limit in limits if limit))

    def fingerprint(self) -> str:
        """A hash of the weights (names, shapes, dtypes and 4,096 evenly spaced values of every tensor)
        and the config: equal for the same weights wherever they were loaded from, different after any
        fine-tuning in practice. Keys on-disk caches of results derived from the model alone."""
        tensors = self.model.state_dict()
        # Recomputed after any in-place change (an optimiser step, an edit): torch counts each tensor's writes.
        versions = tuple((name, t.data_ptr(), t._version) for name, t in tensors.items())
        known = self.memo.get("fingerprint")
        if known is None or known[0] != versions:
            digest = hashlib.sha256(self.model.config.to_json_string(use_diff=False).encode())
            with torch.no_grad():
                for name, tensor in tensors.items():
                    flat = tensor.detach().reshape(-1)
                    step = max(1, flat.numel() // 4096)
                    sample = flat[::step].float().cpu().numpy().tobytes()
                    digest.update(f"{name}{tuple(tensor.shape)}{tensor.dtype}".encode() + sample)
            self.memo["fingerprint"] = known = (versions, digest.hexdigest()[:32])
        return known[1]

    def run(self, text: str, *, truncate: bool = False) -> Trace:
        """Trace one text with one forward pass. See :class:`interplab_widgets.Trace`."""
        from ..capture.runner import run

        return run(self, text, truncate=truncate)

    def run_ids(self, token_ids: Sequence[int]) -> Trace:
        """Trace a sequence of token ids as they are (no special tokens added)."""
        from ..capture.runner import run_ids

        return run_ids(self, token_ids)

    def run_many(
        self, texts: Sequence[str], batch_size: int = 8, *, truncate: bool = False, progress: bool = True
    ) -> list[Trace]:
        """Trace many texts in padded batches, with a progress bar; one Trace per text."""
        from ..capture.runner import run_many

        return run_many(self, texts, batch_size=batch_size, truncate=truncate, progress=progress)

    def __repr__(self) -> str:
        return (
            f"ModelHandle({self.name!r}, family={self.family!r}, n_layers={self.n_layers}, n_heads={self.n_heads}, "
            f"n_kv_heads={self.n_kv_heads}, d_model={self.d_model}, is_causal={self.is_causal}, "
            f"device={self.device}, dtype={self.dtype})"
        )


def _lock_forward(model: Any, lock: threading.RLock) -> threading.RLock:
    """Make ``model.forward`` hold ``lock`` while it runs; return the lock it holds.

    Views keep hooks on the model across many forward passes of one request (a patching grid, an
    integrated-gradients path), all under the handle's lock. A forward from anywhere else (the user's
    own cell) therefore waits for that request to end rather than run through its hooks. The lock is
    re-entrant, so the package's own forwards, which already hold it, pay one acquire (well under a
    microsecond against milliseconds for a forward; ``benchmarks/live.py``). A model that already
    carries a handle's lock keeps it: two handles of one model share one lock (two locks would deadlock).
    """
    existing = getattr(model.forward, "interplab_lock", None)
    if existing is not None:
        return existing
    model.forward = LockedForward(model, lock)
    return lock


class LockedForward:
    """``model.forward`` taking the handle's lock. A deep copy or a pickle of the model gets a forward of its
    own, on the copy, with a lock of its own (a plain closure would keep calling the original model)."""

    def __init__(self, model: Any, lock: threading.RLock | None = None) -> None:
        inner = model.__dict__.get("forward")  # a forward replaced before us (accelerate's device hooks)
        self._model = weakref.ref(model)  # no cycle through this object: the model's own attribute
        self._inner = inner
        self.interplab_lock = lock if lock is not None else threading.RLock()
        forward = inner if inner is not None else type(model).forward.__get__(model)
        functools.update_wrapper(self, forward, updated=())
        self.__signature__ = inspect.signature(forward)  # transformers' generate reads forward's parameters
        del self.__wrapped__  # (a bound method here would hold the model)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.interplab_lock:
            if self._inner is not None:
                return self._inner(*args, **kwargs)
            return type(model := self._model()).forward(model, *args, **kwargs)

    def __reduce__(self) -> tuple:
        return (LockedForward, (self._model(),))
