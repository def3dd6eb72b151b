"""Architecture adapters: where each model family keeps its parts.

An adapter names, relative to ``model.base_model``, the list of blocks, and
relative to a block, the attention module, the norm in front of it and the
MLP. Attention patterns are recomputed by calling the model's *own* attention
module in eager mode on the block's cached input (see ``capture/attention.py``),
so queries and keys are formed by the model's code: rotary embeddings,
grouped-query attention, soft-capping and sliding windows come for free and
cannot drift from what the model computes. What the adapter adds for that replay
is the keyword arguments the module needs besides its input
(``attention_kwargs``): rotary ``position_embeddings`` for the families that
compute them once per model.

Adding a family is one ``register_adapter(ArchitectureAdapter(...))`` call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from ..errors import UnsupportedArchitectureError


def get_submodule(root: nn.Module, path: str | None) -> nn.Module | None:
    """``root`` followed along a dotted attribute path; ``None`` for no path."""
    if not path:
        return None
    module = root
    for part in path.split("."):
        module = getattr(module, part)
    return module


@dataclass(frozen=True)
class ArchitectureAdapter:
    """Where a family keeps its blocks, attention, MLP, norms and unembedding.

    Paths are dotted attribute names: ``blocks`` from ``model.base_model``;
    ``attention``, ``attention_norm``, ``attention_output`` (the projection that maps the
    concatenated heads back to ``d_model``) and ``mlp`` from one block; ``final_norm``
    from ``model.base_model``. ``attention_norm=None`` means the attention reads
    the block's input directly (post-norm encoders such as BERT).

    For circuits (``analysis/circuits.py``), which give every head its own query, key and value
    input, a family also names ``mlp_norm`` (the norm in front of the MLP; ``None`` where a block's
    outputs are not simply added to the residual stream, e.g. post-norm encoders and Gemma 2's
    post-attention norms), ``qkv`` (the projections that form queries, keys and values) and
    ``qkv_layout``: how their output columns are grouped by head — ``"separate"`` (one projection
    each, heads contiguous), ``"stacked"`` (one projection, all queries then all keys then all
    values: GPT-2) or ``"interleaved"`` (one projection, per head its query, key and value: GPT-NeoX).
    """

    family: str
    model_types: tuple[str, ...]
    is_causal: bool
    blocks: str
    attention: str
    attention_norm: str | None
    mlp: str
    final_norm: str | None
    attention_output: str
    rotary: bool = False
    mlp_norm: str | None = None
    qkv: tuple[str, ...] = ()
    qkv_layout: str = "separate"
    examples: tuple[str, ...] = field(default=())

    def block_list(self, model: nn.Module) -> nn.ModuleList:
        return get_submodule(model.base_model, self.blocks)

    def attention_module(self, block: nn.Module) -> nn.Module:
        return get_submodule(block, self.attention)

    def attention_input(self, block: nn.Module, residual: torch.Tensor) -> torch.Tensor:
        """The tensor the block hands to its attention module, from the block's input."""
        norm = get_submodule(block, self.attention_norm)
        return residual if norm is None else norm(residual)

    def attention_kwargs(self, model: nn.Module, hidden: torch.Tensor, position_ids: torch.Tensor) -> dict[str, Any]:
        """Keyword arguments the attention module needs besides ``hidden_states`` and the mask."""
        if not self.rotary:
            return {}
        rotary = model.base_model.rotary_emb
        return {"position_embeddings": rotary(hidden, position_ids=position_ids)}

    def output_weights(self, block: nn.Module, n_heads: int) -> torch.Tensor:
        """The attention output projection split by head, ``[heads, head_dim, d_model]``."""
        projection = get_submodule(block, self.attention_output)
        weight = projection.weight  # nn.Linear: [d_model, heads * head_dim]; GPT-2's Conv1D: transposed
        matrix = weight if isinstance(projection, nn.Linear) else weight.T
        d_model = matrix.shape[0]
        return matrix.T.reshape(n_heads, -1, d_model)

    def final_norm_module(self, model: nn.Module) -> nn.Module | None:
        return get_submodule(model.base_model, self.final_norm)

    def read_out(self, model: nn.Module, residual: torch.Tensor) -> torch.Tensor:
        """Logits from a residual ``[..., d_model]`` (a block's output): the final norm, then :meth:`unembed`."""
        norm = self.final_norm_module(model)
        if norm is not None:  # with device_map="auto" the last block, the norm and the head may sit apart
            residual = norm(residual.to(next(norm.parameters(), residual).device))
        return self.unembed(model, residual.to(model.get_output_embeddings().weight.device))

    def unembed(self, model: nn.Module, normed: torch.Tensor) -> torch.Tensor:
        """Logits from the final, normed residual ``[..., d_model] -> [..., vocab]``."""
        logits = model.get_output_embeddings()(normed)
        softcap = getattr(model.config, "final_logit_softcapping", None)
        if softcap:
            logits = torch.tanh(logits / softcap) * softcap
        return logits


_ADAPTERS: dict[str, ArchitectureAdapter] = {}


def register_adapter(adapter: ArchitectureAdapter) -> ArchitectureAdapter:
    """Make a family known to ``load_model``; its ``model_types`` are ``config.model_type`` values."""
    for model_type in adapter.model_types:
        _ADAPTERS[model_type] = adapter
    return adapter


def supported_families() -> dict[str, tuple[str, ...]]:
    """Family name -> the ``config.model_type`` values it covers."""
    families: dict[str, tuple[str, ...]] = {}
    for adapter in _ADAPTERS.values():
        families[adapter.family] = adapter.model_types
    return families


def adapter_for(model_or_config: Any) -> ArchitectureAdapter:
    """The adapter for a model's (or a config's) ``model_type``, or an error that says how to add one."""
    config = getattr(model_or_config, "config", model_or_config)
    model_type = getattr(config, "model_type", None)
    if model_type in _ADAPTERS:
        return _ADAPTERS[model_type]
    known = "; ".join(f"{family} ({', '.join(types)})" for family, types in supported_families().items())
    raise UnsupportedArchitectureError(
        f"No adapter for model_type {model_type!r}. Supported families: {known}. "
        "To add one, describe where its blocks, attention, norms and MLP live with "
        "interplab_widgets.models.register_adapter(ArchitectureAdapter(...)); see docs/adapters.md."
    )


register_adapter(
    ArchitectureAdapter(
        family="gpt2",
        model_types=("gpt2",),
        is_causal=True,
        blocks="h",
        attention="attn",
        attention_norm="ln_1",
        mlp="mlp",
        final_norm="ln_f",
        attention_output="attn.c_proj",
        mlp_norm="ln_2",
        qkv=("attn.c_attn",),
        qkv_layout="stacked",
        examples=("openai-community/gpt2", "distilbert/distilgpt2"),
    )
)
register_adapter(
    ArchitectureAdapter(
        family="llama",
        model_types=("llama", "mistral", "qwen2", "qwen3"),
        is_causal=True,
        blocks="layers",
        attention="self_attn",
        attention_norm="input_layernorm",
        mlp="mlp",
        final_norm="norm",
        attention_output="self_attn.o_proj",
        rotary=True,
        mlp_norm="post_attention_layernorm",
        qkv=("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"),
        examples=("HuggingFaceTB/SmolLM2-135M-Instruct", "Qwen/Qwen2.5-0.5B", "mistralai/Mistral-7B-v0.1"),
    )
)
register_adapter(
    ArchitectureAdapter(
        family="gpt_neox",
        model_types=("gpt_neox",),
        is_causal=True,
        blocks="layers",
        attention="attention",
        attention_norm="input_layernorm",
        mlp="mlp",
        final_norm="final_layer_norm",
        attention_output="attention.dense",
        rotary=True,
        mlp_norm="post_attention_layernorm",
        qkv=("attention.query_key_value",),
        qkv_layout="interleaved",
        examples=("EleutherAI/pythia-70m",),
    )
)
GEMMA = register_adapter(
    ArchitectureAdapter(
        family="gemma",
        model_types=("gemma",),
        is_causal=True,
        blocks="layers",
        attention="self_attn",
        attention_norm="input_layernorm",
        mlp="mlp",
        final_norm="norm",
        attention_output="self_attn.o_proj",
        rotary=True,
        mlp_norm="post_attention_layernorm",
        qkv=("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"),
        examples=("google/gemma-7b",),
    )
)
# Gemma 2 norms a block's attention and MLP outputs before adding them: the same paths, no circuits.
register_adapter(
    replace(GEMMA, family="gemma2", model_types=("gemma2",), mlp_norm=None, qkv=(), examples=("google/gemma-2-2b",))
)
register_adapter(
    ArchitectureAdapter(
        family="bert",
        model_types=("bert", "roberta"),
        is_causal=False,
        blocks="encoder.layer",
        attention="attention.self",
        attention_norm=None,
        mlp="intermediate",
        final_norm=None,
        attention_output="attention.output.dense",
        examples=("sentence-transformers/all-MiniLM-L6-v2", "FacebookAI/roberta-base"),
    )
)
