"""load_model: one entry point for embedded defaults, local folders, hub ids and loaded models."""

from __future__ import annotations

import os
import weakref
from typing import Any

import torch

from ..errors import InputError, UnknownModelError
from .adapters import adapter_for
from .embedded import EMBEDDED_MODELS, embedded_source, missing_package_error
from .handle import ModelHandle

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

# One handle per (name, device, dtype, attention implementation) and per loaded model object, as long as
# something (a view, a variable) still holds it: five views of "smollm2-135m" share one 540 MB copy.
_BY_NAME: weakref.WeakValueDictionary[tuple, ModelHandle] = weakref.WeakValueDictionary()
_BY_MODEL: weakref.WeakValueDictionary[int, ModelHandle] = weakref.WeakValueDictionary()


def load_model(
    source: Any,
    tokenizer: Any = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
    *,
    trust_remote_code: bool = False,
    attn_implementation: str | None = None,
    fresh: bool = False,
) -> ModelHandle:
    """Load a model for tracing and return a :class:`ModelHandle`.

    Args:
        source: an embedded name (``"smollm2-135m"``, ``"minilm-l6"``; work offline), a local
            folder, a hub id such as ``"openai-community/gpt2"``, an already-loaded
            ``PreTrainedModel``, or a ``ModelHandle`` (returned as it is, moved if asked).
        tokenizer: the tokenizer, when ``source`` is a loaded model whose ``name_or_path``
            does not lead to one.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, or ``"auto"`` to shard with
            accelerate's ``device_map="auto"``. Default: where the model already is (CPU for new loads).
        dtype: ``"float32"``, ``"float16"``, ``"bfloat16"`` or a ``torch.dtype``.
        trust_remote_code: run the model's own code from the hub; off unless you turn it on.
        attn_implementation: passed to ``from_pretrained`` (``"eager"``, ``"sdpa"``, ...). Attention
            patterns are captured whatever it is.
        fresh: for a name, load a separate copy even if a handle for the same name, device and dtype
            exists; the copy is yours alone (later calls without ``fresh`` still return the shared
            handle). A loaded model object is always wrapped once: its handle, and its lock, are shared.
    """
    torch_dtype = _parse_dtype(dtype)
    _check_device(device)
    _check_tokenizer(tokenizer)
    if isinstance(source, ModelHandle):
        _move(source.model, device, torch_dtype)
        return source
    if isinstance(source, str):
        key = (source, str(device or "cpu"), str(torch_dtype), attn_implementation, trust_remote_code)
        if fresh:
            return _load_by_name(source, device, torch_dtype, trust_remote_code, attn_implementation)
        handle = _BY_NAME.get(key)
        if handle is None:
            handle = _BY_NAME[key] = _load_by_name(source, device, torch_dtype, trust_remote_code, attn_implementation)
        return handle
    if hasattr(source, "config") and hasattr(source, "base_model"):
        handle = _BY_MODEL.get(id(source))
        if handle is not None and handle.model is source and tokenizer in (None, handle.tokenizer):
            _move(source, device, torch_dtype)
            return handle
        handle = _wrap_loaded(source, tokenizer, device, torch_dtype)
        _BY_MODEL[id(source)] = handle
        return handle
    raise InputError(
        f"load_model takes a model name, a folder, a hub id or a PreTrainedModel; got {type(source).__name__}."
    )


def _load_by_name(
    source: str,
    device: str | torch.device | None,
    dtype: torch.dtype | None,
    trust_remote_code: bool,
    attn_implementation: str | None,
) -> ModelHandle:
    entry = EMBEDDED_MODELS.get(source)
    if entry is not None:
        path = embedded_source(entry)
    elif os.path.isdir(os.path.expanduser(source)):
        path = os.path.expanduser(source)
    elif "/" in source and not source.startswith((".", "/", "~")):
        path = source
    else:
        known = ", ".join(f"{name!r} ({e.description})" for name, e in EMBEDDED_MODELS.items())
        raise UnknownModelError(
            f"Unknown model {source!r}. Known names: {known}. "
            "Otherwise pass a local folder, a full hub id such as 'openai-community/gpt2', or a loaded model."
        )
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    is_folder = entry is None and os.path.isdir(path)
    if is_folder:
        _check_folder(source, path)
    try:
        config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    except OSError as error:
        if entry is not None:
            raise missing_package_error(entry, error) from error
        raise InputError(f"Could not load {source!r}: {error}") from error
    except ValueError as error:  # a config.json without a model_type transformers knows
        raise InputError(
            f"Could not load {source!r}: its config.json does not name a model type transformers knows ({error}). "
            "Point load_model at the folder save_pretrained wrote, or pass a loaded model."
        ) from error
    adapter = adapter_for(config)
    auto_class = AutoModelForCausalLM if adapter.is_causal else AutoModel
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if dtype is not None:
        kwargs["dtype"] = dtype
    if attn_implementation is not None:
        kwargs["attn_implementation"] = attn_implementation
    if device == "auto":
        kwargs["device_map"] = "auto"
    try:
        model = auto_class.from_pretrained(path, **kwargs)
    except OSError as error:  # a folder or hub repository with a config but no (readable) weights
        raise InputError(
            f"Could not load the weights of {source!r}: {error} "
            "A model folder holds config.json and model.safetensors (or pytorch_model.bin), as save_pretrained "
            "writes them."
        ) from error
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as error:
        raise InputError(
            f"Could not load the tokenizer of {source!r}: {error} Save it into the same folder "
            "(tokenizer.save_pretrained(folder)), or load the model yourself and pass load_model(model, tokenizer=...)."
        ) from error
    if device != "auto":
        _move(model, device, None)
    return _handle(model, tokenizer, source)


def _wrap_loaded(model: Any, tokenizer: Any, device: Any, dtype: torch.dtype | None) -> ModelHandle:
    adapter_for(model)  # fail before anything else on an unsupported family
    name = getattr(model, "name_or_path", "") or type(model).__name__
    if tokenizer is None:
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(name)
        except (OSError, ValueError) as error:
            raise InputError(
                f"Could not find the tokenizer of this model from name_or_path={name!r}: "
                "pass it as load_model(model, tokenizer=...)."
            ) from error
    _move(model, device, dtype)
    return _handle(model, tokenizer, name)


_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.txt", "vocab.json")
_WEIGHT_FILES = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.gguf", "*.h5", "*.msgpack", "*.index.json")


def _check_folder(source: str, path: str) -> None:
    """A local folder must hold a model as ``save_pretrained`` writes it: say what is missing, before transformers
    does so in its own words (a ValueError about ``model_type`` for an empty folder, an OSError for no weights)."""
    from pathlib import Path

    folder = Path(path)
    where = f"{source!r}" + ("" if os.path.isabs(source) else f" ({folder.resolve()})")
    if not (folder / "config.json").is_file():
        raise InputError(
            f"The folder {where} holds no model: there is no config.json in it. Give load_model a folder written "
            "by model.save_pretrained(folder) and tokenizer.save_pretrained(folder), an embedded name "
            f"({', '.join(map(repr, EMBEDDED_MODELS))}), a hub id such as 'openai-community/gpt2', or a loaded model."
        )
    if not any(any(folder.glob(pattern)) for pattern in _WEIGHT_FILES):
        raise InputError(
            f"The folder {where} has a config.json but no weights (model.safetensors or pytorch_model.bin). "
            "Save them there with model.save_pretrained(folder), or pass the loaded model to load_model."
        )
    if not any((folder / name).is_file() for name in _TOKENIZER_FILES):
        raise InputError(
            f"The folder {where} has a model but no tokenizer (tokenizer.json or tokenizer_config.json). Save it "
            "there with tokenizer.save_pretrained(folder), or load the model yourself and pass "
            "load_model(model, tokenizer=...)."
        )


def _check_tokenizer(tokenizer: Any) -> None:
    """``tokenizer=`` must be a Hugging Face tokenizer; say so before anything asks it whether it is fast."""
    if tokenizer is None:
        return
    from transformers import PreTrainedTokenizerBase

    if isinstance(tokenizer, PreTrainedTokenizerBase):
        return
    from tokenizers import Tokenizer

    if isinstance(tokenizer, Tokenizer):
        raise InputError(
            "tokenizer= is a bare tokenizers.Tokenizer; wrap it: "
            "PreTrainedTokenizerFast(tokenizer_object=tokenizer), then pass that."
        )
    raise InputError(
        f"tokenizer= must be a Hugging Face tokenizer, e.g. AutoTokenizer.from_pretrained(name); "
        f"got {type(tokenizer).__name__} {tokenizer!r:.60}."
    )


def _handle(model: Any, tokenizer: Any, name: str) -> ModelHandle:
    if not getattr(tokenizer, "is_fast", False):
        raise InputError(
            f"The tokenizer of {name!r} is a slow (Python) tokenizer; token offsets need a fast one. "
            "Load it with AutoTokenizer.from_pretrained(..., use_fast=True)."
        )
    model.eval()
    return ModelHandle(model=model, tokenizer=tokenizer, adapter=adapter_for(model), name=name)


def _parse_dtype(dtype: str | torch.dtype | None) -> torch.dtype | None:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if dtype in _DTYPES:
        return _DTYPES[dtype]
    raise InputError(f"Unknown dtype {dtype!r}: use one of {', '.join(_DTYPES)} or a torch.dtype.")


def _check_device(device: str | torch.device | None) -> None:
    if device is None or device == "auto":
        return
    try:
        kind = torch.device(device).type
    except RuntimeError as error:
        raise InputError(f"Unknown device {device!r}: use 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'.") from error
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
    }
    if not available.get(kind, False):
        raise InputError(f"Device {device!r} is not available on this machine; use device='cpu'.")


def _move(model: Any, device: str | torch.device | None, dtype: torch.dtype | None) -> None:
    if device is not None and device != "auto":
        model.to(device)
    if dtype is not None:
        model.to(dtype)
