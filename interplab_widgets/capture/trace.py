"""Trace: what one forward pass left behind, and the patterns recomputed from it on demand."""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from ..errors import InputError
from ..progress import steps
from .attention import ChunkVisitor, attention_summary, pattern_chunks, recompute_attention, recompute_values

if TYPE_CHECKING:
    from ..models.handle import ModelHandle

#: The most memory a trace keeps for recomputed attention patterns by default (the latest is always kept).
#: Below it a trace keeps every layer's pattern, so rollout and flow recompute nothing after their first pass.
ATTENTION_CACHE_MAX_BYTES = 1 * 2**30


def _nbytes(tensor: torch.Tensor) -> int:
    return tensor.numel() * tensor.element_size()


def check_index(what: str, value: object, size: int, owner: str) -> None:
    """Raise an :class:`InputError` unless ``value`` is an integer in ``0..size-1``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < size:
        raise InputError(f"{what} {value!r} is out of range: {owner} 0..{size - 1}.")


@dataclass(frozen=True)
class Token:
    """One token as the user sees it: its display text and where it sits in the input text."""

    index: int
    id: int
    text: str
    start: int
    end: int


class Trace:
    """The residual stream of one text through every block, with tokens and lazily computed outputs.

    Keeps ``n_layers + 1`` residuals ``[n, d_model]`` (the input of every block and the
    output of the last one) and nothing quadratic in the length: ``attention(layer)``
    recomputes a layer's pattern when asked and keeps recent ones within
    ``attention_cache_bytes`` (always the latest one, even when it alone is larger). By default
    that is every layer's pattern up to :data:`ATTENTION_CACHE_MAX_BYTES` (SmolLM2 at 512 tokens:
    283 MB, all 30 layers); set :attr:`attention_cache_bytes` to trade memory for recomputation.
    """

    def __init__(
        self,
        handle: ModelHandle,
        text: str,
        tokens: Sequence[Token],
        residuals: Sequence[torch.Tensor],
        *,
        attention_cache_bytes: int | None = None,
    ) -> None:
        self.handle = handle
        self.text = text
        self._tokens = tuple(tokens)
        self._residuals = list(residuals)  # each [1, n, d_model], on the device and dtype of its block
        self._attention_cache: OrderedDict[int, torch.Tensor] = OrderedDict()
        n = self._residuals[0].shape[1]
        every_layer = handle.n_layers * handle.n_heads * n * n * 4
        self.attention_cache_bytes = (
            min(every_layer, ATTENTION_CACHE_MAX_BYTES) if attention_cache_bytes is None else attention_cache_bytes
        )
        """Memory kept for recomputed attention patterns ``[heads, n, n]`` float32 (the latest is always kept)."""
        self._logits: torch.Tensor | None = None

    # -- tokens ---------------------------------------------------------------------------
    @property
    def tokens(self) -> list[str]:
        """Display text of each token (special tokens as their name, e.g. ``[CLS]``)."""
        return [token.text for token in self._tokens]

    @property
    def token_info(self) -> tuple[Token, ...]:
        """Tokens with their ids and character offsets ``[start, end)`` in :attr:`text`."""
        return self._tokens

    @property
    def offsets(self) -> list[tuple[int, int]]:
        return [(token.start, token.end) for token in self._tokens]

    @property
    def token_ids(self) -> torch.Tensor:
        """``[n]`` int64."""
        return torch.tensor([token.id for token in self._tokens], dtype=torch.long)

    @property
    def n_tokens(self) -> int:
        return len(self._tokens)

    @property
    def n_layers(self) -> int:
        return self.handle.n_layers

    @property
    def n_heads(self) -> int:
        return self.handle.n_heads

    # -- activations ------------------------------------------------------------------------
    def residual(self, layer: int) -> torch.Tensor:
        """Residual stream entering block ``layer``, ``[n, d_model]`` float32 on the CPU.

        ``layer == n_layers`` is the output of the last block, before the final norm.
        """
        self._check_layer(layer, allow_final=True)
        return self._residuals[layer][0].detach().float().cpu()

    def attention(self, layer: int) -> torch.Tensor:
        """Attention pattern of ``layer``, ``[heads, query, key]`` float32 on the CPU; rows sum to 1."""
        self._check_layer(layer)
        cache = self._attention_cache
        if layer in cache:
            cache.move_to_end(layer)
            return cache[layer]
        # Make room first: on long inputs the old pattern and the new one's transients never coexist.
        needed = self.n_heads * self.n_tokens**2 * 4
        while cache and sum(_nbytes(p) for p in cache.values()) + needed > self.attention_cache_bytes:
            cache.popitem(last=False)
        pattern = recompute_attention(self.handle, layer, self._residuals[layer]).cpu()
        cache[layer] = pattern
        return pattern

    def attentions(self, layers: Sequence[int] | None = None) -> Iterator[tuple[int, torch.Tensor]]:
        """``(layer, attention(layer))`` for each layer in turn, holding one pattern at a time; each layer is
        a checkpoint and a share of the progress of the request it serves (:mod:`interplab_widgets.progress`)."""
        for layer in steps(list(range(self.n_layers) if layers is None else layers), disable=True):
            yield layer, self.attention(layer)

    def attention_summary(
        self, layer: int, size: int, visit: ChunkVisitor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Every head's pattern at ``layer`` averaged into ``min(n, size)``² blocks ``[heads, t, t]``, and the
        head statistics ``[heads, 3]``, computed in query chunks: on long inputs the full pattern is never held
        (see :func:`~interplab_widgets.capture.attention.attention_summary`). ``visit(start, p)`` gets each
        chunk of the pattern too, from the same pass (:meth:`pattern_chunks`' chunks)."""
        self._check_layer(layer)
        return attention_summary(self.handle, layer, self._residuals[layer], size, visit=visit)

    def pattern_chunks(
        self, layer: int, queries: int | range | None = None, heads: Sequence[int] | None = None
    ) -> Iterator[tuple[int, torch.Tensor]]:
        """``(start, [heads, rows, width])`` chunks of query rows of ``layer``'s pattern, never the whole of it
        (see :func:`~interplab_widgets.capture.attention.pattern_chunks`); ``queries``: the first rows, or a
        range of them, only; ``heads``: only these heads."""
        self._check_layer(layer)
        return pattern_chunks(self.handle, layer, self._residuals[layer], queries=queries, heads=heads)

    def values(self, layer: int) -> torch.Tensor:
        """Each head's value vectors ``[heads, key, head_dim]`` at ``layer`` (kv heads repeated), recomputed."""
        self._check_layer(layer)
        return recompute_values(self.handle, layer, self._residuals[layer]).cpu()

    def head_attention(self, layer: int, head: int) -> torch.Tensor:
        """One head's pattern ``[query, key]`` (from the layer's cached pattern if there is one)."""
        self._check_layer(layer)
        self._check_head(head)
        if layer in self._attention_cache:
            return self.attention(layer)[head]
        return self.attention_rows(layer, range(self.n_tokens), [head])[0]

    def attention_rows(self, layer: int, queries: range, heads: Sequence[int] | None = None) -> torch.Tensor:
        """Query rows ``queries`` of ``layer``'s pattern, ``[heads, len(queries), n]`` (all heads, or ``heads``),
        from query chunks: one head is a ninth of the layer's work for SmolLM2, and ``[heads, n, n]`` is never
        held."""
        self._check_layer(layer)
        for head in heads or ():
            self._check_head(head)
        rows = torch.zeros(self.n_heads if heads is None else len(heads), len(queries), self.n_tokens)
        for start, chunk in self.pattern_chunks(layer, queries=queries, heads=heads):
            rows[:, start - queries.start : start - queries.start + chunk.shape[1], : chunk.shape[2]] = chunk.cpu()
        return rows

    @property
    def logits(self) -> torch.Tensor:
        """Next-token logits at every position, ``[n, vocab]`` float32 (causal LMs only)."""
        if self._logits is None:
            self._logits = self.logits_at(slice(None))
        return self._logits

    def logits_at(self, positions: int | slice | Sequence[int]) -> torch.Tensor:
        """Logits at some positions only (``[vocab]`` for an int), without computing the others."""
        return self.logits_from(self.n_layers, positions)

    @torch.no_grad()
    def logits_from(self, layer: int, positions: int | slice | Sequence[int]) -> torch.Tensor:
        """``residual(layer)`` at ``positions`` read through the final norm and the unembedding:
        the logit lens (``layer == n_layers`` gives the model's own logits), float32 on the CPU."""
        if not self.handle.is_causal:
            raise InputError(
                f"{self.handle.name} is an encoder ({self.handle.family}); it has no next-token logits. "
                "Use a causal LM such as load_model('smollm2-135m')."
            )
        self._check_layer(layer, allow_final=True)
        if isinstance(positions, int):
            self._check_token(positions)
        selected = self._residuals[layer][0][positions]
        return self.handle.adapter.read_out(self.handle.model, selected).float().cpu()

    def top_predictions(self, k: int = 5, position: int = -1) -> list[tuple[str, float]]:
        """The ``k`` most likely next tokens after ``position``, as ``(text, probability)``."""
        probs = torch.softmax(self.logits_at(position), dim=-1)
        values, ids = probs.topk(k)
        decode = self.handle.tokenizer.decode
        return [(decode([i]), float(p)) for p, i in zip(values.tolist(), ids.tolist())]

    def nbytes(self) -> int:
        """Bytes held by this trace: residuals plus cached patterns and logits."""
        tensors = [*self._residuals, *self._attention_cache.values()]
        if self._logits is not None:
            tensors.append(self._logits)
        return sum(_nbytes(t) for t in tensors)

    # -- checks -----------------------------------------------------------------------------
    def _check_layer(self, layer: int, *, allow_final: bool = False) -> None:
        check_index("layer", layer, self.n_layers + 1 if allow_final else self.n_layers, "this model has layers")

    def _check_head(self, head: int) -> None:
        check_index("head", head, self.n_heads, "this model has heads")

    def _check_token(self, index: int) -> None:
        if isinstance(index, numbers.Integral) and index < 0:
            index += self.n_tokens
        check_index("token", index, self.n_tokens, "this text has tokens")

    def __repr__(self) -> str:
        return (
            f"Trace({self.handle.name!r}, n_tokens={self.n_tokens}, n_layers={self.n_layers}, "
            f"n_heads={self.n_heads}, residual=[{self.n_layers + 1} x {self.n_tokens} x {self.handle.d_model}])"
        )
