"""Head scores and head roles from attention on repeated random tokens.

:func:`head_scores` builds its own inputs: ``n_sequences`` segments of ``L`` random ordinary
tokens, each followed by the same segment again (``x1 .. xL x1 .. xL``), framed with the
special tokens the tokenizer puts around any text (``[CLS] .. [SEP]`` for BERT, nothing
for SmolLM2). On such input a head's job is easy to read from where it looks:

======================  ==================================================================
score                   the mean attention weight ...
======================  ==================================================================
``previous_token``      from each token to the token before it (both in the copies)
``induction``           from each token of the second copy to the token that *followed*
                        its first occurrence (key ``i - L + 1``)
``duplicate_token``     from each token of the second copy to its first occurrence
                        (key ``i - L``)
``sink``                from each token to position 0 (the first token of the input)
``self``                from each token to itself
``local``               ``1 - mean distance / mean largest possible distance`` (see below)
``mean_distance``       (tokens, not a fraction) ``sum_j A[i, j] * |i - j|``, averaged
======================  ==================================================================

Queries are the positions of the two copies except position 0 (whose row is trivial in a
causal model); ``previous_token`` starts one later so both ends are random tokens. Every
score but ``mean_distance`` lies in ``[0, 1]``. The locality of a head is
``local = 1 - sum_i d_i / sum_i m_i`` over those queries, where ``d_i`` is the attended
distance of query ``i`` and ``m_i`` the largest distance it could attend to (``i`` in a
causal model, ``max(i, n - 1 - i)`` in an encoder): 1 when every query looks at itself,
about 0.5 for uniform attention, 0 when every query looks as far away as it can (e.g. at
position 0). Encoders get the same definitions on their bidirectional patterns.

:func:`head_roles` turns scores into one label per head with :data:`ROLE_THRESHOLDS`.
Scores are plug-ins: :func:`register_head_score` adds a column (and optionally a role);
the built-in scores are registered the same way, so :data:`HEAD_SCORES` is the single
list of what is computed. The names follow TransformerLens' ``head_detector``
(``previous_token_head``, ``duplicate_token_head``, ``induction_head``).
"""

from __future__ import annotations

import hashlib
import math
import numbers
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..disk_cache import mark_used, result_path, store
from ..errors import InputError
from ..progress import steps

if TYPE_CHECKING:
    from ..capture.trace import Trace
    from ..models.handle import ModelHandle

__all__ = [
    "HEAD_SCORES",
    "ROLE_THRESHOLDS",
    "HeadRole",
    "HeadScore",
    "HeadScores",
    "RepeatedSequence",
    "cached_head_roles",
    "head_roles",
    "head_scores",
    "ordinary_token_ids",
    "register_head_score",
    "repeated_sequences",
    "unregister_head_score",
]


# -- the input: one repeated random sequence ----------------------------------------------------


@dataclass(frozen=True)
class RepeatedSequence:
    """Where things are in one input ``prefix + segment + segment + suffix``; what a score function gets.

    Attributes:
        segment_length: ``L``, the length of one copy of the random segment.
        start: index of the first token of the first copy (the number of prefix tokens).
        n_tokens: length of the whole input, prefix and suffix included.
        is_causal: whether queries only see keys at or before them.
        layer: the layer whose pattern is being scored.
        trace: the :class:`~interplab_widgets.Trace` of this input (``None`` when a score
            function is called on bare arrays, e.g. in tests); a score that needs more than
            the pattern (residuals, logits) reads it from here.
    """

    segment_length: int
    start: int = 0
    n_tokens: int | None = None
    is_causal: bool = True
    layer: int = 0
    trace: Trace | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.n_tokens is None:
            object.__setattr__(self, "n_tokens", self.start + 2 * self.segment_length)

    @property
    def end(self) -> int:
        """One past the last token of the second copy."""
        return self.start + 2 * self.segment_length

    @property
    def second_copy(self) -> np.ndarray:
        """Positions of the second copy ``[L]``."""
        return np.arange(self.start + self.segment_length, self.end)

    @property
    def queries(self) -> np.ndarray:
        """Positions of both copies except position 0: the queries of the position-only scores."""
        return np.arange(max(self.start, 1), self.end)


# -- the registry ----------------------------------------------------------------------------

ScoreFunction = Callable[[torch.Tensor, RepeatedSequence], Any]

#: Priority of a registered role when none is given: after the three roles that need the
#: repetition (induction 10, duplicate-token 20, previous-token 30), before the positional
#: ones (sink 40, local 50).
DEFAULT_PLUGIN_PRIORITY = 35.0
HEAD_SCORES_FORMAT = 2
"""Part of the disk cache key of :func:`cached_head_roles`: raise it when a shipped score's code changes."""


@dataclass(frozen=True)
class HeadScore:
    """A registered score: ``compute(pattern [heads, query, key], sequence) -> [heads]``.

    Attributes:
        name: column name in :class:`HeadScores`.
        compute: gets one layer's float32 pattern and a :class:`RepeatedSequence`, returns one
            number per head (an array, a tensor or a list); :func:`head_scores` averages it
            over the sequences.
        role: the label :func:`head_roles` gives a head whose score exceeds ``threshold``;
            ``None`` for a score that labels nothing.
        threshold: default threshold of the role.
        priority: lower wins when a head passes several roles' thresholds.
        unit: ``"fraction"`` for scores in ``[0, 1]``, else what the number counts.
        description: one line for reprs and docs.
    """

    name: str
    compute: ScoreFunction
    role: str | None = None
    threshold: float | None = None
    priority: float = DEFAULT_PLUGIN_PRIORITY
    unit: str = "fraction"
    description: str = ""


#: Every score :func:`head_scores` computes, in column order. Change it with
#: :func:`register_head_score` / :func:`unregister_head_score`.
HEAD_SCORES: dict[str, HeadScore] = {}


def register_head_score(
    name: str,
    *,
    role: str | None = None,
    threshold: float | None = None,
    priority: float | None = None,
    unit: str = "fraction",
    description: str | None = None,
) -> Callable[[ScoreFunction], ScoreFunction]:
    """Decorator: add ``fn(pattern, sequence) -> [heads]`` as a column of :func:`head_scores`.

    ``fn`` gets one layer's pattern ``[heads, query, key]`` (float32 tensor) of one repeated
    random sequence and its :class:`RepeatedSequence` (segment length, where the copies are,
    the layer, and the trace itself for scores that need more than attention).

    With ``role`` and ``threshold`` the score also labels heads in :func:`head_roles`; among
    roles a head passes, the one with the lowest ``priority`` wins (default
    :data:`DEFAULT_PLUGIN_PRIORITY`). Registering an existing name replaces it.

    Example:
        ```python
        @register_head_score("last_token", role="last-token", threshold=0.5)
        def last_token(pattern, sequence):
            return pattern[:, sequence.queries, -1].mean(-1)
        ```
    """
    if not isinstance(name, str) or not name:
        raise InputError(f"A head score needs a non-empty name, got {name!r}.")
    if (role is None) != (threshold is None):
        raise InputError(f"Score {name!r}: give both role= and threshold=, or neither.")
    if role is not None:
        for other in HEAD_SCORES.values():
            if other.role == role and other.name != name:
                raise InputError(f"Role {role!r} is already given by score {other.name!r}; unregister it first.")

    def decorator(fn: ScoreFunction) -> ScoreFunction:
        doc = (fn.__doc__ or "").strip().splitlines()
        HEAD_SCORES[name] = HeadScore(
            name=name,
            compute=fn,
            role=role,
            threshold=None if threshold is None else float(threshold),
            priority=DEFAULT_PLUGIN_PRIORITY if priority is None else float(priority),
            unit=unit,
            description=description if description is not None else (doc[0] if doc else ""),
        )
        return fn

    return decorator


def unregister_head_score(name: str) -> HeadScore:
    """Remove a score (and its role) from :data:`HEAD_SCORES`; returns what was registered."""
    if name not in HEAD_SCORES:
        raise InputError(f"No head score named {name!r}; registered: {', '.join(HEAD_SCORES)}.")
    return HEAD_SCORES.pop(name)


# -- built-in scores ---------------------------------------------------------------------------

#: Default thresholds of the built-in roles: a head earns a role when its score is above
#: the threshold. Chosen by measuring SmolLM2-135M and all-MiniLM-L6-v2 (segments of 25-30
#: tokens; uniform attention scores about 0.03 on induction, duplicate-token and
#: previous-token): induction heads score 0.75-0.91 and a tail down to 0.3 with a gap
#: below it; previous-token heads 0.52-0.99; duplicate-token heads 0.35-0.81; "sink" means
#: 80% of the attention on the first token (47 of SmolLM2's 270 heads); "local" means a
#: mean attended distance under a tenth of the largest possible one (about 2.5 tokens at
#: L = 25; the score depends on the input length). Plug-in roles carry their own threshold.
ROLE_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {"induction": 0.3, "duplicate-token": 0.3, "previous-token": 0.5, "sink": 0.8, "local": 0.9}
)


def _mean_at(pattern: torch.Tensor, queries: np.ndarray, keys: np.ndarray) -> torch.Tensor:
    """Mean over queries of ``pattern[:, query, key]`` ``[heads]`` (0 when there are no queries)."""
    if len(queries) == 0:
        return torch.zeros(pattern.shape[0])
    return pattern[:, torch.as_tensor(queries), torch.as_tensor(keys)].double().mean(-1)


@register_head_score(
    "previous_token",
    role="previous-token",
    threshold=ROLE_THRESHOLDS["previous-token"],
    priority=30,
)
def previous_token_score(pattern: torch.Tensor, sequence: RepeatedSequence) -> torch.Tensor:
    """Attention from each token to the one before it."""
    queries = np.arange(sequence.start + 1, sequence.end)
    return _mean_at(pattern, queries, queries - 1)


@register_head_score(
    "induction",
    role="induction",
    threshold=ROLE_THRESHOLDS["induction"],
    priority=10,
)
def induction_score(pattern: torch.Tensor, sequence: RepeatedSequence) -> torch.Tensor:
    """Attention from the second copy to the token after the first occurrence (i - L + 1)."""
    queries = sequence.second_copy
    return _mean_at(pattern, queries, queries - sequence.segment_length + 1)


@register_head_score(
    "duplicate_token",
    role="duplicate-token",
    threshold=ROLE_THRESHOLDS["duplicate-token"],
    priority=20,
)
def duplicate_token_score(pattern: torch.Tensor, sequence: RepeatedSequence) -> torch.Tensor:
    """Attention from the second copy to the same token in the first copy (i - L)."""
    queries = sequence.second_copy
    return _mean_at(pattern, queries, queries - sequence.segment_length)


@register_head_score(
    "sink",
    role="sink",
    threshold=ROLE_THRESHOLDS["sink"],
    priority=40,
)
def sink_score(pattern: torch.Tensor, sequence: RepeatedSequence) -> torch.Tensor:
    """Attention to position 0, the first token of the input."""
    queries = sequence.queries
    return _mean_at(pattern, queries, np.zeros_like(queries))


@register_head_score("self")
def self_score(pattern: torch.Tensor, sequence: RepeatedSequence) -> torch.Tensor:
    """Attention from each token to itself."""
    queries = sequence.queries
    return _mean_at(pattern, queries, queries)


def _distances(pattern: torch.Tensor, sequence: RepeatedSequence) -> tuple[torch.Tensor, torch.Tensor]:
    """Attended distance ``[heads, q]`` and largest possible distance ``[q]`` of each query."""
    n = pattern.shape[-1]
    queries = torch.as_tensor(sequence.queries)
    keys = torch.arange(n)
    distance = (queries[:, None] - keys[None, :]).abs().double()  # [q, n]
    attended = (pattern[:, queries].double() * distance).sum(-1)  # [heads, q]
    if sequence.is_causal:
        largest = queries.double()
    else:
        largest = torch.maximum(queries, n - 1 - queries).double()
    return attended, largest


@register_head_score(
    "local",
    role="local",
    threshold=ROLE_THRESHOLDS["local"],
    priority=50,
)
def local_score(pattern: torch.Tensor, sequence: RepeatedSequence) -> torch.Tensor:
    """1 - mean attended distance / mean largest possible distance."""
    attended, largest = _distances(pattern, sequence)
    if attended.shape[-1] == 0 or largest.sum() == 0:
        return torch.ones(pattern.shape[0], dtype=torch.float64)
    return 1 - attended.sum(-1) / largest.sum()


@register_head_score("mean_distance", unit="tokens")
def mean_distance_score(pattern: torch.Tensor, sequence: RepeatedSequence) -> torch.Tensor:
    """Mean attended distance |i - j|, in tokens."""
    attended, _ = _distances(pattern, sequence)
    if attended.shape[-1] == 0:
        return torch.zeros(pattern.shape[0], dtype=torch.float64)
    return attended.mean(-1)


def _role_thresholds() -> dict[str, float]:
    """Current default thresholds of every registered role (plug-ins included)."""
    return {s.role: s.threshold for s in HEAD_SCORES.values() if s.role and s.threshold is not None}


# -- inputs ------------------------------------------------------------------------------------

_BRACKETED = re.compile(r"^\s*(\[.*\]|<.*>)\s*$")


def ordinary_token_ids(tokenizer: Any, vocab_size: int) -> np.ndarray:
    """Ids random sequences are drawn from: no special, added, blank or bracketed tokens
    (``[unused7]``, ``<filename>``); in vocabularies over 2000 ordinary tokens, the band from the
    5th to the 50th percentile of ids (past bytes, single characters and punctuation, before
    the rarest and least-trained merges)."""
    excluded = {int(i) for i in tokenizer.all_special_ids}
    excluded |= {int(i) for i in getattr(tokenizer, "added_tokens_decoder", {})}
    size = min(vocab_size, len(tokenizer))
    pieces = tokenizer.convert_ids_to_tokens(list(range(size)))
    ordinary = [
        i
        for i, piece in enumerate(pieces)
        if i not in excluded and piece and piece.strip() and not _BRACKETED.match(piece)
    ]
    if len(ordinary) > 2000:
        ordinary = ordinary[len(ordinary) // 20 : len(ordinary) // 2]
    return np.array(ordinary, dtype=np.int64)


def _framing(tokenizer: Any, sample_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """Special tokens the tokenizer puts before and after any text (``[CLS]`` / ``[SEP]``).

    Found by encoding the decoding of a few ordinary tokens with and without special tokens
    (tokenizers of small vocabularies reject arbitrary words, so the text comes from the vocabulary).
    """
    try:
        text = tokenizer.decode([int(i) for i in sample_ids])
        with_special = list(tokenizer(text)["input_ids"])
        bare = list(tokenizer(text, add_special_tokens=False)["input_ids"])
    except Exception:  # a tokenizer that cannot round-trip its own tokens: no framing
        return [], []
    for start in range(len(with_special) - len(bare) + 1):
        if with_special[start : start + len(bare)] == bare:
            return with_special[:start], with_special[start + len(bare) :]
    return [], []


def repeated_sequences(
    handle: ModelHandle, n_sequences: int, segment_length: int, seed: int
) -> tuple[list[list[int]], int, int]:
    """``n_sequences`` inputs ``prefix + s + s + suffix`` of random ordinary tokens.

    Returns the id lists, the segment length used (clamped so the input fits the model) and
    the prefix length. Tokens within a segment are distinct when the vocabulary allows it.
    """
    if isinstance(n_sequences, bool) or not isinstance(n_sequences, numbers.Integral) or n_sequences < 1:
        raise InputError(f"n_sequences must be a positive integer, got {n_sequences!r}.")
    if isinstance(segment_length, bool) or not isinstance(segment_length, numbers.Integral) or segment_length < 2:
        raise InputError(f"segment_length must be an integer of at least 2, got {segment_length!r}.")
    vocab = handle.model.get_input_embeddings().num_embeddings
    candidates = ordinary_token_ids(handle.tokenizer, vocab)
    if len(candidates) < 2:
        raise InputError(f"{handle.name}'s tokenizer has fewer than 2 ordinary tokens to draw random sequences from.")
    prefix, suffix = _framing(handle.tokenizer, candidates[:2])
    room = (handle.max_tokens - len(prefix) - len(suffix)) // 2
    length = min(int(segment_length), room)
    if length < 2:
        raise InputError(f"{handle.name} reads at most {handle.max_tokens} tokens: too few for two copies of 2 tokens.")
    rng = np.random.default_rng(seed)
    sequences = []
    for _ in range(int(n_sequences)):
        segment = rng.choice(candidates, size=length, replace=len(candidates) < length).tolist()
        sequences.append(prefix + segment + segment + suffix)
    return sequences, length, len(prefix)


# -- scores ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HeadScores:
    """Scores of every head: ``values[layer, head, k]`` is score ``names[k]``.

    Attributes:
        names: score names, in column order (the registry's order when computed).
        values: ``[layers, heads, n_scores]`` float32.
        units: unit of each score (``"fraction"`` for ``[0, 1]``).
        model: name of the model scored.
        n_sequences: how many repeated random sequences they were averaged over.
        segment_length: the length of one copy of the random segment.
        seed: the seed of the random tokens.
    """

    names: tuple[str, ...]
    values: np.ndarray
    units: tuple[str, ...] = ()
    model: str = ""
    n_sequences: int = 0
    segment_length: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float32)
        if values.ndim != 3 or values.shape[-1] != len(self.names):
            raise InputError(f"values must be [layers, heads, {len(self.names)}]; got shape {values.shape}.")
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "units", tuple(self.units) or ("fraction",) * len(self.names))

    @property
    def n_layers(self) -> int:
        return self.values.shape[0]

    @property
    def n_heads(self) -> int:
        return self.values.shape[1]

    def score(self, name: str) -> np.ndarray:
        """One score of every head, ``[layers, heads]``."""
        if name not in self.names:
            raise InputError(f"No score named {name!r}; these scores are: {', '.join(self.names)}.")
        return self.values[..., self.names.index(name)]

    def top(self, name: str, k: int = 3) -> list[tuple[int, int, float]]:
        """The ``k`` heads with the highest score, as ``(layer, head, value)``, best first."""
        scores = self.score(name)
        order = np.argsort(-scores, axis=None, kind="stable")[:k]
        return [(int(i // self.n_heads), int(i % self.n_heads), float(scores.flat[i])) for i in order]

    def rows(self) -> list[dict[str, float | int]]:
        """One dict per head, ``{"layer", "head", <score>: value, ...}``, layer-major."""
        return [
            {"layer": layer, "head": head, **{n: float(v) for n, v in zip(self.names, self.values[layer, head])}}
            for layer in range(self.n_layers)
            for head in range(self.n_heads)
        ]

    def to_dataframe(self) -> Any:
        """A ``pandas.DataFrame`` with one row per head (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError("HeadScores.to_dataframe() needs pandas: pip install pandas (or use .rows()).") from error
        return pd.DataFrame(self.rows(), columns=["layer", "head", *self.names])

    def __repr__(self) -> str:
        lines = [
            f"HeadScores({self.model!r}, {self.n_layers} layers x {self.n_heads} heads, "
            f"{self.n_sequences} sequences of 2 x {self.segment_length} random tokens; top heads per score)"
        ]
        width = max((len(n) for n in self.names), default=0)
        for name, unit in zip(self.names, self.units):
            tops = "  ".join(f"L{layer}H{head} {value:.2f}" for layer, head, value in self.top(name))
            suffix = "" if unit == "fraction" else f"  ({unit})"
            lines.append(f"  {name:<{width}}  {tops}{suffix}")
        return "\n".join(lines)


def head_scores(
    handle: ModelHandle,
    *,
    n_sequences: int = 8,
    segment_length: int = 25,
    seed: int = 0,
    progress: bool = True,
) -> HeadScores:
    """Score every head of ``handle`` on repeated random token sequences.

    Each of ``n_sequences`` inputs is a segment of ``segment_length`` random ordinary tokens
    (see :func:`ordinary_token_ids`) followed by the same segment again, framed with the
    tokenizer's own special tokens; ``segment_length`` is clamped so the input fits
    ``handle.max_tokens``. Every score in :data:`HEAD_SCORES` is computed per layer and
    averaged over the sequences. One layer's pattern is held at a time.

    Returns:
        :class:`HeadScores` with ``values [layers, heads, n_scores]``.
    """
    sequences, length, start = repeated_sequences(handle, n_sequences, segment_length, seed)
    registered = list(HEAD_SCORES.values())
    total = np.zeros((handle.n_layers, handle.n_heads, len(registered)))
    for ids in steps(sequences, desc="head scores", unit="sequence", disable=not progress):
        trace = handle.run_ids(ids)
        for layer, pattern in trace.attentions():
            sequence = RepeatedSequence(
                segment_length=length,
                start=start,
                n_tokens=len(ids),
                is_causal=handle.is_causal,
                layer=layer,
                trace=trace,
            )
            for k, score in enumerate(registered):
                total[layer, :, k] += _as_head_vector(score, score.compute(pattern, sequence), handle.n_heads)
    scores = HeadScores(
        names=tuple(s.name for s in registered),
        values=total / len(sequences),
        units=tuple(s.unit for s in registered),
        model=handle.name,
        n_sequences=len(sequences),
        segment_length=length,
        seed=seed,
    )
    _warn_nan_scores(scores)
    return scores


def _as_head_vector(score: HeadScore, result: Any, n_heads: int) -> np.ndarray:
    if torch.is_tensor(result):
        result = result.detach().cpu().double().numpy()
    vector = np.asarray(result, dtype=np.float64)
    if vector.shape != (n_heads,):
        raise InputError(
            f"Head score {score.name!r} returned shape {vector.shape}; it must return [heads] = ({n_heads},)."
        )
    return vector


# -- roles ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadRole:
    """The role of one head and the score that earned it."""

    layer: int
    head: int
    role: str
    score: float


def head_roles(
    handle_or_scores: ModelHandle | HeadScores,
    thresholds: Mapping[str, float | None] | None = None,
    **score_options: Any,
) -> list[HeadRole]:
    """One role per head that earns one, sorted by ``(layer, head)``; heads with none are left out.

    A head earns a role when the role's score is above its threshold (:data:`ROLE_THRESHOLDS`
    by default). When it passes several, the lowest ``priority`` wins; for the built-ins:
    ``induction`` > ``duplicate-token`` > ``previous-token`` > (plug-in roles by default) >
    ``sink`` > ``local``. The specific roles come first because the generic ones overlap
    them: an induction head rests on the first token while it has nothing to copy (SmolLM2's
    induction heads score 0.4-0.7 on ``sink``), and a previous-token head is also local.

    Args:
        handle_or_scores: a :class:`HeadScores`, or a model handle to score first (with
            ``score_options`` passed to :func:`head_scores`).
        thresholds: per role (``"previous-token"``, or its score name ``"previous_token"``),
            a threshold that replaces the default; ``None`` turns the role off.
    """
    limits = _thresholds(thresholds)  # a bad threshold is refused before any scoring
    if isinstance(handle_or_scores, HeadScores):
        if score_options:
            raise InputError(f"Options {sorted(score_options)} only apply when head_roles is given a model handle.")
        scores = handle_or_scores
        _warn_nan_scores(scores)
    else:
        scores = head_scores(handle_or_scores, **score_options)  # warns of NaN scores itself
    return _roles(scores, limits)


def _roles(scores: HeadScores, limits: dict[str, float]) -> list[HeadRole]:
    """The role of every head that earns one, by the roles' priority (see :func:`head_roles`)."""
    by_role = {s.role: s for s in HEAD_SCORES.values() if s.role}
    candidates = sorted(
        (by_role[role] for role in limits if by_role[role].name in scores.names),
        key=lambda s: s.priority,
    )
    roles = []
    for layer in range(scores.n_layers):
        for head in range(scores.n_heads):
            for candidate in candidates:
                value = float(scores.values[layer, head, scores.names.index(candidate.name)])
                if value > limits[candidate.role]:  # type: ignore[index]
                    roles.append(HeadRole(layer, head, candidate.role, value))  # type: ignore[arg-type]
                    break
    return roles


def cached_head_roles(handle: ModelHandle) -> list[HeadRole]:
    """:func:`head_roles` of ``handle`` with the default options, scored once per set of weights and of
    registered scores.

    The roles are kept in memory for the session (``handle.memo["head_roles"]``, by registered scores) and the
    scores on disk under ``cache_dir()/head_scores``, keyed by :meth:`ModelHandle.fingerprint` and the
    registered scores' names and code, so the first AttentionExplorer of a new session does not wait for them.
    A score registered (or replaced, or unregistered) later is in the next call's roles.
    """
    memo = handle.memo.setdefault("head_roles", {})
    registry = tuple(HEAD_SCORES.values())  # frozen HeadScore entries: name, function, role, threshold, priority
    if registry not in memo:
        names = tuple(HEAD_SCORES)
        path = result_path("head_scores", [HEAD_SCORES_FORMAT, handle.fingerprint(), _registry_digest()])
        scores = None
        if path.exists():
            try:
                with np.load(path) as saved:
                    scores = HeadScores(names=names, values=saved["values"], model=handle.name)
                mark_used(path)
                _warn_nan_scores(scores)  # scored in an earlier session, which warned there
            except (OSError, ValueError, KeyError, InputError):
                scores = None  # an unreadable cache file is recomputed
        if scores is None:
            scores = head_scores(handle)
            store(path, lambda partial: np.savez(partial, values=scores.values))
        memo[registry] = _roles(scores, _thresholds(None))
    return memo[registry]


def _registry_digest() -> list[list[str]]:
    """``[name, digest of its function's code]`` of every registered score: the disk key of their values, so a
    plug-in registered, replaced by other code or removed in a later session is not read from an old file."""
    return [[name, _code_digest(score.compute)] for name, score in HEAD_SCORES.items()]


def _code_digest(fn: Any) -> str:
    """What a score function computes, as far as its code, constants, defaults and closure say; the same across
    sessions (no object addresses)."""
    digest = hashlib.sha256()

    def add_code(code: Any) -> None:
        digest.update(code.co_code)
        digest.update(repr(code.co_names).encode())
        for const in code.co_consts:
            if hasattr(const, "co_code"):
                add_code(const)
            else:
                digest.update(_stable_repr(const).encode())

    function = getattr(fn, "__func__", fn)
    code = getattr(function, "__code__", None)
    digest.update(
        f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', type(fn).__qualname__)}".encode()
    )
    if code is not None:
        add_code(code)
        digest.update(_stable_repr(getattr(function, "__defaults__", None)).encode())
        for cell in getattr(function, "__closure__", None) or ():
            try:
                digest.update(_stable_repr(cell.cell_contents).encode())
            except ValueError:  # an empty cell
                pass
    return digest.hexdigest()[:16]


def _stable_repr(value: Any) -> str:
    """``repr`` of plain values; the type alone for objects whose repr may hold an address."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if isinstance(value, (tuple, list, frozenset)):
        return f"{type(value).__name__}({', '.join(_stable_repr(v) for v in value)})"
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def _warn_nan_scores(scores: HeadScores) -> None:
    """One warning per score that is NaN for some heads: a NaN is below every threshold, so those heads get no role
    from it without a word."""
    roles = {s.name: s.role for s in HEAD_SCORES.values() if s.role}
    for k, name in enumerate(scores.names):
        missing = np.argwhere(np.isnan(scores.values[..., k]))
        if len(missing) == 0:
            continue
        heads = ", ".join(f"L{layer}H{head}" for layer, head in missing[:6])
        more = "" if len(missing) <= 6 else f" and {len(missing) - 6} more"
        role = f"; they get no {roles[name]!r} role from it" if name in roles else ""
        warnings.warn(
            f"Head score {name!r} is NaN for {len(missing)} of {scores.n_layers * scores.n_heads} heads "
            f"({heads}{more}){role}. Check its function for 0/0 (e.g. a mean over no queries).",
            UserWarning,
            stacklevel=3,
        )


def _thresholds(overrides: Mapping[str, float | None] | None) -> dict[str, float]:
    limits: dict[str, float | None] = dict(_role_thresholds())
    by_score = {s.name: s.role for s in HEAD_SCORES.values() if s.role}
    for key, value in (overrides or {}).items():
        role = by_score.get(key, key)
        if role not in limits:
            raise InputError(f"Unknown role {key!r}: roles are {', '.join(limits)}.")
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)):
            raise InputError(f"Threshold for {key!r} must be a number or None, got {value!r}.")
        limits[role] = value
    return {role: float(value) for role, value in limits.items() if value is not None}
