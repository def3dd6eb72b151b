"""Linear probes per layer, with Hewitt & Liang's control task and a held-out-type test.

Two questions, two splits. *Selectivity*: a probe tested on items whose types (the word a probe
could memorise) also occur in training, against a control task that gives every type one random
label; the control can only be learnt by memorising types, so accuracy − control accuracy is what
the probe reads beyond word identity. *Generalisation*: a probe tested on types never seen in
training. Capacity is limited the same way for all three: the logistic regression's inverse
regularisation strength ``C`` is chosen per layer on a validation split of the training side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..errors import InputError
from ..progress import steps

REGULARISATION = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
"""Inverse regularisation strengths ``C`` tried on the validation split: the strongest regularisation
(smallest ``C``) whose validation accuracy is within one item of the best wins, after Hewitt & Liang's
advice to use the least expressive probe that reads the property."""

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class ProbeSplits:
    """The item indices each measure uses, and why a measure is missing when it is.

    ``seen``: test items whose types also occur in training (accuracy and control);
    ``held_out``: test items whose types never occur in training, or None;
    ``validation``: the part of ``seen``'s training side that chooses ``C``."""

    seen: Split
    validation: Split
    held_out: Split | None
    control: np.ndarray | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProbeCurve:
    """Per layer: held-out accuracy, the control task's, held-out-type generalisation, and the ``C`` chosen.

    ``control_accuracy`` and ``generalisation`` are NaN where the types cannot support them
    (``notes`` says why)."""

    task: str
    layers: list[int]
    accuracy: np.ndarray
    control_accuracy: np.ndarray
    generalisation: np.ndarray
    regularisation: np.ndarray
    n_train: int
    n_test: int
    chance: float
    n_held_out_types: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def selectivity(self) -> np.ndarray:
        return self.accuracy - self.control_accuracy

    def best_layer(self) -> int:
        return self.layers[int(np.argmax(self.accuracy))]

    def table(self) -> str:
        lines = [
            f"{self.task}: {self.n_train} train / {self.n_test} test (types seen in training), "
            f"{self.n_held_out_types} held-out types; chance {self.chance:.2f}",
            *self.notes,
            "layer  accuracy  control  selectivity  held-out types        C",
        ]
        for i, layer in enumerate(self.layers):
            values = (self.accuracy[i], self.control_accuracy[i], self.selectivity[i], self.generalisation[i])
            a, c, s, g = (" n/a" if np.isnan(v) else f"{v:.3f}" for v in values)
            s = s if np.isnan(values[2]) else f"{values[2]:+.3f}"
            lines.append(f"{layer:5d}  {a:>8}  {c:>7}  {s:>11}  {g:>14}  {self.regularisation[i]:7g}")
        return "\n".join(lines)


def control_labels(types: Sequence[str], labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Every type gets one label, drawn without replacement from the real labels (Hewitt & Liang's control
    task); with two or more types, at least two labels occur, so a control probe always has two classes."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    distinct = sorted(set(types))
    drawn = rng.choice(labels, size=len(distinct), replace=len(distinct) > len(labels))
    if len(distinct) >= 2 and len(set(drawn)) < 2:
        drawn[0] = next(label for label in labels if label != drawn[1])
    lookup = dict(zip(distinct, drawn))
    return np.array([lookup[t] for t in types])


def probe_splits(
    labels: np.ndarray, types: Sequence[str] | None = None, test_size: float = 0.25, seed: int = 0
) -> ProbeSplits:
    """The splits for :func:`probe_scores`, checked: every label must be on the training side."""
    labels = np.asarray(labels)
    names, counts = np.unique(labels, return_counts=True)
    if len(names) < 2:
        raise InputError("A probe needs at least two different labels; every text has the same one.")
    if counts.min() < 4:
        raise InputError(
            f"Label {names[np.argmin(counts)]!r} has {counts.min()} text(s); a probe needs at least 4 per label "
            "(to train, validate and test). Add texts, or merge rare labels."
        )
    types = [str(i) for i in range(len(labels))] if types is None else [str(t) for t in types]
    notes = []
    seen = _seen_type_split(labels, types, test_size, seed)
    train = seen[0]
    validation = train_test_split(train, test_size=0.25, random_state=seed, stratify=labels[train])
    repeated = len(set(types)) < len(types)
    control = control_labels(types, labels, seed) if repeated and len(set(types)) >= 2 else None
    if control is None:
        notes.append(
            "control: n/a — the control task needs types that repeat (two or more types, some with several "
            "texts); give types= (e.g. the subject noun of each text)."
        )
    held_out = _held_out_type_split(labels, types, test_size, seed)
    if held_out is None:
        notes.append(
            "held-out types: n/a — needs at least 2 types per fold with every label on both sides; "
            "give types= with more distinct types."
        )
    return ProbeSplits(seen, tuple(validation), held_out, control, tuple(notes))


def probe_scores(features: np.ndarray, labels: np.ndarray, splits: ProbeSplits, seed: int = 0) -> dict[str, float]:
    """Accuracy, control accuracy and held-out-type accuracy of one layer's features, with the ``C``
    that did best on the validation split (used for all three, so they measure the same probe)."""
    labels = np.asarray(labels)
    inner_train, validation = splits.validation
    validated = [
        _fit(features, labels, inner_train, c, seed).score(features[validation], labels[validation])
        for c in REGULARISATION
    ]
    best = next(c for c, v in zip(REGULARISATION, validated) if v >= max(validated) - 1 / len(validation))
    train, test = splits.seen
    scores = {"accuracy": _score(features, labels, train, test, best, seed), "C": best}
    control = splits.control
    scores["control"] = float("nan") if control is None else _score(features, control, train, test, best, seed)
    held_out = splits.held_out
    scores["generalisation"] = (
        float("nan") if held_out is None else _score(features, labels, *held_out, best, seed)
    )  # fmt: skip
    return scores


def probe_layers(
    model: Any,
    dataset: Any = None,
    *,
    texts: Sequence[str] | None = None,
    labels: Sequence[object] | None = None,
    layers: Sequence[int] | None = None,
    harvested: Any = None,
    test_size: float = 0.25,
    seed: int = 0,
    progress: bool = True,
) -> ProbeCurve:
    """Probe accuracy, control accuracy, selectivity and held-out-type generalisation at every layer.

    ``dataset`` is a :class:`~interplab_widgets.datasets.LabelledDataset` or a shipped dataset's name;
    or give ``texts`` and ``labels``. Pass ``harvested`` (from :func:`interplab_widgets.harvest`)
    to reuse activations. The same splits serve every layer.
    """
    from ..capture.harvest import harvest
    from ..datasets import LabelledDataset, from_texts, load_dataset

    if isinstance(dataset, str):
        dataset = load_dataset(dataset)
    if dataset is None:
        if texts is None or labels is None:
            raise InputError("Give a dataset (e.g. 'negation') or texts= and labels=.")
        dataset = from_texts(texts, labels)
    if not isinstance(dataset, LabelledDataset):
        raise InputError(f"dataset must be a LabelledDataset or a dataset name, got {type(dataset).__name__}.")
    splits = probe_splits(dataset.labels, dataset.types, test_size, seed)  # checked before any forward pass
    if harvested is None:
        harvested = harvest(
            model, dataset.texts, layers=layers, unit=dataset.unit, pooling=dataset.pooling, progress=progress
        )
    if harvested.n_rows != len(dataset):
        raise InputError(f"harvested has {harvested.n_rows} rows for {len(dataset)} texts: harvest unit='sentence'.")
    layers = harvested.layers if layers is None else list(layers)
    scores = [
        probe_scores(harvested.layer(layer), dataset.labels, splits, seed)
        for layer in steps(layers, desc=f"probing {dataset.name}", unit="layer", disable=not progress)
    ]
    train, test = splits.seen
    majority = np.bincount(dataset.labels[test]).max() / len(test)  # chance on the test side
    held_out_types = {dataset.types[i] for i in splits.held_out[1]} if splits.held_out is not None else set()
    return ProbeCurve(
        dataset.name,
        layers,
        *(np.array([s[key] for s in scores]) for key in ("accuracy", "control", "generalisation", "C")),
        n_train=len(train),
        n_test=len(test),
        chance=float(majority),
        n_held_out_types=len(held_out_types),
        notes=splits.notes,
    )


def _fit(features: np.ndarray, labels: np.ndarray, train: np.ndarray, c: float, seed: int):
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000, random_state=seed))
    return probe.fit(features[train], labels[train])


def _score(features: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray, c: float, seed: int):
    if len(np.unique(labels[train])) < 2:
        return float("nan")  # a control task whose training side drew one label cannot be learnt
    return float(_fit(features, labels, train, c, seed).score(features[test], labels[test]))


def _seen_type_split(labels: np.ndarray, types: list[str], test_size: float, seed: int) -> Split:
    """About ``test_size`` of each label on the test side, taking only items whose type keeps at least one
    other item in training: every test type is also a training type, so memorising types can pay."""
    if len(set(types)) == len(types):  # no type repeats: a plain stratified split
        return tuple(train_test_split(np.arange(len(labels)), test_size=test_size, random_state=seed, stratify=labels))
    rng = np.random.default_rng(seed)
    left_in_train = {t: types.count(t) for t in set(types)}
    wanted = {label: round(test_size * count) for label, count in zip(*np.unique(labels, return_counts=True))}
    test = []
    for i in rng.permutation(len(labels)):
        label, kind = labels[i], types[i]
        if wanted[label] > 0 and left_in_train[kind] > 1:
            test.append(i)
            wanted[label] -= 1
            left_in_train[kind] -= 1
    test = np.sort(np.array(test, dtype=np.int64))
    return np.setdiff1d(np.arange(len(labels)), test), test


def _held_out_type_split(labels: np.ndarray, types: list[str], test_size: float, seed: int) -> Split | None:
    """No type on both sides (grouped, stratified by label), or None if the types are too few for that."""
    folds = max(2, round(1 / test_size))
    if len(set(types)) < 2 * folds:
        return None
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    train, test = next(splitter.split(np.zeros(len(labels)), labels, groups=types))
    if len(np.unique(labels[train])) < len(np.unique(labels)) or len(np.unique(labels[test])) < 2:
        return None
    return train, test
