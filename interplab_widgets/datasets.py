"""Labelled datasets built from templates with slots, so every label is right by construction.

Each example also records its *type*: the slot filler a probe could memorise (the noun of a
negation pair, the word of a category). Probes are tested on types they were not trained on, and
control tasks (Hewitt & Liang) give every type one random label: a probe that passes the control
has learnt something about types, not the property. Texts are chosen so
the property is not visible in the token a probe reads: the last token of a negated and an
affirmative sentence is the same word, so ``pooling="last"`` at the embeddings is at chance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from .errors import InputError

NOUNS = [
    ("dog", "dogs"), ("cat", "cats"), ("bird", "birds"), ("horse", "horses"), ("teacher", "teachers"),
    ("doctor", "doctors"), ("child", "children"), ("farmer", "farmers"), ("student", "students"),
    ("driver", "drivers"), ("painter", "painters"), ("singer", "singers"), ("baker", "bakers"),
    ("nurse", "nurses"), ("pilot", "pilots"), ("writer", "writers"), ("king", "kings"), ("queen", "queens"),
    ("boy", "boys"), ("girl", "girls"), ("friend", "friends"), ("neighbour", "neighbours"), ("player", "players"),
    ("worker", "workers"),
]  # fmt: skip
ADJECTIVES = ["happy", "tired", "hungry", "quiet", "busy", "angry", "ready", "late"]
PLACES = ["park", "garden", "station", "market", "library", "kitchen"]

WORD_CATEGORIES = {
    "animal": "dog cat horse lion tiger rabbit eagle shark whale sheep mouse wolf".split(),
    "city": "Paris London Tokyo Berlin Madrid Rome Cairo Moscow Sydney Chicago Dublin Vienna".split(),
    "colour": "red blue green yellow purple orange black white brown pink grey violet".split(),
    "number": "one two three four five six seven eight nine ten twelve twenty".split(),
    "name": "Alice John Maria David Sarah James Emma Peter Laura Thomas Anna Michael".split(),
}
WORD_TEMPLATES = [
    "Yesterday she kept talking about {}",
    "The last word on the page was {}",
    "He wrote down {}",
    "We could not stop thinking of {}",
]


@dataclass(frozen=True)
class LabelledDataset:
    """Texts with one integer label each, the names of the labels, and the type behind each text.

    ``unit`` and ``pooling`` say how :func:`interplab_widgets.harvest` should read a text for
    probing: ``("sentence", "last")`` reads the last token, which saw the whole text.
    """

    name: str
    texts: list[str]
    labels: np.ndarray
    label_names: list[str]
    types: list[str]
    description: str = ""
    unit: str = "sentence"
    pooling: str = "last"
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (len(self.texts) == len(self.labels) == len(self.types)):
            raise InputError(
                f"{self.name}: {len(self.texts)} texts, {len(self.labels)} labels, {len(self.types)} types; "
                "give one label and one type per text."
            )

    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}: {int((self.labels == i).sum())}" for i, n in enumerate(self.label_names))
        return f"LabelledDataset({self.name!r}, {len(self)} texts; {counts})"


def from_texts(
    texts: Sequence[str], labels: Sequence[object], *, name: str = "custom", types: Sequence[str] | None = None
) -> LabelledDataset:
    """A dataset from your own texts and labels (any hashable values, e.g. strings).

    ``types`` default to each text's last word, the usual thing a probe could memorise."""
    texts = list(texts)
    if isinstance(labels, str) or len(labels) != len(texts):
        raise InputError(f"give one label per text: {len(texts)} texts, {len(labels)} labels.")
    if not texts:
        raise InputError("texts is empty: a dataset needs at least two texts per label.")
    names = sorted({str(label) for label in labels})
    values = np.array([names.index(str(label)) for label in labels], dtype=np.int64)
    types = list(types) if types is not None else [(text.split() or [""])[-1] for text in texts]
    return LabelledDataset(name, texts, values, names, types)


def negation() -> LabelledDataset:
    """Affirmative vs negated statements about the same subject, ending on the same word."""
    frames = [
        ("The {} is {}.", "The {} is not {}."),
        ("That {} was {} today.", "That {} was not {} today."),
        ("My {} seems {} again.", "My {} never seems {} again."),
    ]
    texts, labels, types = [], [], []
    for (singular, _), adjective, (positive, negative) in product(NOUNS, ADJECTIVES[:4], frames):
        for label, frame in enumerate((positive, negative)):
            texts.append(frame.format(singular, adjective))
            labels.append(label)
            types.append(singular)
    return LabelledDataset(
        "negation", texts, np.array(labels), ["affirmative", "negated"], types,
        "The same sentence with and without a negation; the last token is the same.",
    )  # fmt: skip


def subject_number() -> LabelledDataset:
    """Singular vs plural subjects, the verb agreeing; the sentence ends on a place that says nothing of number."""
    frames = [
        ("The {} walks to the {}", "The {} walk to the {}"),
        ("A {} waits near the {}", "Some {} wait near the {}"),
    ]
    texts, labels, types = [], [], []
    for (singular, plural), place, (one, many) in product(NOUNS, PLACES[:4], frames):
        texts += [one.format(singular, place), many.format(plural, place)]
        labels += [0, 1]
        types += [singular, singular]
    return LabelledDataset(
        "subject_number", texts, np.array(labels), ["singular", "plural"], types,
        "The subject is one thing or several; the verb agrees with it.",
    )  # fmt: skip


def questions() -> LabelledDataset:
    """Questions vs statements with the same words and no final punctuation: only word order tells them apart."""
    texts, labels, types = [], [], []
    for (singular, _), adjective in product(NOUNS, ADJECTIVES):
        texts += [f"The {singular} is {adjective}", f"Is the {singular} {adjective}"]
        labels += [0, 1]
        types += [singular, singular]
    return LabelledDataset(
        "questions", texts, np.array(labels), ["statement", "question"], types,
        "A statement and the question with the same words, no punctuation.",
    )  # fmt: skip


def word_categories() -> LabelledDataset:
    """Words of five categories (animal, city, colour, number, name), each in several neutral frames."""
    names = list(WORD_CATEGORIES)
    texts, labels, types = [], [], []
    for label, category in enumerate(names):
        for word, template in product(WORD_CATEGORIES[category], WORD_TEMPLATES):
            texts.append(template.format(word))
            labels.append(label)
            types.append(word)
    return LabelledDataset(
        "word_categories", texts, np.array(labels), names, types,
        "A word at the end of a neutral frame; the label is its category.",
    )  # fmt: skip


DATASETS: dict[str, Callable[[], LabelledDataset]] = {
    "negation": negation,
    "subject_number": subject_number,
    "questions": questions,
    "word_categories": word_categories,
}


def load_dataset(name: str) -> LabelledDataset:
    """One of the shipped datasets by name: ``negation``, ``subject_number``, ``questions``, ``word_categories``."""
    if name not in DATASETS:
        raise InputError(f"Unknown dataset {name!r}. Shipped datasets: {', '.join(DATASETS)}.")
    return DATASETS[name]()
