"""Perturbations of a text, each with the exact change recorded (CheckList's building blocks).

Every kind returns ``None`` when it does not apply to the text (no auxiliary to negate, no
name to swap), never a copy of the input. ``synonym`` needs a model: its synonyms are the
nearest neighbours of a word in the model's own input embeddings (no word list is downloaded).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..errors import InputError

FIRST_NAMES = ["Alice", "John", "Maria", "David", "Sarah", "James", "Emma", "Peter", "Laura", "Thomas", "Anna", "Omar"]
NUMBER_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
AUXILIARIES = ["is", "are", "was", "were", "can", "will", "does", "do", "did", "has", "have", "should", "could"]
DISTRACTORS = [
    "My neighbour painted the fence yesterday.",
    "It rained all afternoon.",
    "The bus was five minutes late.",
    "She likes tea more than coffee.",
]
WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Change:
    """``original[start:end]`` (``old``) became ``new``."""

    start: int
    end: int
    old: str
    new: str


@dataclass(frozen=True)
class Perturbation:
    kind: str
    original: str
    text: str
    changes: tuple[Change, ...]

    def describe(self) -> str:
        return "; ".join(f"{c.old!r} → {c.new!r}" for c in self.changes)


def _replace(kind: str, text: str, start: int, end: int, new: str) -> Perturbation:
    return Perturbation(kind, text, text[:start] + new + text[end:], (Change(start, end, text[start:end], new),))


def typo(text: str, rng: random.Random, **_: Any) -> Perturbation | None:
    """Swap two neighbouring letters inside a word of four letters or more."""
    words = [m for m in WORD.finditer(text) if len(m.group()) >= 4]
    if not words:
        return None
    word = rng.choice(words)
    letters = list(word.group())
    i = rng.randrange(1, len(letters) - 2)
    if letters[i] == letters[i + 1]:
        i = next((j for j in range(1, len(letters) - 2) if letters[j] != letters[j + 1]), None)
        if i is None:
            return None
    letters[i], letters[i + 1] = letters[i + 1], letters[i]
    return _replace("typo", text, word.start(), word.end(), "".join(letters))


def casing(text: str, rng: random.Random, **_: Any) -> Perturbation | None:
    """The whole text in lower case (or, if it already is, with capitalised words)."""
    new = text.lower() if text.lower() != text else text.title()
    return None if new == text else Perturbation("casing", text, new, (Change(0, len(text), text, new),))


def negation(text: str, rng: random.Random, **_: Any) -> Perturbation | None:
    """``not`` after the first auxiliary verb: "Paris is the capital" -> "Paris is not the capital"."""
    match = re.search(rf"\b({'|'.join(AUXILIARIES)})\b", text)
    if match is None:
        return None
    return _replace("negation", text, match.end(), match.end(), " not")


def distractor(text: str, rng: random.Random, **_: Any) -> Perturbation | None:
    """An unrelated sentence in front of the text."""
    sentence = rng.choice(DISTRACTORS) + " "
    return _replace("distractor", text, 0, 0, sentence)


def word_order(text: str, rng: random.Random, **_: Any) -> Perturbation | None:
    """The two words around "and" swapped: "Alice and John" -> "John and Alice"."""
    match = re.search(r"\b([A-Za-z]+) and ([A-Za-z]+)\b", text)
    if match is None or match.group(1) == match.group(2):
        return None
    return _replace("word_order", text, match.start(), match.end(), f"{match.group(2)} and {match.group(1)}")


def name_swap(text: str, rng: random.Random, **_: Any) -> Perturbation | None:
    """A first name replaced by another one."""
    names = [m for m in WORD.finditer(text) if m.group() in FIRST_NAMES]
    if not names:
        return None
    name = rng.choice(names)
    return _replace(
        "name_swap", text, name.start(), name.end(), rng.choice([n for n in FIRST_NAMES if n != name.group()])
    )


def number_swap(text: str, rng: random.Random, **_: Any) -> Perturbation | None:
    """A number (digits or a word from one to ten) replaced by another one."""
    numbers = list(re.finditer(rf"\b(\d+|{'|'.join(NUMBER_WORDS)})\b", text))
    if not numbers:
        return None
    number = rng.choice(numbers)
    old = number.group()
    new = (
        str(rng.choice([n for n in range(2, 10) if str(n) != old]))
        if old.isdigit()
        else rng.choice([w for w in NUMBER_WORDS if w != old])
    )
    return _replace("number_swap", text, number.start(), number.end(), new)


def synonym(text: str, rng: random.Random, *, model: Any = None, **_: Any) -> Perturbation | None:
    """A lower-case word replaced by its nearest neighbour in the model's input embeddings. Neighbours
    are often co-hyponyms or antonyms rather than synonyms ("cats" -> "dogs"): that is what the model
    treats as interchangeable, which is the point of the test."""
    if model is None:
        raise InputError("The synonym perturbation uses the model's embeddings: pass model=.")
    from ..models import load_model

    handle = load_model(model)
    words = [m for m in WORD.finditer(text) if len(m.group()) >= 4 and m.group().islower()]  # no proper nouns
    rng.shuffle(words)
    for word in words:
        neighbour = nearest_word(handle, word.group(), leading_space=word.start() > 0)
        if neighbour is not None:
            return _replace("synonym", text, word.start(), word.end(), neighbour)
    return None


def nearest_word(handle: Any, word: str, *, leading_space: bool = True, candidates: int = 50) -> str | None:
    """The nearest whole-word token to ``word`` by cosine similarity of input embeddings, skipping
    spelling variants of ``word`` itself (case, plural, prefixes); ``None`` if ``word`` is not one token."""
    tokenizer = handle.tokenizer
    ids = tokenizer((" " if leading_space else "") + word, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        return None
    embeddings = handle.model.get_input_embeddings().weight.detach().float()
    vector = embeddings[ids[0]]
    similarity = torch.nn.functional.cosine_similarity(embeddings, vector[None], dim=-1)
    root = word.lower().rstrip("s")
    for token_id in similarity.topk(candidates).indices.tolist():
        piece = tokenizer.decode([token_id])
        clean = piece.strip()
        if (
            token_id != ids[0]
            and piece.startswith(" ") == leading_space
            and clean.isalpha()
            and len(clean) >= 3
            and not clean.lower().startswith(root[:4])
            and not root.startswith(clean.lower()[:4])
        ):
            return clean if word[0].islower() == clean[0].islower() else clean.capitalize()
    return None


PERTURBATIONS: dict[str, Callable[..., Perturbation | None]] = {
    "typo": typo,
    "casing": casing,
    "negation": negation,
    "distractor": distractor,
    "word_order": word_order,
    "name_swap": name_swap,
    "number_swap": number_swap,
    "synonym": synonym,
}


def perturb(
    text: str, kinds: Sequence[str] | None = None, *, n: int = 1, seed: int = 0, model: Any = None
) -> list[Perturbation]:
    """Up to ``n`` distinct perturbations of ``text`` per kind (default: every kind that applies;
    ``synonym`` only with ``model``). Each records what changed where."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("perturb needs a non-empty text.")
    kinds = [k for k in PERTURBATIONS if k != "synonym" or model is not None] if kinds is None else list(kinds)
    unknown = [k for k in kinds if k not in PERTURBATIONS]
    if unknown:
        raise InputError(f"Unknown perturbation kinds {unknown}; known: {', '.join(PERTURBATIONS)}.")
    rng = random.Random(seed)
    results: list[Perturbation] = []
    for kind in kinds:
        seen = {text}
        for _ in range(4 * n):
            if sum(p.kind == kind for p in results) >= n:
                break
            result = PERTURBATIONS[kind](text, rng, model=model)
            if result is None:
                break
            if not isinstance(result, Perturbation):
                raise InputError(
                    f"The perturbation {kind!r} returned {type(result).__name__} {result!r:.60}; a perturbation "
                    "returns a Perturbation(kind, original, text, changes) or None when it does not apply "
                    "(e.g. Perturbation(kind, text, new_text, (Change(start, end, old, new),)))."
                )
            if result.text not in seen:
                seen.add(result.text)
                results.append(result)
    return results
