"""Every supported family: captured attention and logits equal what the model itself computes."""

from __future__ import annotations

import pytest
import tiny_models
import torch
from tiny_models import TINY_CONFIGS, build_pair

from interplab_widgets import InputError, load_model
from interplab_widgets.analysis import downsample, head_statistics, norm_attention, transformed_values
from interplab_widgets.capture.attention import SUMMARY_CHUNK_BYTES, attention_summary
from interplab_widgets.models import supported_families

TEXT = "When Mary and John went to the store, John gave a drink to Mary because she was thirsty."


@pytest.fixture(scope="module")
def tokenizers(smollm2, minilm):
    return {"causal": smollm2.tokenizer, "encoder": minilm.tokenizer}


def tiny_handle(model_type, tokenizers, attn_implementation="sdpa"):
    model, eager = build_pair(model_type, attn_implementation)
    tokenizer = tokenizers["encoder" if model_type in ("bert", "roberta") else "causal"]
    return load_model(model, tokenizer=tokenizer), eager


def test_every_registered_model_type_has_a_tiny_model():
    registered = {t for types in supported_families().values() for t in types}
    assert registered == set(TINY_CONFIGS)


@pytest.mark.parametrize("model_type", sorted(TINY_CONFIGS))
def test_attention_equals_eager_output_attentions(model_type, tokenizers):
    handle, eager = tiny_handle(model_type, tokenizers)
    trace = handle.run(TEXT)
    with torch.no_grad():
        expected = eager(trace.token_ids[None], output_attentions=True).attentions
    assert len(expected) == handle.n_layers
    for layer in range(handle.n_layers):
        got = trace.attention(layer)
        assert got.shape == (handle.n_heads, trace.n_tokens, trace.n_tokens)
        torch.testing.assert_close(got, expected[layer][0].float(), atol=1e-4, rtol=0)
        torch.testing.assert_close(got.sum(-1), torch.ones(handle.n_heads, trace.n_tokens), atol=1e-4, rtol=0)
    # the test is only meaningful if patterns are far from uniform
    assert trace.attention(0).max() > 0.3


@pytest.mark.parametrize("model_type", sorted(TINY_CONFIGS))
def test_residuals_and_logits_equal_the_model_outputs(model_type, tokenizers):
    handle, eager = tiny_handle(model_type, tokenizers)
    trace = handle.run(TEXT)
    with torch.no_grad():
        out = eager(trace.token_ids[None], output_hidden_states=True)
    for layer in range(handle.n_layers):  # hidden_states[l] is the input of block l
        torch.testing.assert_close(trace.residual(layer), out.hidden_states[layer][0], atol=1e-4, rtol=1e-4)
    assert trace.residual(handle.n_layers).shape == (trace.n_tokens, handle.d_model)
    if handle.is_causal:
        torch.testing.assert_close(trace.logits, out.logits[0], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("model_type", ["llama", "gpt2", "bert"])
def test_run_many_matches_run(model_type, tokenizers):
    handle, _ = tiny_handle(model_type, tokenizers)
    texts = ["A short one.", TEXT, "Another sentence of middling length here.", "Hi"]
    traces = handle.run_many(texts, batch_size=3, progress=False)
    assert [t.text for t in traces] == texts
    for text, batched in zip(texts, traces):
        single = handle.run(text)
        assert batched.tokens == single.tokens
        torch.testing.assert_close(batched.residual(2), single.residual(2), atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(batched.attention(1), single.attention(1), atol=1e-4, rtol=0)


def test_sliding_window_is_respected(tokenizers):
    handle, _ = tiny_handle("mistral", tokenizers)
    pattern = handle.run(TEXT).attention(0)
    n = pattern.shape[-1]
    query, key = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    outside = (key > query) | (key <= query - 5)
    assert pattern[:, outside].abs().max() == 0


def test_registering_an_adapter_adds_a_family(tokenizers):
    from transformers import AutoModelForCausalLM, Phi3Config

    from interplab_widgets import ArchitectureAdapter, UnsupportedArchitectureError, register_adapter
    from interplab_widgets.models import adapters

    config = Phi3Config(**tiny_models.SMALL, num_key_value_heads=2, vocab_size=tiny_models.CAUSAL_VOCAB)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa").eval()
    eager = AutoModelForCausalLM.from_config(config, attn_implementation="eager").eval()
    eager.load_state_dict(model.state_dict())
    with pytest.raises(UnsupportedArchitectureError):
        load_model(model, tokenizer=tokenizers["causal"])
    register_adapter(
        ArchitectureAdapter(
            family="phi3",
            model_types=("phi3",),
            is_causal=True,
            blocks="layers",
            attention="self_attn",
            attention_norm="input_layernorm",
            mlp="mlp",
            final_norm="norm",
            attention_output="self_attn.o_proj",
            rotary=True,
        )
    )
    try:
        trace = load_model(model, tokenizer=tokenizers["causal"]).run(TEXT)
        with torch.no_grad():
            expected = eager(trace.token_ids[None], output_attentions=True)
        for layer in range(config.num_hidden_layers):
            torch.testing.assert_close(trace.attention(layer), expected.attentions[layer][0], atol=1e-4, rtol=0)
        torch.testing.assert_close(trace.logits, expected.logits[0], atol=1e-4, rtol=1e-4)
    finally:
        adapters._ADAPTERS.pop("phi3")


def test_run_ids_traces_token_ids_as_given(tokenizers):
    handle, _ = tiny_handle("llama", tokenizers)
    by_text = handle.run(TEXT)
    by_ids = handle.run_ids(by_text.token_ids.tolist())
    assert by_ids.tokens == by_text.tokens and by_ids.text == TEXT
    torch.testing.assert_close(by_ids.attention(2), by_text.attention(2))
    with pytest.raises(InputError, match="token ids must be in"):
        handle.run_ids([0, 10**6])


@pytest.mark.parametrize("model_type", sorted(TINY_CONFIGS))
def test_transformed_values_rebuild_the_attention_output(model_type, tokenizers):
    """Kobayashi's decomposition: sum_h sum_j alpha_hij f_h(x_j) + output bias == the attention block's output."""
    handle, _ = tiny_handle(model_type, tokenizers)
    block = handle.adapter.block_list(handle.model)[1]
    outputs = []
    hook = handle.adapter.attention_module(block).register_forward_hook(lambda m, a, out: outputs.append(out[0]))
    try:
        trace = handle.run(TEXT)
    finally:
        hook.remove()
    projection = block.get_submodule(handle.adapter.attention_output)
    expected = outputs[0][0] - (projection.bias if projection.bias is not None else 0)
    if model_type in ("bert", "roberta"):  # BERT's self-attention stops before its output projection
        expected = projection(outputs[0][0]) - projection.bias
    moved = torch.einsum("hij,hjd->id", trace.attention(1), transformed_values(trace, 1))
    torch.testing.assert_close(moved, expected.detach(), atol=1e-4, rtol=1e-4)
    norms = norm_attention(trace, 1)
    assert norms.shape == (handle.n_heads, trace.n_tokens, trace.n_tokens)
    assert (norms >= 0).all()


@pytest.mark.parametrize("model_type", sorted(TINY_CONFIGS))
def test_chunked_attention_summaries_equal_the_averaged_full_pattern(model_type, tokenizers):
    """The grid's thumbnails and head statistics, computed query chunk by query chunk from the layer's own
    queries and keys, equal averaging the full pattern (chunks of 7 and 3 rows; bins larger and smaller)."""
    handle, _ = tiny_handle(model_type, tokenizers)
    trace = handle.run(" ".join([TEXT] * 3))
    for layer in range(handle.n_layers):
        full = trace.attention(layer)
        for size, rows in ((8, 7), (32, None), (1000, 3)):
            chunk = SUMMARY_CHUNK_BYTES if rows is None else rows * 4 * handle.n_heads * trace.n_tokens
            blocks, stats = attention_summary(handle, layer, trace._residuals[layer], size, chunk_bytes=chunk)
            torch.testing.assert_close(blocks, torch.as_tensor(downsample(full, size)), atol=1e-5, rtol=0)
            torch.testing.assert_close(stats, torch.as_tensor(head_statistics(full)), atol=1e-5, rtol=0)
        head = layer % handle.n_heads  # one head's rows alone (the detail panel, GenerationTracer's step rows)
        rows = trace.attention_rows(layer, range(5, trace.n_tokens - 2), [head])[0]
        torch.testing.assert_close(rows, full[head, 5 : trace.n_tokens - 2], atol=1e-5, rtol=0)


def test_chunked_attention_summaries_equal_the_full_pattern_on_smollm2(smollm2):
    trace = smollm2.run(" ".join([TEXT] * 28))  # ~600 tokens: the full pattern still fits
    assert trace.n_tokens > 500
    for layer in (0, 15, 29):
        full = trace.attention(layer)
        blocks, stats = attention_summary(smollm2, layer, trace._residuals[layer], 32, chunk_bytes=2**22)
        torch.testing.assert_close(blocks, torch.as_tensor(downsample(full, 32)), atol=1e-5, rtol=0)
        torch.testing.assert_close(stats, torch.as_tensor(head_statistics(full)), atol=1e-5, rtol=0)
