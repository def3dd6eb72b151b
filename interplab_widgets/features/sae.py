"""TopK sparse autoencoders (Gao et al. 2024): training from harvest shards, saving and loading.

``z = TopK(W_enc (x / scale − b_dec) + b_enc)``, ``x̂ = scale · (W_dec z + b_dec)``: exactly ``k`` latents are
active per token, so sparsity needs no L1 penalty to tune; decoder columns are kept at unit norm (the
gradient's component along each column is removed before the step, then the columns are renormalised),
so a latent's activation is its size in the residual stream. ``scale`` makes the training activations'
mean squared norm ``d_model`` (SAELens's ``expected_average_only_in`` normalisation). Latents that have
not fired for ``dead_tokens`` tokens are *dead*; an auxiliary loss (coefficient 1/32, the paper's) asks
the ``aux_k`` largest of them to reconstruct the main reconstruction's error, which brings them back.
Tokens before ``min_position`` in their text are neither trained on nor replaced: a decoder's first token
is its attention sink, with a residual norm ~100× the rest (SmolLM2 layer 15: 23,700 vs a median of 155),
which would otherwise hold almost all the variance (97 % there) and steer the dictionary.

Saved as a folder: ``sae.safetensors`` (``W_enc [n_latents, d_model]``, ``b_enc [n_latents]``,
``W_dec [d_model, n_latents]``, ``b_dec [d_model]``) and ``config.json`` (``d_model``, ``n_latents``, ``k``,
``scale``, ``layer``, ``model``, ``min_position``, ``trained_tokens``, ``format``, ``notes``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm.auto import tqdm

from ..capture.shards import ActivationShards
from ..disk_cache import atomic_write
from ..errors import InputError
from ..progress import checkpoint

SAE_FORMAT = 1
AUX_COEFFICIENT = 1 / 32


@dataclass
class SAEConfig:
    """What a saved SAE is: its shape, its input scale and where its inputs come from."""

    d_model: int
    n_latents: int
    k: int
    scale: float = 1.0
    layer: int = -1
    model: str = ""
    min_position: int = 0
    trained_tokens: int = 0
    format: int = SAE_FORMAT
    notes: dict[str, Any] = field(default_factory=dict)


class TopKSAE(nn.Module):
    """A TopK sparse autoencoder over ``d_model``-dimensional activations (see the module docstring)."""

    def __init__(self, config: SAEConfig) -> None:
        super().__init__()
        if not 0 < config.k <= config.n_latents:
            raise InputError(f"k must be in 1..n_latents ({config.n_latents}); got {config.k}.")
        self.config = config
        d, n = config.d_model, config.n_latents
        self.W_enc = nn.Parameter(torch.empty(n, d))
        self.b_enc = nn.Parameter(torch.zeros(n))
        self.W_dec = nn.Parameter(torch.empty(d, n))
        self.b_dec = nn.Parameter(torch.zeros(d))
        nn.init.kaiming_uniform_(self.W_enc, a=math.sqrt(5))
        with torch.no_grad():
            self.W_dec.copy_(self.W_enc.T)
            self.normalise_decoder()

    @property
    def k(self) -> int:
        return self.config.k

    @property
    def device(self) -> torch.device:
        return self.W_enc.device

    def pre_activations(self, x: torch.Tensor) -> torch.Tensor:
        """``[..., n_latents]`` before the TopK."""
        return (x / self.config.scale - self.b_dec) @ self.W_enc.T + self.b_enc

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent activations ``[..., n_latents]``: the ``k`` largest pre-activations (ReLU'd), zeros elsewhere."""
        pre = self.pre_activations(x)
        values, indices = pre.topk(self.k, dim=-1)
        return torch.zeros_like(pre).scatter_(-1, indices, values.relu())

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return (z @ self.W_dec.T + self.b_dec) * self.config.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction of ``x``."""
        return self.decode(self.encode(x))

    @torch.no_grad()
    def normalise_decoder(self) -> None:
        self.W_dec /= self.W_dec.norm(dim=0, keepdim=True).clamp(min=1e-8)

    @torch.no_grad()
    def _project_decoder_gradient(self) -> None:
        """Remove the part of each decoder column's gradient that would change its norm."""
        if self.W_dec.grad is not None:
            parallel = (self.W_dec.grad * self.W_dec).sum(0, keepdim=True)
            self.W_dec.grad -= parallel * self.W_dec


def save_sae(sae: TopKSAE, folder: str | Path, *, dtype: torch.dtype = torch.float32) -> Path:
    """Write ``sae`` to ``folder`` (``sae.safetensors`` in ``dtype`` + ``config.json``); the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {name: p.detach().to(dtype).cpu().contiguous() for name, p in sae.named_parameters()}
    atomic_write(folder / "sae.safetensors", lambda partial: save_file(tensors, str(partial)))
    atomic_write(
        folder / "config.json", lambda partial: Path(partial).write_text(json.dumps(asdict(sae.config), indent=1))
    )
    return folder


SHIPPED = Path(__file__).parent / "saes"
"""The SAEs in the package: ``saes/<model>-layer<L>/`` (trained by ``scripts/train_sae.py``)."""


def shipped_saes() -> dict[str, list[int]]:
    """Model name -> the layers with a shipped SAE."""
    found: dict[str, list[int]] = {}
    for folder in sorted(SHIPPED.glob("*-layer*")):
        if (folder / "config.json").exists():
            model, _, layer = folder.name.rpartition("-layer")
            found.setdefault(model, []).append(int(layer))
    return found


def load_sae(model: str | Path, layer: int | None = None, *, device: str | torch.device = "cpu") -> TopKSAE:
    """A shipped SAE by model name and layer (``load_sae("smollm2-135m", layer=15)``), or one saved with
    :func:`save_sae` by its folder (``load_sae(path)``)."""
    if layer is None:
        return load_sae_folder(model, device=device)
    folder = SHIPPED / f"{model}-layer{int(layer)}"
    if not (folder / "config.json").exists():
        known = ", ".join(f"{m} (layers {', '.join(map(str, ls))})" for m, ls in shipped_saes().items()) or "none"
        raise InputError(
            f"No SAE is shipped for {model!r} at layer {layer}. Shipped: {known}. Train one with train_sae() on "
            "harvest_shards() of your corpus, or load a saved folder with load_sae(path)."
        )
    return load_sae_folder(folder, device=device)


def load_sae_folder(folder: str | Path, *, device: str | torch.device = "cpu") -> TopKSAE:
    """An SAE saved by :func:`save_sae`."""
    folder = Path(folder)
    if not (folder / "config.json").exists() or not (folder / "sae.safetensors").exists():
        raise InputError(f"{folder} holds no SAE (it needs config.json and sae.safetensors, see save_sae).")
    config = SAEConfig(**json.loads((folder / "config.json").read_text()))
    if config.format != SAE_FORMAT:
        raise InputError(f"{folder} is SAE format {config.format}; this version reads {SAE_FORMAT}.")
    sae = TopKSAE(config)
    tensors = load_file(str(folder / "sae.safetensors"))
    sae.load_state_dict({name: t.float() for name, t in tensors.items()})
    return sae.to(device).eval()


@dataclass(frozen=True)
class TrainingLog:
    """Per logged step: tokens seen, reconstruction loss (FVU of the batch), auxiliary loss, dead fraction."""

    tokens: list[int]
    fvu: list[float]
    aux_loss: list[float]
    dead_fraction: list[float]


def train_sae(
    data: ActivationShards | np.ndarray,
    *,
    layer: int | None = None,
    n_latents: int,
    k: int,
    tokens: int,
    batch_rows: int = 4096,
    lr: float | None = None,
    aux_k: int | None = None,
    dead_tokens: int = 1_000_000,
    seed: int = 0,
    min_position: int = 1,
    device: str | torch.device = "cpu",
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 0,
    progress: bool = True,
) -> tuple[TopKSAE, TrainingLog]:
    """Train a TopK SAE on ``tokens`` activation rows streamed from ``data`` (shards at ``layer``, or an array
    ``[rows, d_model]``), with Adam, a progress bar in tokens and optional checkpoints every
    ``checkpoint_every`` tokens in ``checkpoint_dir``.

    Args:
        n_latents: the dictionary size (e.g. 8 × d_model).
        k: active latents per token (the L0).
        tokens: training rows to read (passes over the data repeat it when it is smaller).
        lr: Adam's learning rate; default ``2e-4 · sqrt(16384 / n_latents)`` (Gao et al.'s scaling).
        aux_k: dead latents asked to reconstruct the error; default ``d_model // 2``.
        dead_tokens: a latent that has not fired for this many training tokens counts as dead.
        min_position: shard rows of tokens before this position in their text are left out (default: the
            first token, see the module docstring); recorded in the config, which evaluation and dashboards
            follow. Arrays have no positions: every row is used and ``min_position`` is recorded as 0.
    """
    torch.manual_seed(seed)
    if isinstance(data, ActivationShards):
        min_position = max(0, int(min_position))
    else:
        min_position = 0
    stream, d_model, model_name = _stream(data, layer, batch_rows, seed, min_position)
    first = next(stream)
    scale = float(np.sqrt((first.astype(np.float64) ** 2).sum(1).mean() / d_model)) or 1.0
    config = SAEConfig(
        d_model, n_latents, k, scale=scale, layer=-1 if layer is None else layer, model=model_name,
        min_position=min_position,
    )  # fmt: skip
    sae = TopKSAE(config).to(device)
    with torch.no_grad():  # b_dec starts at the data's mean (a cheap stand-in for the geometric median)
        sae.b_dec.copy_(torch.from_numpy(first.mean(0) / scale).to(device))
    lr = lr if lr is not None else 2e-4 * math.sqrt(16384 / n_latents)
    aux_k = aux_k if aux_k is not None else d_model // 2
    optimizer = torch.optim.Adam(sae.parameters(), lr=lr, betas=(0.9, 0.999), eps=6.25e-10)
    since_fired = torch.zeros(n_latents, dtype=torch.long, device=device)
    log = TrainingLog([], [], [], [])
    seen, next_checkpoint = 0, checkpoint_every or 0
    bar = tqdm(total=tokens, desc="training SAE", unit="tok", unit_scale=True, disable=not progress)
    batch = first
    try:
        while seen < tokens:
            checkpoint()
            x = torch.from_numpy(np.array(batch[: tokens - seen], dtype=np.float32)).to(device)
            fvu, aux = _step(sae, optimizer, x, since_fired, dead_tokens, aux_k)
            seen += len(x)
            bar.update(len(x))
            log.tokens.append(seen)
            log.fvu.append(fvu)
            log.aux_loss.append(aux)
            log.dead_fraction.append(float((since_fired >= dead_tokens).float().mean()))
            if checkpoint_dir is not None and checkpoint_every and seen >= next_checkpoint:
                sae.config.trained_tokens = seen
                save_sae(sae, Path(checkpoint_dir) / f"tokens-{seen}")
                next_checkpoint += checkpoint_every
            batch = next(stream)
    finally:
        bar.close()
    sae.config.trained_tokens = seen
    return sae.eval(), log


def _step(sae: TopKSAE, optimizer, x: torch.Tensor, since_fired, dead_tokens: int, aux_k: int) -> tuple[float, float]:
    """One Adam step on a batch: normalised MSE + the auxiliary loss on dead latents."""
    target = x / sae.config.scale
    pre = sae.pre_activations(x)
    values, indices = pre.topk(sae.k, dim=-1)
    z = torch.zeros_like(pre).scatter_(-1, indices, values.relu())
    reconstruction = z @ sae.W_dec.T + sae.b_dec
    error = target - reconstruction
    variance = (target - target.mean(0)).pow(2).sum(-1).mean()
    loss = error.pow(2).sum(-1).mean() / variance
    fired = torch.zeros_like(since_fired, dtype=torch.bool)
    fired[indices[values > 0]] = True
    since_fired += len(x)
    since_fired[fired] = 0
    dead = since_fired >= dead_tokens
    aux = torch.zeros((), device=x.device)
    if dead.any():
        masked = pre.masked_fill(~dead, float("-inf"))
        top_values, top_indices = masked.topk(min(aux_k, int(dead.sum())), dim=-1)
        z_aux = torch.zeros_like(pre).scatter_(-1, top_indices, top_values.relu())
        aux_reconstruction = z_aux @ sae.W_dec.T
        residual = error.detach()
        aux = (residual - aux_reconstruction).pow(2).sum(-1).mean() / residual.pow(2).sum(-1).mean().clamp(min=1e-12)
        aux = torch.nan_to_num(aux, nan=0.0)
        loss = loss + AUX_COEFFICIENT * aux
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    sae._project_decoder_gradient()
    optimizer.step()
    sae.normalise_decoder()
    return float(error.detach().pow(2).sum(-1).mean() / variance.detach()), float(aux.detach())


def _stream(
    data, layer: int | None, batch_rows: int, seed: int, min_position: int
) -> tuple[Iterator[np.ndarray], int, str]:
    """Endless shuffled batches of rows, the width, and the model the rows come from."""
    if isinstance(data, ActivationShards):
        if layer is None or layer not in data.layers:
            raise InputError(f"Give layer= one of the harvested layers {data.layers}.")
        if not data.complete:
            raise InputError(f"{data.folder} is not finished: run harvest_shards() on it again to resume.")

        def from_shards() -> Iterator[np.ndarray]:
            epoch = 0
            while True:
                yield from data.batches(layer, batch_rows, shuffle=True, seed=seed + epoch, min_position=min_position)
                epoch += 1

        return from_shards(), data.d_model, data.manifest["model"]
    array = np.asarray(data, dtype=np.float32)
    if array.ndim != 2 or len(array) == 0:
        raise InputError(f"data must be ActivationShards or an array [rows, d_model]; got shape {array.shape}.")

    def from_array() -> Iterator[np.ndarray]:
        rng = np.random.default_rng(seed)
        while True:
            order = rng.permutation(len(array))
            for start in range(0, len(order), batch_rows):
                yield array[order[start : start + batch_rows]]

    return from_array(), array.shape[1], ""
