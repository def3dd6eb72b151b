"""Train the SAE to ship for smollm2-135m: corpus, harvest, TopK SAE, evaluation, and the shuffled-weights control.

Corpus: the ``fortunes`` and ``fortunes-min`` Debian packages (``apt-get download``; no hub at run time):
about 2.6 MB of English in some 16,000 short texts — quotations, aphorisms, jokes, literature and Unix
lore, public or freely redistributable. Its bias: short, witty, 20th-century American English with a
lot of computing humour and little of the web's everyday prose or code; features for news, code or
conversation will be missing or weak. ASCII-art files are left out. Texts are shuffled with the seed;
the last 5 % are held out (never harvested) and saved beside the SAE for its evaluation.

Layer: the residual after 15 of SmolLM2's 30 blocks, the middle, where SAE features are usually most
interpretable (early layers: token identity; late: next-token prediction); it costs half a forward.

    python scripts/train_sae.py [--work /tmp/sae-work] [--latents 2304] [--k 32] [--epochs 3] [--seed 0]
                                [--control-fraction 0.2] [--eval-texts 300] [--skip-control]

The control (every weight tensor of the model shuffled, then the same recipe on the first fifth of the
training texts) shows what an SAE finds without learnt structure.

Writes ``interplab_widgets/features/saes/smollm2-135m-layer15/`` (float16 ``sae.safetensors``,
``config.json`` with the evaluation in ``notes``, ``heldout.jsonl``) and prints the numbers for the README.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from interplab_widgets import load_model
from interplab_widgets.capture.shards import harvest_shards
from interplab_widgets.features import evaluate_sae, load_sae, save_sae, train_sae

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "interplab_widgets" / "features" / "saes" / "smollm2-135m-layer15"
LAYER = 15
SKIP = {"ascii-art", "art"}  # drawings, not prose
MAX_CHARS = 1200  # longer entries are cut at a line break (a handful of long poems)


def fortunes(folder: Path) -> list[str]:
    """Every fortune of the two packages, whitespace-normalised, deduplicated, in file order."""
    debs = folder / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", "fortunes", "fortunes-min"], cwd=debs, check=True, capture_output=True)
    tree = folder / "tree"
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
    seen, texts = set(), []
    for path in sorted((tree / "usr/share/games/fortunes").iterdir()):
        if path.suffix or path.is_symlink() or path.name in SKIP:
            continue
        for entry in path.read_text(encoding="utf-8", errors="replace").split("\n%\n"):
            entry = entry.strip()[:MAX_CHARS]
            text = re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n", entry)).strip()
            if len(text) >= 20 and text not in seen:
                seen.add(text)
                texts.append(text)
    return texts


def shuffled_copy(name: str, seed: int):
    """The same architecture with every weight tensor's entries permuted: the control with no learnt structure."""
    handle = load_model(name, fresh=True)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in handle.model.parameters():
            flat = parameter.view(-1)
            flat.copy_(flat[torch.randperm(flat.numel(), generator=generator)])
    handle.name = f"{name} (shuffled weights)"
    return handle


def train_and_evaluate(handle, train, held, work: Path, args, tag: str) -> dict:
    started = time.perf_counter()
    shards = harvest_shards(handle, train, work / f"shards-{tag}", layers=[LAYER], shard_tokens=65_536, batch_size=32)
    harvest_s = time.perf_counter() - started
    tokens = shards.n_rows * args.epochs
    started = time.perf_counter()
    sae, log = train_sae(shards, layer=LAYER, n_latents=args.latents, k=args.k, tokens=tokens, batch_rows=4096,
                         dead_tokens=min(1_000_000, shards.n_rows // 2), seed=args.seed)  # fmt: skip
    train_s = time.perf_counter() - started
    result = evaluate_sae(sae, handle, held[: args.eval_texts], batch_size=16)
    print(f"[{tag}] {result.table()}")
    return {
        "sae": sae,
        "evaluation": {
            **result.__dict__,
            "loss_recovered": result.loss_recovered,
            "loss_recovered_mean": result.loss_recovered_mean,
        },
        "harvest": {"rows": shards.n_rows, "seconds": harvest_s, "tokens_per_s": shards.n_rows / harvest_s},
        "training": {
            "tokens": tokens,
            "seconds": train_s,
            "tokens_per_s": tokens / train_s,
            "final_batch_fvu": log.fvu[-1],
            "dead_fraction": log.dead_fraction[-1],
        },
    }


SLICE = 64  # held-out texts whose numbers the shipped float16 SAE must reproduce (tests/test_shipped_sae.py)


def record_slice(model) -> None:
    """Measure the saved (float16) SAE on the first held-out texts and write the numbers into its config."""
    sae = load_sae("smollm2-135m", layer=LAYER)
    held = [json.loads(line) for line in (OUT / "heldout.jsonl").read_text().splitlines()][:SLICE]
    result = evaluate_sae(sae, model, held, batch_size=16)
    config = json.loads((OUT / "config.json").read_text())
    config["notes"]["heldout_slice"] = {"texts": SLICE, **result.__dict__, "loss_recovered": result.loss_recovered}
    (OUT / "config.json").write_text(json.dumps(config, indent=1, default=float))
    print(f"[shipped, first {SLICE} held-out texts] {result.table()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "interplab-sae-work")
    parser.add_argument("--latents", type=int, default=2304)  # 4 x d_model: 5.3 MB in float16
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--eval-texts", type=int, default=300, help="held-out texts the numbers are measured on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-control", action="store_true")
    parser.add_argument("--record-slice", action="store_true", help="only measure the saved SAE on the slice")
    parser.add_argument("--control-fraction", type=float, default=0.2, help="of the training texts, for the control")
    args = parser.parse_args()
    if args.record_slice:
        record_slice(load_model("smollm2-135m"))
        return
    torch.manual_seed(args.seed)
    texts = fortunes(args.work)
    order = np.random.default_rng(args.seed).permutation(len(texts))
    texts = [texts[i] for i in order]
    cut = int(len(texts) * 0.95)
    train, held = texts[:cut], texts[cut:]
    print(
        f"corpus: {len(texts)} fortunes, {sum(map(len, texts)):,} characters; {len(train)} train, {len(held)} held out"
    )
    model = load_model("smollm2-135m")
    real = train_and_evaluate(model, train, held, args.work, args, "smollm2-135m")
    sae = real.pop("sae")
    corpus = {"corpus": "Debian fortunes + fortunes-min", "train_texts": len(train), "heldout_texts": len(held)}
    sae.config.notes = {**real, **corpus, "seed": args.seed}
    save_sae(sae, OUT, dtype=torch.float16)  # the SAE first: the control only adds to its notes
    (OUT / "heldout.jsonl").write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in held))
    record_slice(model)
    if not args.skip_control:
        subset = train[: int(len(train) * args.control_fraction)]  # the same recipe on fewer tokens: a control
        shuffled = shuffled_copy("smollm2-135m", args.seed)
        control = train_and_evaluate(shuffled, subset, held, args.work, args, "shuffled")
        control.pop("sae")
        config = json.loads((OUT / "config.json").read_text())
        config["notes"]["shuffled_weights_control"] = control
        (OUT / "config.json").write_text(json.dumps(config, indent=1, default=float))
    print((OUT / "config.json").read_text())


if __name__ == "__main__":
    main()
