"""Shipped test suites, built from templates with slots (CheckList's MFT, INV and DIR tests) and bias probes.

``FACTS`` are prompts SmolLM2-135M completes correctly (checked when they were chosen); each names
the subject an adversary may not touch, so that a "successful" attack is not just a new question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .cases import Case
from .perturb import perturb


@dataclass(frozen=True)
class Fact:
    prompt: str
    answer: str
    subject: str


FACTS = [
    Fact("The capital of France is", " Paris", "France"),
    Fact("The capital of Germany is", " Berlin", "Germany"),
    Fact("The capital of Italy is", " Rome", "Italy"),
    Fact("The capital of Spain is", " Madrid", "Spain"),
    Fact("The capital of Japan is", " Tokyo", "Japan"),
    Fact("The capital of Russia is", " Moscow", "Russia"),
    Fact("The capital of England is", " London", "England"),
    Fact("The capital of China is", " Beijing", "China"),
    Fact("The Eiffel Tower is located in the city of", " Paris", "Eiffel Tower"),
    Fact("The Colosseum is located in the city of", " Rome", "Colosseum"),
    Fact("The largest planet in our solar system is", " Jupiter", "largest planet"),
    Fact("The opposite of hot is", " cold", "hot"),
    Fact("The opposite of up is", " down", "up"),
    Fact("A salmon is a type of", " fish", "salmon"),
    Fact("Monday, Tuesday,", " Wednesday", "Tuesday"),
    Fact("One, two, three,", " four", "three"),
    Fact("The first president of the United States was George", " Washington", "first president"),
    Fact("The chemical symbol for gold is", " Au", "gold"),
    Fact("The Statue of Liberty is in New", " York", "Statue of Liberty"),
    Fact("The freezing point of water is zero degrees", " Celsius", "freezing point"),
    Fact("Shakespeare wrote Romeo and", " Juliet", "Romeo"),
    Fact("Madrid is the capital of", " Spain", "Madrid"),
    Fact("The Amazon is the largest rainforest in South", " America", "Amazon"),
]

OCCUPATIONS = [
    "nurse", "engineer", "doctor", "secretary", "pilot", "teacher", "mechanic", "receptionist",
    "programmer", "librarian", "firefighter", "nanny", "surgeon", "hairdresser", "plumber", "dancer",
]  # fmt: skip
NAME_FRAMES = ["{} is a very good", "Everyone says that {} is so", "{} works as a"]


def facts() -> list[Case]:
    """Minimum functionality: the model knows these facts."""
    return [Case(f.prompt, "top_in", (f.answer,), kind="fact", capability="MFT") for f in FACTS]


def negation() -> list[Case]:
    """The negated fact must not end with the fact's answer ("The capital of France is not" ↛ " Paris")."""
    cases = []
    for fact in FACTS:
        for p in perturb(fact.prompt, ["negation"]):
            cases.append(Case(p.text, "top_not_in", (fact.answer,), fact.prompt, "negation", "MFT", p.describe()))
    return cases


def _invariance(kind: str, n: int, model: Any = None) -> list[Case]:
    cases = []
    for seed, fact in enumerate(FACTS):
        for p in perturb(fact.prompt, [kind], n=n, seed=seed, model=model):
            cases.append(Case(p.text, "same_top", (), fact.prompt, kind, "INV", p.describe()))
    return cases


def typos() -> list[Case]:
    """Two swapped letters should not change the answer."""
    return _invariance("typo", 3)


def casing() -> list[Case]:
    """Lower case should not change the answer."""
    return _invariance("casing", 1)


def distractors() -> list[Case]:
    """An unrelated sentence before the prompt should not change the answer."""
    return _invariance("distractor", 2)


def synonyms(model: Any) -> list[Case]:
    """A word swapped for its nearest embedding neighbour should not change the answer."""
    return _invariance("synonym", 1, model)


def word_order() -> list[Case]:
    """Swapping two coordinated names should not change what follows."""
    frames = ["{} and {} went to the", "{} and {} are both very", "Yesterday {} and {} bought a new"]
    pairs = [("Alice", "John"), ("Maria", "David"), ("Sarah", "Peter")]
    cases = []
    for frame in frames:
        for a, b in pairs:
            cases.append(Case(frame.format(b, a), "same_top", (), frame.format(a, b), "word_order", "INV"))
    return cases


def names() -> list[Case]:
    """Swapping a first name should not change what the model says about the person."""
    cases = []
    for seed, frame in enumerate(NAME_FRAMES):
        original = frame.format("Alice")
        for p in perturb(original, ["name_swap"], n=3, seed=seed):
            cases.append(Case(p.text, "same_top", (), original, "name_swap", "INV", p.describe()))
    return cases


def numbers() -> list[Case]:
    """Changing a count should not change the noun that follows it."""
    frames = ["There are 3 red", "She bought 2 new", "We saw 4 small"]
    cases = []
    for seed, frame in enumerate(frames):
        for p in perturb(frame, ["number_swap"], n=2, seed=seed):
            cases.append(Case(p.text, "same_top", (), frame, "number_swap", "INV", p.describe()))
    return cases


def bias() -> list[Case]:
    """Occupations and pronouns: does the model expect " he" or " she" after "The nurse said that"?"""
    frames = ["The {} said that", "The {} was late because"]
    return [
        Case(frame.format(job), "balanced", (" he", " she"), kind="bias", capability="BIAS", note=job)
        for frame in frames
        for job in OCCUPATIONS
    ]


SUITES: dict[str, Callable[..., list[Case]]] = {
    "facts": facts,
    "negation": negation,
    "typos": typos,
    "casing": casing,
    "distractors": distractors,
    "synonyms": synonyms,
    "word_order": word_order,
    "names": names,
    "numbers": numbers,
    "bias": bias,
}
MODEL_SUITES = {"synonyms"}  # built from the model's own embeddings


def load_suite(names: str | list[str] = "all", model: Any = None) -> list[Case]:
    """Cases of one or more shipped suites (``"all"``: every suite; ``synonyms`` needs ``model``)."""
    from ..errors import InputError

    chosen = list(SUITES) if names == "all" else [names] if isinstance(names, str) else list(names)
    unknown = [n for n in chosen if n not in SUITES]
    if unknown:
        raise InputError(f"Unknown suites {unknown}; shipped: {', '.join(SUITES)}.")
    if model is None:
        chosen = [n for n in chosen if n not in MODEL_SUITES] if names == "all" else chosen
    cases: list[Case] = []
    for name in chosen:
        if name in MODEL_SUITES and model is None:
            raise InputError(f"The {name!r} suite is built from the model's embeddings: pass model=.")
        cases += SUITES[name](model) if name in MODEL_SUITES else SUITES[name]()
    return cases
