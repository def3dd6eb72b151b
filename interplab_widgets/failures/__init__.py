"""Failure-mode analysis: behavioural test suites, perturbations and adversarial search."""

from __future__ import annotations

from .adversarial import AttackResult, Substitution, adversarial_search
from .cases import CHECKS, Case, CaseResult, run_cases
from .perturb import PERTURBATIONS, Change, Perturbation, nearest_word, perturb
from .suites import FACTS, SUITES, Fact, load_suite

__all__ = [
    "CHECKS",
    "FACTS",
    "PERTURBATIONS",
    "SUITES",
    "AttackResult",
    "Case",
    "CaseResult",
    "Change",
    "Fact",
    "Perturbation",
    "Substitution",
    "adversarial_search",
    "load_suite",
    "nearest_word",
    "perturb",
    "run_cases",
]
