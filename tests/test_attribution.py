"""Input attribution: equal to Captum's on the same embeddings, complete, and faithful on a real model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_families import tiny_handle
from tiny_models import TINY_CONFIGS

from interplab_widgets import InputError, load_model, trace_generation
from interplab_widgets.analysis.attribution import (
    TokenTarget,
    _Runner,
    attribute,
    attribute_generation,
    attribute_ids,
    baseline_embeddings,
    embed,
)

captum_attr = pytest.importorskip("captum.attr")  # a test dependency: the oracle

EIFFEL = "The Eiffel Tower is located in the city of"
FACTS = [  # prompt, answer: the model's top prediction on each
    (EIFFEL, " Paris"),
    ("The capital of Germany is the city of", " Berlin"),
    ("Barack Obama was born in the state of", " Hawaii"),
    ("The Colosseum is an ancient amphitheatre in the city of", " Rome"),
]
SUBJECTS = {  # the subject's tokens in each prompt
    "The Eiffel": {" E", "iffel", " Tower"},
    "The capital": {" Germany"},
    "Barack": {"Bar", "ack", " Obama"},
    "The Colosseum": {" Col", "osse", "um"},
}
CAUSAL_FAMILIES = [t for t in TINY_CONFIGS if t not in ("bert", "roberta")]


def captum_scores(handle, ids, target, method, baseline, steps=16, window=1, rule="midpoint"):
    """Captum on the same forward function of the input embeddings, summed over the embedding dimension."""
    inputs = embed(handle, ids)[None]

    def forward(embeds):
        logits = handle.model(inputs_embeds=embeds, use_cache=False, logits_to_keep=1).logits[:, -1]
        return target(logits)

    with torch.enable_grad():
        if method == "integrated_gradients":
            attr = captum_attr.IntegratedGradients(forward).attribute(
                inputs,
                baselines=baseline[None],
                n_steps=steps,
                method={"midpoint": "riemann_middle", "gauss_legendre": "gausslegendre"}[rule],
                internal_batch_size=steps,
            )
            return attr[0].sum(-1).detach().numpy()
        if method == "gradient_x_input":
            return captum_attr.InputXGradient(forward).attribute(inputs.clone())[0].sum(-1).detach().numpy()
    width = inputs.shape[-1]
    attr = captum_attr.Occlusion(forward).attribute(
        inputs, sliding_window_shapes=(window, width), strides=(1, width), baselines=baseline[None]
    )
    return attr[0, :, 0].detach().numpy()  # every feature of a token carries the token's score


def assert_close(ours, theirs, rtol=1e-4):
    scale = np.abs(theirs).max()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=rtol * scale)


@pytest.mark.parametrize(
    "method, options",
    [
        ("integrated_gradients", {"steps": 16, "tolerance": None}),
        ("integrated_gradients", {"steps": 16, "tolerance": None, "rule": "gauss_legendre"}),
        ("gradient_x_input", {}),
        ("occlusion", {"keep_first": False}),
        ("occlusion", {"keep_first": False, "window": 3}),
    ],
)
def test_methods_equal_captum_on_smollm2(smollm2, method, options):
    ids = [t.id for t in smollm2.run(EIFFEL).token_info]
    target = TokenTarget(single(smollm2, " Paris"))
    ours = attribute_ids(smollm2, ids, target, method=method, faithfulness=False, progress=False, **options)
    base = baseline_embeddings(smollm2, ids, "zero", options.get("keep_first", True))
    theirs = captum_scores(
        smollm2,
        ids,
        target,
        method,
        base,
        steps=16,
        window=options.get("window", 1),
        rule=options.get("rule", "midpoint"),
    )
    theirs[~ours.attributed] = 0  # the kept first token gets no score by construction
    assert_close(ours.scores, theirs)


@pytest.mark.parametrize("model_type", CAUSAL_FAMILIES)
def test_methods_equal_captum_on_every_causal_family(model_type, smollm2, minilm):
    handle, _ = tiny_handle(model_type, {"causal": smollm2.tokenizer, "encoder": minilm.tokenizer})
    ids = [t.id for t in handle.run("When Mary and John went to the store, John gave").token_info]
    target = TokenTarget(ids[3], ids[5])  # a contrastive target: log p(John) − log p(went)
    base = baseline_embeddings(handle, ids, "zero", True)
    for method in ("integrated_gradients", "gradient_x_input"):
        ours = attribute_ids(
            handle, ids, target, method=method, steps=8, tolerance=None, faithfulness=False, progress=False
        )
        theirs = captum_scores(handle, ids, target, method, base, steps=8)
        theirs[0] = 0  # the kept first token gets no score by construction
        assert_close(ours.scores, theirs)
    ours = attribute_ids(handle, ids, target, method="occlusion", keep_first=False, faithfulness=False, progress=False)
    assert_close(
        ours.scores, captum_scores(handle, ids, target, "occlusion", baseline_embeddings(handle, ids, "zero", False))
    )
    grads = attribute_ids(
        handle, ids, target, method="attention_x_gradient", layer=1, faithfulness=False, progress=False
    )
    assert np.isfinite(grads.scores).all() and np.abs(grads.scores).max() > 0


def single(handle, token):
    (token_id,) = handle.tokenizer(token, add_special_tokens=False)["input_ids"]
    return token_id


def test_integrated_gradients_are_complete_and_say_when_they_are_not(smollm2):
    """Measured on SmolLM2 at 32 midpoint steps: 0.08 % with the first token kept, 20-40 % with it moved
    along the path; steps double until the error is below the tolerance, or a warning says it is not."""
    exact = attribute(smollm2, EIFFEL, " Paris", baseline="pad", steps=32, tolerance=0.01, faithfulness=False)
    assert exact.completeness_error < 0.01 and exact.warning == ""
    assert abs(exact.scores.sum() - (exact.value - exact.baseline_value)) < 0.01 * abs(
        exact.value - exact.baseline_value
    )
    assert exact.attributed[0] == False and exact.scores[0] == 0  # noqa: E712
    fixed = dict(baseline="pad", steps=32, tolerance=None, faithfulness=False, progress=False)
    kept = attribute(smollm2, EIFFEL, " Paris", **fixed)
    moved = attribute(smollm2, EIFFEL, " Paris", keep_first=False, **fixed)
    assert moved.completeness_error > 5 * kept.completeness_error
    hard = "When Mary and John went to the store, John gave a drink to"  # 43 % at 32 steps
    doubled = attribute(smollm2, hard, " Mary", baseline="pad", steps=32, faithfulness=False, progress=False)
    assert doubled.steps > 32 and doubled.completeness_error <= 0.02 and doubled.warning == ""
    capped = attribute(smollm2, hard, " Mary", steps=8, max_steps=8, faithfulness=False, progress=False)
    assert capped.steps == 8 and "above the tolerance" in capped.warning


def test_the_subject_carries_the_fact_and_deleting_top_tokens_beats_random(smollm2):
    """On four facts, the top integrated-gradient tokens include the subject's, and deleting the top 3
    lowers log p(answer) more than deleting 3 random tokens (mean of 20 random draws)."""
    for prompt, answer in FACTS:
        result = attribute(smollm2, prompt, answer, faithfulness=True, progress=False)
        assert result.completeness_error <= 0.1, (prompt, result.completeness_error)  # measured 0.3-7 %
        subject = next(pieces for start, pieces in SUBJECTS.items() if prompt.startswith(start))
        assert {token for _, token, _ in result.top(4)} & subject, (prompt, result.top(4))
        ids, target = result.token_ids, TokenTarget(single(smollm2, answer))
        run = _Runner(smollm2, target, 2**31)
        inputs, base = embed(smollm2, ids), baseline_embeddings(smollm2, ids, "zero", True)
        rng = np.random.default_rng(0)
        rows = [result.order()[:3]] + [
            rng.choice(np.flatnonzero(result.attributed), 3, replace=False) for _ in range(20)
        ]
        variants = torch.stack(
            [torch.where(torch.isin(torch.arange(len(ids)), torch.tensor(r))[:, None], base, inputs) for r in rows]
        )
        values = run.values(variants).numpy()
        assert values[0] < values[1:].mean(), (prompt, values[0], values[1:].mean())
        f = result.faithfulness
        assert f.deletion[0] == pytest.approx(result.value, abs=1e-4) and len(f.fractions) == 11


def test_every_generated_token_is_attributed_to_what_came_before_without_generating_again(smollm2, monkeypatch):
    record = trace_generation(smollm2, "The capital of France is", max_new_tokens=3)
    monkeypatch.setattr(smollm2.model, "generate", None)  # no generation from here on
    every = attribute_generation(record, method="gradient_x_input", faithfulness=False)
    assert len(every) == 3
    n_prompt = record.generation.n_prompt
    for step, result in enumerate(every):
        assert len(result.scores) == n_prompt + step
        assert result.target == f"log p({record.tokens[step]!r})"
    one = attribute_generation(record, 2, method="gradient_x_input", faithfulness=False)
    np.testing.assert_allclose(one.scores, every[2].scores, rtol=1e-5)
    assert one.tokens[-1] == record.tokens[1]  # the earlier output is part of the context


def test_targets_metrics_and_bad_input_get_clear_errors(smollm2):
    contrast = attribute(smollm2, EIFFEL, " Paris", foil=" London", method="gradient_x_input", faithfulness=False)
    assert contrast.target == "log p(' Paris') − log p(' London')"
    top = attribute(smollm2, EIFFEL, method="gradient_x_input", faithfulness=False)
    assert top.target == "log p(' Paris')"
    metric = attribute(smollm2, EIFFEL, metric=lambda logits: logits[:, 7042], method="occlusion", faithfulness=False)
    assert metric.target == "<lambda>" and np.isfinite(metric.scores).all()
    with pytest.raises(InputError, match="is 3 tokens"):
        attribute(smollm2, EIFFEL, " Parisians and", faithfulness=False)
    with pytest.raises(InputError, match="method must be one of"):
        attribute(smollm2, EIFFEL, method="lime")
    with pytest.raises(InputError, match="as many tokens as the input"):
        attribute(smollm2, EIFFEL, baseline="a short text")
    with pytest.raises(InputError, match="above max_bytes"):
        attribute(smollm2, EIFFEL, max_bytes=1000)
    with pytest.raises(InputError, match="encoder"):
        attribute(load_model("minilm-l6"), "a text")
    hostile = attribute(
        smollm2, "<script>alert(1)</script> \u202e\u0000 é", method="gradient_x_input", faithfulness=False
    )
    assert "<script>" in "".join(hostile.tokens)
