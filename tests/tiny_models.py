"""Tiny random-weight models, one per supported family, built from configs (no downloads).

They cover architectures, not claims: tests use them to check that captured
attention and logits equal what the model itself computes.
"""

from __future__ import annotations

import torch
from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    BertConfig,
    Gemma2Config,
    GemmaConfig,
    GPT2Config,
    GPTNeoXConfig,
    LlamaConfig,
    MistralConfig,
    Qwen2Config,
    Qwen3Config,
    RobertaConfig,
)

CAUSAL_VOCAB = 49152  # SmolLM2's tokenizer
ENCODER_VOCAB = 30522  # MiniLM's (BERT) tokenizer
SMALL = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4}

TINY_CONFIGS = {
    "gpt2": lambda: GPT2Config(n_layer=3, n_head=4, n_embd=32, vocab_size=CAUSAL_VOCAB, n_positions=64),
    "llama": lambda: LlamaConfig(**SMALL, num_key_value_heads=2, vocab_size=CAUSAL_VOCAB, max_position_embeddings=64),
    "mistral": lambda: MistralConfig(
        **SMALL, num_key_value_heads=2, vocab_size=CAUSAL_VOCAB, max_position_embeddings=64, sliding_window=5
    ),
    "qwen2": lambda: Qwen2Config(
        **SMALL,
        num_key_value_heads=2,
        vocab_size=CAUSAL_VOCAB,
        max_position_embeddings=64,
        use_sliding_window=True,
        sliding_window=5,
        max_window_layers=1,
    ),
    "qwen3": lambda: Qwen3Config(**SMALL, num_key_value_heads=2, head_dim=8, vocab_size=CAUSAL_VOCAB),
    "gpt_neox": lambda: GPTNeoXConfig(**SMALL, vocab_size=CAUSAL_VOCAB, max_position_embeddings=64, rotary_pct=0.25),
    "gemma": lambda: GemmaConfig(**SMALL, num_key_value_heads=1, head_dim=8, vocab_size=CAUSAL_VOCAB),
    "gemma2": lambda: Gemma2Config(
        **SMALL,
        num_key_value_heads=2,
        head_dim=8,
        vocab_size=CAUSAL_VOCAB,
        sliding_window=5,
        attn_logit_softcapping=5.0,
        final_logit_softcapping=3.0,
        query_pre_attn_scalar=16,
    ),
    "bert": lambda: BertConfig(**SMALL, vocab_size=ENCODER_VOCAB, max_position_embeddings=64),
    "roberta": lambda: RobertaConfig(**SMALL, vocab_size=ENCODER_VOCAB, max_position_embeddings=66, pad_token_id=1),
}


def build_pair(model_type: str, attn_implementation: str = "sdpa"):
    """The same random weights twice: loaded with ``attn_implementation`` and with eager attention."""
    config = TINY_CONFIGS[model_type]()
    auto = AutoModel if model_type in ("bert", "roberta") else AutoModelForCausalLM
    torch.manual_seed(0)
    try:
        model = auto.from_config(config, attn_implementation=attn_implementation)
    except ValueError:  # e.g. Gemma2 has no SDPA path
        model = auto.from_config(config, attn_implementation="eager")
    # Random init gives near-uniform patterns; sharpen them so the comparison means something.
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() == 2 and "embed" not in name and "wte" not in name and "wpe" not in name:
                parameter.normal_(0.0, 3.0 / parameter.shape[1] ** 0.5)
    eager = auto.from_config(config, attn_implementation="eager")
    eager.load_state_dict(model.state_dict())
    return model.eval(), eager.eval()
