"""Linear probes per layer, with Hewitt & Liang's control task to tell encoding from memorising.

Probes are tested on types (slot fillers, words) they never saw in training, and the control task
gives each type a random label: accuracy far above the control's means the property itself is
linearly readable, not the identity of familiar words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..errors import InputError
from ..progress import steps


@dataclass(frozen=True)
class ProbeCurve:
    """Held-out accuracy of a probe at each layer, the control task's, and their difference (selectivity)."""

    task: str
    layers: list[int]
    accuracy: np.ndarray
    control_accuracy: np.ndarray
    n_train: int
    n_test: int
    chance: float

    @property
    def selectivity(self) -> np.ndarray:
        return self.accuracy - self.control_accuracy

    def best_layer(self) -> int:
        return self.layers[int(np.argmax(self.accuracy))]

    def table(self) -> str:
        lines = [f"{self.task}: {self.n_train} train / {self.n_test} test, chance {self.chance:.2f}"]
        lines += [
            f"layer {layer:3d}  accuracy {a:.3f}  control {c:.3f}  selectivity {a - c:+.3f}"
            for layer, a, c in zip(self.layers, self.accuracy, self.control_accuracy)
        ]
        return "\n".join(lines)


def control_labels(types: Sequence[str], labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Every type gets one label drawn from the real label distribution (Hewitt & Liang's control task)."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    distinct = sorted(set(types))
    drawn = dict(zip(distinct, rng.choice(labels, size=len(distinct))))
    return np.array([drawn[t] for t in types])


def probe_accuracy(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    types: Sequence[str] | None = None,
    test_size: float = 0.25,
    seed: int = 0,
    split: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, int, int]:
    """Held-out accuracy of a logistic-regression probe (standardised features, fixed seed), tested on
    types absent from training when ``types`` are given."""
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        raise InputError("A probe needs at least two different labels.")
    if split is None:
        split = probe_split(labels, types, test_size, seed)
    train, test = split
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    probe.fit(features[train], labels[train])
    return float(probe.score(features[test], labels[test])), len(train), len(test)


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
    """Probe accuracy, control accuracy and selectivity at every layer.

    ``dataset`` is a :class:`~interplab_widgets.datasets.LabelledDataset` or a shipped dataset's name;
    or give ``texts`` and ``labels``. Pass ``harvested`` (from :func:`interplab_widgets.harvest`)
    to reuse activations. The same train/test split serves every layer and the control task.
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
    if harvested is None:
        harvested = harvest(
            model, dataset.texts, layers=layers, unit=dataset.unit, pooling=dataset.pooling, progress=progress
        )
    if harvested.n_rows != len(dataset):
        raise InputError(f"harvested has {harvested.n_rows} rows for {len(dataset)} texts: harvest unit='sentence'.")
    layers = harvested.layers if layers is None else list(layers)
    split = probe_split(dataset.labels, dataset.types, test_size, seed)
    control = control_labels(dataset.types, dataset.labels, seed)
    accuracy, control_accuracy = [], []
    for layer in steps(layers, desc=f"probing {dataset.name}", unit="layer", disable=not progress):
        features = harvested.layer(layer)
        accuracy.append(probe_accuracy(features, dataset.labels, split=split, seed=seed)[0])
        control_accuracy.append(probe_accuracy(features, control, split=split, seed=seed)[0])
    majority = np.bincount(dataset.labels[split[1]]).max() / len(split[1])  # chance on the test side
    return ProbeCurve(
        dataset.name, layers, np.array(accuracy), np.array(control_accuracy), len(split[0]), len(split[1]), majority
    )


def probe_split(
    labels: np.ndarray, types: Sequence[str] | None, test_size: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices, stratified by label; with ``types``, no type is on both sides, so a probe
    cannot pass by recognising the words it was trained on (and the control task stays near chance)."""
    labels = np.asarray(labels)
    indices = np.arange(len(labels))
    folds = max(2, round(1 / test_size))
    if types is not None and len(set(types)) >= 2 * folds:
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        return next(splitter.split(indices, labels, groups=list(types)))
    counts = np.unique(labels, return_counts=True)[1]
    stratify = labels if counts.min() >= 2 else None
    return tuple(train_test_split(indices, test_size=test_size, random_state=seed, stratify=stratify))
