"""Train the toy induction model: the project's ground truth for head-role discovery.

A 2-layer, 4-head Llama (rotary embeddings, hidden 64) over a 64-syllable vocabulary, trained
on 48-token sequences of uniform random syllables in which a segment of 6-20 tokens is
repeated back to back at a random offset. Predicting the second copy needs in-context
copying, which a 2-layer model learns as an induction circuit: a previous-token head in
layer 0 writes "the token before me was A" into each position, and an induction head in
layer 1 attends from the current token A to the token right after A's earlier occurrence
and copies it. The segment length and offset vary, so no fixed positional lookback works.

    python scripts/train_toy_induction.py [--steps N] [--out DIR] [--seed S]

Fixed seeds, deterministic algorithms and one CPU thread: the same command gives the same
weights on the same torch build. Writes the model (safetensors, float32), the tokenizer and
a README.md with the final losses and head scores into ``--out``
(default ``interplab_widgets/models/toy_induction/``).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "interplab_widgets" / "models" / "toy_induction"

#: 64 consonant-vowel syllables, all distinct; token id = index in this list.
SYLLABLES = [c + v for c in "bdfgklmnprstz" for v in "aeiou"][:64]
VOCAB = len(SYLLABLES)
SEQ_LEN = 48
TRAIN_LENGTHS = (6, 20)  # segment lengths seen in training, inclusive
HELD_OUT = {"short (4-5)": (4, 5), "long (22-24)": (22, 24)}
# Phase change: the first step where the repeated-part loss (10-step moving average of the
# training batches) falls below this fraction of the loss on the rest.
PHASE_RATIO = 0.5


def make_tokenizer() -> PreTrainedTokenizerFast:
    """WordLevel over the 64 syllables, split on whitespace; no special tokens, no [UNK]."""
    assert len(set(SYLLABLES)) == VOCAB == 64
    core = Tokenizer(models.WordLevel(vocab={s: i for i, s in enumerate(SYLLABLES)}))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=core, model_max_length=64)


def make_config() -> LlamaConfig:
    return LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=64,
        rope_theta=10000.0,
        tie_word_embeddings=False,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
        dtype="float32",
    )


@dataclass
class Batch:
    ids: torch.Tensor  # [b, n] int64
    lengths: torch.Tensor  # [b] segment length L
    offsets: torch.Tensor  # [b] start o of the first copy; the second copy starts at o + L


def sample_batch(gen: torch.Generator, size: int, lengths: tuple[int, int], seq_len: int = SEQ_LEN) -> Batch:
    """Uniform random tokens with tokens[o+L : o+2L] = tokens[o : o+L], L and o random per row."""
    lo, hi = lengths
    assert 2 * hi <= seq_len, "both copies must fit"
    ids = torch.randint(0, VOCAB, (size, seq_len), generator=gen)
    seg = torch.randint(lo, hi + 1, (size,), generator=gen)
    off = (torch.rand(size, generator=gen) * (seq_len - 2 * seg + 1)).long()  # o in 0..n-2L
    for row in range(size):
        o, length = int(off[row]), int(seg[row])
        ids[row, o + length : o + 2 * length] = ids[row, o : o + length]
    return Batch(ids, seg, off)


def repeated_mask(batch: Batch) -> torch.Tensor:
    """``[b, n-1]`` bool over next-token targets: True where the target is predictable by copying.

    Target position t (predicted from position t-1) is in the repeated part when it lies in the
    second copy after its first token: o+L+1 <= t <= o+2L-1.
    """
    n = batch.ids.shape[1]
    t = torch.arange(1, n).unsqueeze(0)
    o, length = batch.offsets.unsqueeze(1), batch.lengths.unsqueeze(1)
    return (t >= o + length + 1) & (t <= o + 2 * length - 1)


def split_losses(logits: torch.Tensor, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loss over all targets, mean loss on the repeated part, mean loss on the rest)."""
    per_token = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), batch.ids[:, 1:].reshape(-1), reduction="none").view(
        batch.ids.shape[0], -1
    )
    mask = repeated_mask(batch)
    return per_token.mean(), per_token[mask].mean(), per_token[~mask].mean()


def head_scores(attentions: list[torch.Tensor], batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Previous-token and induction score of every head, ``[layers, heads]`` each.

    previous-token: mean attention from position i to i-1 (i >= 1).
    induction: mean attention from a token at t in the second copy (o+L <= t <= o+2L-1) to the
    token right after its first occurrence, t-L+1.
    """
    prev, induction = [], []
    for pattern in attentions:  # [b, heads, q, k]
        idx = torch.arange(1, pattern.shape[-1])
        prev.append(pattern[:, :, idx, idx - 1].mean(dim=(0, 2)))
        per_row = []
        for row in range(pattern.shape[0]):
            o, length = int(batch.offsets[row]), int(batch.lengths[row])
            q = torch.arange(o + length, o + 2 * length)
            per_row.append(pattern[row][:, q, q - length + 1].mean(dim=1))
        induction.append(torch.stack(per_row).mean(dim=0))
    return torch.stack(prev), torch.stack(induction)


@torch.no_grad()
def evaluate(model: LlamaForCausalLM, batch: Batch, scores: bool = True) -> dict:
    model.eval()
    out = model(input_ids=batch.ids, output_attentions=scores)
    _, rep, rest = split_losses(out.logits, batch)
    model.train()
    result = {"repeated": rep.item(), "rest": rest.item()}
    if scores:
        result["prev"], result["induction"] = head_scores([a.float() for a in out.attentions], batch)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    torch.set_num_threads(1)  # tiny model: threads do not help, and one thread keeps sums in a fixed order
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)
    data_gen = torch.Generator().manual_seed(args.seed + 1)
    eval_gen = torch.Generator().manual_seed(args.seed + 2)

    config = make_config()
    model = LlamaForCausalLM(config)
    model.config._attn_implementation = "eager"  # attention weights for the head scores; the model is tiny
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"LlamaForCausalLM: 2 layers x 4 heads, hidden 64, {n_params:,} parameters; {args.steps} steps")

    eval_batch = sample_batch(eval_gen, 512, TRAIN_LENGTHS)
    held_out = {name: sample_batch(eval_gen, 512, lengths) for name, lengths in HELD_OUT.items()}
    long_ctx = sample_batch(eval_gen, 256, TRAIN_LENGTHS, seq_len=64)  # positions 48-63 never trained

    print(f"{'step':>6} {'train loss':>10} {'eval repeated':>14} {'eval rest':>10}")
    history, recent, phase_step = [], [], None
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        batch = sample_batch(data_gen, args.batch_size, TRAIN_LENGTHS)
        logits = model(input_ids=batch.ids).logits
        loss, rep, rest = split_losses(logits, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

        recent = [*recent[-9:], (rep.item(), rest.item())]
        if phase_step is None and len(recent) == 10:
            mean_rep = sum(r for r, _ in recent) / 10
            mean_rest = sum(r for _, r in recent) / 10
            if mean_rep < PHASE_RATIO * mean_rest:
                phase_step = step
                print(
                    f"  -- phase change at step {step}: repeated-part loss {mean_rep:.3f} < "
                    f"{PHASE_RATIO} x rest {mean_rest:.3f} (10-step moving average)"
                )
        if step % 50 == 0 or step == 1:
            ev = evaluate(model, eval_batch, scores=False)
            history.append({"step": step, "train": loss.item(), "repeated": ev["repeated"], "rest": ev["rest"]})
            print(f"{step:6d} {loss.item():10.3f} {ev['repeated']:14.3f} {ev['rest']:10.3f}")
    seconds = time.perf_counter() - start
    print(f"trained in {seconds:.1f} s; phase change at step {phase_step}")

    final = evaluate(model, eval_batch)
    results = {"train lengths (6-20)": final}
    results.update({name: evaluate(model, b) for name, b in held_out.items()})
    results["64-token sequences (6-20)"] = evaluate(model, long_ctx)
    print(f"\nloss by segment length (uniform-random baseline ln 64 = {torch.log(torch.tensor(64.0)):.3f})")
    for name, r in results.items():
        print(
            f"  {name:28s} repeated {r['repeated']:.3f}   rest {r['rest']:.3f}   ratio {r['repeated'] / r['rest']:.3f}"
        )

    print("\nhead scores (eval batch, segment lengths 6-20)")
    print(f"  {'head':6s} {'prev-token':>10} {'induction':>10}")
    for layer in range(config.num_hidden_layers):
        for head in range(config.num_attention_heads):
            print(f"  L{layer}H{head}   {final['prev'][layer, head]:10.3f} {final['induction'][layer, head]:10.3f}")

    save(model, args, final, results, history, phase_step, seconds)


def save(model, args, final, results, history, phase_step, seconds) -> None:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    model.config._attn_implementation = None  # let loaders pick (sdpa by default)
    model.generation_config.bos_token_id = model.generation_config.eos_token_id = None
    model.save_pretrained(out, safe_serialization=True)
    make_tokenizer().save_pretrained(out)
    for file in out.iterdir():
        file.chmod(0o644)  # save_pretrained writes the safetensors file 0600

    def fmt(r):
        return {"repeated": round(r["repeated"], 4), "rest": round(r["rest"], 4)}

    scores = {
        f"L{layer}H{head}": {
            "previous_token": round(final["prev"][layer, head].item(), 4),
            "induction": round(final["induction"][layer, head].item(), 4),
        }
        for layer in range(final["prev"].shape[0])
        for head in range(final["prev"].shape[1])
    }
    (out / "training_log.json").write_text(
        json.dumps(
            {
                "command": f"python scripts/train_toy_induction.py --steps {args.steps} --seed {args.seed}",
                "phase_change_step": phase_step,
                "train_seconds": round(seconds, 1),
                "losses": {name: fmt(r) for name, r in results.items()},
                "head_scores": scores,
                "curve": [{k: round(v, 4) if isinstance(v, float) else v for k, v in h.items()} for h in history],
            },
            indent=1,
        )
        + "\n"
    )

    rows = "\n".join(f"| {name} | {r['repeated']:.3f} | {r['rest']:.3f} |" for name, r in results.items())
    heads = "\n".join(f"| {h} | {s['previous_token']:.3f} | {s['induction']:.3f} |" for h, s in scores.items())
    curve = "\n".join(
        f"| {h['step']} | {h['repeated']:.3f} | {h['rest']:.3f} |"
        for h in history
        if h["step"] in (1, 50) or h["step"] % 250 == 0 or h["step"] == args.steps
    )
    (out / "README.md").write_text(f"""# toy-induction

A 2-layer attention + MLP transformer (`LlamaForCausalLM`: rotary embeddings, hidden 64,
4 heads of 16, MLP 128, untied embeddings, {sum(p.numel() for p in model.parameters()):,} parameters,
float32) trained on one synthetic task where the answer is known: it is the project's ground
truth for head-role discovery.

**Vocabulary**: 64 syllables, `{" ".join(SYLLABLES[:8])} ... {" ".join(SYLLABLES[-3:])}`
(token id = position in that list). The tokenizer is a `tokenizers` WordLevel model with a
whitespace pre-tokenizer: `tokenizer("ba ko mi ba ko mi")`. There is no `[UNK]` and no
BOS/EOS; a word outside the 64 syllables is an error. Context: 64 tokens.

**Task**: 48 uniform random syllables in which a segment of 6-20 tokens is repeated back to
back (the second copy right after the first) at a random offset. Only the second copy (after
its first token) is predictable, by copying from the first: the model learns an induction
circuit, a previous-token head in layer 0 feeding an induction head in layer 1.

**Trained by** `python scripts/train_toy_induction.py --steps {args.steps} --seed {args.seed}`
(AdamW lr {args.lr}, batch {args.batch_size}, fixed seeds, deterministic, one CPU thread;
{seconds:.0f} s of wall time on a shared 2-core machine). The repeated-part loss fell below
{PHASE_RATIO} x the rest at step **{phase_step}** (the phase change).

## Losses after training (512 fresh sequences each; uniform baseline ln 64 = 4.159)

| segment lengths | loss on the repeated part | loss on the rest |
|---|---|---|
{rows}

Lengths 4-5 and 22-24 were never seen in training; the 64-token sequences put tokens at
positions 48-63, never seen in training either.

## Head scores (segment lengths 6-20)

previous-token: mean attention from position i to i-1. induction: mean attention from a token
in the second copy to the token right after its first occurrence.

| head | previous-token | induction |
|---|---|---|
{heads}

## Loss curve (held-out batch)

| step | repeated part | rest |
|---|---|---|
{curve}

The full curve (every 50 steps) is in `training_log.json`.
""")
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    print(f"\nsaved to {out} ({size / 1e6:.2f} MB): {', '.join(sorted(f.name for f in out.iterdir()))}")


if __name__ == "__main__":
    main()
