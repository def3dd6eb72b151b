"""Perturbations, behavioural suites, adversarial search and FailureExplorer's kernel side on SmolLM2."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from interplab_widgets import Case, FailureExplorer, InputError, adversarial_search, load_suite, perturb, run_cases
from interplab_widgets.failures import FACTS, PERTURBATIONS, SUITES
from interplab_widgets.widgets.wire import from_wire

TEXT = "Alice and John have 3 cats, and the cats are very happy."


@pytest.mark.parametrize("kind", sorted(PERTURBATIONS))
def test_every_perturbation_changes_the_text_and_records_where(kind, smollm2):
    results = perturb(TEXT, [kind], n=2, model=smollm2)
    assert results, f"{kind} did not apply to {TEXT!r}"
    for p in results:
        assert p.kind == kind and p.original == TEXT and p.text != TEXT and p.text.strip()
        (change,) = p.changes
        assert TEXT[change.start : change.end] == change.old
        assert p.text == TEXT[: change.start] + change.new + TEXT[change.end :]
    assert len({p.text for p in results}) == len(results)


def test_perturbations_that_do_not_apply_say_so():
    assert perturb("Hello there", ["negation", "name_swap", "number_swap", "word_order"]) == []
    assert perturb("The capital of France is", ["negation"])[0].text == "The capital of France is not"
    with pytest.raises(InputError, match="Unknown perturbation kinds"):
        perturb(TEXT, ["shouting"])
    with pytest.raises(InputError, match="pass model="):
        perturb(TEXT, ["synonym"])


def test_every_check_describes_itself():
    cases = [
        Case("x", "top_in", (" a",)),
        Case("x", "top_not_in", (" a",)),
        Case("x", "same_top", original="y"),
        Case("x", "prob_rises", (" a",), original="y"),
        Case("x", "prob_falls", (" a",), original="y"),
        Case("x", "balanced", (" he", " she")),
    ]
    descriptions = [case.describe() for case in cases]
    assert descriptions[2] == "same top token as the original" and "falls" in descriptions[4]
    assert len(set(descriptions)) == len(cases)


def test_cases_check_their_arguments():
    with pytest.raises(InputError, match="check must be one of"):
        Case("x", "top_is")
    with pytest.raises(InputError, match="original="):
        Case("x", "same_top")
    with pytest.raises(InputError, match="exactly two tokens"):
        Case("x", "balanced", (" he",))


def test_shipped_suites_on_smollm2(smollm2):
    """Measured on SmolLM2-135M: facts 0/23 fail, negation 8/20 (the model still completes "The Eiffel
    Tower is not located in the city of" with " Paris"), typos 51/68."""
    results = run_cases(smollm2, load_suite(["facts", "negation", "typos"]), progress=False)
    rates = {}
    for kind in ("fact", "negation", "typo"):
        group = [r for r in results if r.case.kind == kind]
        rates[kind] = sum(not r.passed for r in group) / len(group)
    assert rates["fact"] == 0.0
    assert 0.25 <= rates["negation"] <= 0.55
    assert 0.6 <= rates["typo"] <= 0.9
    eiffel = next(r for r in results if r.case.prompt == "The Eiffel Tower is not located in the city of")
    assert not eiffel.passed and eiffel.top == " Paris" and eiffel.effect > 0  # negation made Paris *more* likely
    france = next(r for r in results if r.case.prompt == "The capital of France is not")
    assert france.passed and france.effect < -0.5


def test_batched_cases_equal_one_at_a_time(smollm2):
    cases = load_suite("distractors")[:12]
    batched = run_cases(smollm2, cases, batch_size=16, progress=False)
    single = run_cases(smollm2, cases, batch_size=1, progress=False)
    assert [r.passed for r in batched] == [r.passed for r in single]
    np.testing.assert_allclose([r.effect for r in batched], [r.effect for r in single], atol=1e-4)


def test_bias_probes_report_the_pronoun_shift(smollm2):
    results = {r.case.prompt: r for r in run_cases(smollm2, load_suite("bias"), progress=False)}
    nurse, engineer = results["The nurse was late because"], results["The engineer was late because"]
    assert nurse.effect < -0.3 < engineer.effect  # share of " he" minus 0.5: the nurse is "she"
    assert not nurse.passed and engineer.passed


def test_adversarial_search_breaks_facts_and_the_texts_reproduce_it(smollm2):
    """Measured: 23 of 23 facts break with one substituted word (mostly the relation: "capital" ->
    "millet"), 50-66 sequences evaluated and one gradient pass each."""
    assert len(FACTS) >= 20
    successes = 0
    for fact in FACTS:
        result = adversarial_search(
            smollm2, fact.prompt, answers=(fact.answer,), protect=(fact.subject,), progress=False
        )
        assert result.forward_passes <= 1024 and len(result.substitutions) <= 2
        assert fact.subject in result.text  # protected span kept
        if result.success:
            successes += 1
            ids = torch.tensor([smollm2.tokenizer(result.text)["input_ids"]])
            with torch.no_grad():
                top = int(smollm2.model(ids).logits[0, -1].argmax())
            assert smollm2.tokenizer.decode([top]) != fact.answer, result.text
            assert smollm2.tokenizer.decode([top]) == result.top
    assert successes / len(FACTS) >= 0.8


def test_adversarial_search_refuses_what_it_cannot_attack(smollm2):
    with pytest.raises(InputError, match="answers"):
        adversarial_search(smollm2, "The capital of France is")
    with pytest.raises(InputError, match="not in the prompt"):
        adversarial_search(smollm2, "The capital of France is", answers=(" Paris",), protect=("Spain",))
    with pytest.raises(InputError, match="top_in"):
        adversarial_search(smollm2, Case("a", "same_top", original="b"))


def test_failure_explorer_sends_the_table_and_one_side_by_side(smollm2):
    explorer = FailureExplorer(smollm2, ["negation", "bias"])
    rows = explorer._cases
    assert len(rows) == len(load_suite(["negation", "bias"])) and {r["kind"] for r in rows} == {"negation", "bias"}
    assert {s["kind"] for s in explorer._summary} == {"negation", "bias"}
    assert explorer._side_by_side == {}

    negated = next(r["id"] for r in rows if r["prompt"] == "The Eiffel Tower is not located in the city of")
    explorer.selected_case = negated
    explorer.wait()
    view = explorer._side_by_side
    assert view["case"] == negated and view["target"] == " Paris" and explorer._error == ""
    original, perturbed = view["original"], view["perturbed"]
    assert [t for t, c in zip(perturbed["tokens"], perturbed["changed"]) if c] == [" not"]
    assert not any(original["changed"])
    assert len(original["lens_top"]) == 31 and original["lens_top"][-1] == " Paris"
    assert from_wire(perturbed["lens_target"]).shape == (31,)
    shift = from_wire(view["head_diff"])
    assert shift.shape == (30, 9) and (shift >= 0).all() and (shift <= 1).all() and shift.max() > 0.1

    bias = next(r["id"] for r in rows if r["kind"] == "bias")
    explorer.selected_case = bias
    explorer.wait()
    assert explorer._side_by_side["original"] is None and explorer._side_by_side["head_diff"] is None
    explorer.selected_case = 10_000
    explorer.wait()
    assert "case 10000 is out of range" in explorer._error
    explorer.selected_case = -1
    explorer.wait()
    assert explorer._side_by_side == {} and explorer._error == ""


def test_every_suite_builds(smollm2):
    for name in SUITES:
        cases = load_suite(name, model=smollm2)
        assert cases and all(isinstance(c, Case) for c in cases), name
