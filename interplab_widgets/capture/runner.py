"""One forward pass with hooks: tokenise, run the base model, keep each block's input."""

from __future__ import annotations

import inspect
import math
import numbers
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch

from ..errors import InputError
from ..progress import checkpoint, steps
from .trace import Token, Trace

if TYPE_CHECKING:
    from ..models.handle import ModelHandle


def encode(handle: ModelHandle, text: str, what: str = "text", **options: Any) -> Any:
    """``handle.tokenizer(text, **options)``, or one :class:`InputError` that says what to change: the one
    place our texts (prompts, targets, foils, check tokens) meet the tokenizer."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be a str, got {type(text).__name__}.")
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        index = surrogate.start()
        raise InputError(
            f"{what} has an unpaired surrogate {text[index]!r} at index {index} (half of a character, e.g. from "
            "a bad decode or a JSON escape), which no tokenizer can encode. Replace it, e.g. "
            "text.encode('utf-8', 'replace').decode('utf-8')."
        )
    try:
        return handle.tokenizer(text, **options)
    except Exception as error:  # tokenizers raises bare Exceptions, e.g. a word-level vocabulary without [UNK]
        raise InputError(f"The tokenizer of {handle.name} could not read {what} {_excerpt(text)}: {error}") from error


_SURROGATE = re.compile("[\ud800-\udfff]")


def _excerpt(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def tokenize(handle: ModelHandle, text: str, *, truncate: bool = False) -> list[Token]:
    """Tokens of ``text`` with display strings and character offsets; checks the length limit."""
    if not isinstance(text, str):
        raise InputError(f"text must be a str, got {type(text).__name__}. For many texts use handle.run_many(texts).")
    if not text.strip():
        raise InputError("text is empty: give the model at least one word to read.")
    limit = handle.max_tokens
    tokenizer = handle.tokenizer
    encoding = encode(
        handle,
        text,
        return_offsets_mapping=True,
        truncation=truncate,
        max_length=limit if truncate else None,
        verbose=False,
    )
    ids = list(encoding["input_ids"])
    if len(ids) > limit:
        raise InputError(
            f"The text is {len(ids)} tokens long; {handle.name} reads at most {limit}. "
            f"Shorten it, or pass truncate=True to keep the first {limit} tokens."
        )
    tokens = []
    for index, (token_id, (start, end)) in enumerate(zip(ids, encoding["offset_mapping"])):
        piece = tokenizer.decode([token_id])
        if "\ufffd" in piece and end > start:  # a byte-level piece of a multi-byte character
            piece = text[start:end]
        tokens.append(Token(index=index, id=int(token_id), text=piece, start=int(start), end=int(end)))
    return tokens


class _Enough(Exception):
    """Raised by the hook of the deepest residual asked for: the blocks after it need not run."""


@torch.no_grad()
def forward_residuals(
    handle: ModelHandle, input_ids: torch.Tensor, attention_mask: torch.Tensor, *, up_to: int | None = None
) -> list[torch.Tensor]:
    """Run the base model once; return the input of every block and the last block's output, ``[b, n, d]``.

    ``up_to``: stop once the residual after ``up_to`` blocks is kept (the later entries are ``None``)."""
    blocks = handle.adapter.block_list(handle.model)
    residuals: list[torch.Tensor | None] = [None] * (len(blocks) + 1)
    last = len(blocks) if up_to is None else up_to

    def keep_input(layer: int):
        def hook(module, args, kwargs):
            checkpoint(layer, len(blocks))  # a cancelled request stops at the next block
            residuals[layer] = (args[0] if args else kwargs["hidden_states"]).detach()
            if layer == last:
                raise _Enough

        return hook

    def keep_output(module, args, output):
        residuals[-1] = (output[0] if isinstance(output, tuple) else output).detach()

    base = handle.model.base_model
    extra = {"use_cache": False} if "use_cache" in inspect.signature(base.forward).parameters else {}
    with handle.lock:
        hooks = [block.register_forward_pre_hook(keep_input(i), with_kwargs=True) for i, block in enumerate(blocks)]
        hooks.append(blocks[-1].register_forward_hook(keep_output))
        try:
            base(input_ids=input_ids.to(handle.device), attention_mask=attention_mask.to(handle.device), **extra)
        except _Enough:
            pass
        finally:
            for hook in hooks:
                hook.remove()
    return residuals  # type: ignore[return-value]


def last_token_logits(handle: ModelHandle, ids: torch.Tensor) -> torch.Tensor:
    """Next-token logits after the last token of equal-length rows ``[b, n]``: ``[b, vocab]`` float32,
    without the ``[b, n, vocab]`` tensor (gradients flow when enabled)."""
    checkpoint()
    with handle.lock:
        output = handle.model(input_ids=ids.to(handle.device), use_cache=False, logits_to_keep=1)
    return output.logits[:, -1].float()


def run(handle: ModelHandle, text: str, *, truncate: bool = False) -> Trace:
    """Trace one text: one forward pass, residuals kept, attention recomputed per layer on demand."""
    tokens = tokenize(handle, text, truncate=truncate)
    ids = torch.tensor([[token.id for token in tokens]])
    residuals = forward_residuals(handle, ids, torch.ones_like(ids))
    return Trace(handle, text, tokens, residuals)


def run_ids(handle: ModelHandle, token_ids: Sequence[int]) -> Trace:
    """Trace a sequence of token ids (e.g. random tokens for head scores); its text is their decoding."""
    vocab = handle.model.get_input_embeddings().num_embeddings
    ids = token_id_list(token_ids, vocab, handle.name)
    if len(ids) > handle.max_tokens:
        raise InputError(f"{len(ids)} token ids; {handle.name} reads at most {handle.max_tokens}.")
    tokens, start = [], 0
    for index, token_id in enumerate(ids):
        piece = handle.tokenizer.decode([token_id])
        tokens.append(Token(index=index, id=token_id, text=piece, start=start, end=start + len(piece)))
        start += len(piece)
    tensor = torch.tensor([ids])
    residuals = forward_residuals(handle, tensor, torch.ones_like(tensor))
    return Trace(handle, "".join(token.text for token in tokens), tokens, residuals)


def token_id_list(token_ids: Any, vocab: int, model: str, name: str = "token_ids") -> list[int]:
    """``token_ids`` as a list of ints in ``0..vocab - 1``, or an :class:`InputError` naming the first bad one.

    Takes a list, a 1-D tensor or array of integers; whole floats (``3.0``, e.g. from a float array) are
    taken, other floats are refused rather than truncated."""
    if isinstance(token_ids, (str, bytes)):
        raise InputError(f"{name} must be a list of integer token ids, not a {type(token_ids).__name__}.")
    shape = getattr(token_ids, "shape", None)
    if shape is not None and len(shape) != 1:
        hint = f" (one sequence: pass {name}[0])" if len(shape) == 2 and shape[0] == 1 else ""
        raise InputError(f"{name} must be one sequence, a 1-D list of ids; got shape {tuple(shape)}{hint}.")
    if torch.is_tensor(token_ids):
        token_ids = token_ids.tolist()
    try:
        values = list(token_ids)
    except TypeError:
        raise InputError(f"{name} must be a list of integer token ids, got {type(token_ids).__name__}.") from None
    if not values:
        raise InputError(f"{name} is empty: give at least one token id.")
    ids = []
    for index, value in enumerate(values):
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
            value = value.item()  # a numpy or torch scalar
        whole_float = isinstance(value, numbers.Real) and math.isfinite(value) and value == int(value)
        if isinstance(value, bool) or not (isinstance(value, numbers.Integral) or whole_float):
            what = "a list" if isinstance(value, (list, tuple)) else f"{value!r} ({type(value).__name__})"
            more = "; for a batch, one sequence at a time" if isinstance(value, (list, tuple)) else ""
            raise InputError(f"{name}[{index}] is {what}; token ids are whole numbers in 0..{vocab - 1}{more}.")
        ids.append(int(value))
        if not 0 <= ids[-1] < vocab:
            raise InputError(
                f"{name}[{index}] is {ids[-1]}; token ids must be in 0..{vocab - 1}, the {vocab} token ids in "
                f"{model}'s vocabulary."
            )
    return ids


def run_many(
    handle: ModelHandle,
    texts: Sequence[str],
    *,
    batch_size: int = 8,
    truncate: bool = False,
    progress: bool = True,
) -> list[Trace]:
    """Trace many texts in right-padded batches of similar length; returns one Trace per text, in order."""
    if isinstance(texts, str):
        raise InputError("run_many takes a list of texts; for one text use handle.run(text).")
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}.")
    tokenized = [tokenize(handle, text, truncate=truncate) for text in texts]
    traces: list[Trace | None] = [None] * len(texts)
    for batch, residuals in batched_residuals(handle, tokenized, batch_size, progress=progress):
        for row, i in enumerate(batch):
            n = len(tokenized[i])
            own = [r[row : row + 1, :n].clone() for r in residuals]
            traces[i] = Trace(handle, texts[i], tokenized[i], own)
    return traces  # type: ignore[return-value]


def batched_residuals(
    handle: ModelHandle,
    tokenized: Sequence[Sequence[Token]],
    batch_size: int,
    *,
    progress: bool = True,
    desc: str = "tracing",
    up_to: int | None = None,
) -> Iterator[tuple[list[int], list[torch.Tensor]]]:
    """Forward passes over right-padded batches of similar length: ``(indices, residuals [b, width, d])``
    per batch, where ``indices`` are positions in ``tokenized`` and row ``r`` holds ``tokenized[indices[r]]``
    (up to the residual ``up_to``, see :func:`forward_residuals`)."""
    order = sorted(range(len(tokenized)), key=lambda i: len(tokenized[i]))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    for batch in steps(batches, desc=desc, unit="batch", disable=not progress):
        ids, mask = right_padded([[token.id for token in tokenized[i]] for i in batch])
        yield batch, forward_residuals(handle, ids, mask, up_to=up_to)


def right_padded(rows: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id lists as ``(ids, attention_mask)`` ``[b, longest]``, padded on the right with 0 / mask 0."""
    width = max(len(row) for row in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = torch.tensor(list(row), dtype=torch.long)
        mask[index, : len(row)] = 1
    return ids, mask
