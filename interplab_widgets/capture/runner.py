"""One forward pass with hooks: tokenise, run the base model, keep each block's input."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import torch

from ..errors import InputError
from ..progress import checkpoint, steps
from .trace import Token, Trace

if TYPE_CHECKING:
    from ..models.handle import ModelHandle


def tokenize(handle: ModelHandle, text: str, *, truncate: bool = False) -> list[Token]:
    """Tokens of ``text`` with display strings and character offsets; checks the length limit."""
    if not isinstance(text, str):
        raise InputError(f"text must be a str, got {type(text).__name__}. For many texts use handle.run_many(texts).")
    if not text.strip():
        raise InputError("text is empty: give the model at least one word to read.")
    limit = handle.max_tokens
    tokenizer = handle.tokenizer
    try:
        encoding = tokenizer(
            text,
            return_offsets_mapping=True,
            truncation=truncate,
            max_length=limit if truncate else None,
            verbose=False,
        )
    except Exception as error:  # tokenizers raises bare Exceptions, e.g. a word-level vocabulary without [UNK]
        raise InputError(f"The tokenizer of {handle.name} could not read this text: {error}") from error
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
    ids = [int(i) for i in token_ids]
    if not ids:
        raise InputError("token_ids is empty: give at least one token id.")
    vocab = handle.model.get_input_embeddings().num_embeddings
    if not all(0 <= i < vocab for i in ids):
        raise InputError(f"token ids must be in 0..{vocab - 1} for {handle.name}.")
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
