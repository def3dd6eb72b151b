"""The embedded real models: exact attention capture under SDPA, and real predictions."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModel, AutoModelForCausalLM

pytestmark = pytest.mark.slow

EIFFEL = "The Eiffel Tower is located in the city of"


def test_smollm2_shape_facts(smollm2):
    assert smollm2.family == "llama"
    assert (smollm2.n_layers, smollm2.n_heads, smollm2.n_kv_heads, smollm2.d_model) == (30, 9, 3, 576)
    assert smollm2.is_causal
    assert smollm2.model.config._attn_implementation == "sdpa"  # the capture must not rely on eager


def test_smollm2_predicts_paris_at_the_last_layer(smollm2):
    trace = smollm2.run(EIFFEL)
    top_token, top_prob = trace.top_predictions(1)[0]
    assert top_token == " Paris"
    assert top_prob > 0.5


def test_smollm2_tokens_carry_offsets_into_the_text(smollm2):
    trace = smollm2.run(EIFFEL)
    assert "".join(trace.tokens) == EIFFEL
    for token in trace.token_info:
        assert EIFFEL[token.start : token.end] == token.text


def test_smollm2_attention_equals_eager_output_attentions_for_every_layer(smollm2):
    trace = smollm2.run(EIFFEL + " Paris, and it was built in 1889 for the World's Fair.")
    eager = AutoModelForCausalLM.from_pretrained(smollm2.model.name_or_path, attn_implementation="eager").eval()
    with torch.no_grad():
        expected = eager(trace.token_ids[None], output_attentions=True).attentions
    assert len(expected) == 30
    for layer, pattern in trace.attentions():
        torch.testing.assert_close(pattern, expected[layer][0], atol=1e-4, rtol=0)
    with torch.no_grad():
        logits = eager(trace.token_ids[None]).logits[0]
    torch.testing.assert_close(trace.logits, logits, atol=1e-3, rtol=1e-4)


def test_minilm_attention_equals_eager_output_attentions(minilm):
    assert (minilm.family, minilm.n_layers, minilm.n_heads, minilm.d_model) == ("bert", 6, 12, 384)
    assert not minilm.is_causal
    trace = minilm.run("A man is playing a guitar on the stage.")
    assert trace.tokens[0] == "[CLS]" and trace.tokens[-1] == "[SEP]"
    eager = AutoModel.from_pretrained(minilm.model.name_or_path, attn_implementation="eager").eval()
    with torch.no_grad():
        expected = eager(trace.token_ids[None], output_attentions=True).attentions
    for layer, pattern in trace.attentions():
        torch.testing.assert_close(pattern, expected[layer][0], atol=1e-4, rtol=0)


def test_attention_cache_stays_within_its_budget(smollm2):
    trace = smollm2.run(" ".join(["word"] * 300))
    one_layer = 9 * trace.n_tokens**2 * 4
    trace.attention_cache_bytes = 2 * one_layer
    for _ in trace.attentions():
        pass
    assert len(trace._attention_cache) == 2
    assert trace.nbytes() < 31 * trace.n_tokens * 576 * 4 + 2 * one_layer + 1


def test_gguf_conversion_writes_a_plain_model_that_loads_fast(tmp_path, monkeypatch, smollm2):
    """The first-load path (de-quantise, check predictions, save), run into an empty cache folder."""
    from interplab_widgets import load_model
    from interplab_widgets.models.embedded import EMBEDDED_MODELS, embedded_source

    monkeypatch.setenv("INTERPLAB_CACHE", str(tmp_path))
    folder = embedded_source(EMBEDDED_MODELS["smollm2-135m"])
    assert folder.startswith(str(tmp_path)) and (tmp_path / folder / "model.safetensors").exists()
    converted = load_model("smollm2-135m", fresh=True)  # not the session's handle: a load from this cache
    assert converted.model.name_or_path == folder
    ids = smollm2.run(EIFFEL).token_ids[None]
    with torch.no_grad():
        torch.testing.assert_close(converted.model(ids).logits, smollm2.model(ids).logits)
