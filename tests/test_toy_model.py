"""The shipped toy induction model really copies in context, with the circuit where we say it is.

Loads ``interplab_widgets/models/toy_induction`` (trained by ``scripts/train_toy_induction.py``;
never retrained here) through ``load_model`` and measures it through interplab traces: losses
from ``trace.logits``, head scores from ``trace.attention(layer)``. The numbers in the comments
are what these exact seeded sequences gave (torch 2.13 CPU, transformers 5.24).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import interplab_widgets
from interplab_widgets import InputError, head_roles, load_model

FOLDER = Path(interplab_widgets.__file__).resolve().parent / "models" / "toy_induction"
VOCAB = 64
SEQ_LEN = 48
N_SEQUENCES = 24  # per segment-length range


def sequences(seed: int, lengths: tuple[int, int], count: int = N_SEQUENCES, seq_len: int = SEQ_LEN):
    """``(ids, L, o)``: uniform random tokens with ids[o+L : o+2L] == ids[o : o+L], as in training."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        ids = torch.randint(0, VOCAB, (seq_len,), generator=gen)
        length = int(torch.randint(lengths[0], lengths[1] + 1, (1,), generator=gen))
        offset = int(torch.randint(0, seq_len - 2 * length + 1, (1,), generator=gen))
        ids[offset + length : offset + 2 * length] = ids[offset : offset + length]
        out.append((ids.tolist(), length, offset))
    return out


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """A 90k-parameter model gains nothing from threads, and they cost seconds on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def toy():
    handle = load_model("toy-induction")
    assert Path(handle.model.name_or_path) == FOLDER
    return handle


@pytest.fixture(scope="module")
def traces(toy):
    """Traces of fresh sequences (seeds unlike training's), by segment-length range."""
    ranges = {"train 6-20": (6, 20), "held-out 4-5": (4, 5), "held-out 22-24": (22, 24)}
    return {
        name: [(toy.run_ids(ids), length, offset) for ids, length, offset in sequences(100 + i, lengths)]
        for i, (name, lengths) in enumerate(ranges.items())
    }


def split_losses(runs) -> tuple[float, float]:
    """Mean next-token loss on the repeated part (second copy after its first token) and on the rest."""
    repeated, rest = [], []
    for trace, length, offset in runs:
        per_token = F.cross_entropy(trace.logits[:-1], trace.token_ids[1:], reduction="none")
        target = torch.arange(1, trace.n_tokens)
        mask = (target >= offset + length + 1) & (target <= offset + 2 * length - 1)
        repeated.append(per_token[mask])
        rest.append(per_token[~mask])
    return torch.cat(repeated).mean().item(), torch.cat(rest).mean().item()


def test_folder_is_small_and_complete():
    files = {f.name: f.stat().st_size for f in FOLDER.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md"} <= set(files)
    assert sum(files.values()) < 2_000_000  # 0.37 MB


def test_shape_and_tokenizer(toy):
    assert (toy.family, toy.n_layers, toy.n_heads, toy.n_kv_heads, toy.d_model) == ("llama", 2, 4, 4, 64)
    assert toy.max_tokens == 64 and toy.is_causal
    tok = toy.tokenizer
    assert len(tok) == VOCAB
    enc = tok("ba ko mi ba ko mi", return_offsets_mapping=True)
    assert enc["input_ids"][:3] == enc["input_ids"][3:]  # no BOS/EOS added
    assert enc["offset_mapping"][:2] == [(0, 2), (3, 5)]
    assert [tok.decode([i]) for i in enc["input_ids"][:3]] == ["ba", "ko", "mi"]
    assert len({tok.decode([i]) for i in range(VOCAB)}) == VOCAB


def test_run_text_predicts_the_copy(toy):
    first = "ba ko mi su te no la fi gu ra"
    trace = toy.run(f"{first} {first}")
    assert trace.tokens == first.split() * 2
    assert trace.attention(1).shape == (4, 20, 20)
    # From the second token of the second copy on (two tokens matching the first copy), the top
    # prediction is the next token of the first copy. At the first token of the copy the model
    # hedges: one matching token is common by chance in random text (seen: 'za' there).
    predicted = [toy.tokenizer.decode([int(i)]) for i in trace.logits[11:19].argmax(-1)]
    assert predicted == first.split()[2:]


@pytest.mark.parametrize(
    ("name", "ratio"),
    # Seen: repeated 0.32 / rest 4.25 (ratio 0.074); 4-5: 1.33 / 4.24 (0.31); 22-24: 0.77 / 4.21 (0.18).
    [("train 6-20", 0.15), ("held-out 4-5", 0.5), ("held-out 22-24", 0.3)],
)
def test_copies_in_context(traces, name, ratio):
    repeated, rest = split_losses(traces[name])
    assert rest > 3.9  # the rest is random: about ln 64 = 4.16
    assert repeated < ratio * rest, (name, repeated, rest)


def head_scores(runs) -> tuple[torch.Tensor, torch.Tensor]:
    """Previous-token and induction score ``[layers, heads]`` from ``trace.attention``."""
    prev, induction = [], []
    for trace, length, offset in runs:
        layers = [trace.attention(layer) for layer in range(trace.n_layers)]
        i = torch.arange(1, trace.n_tokens)
        q = torch.arange(offset + length, offset + 2 * length)  # the second copy
        prev.append(torch.stack([a[:, i, i - 1].mean(-1) for a in layers]))
        induction.append(torch.stack([a[:, q, q - length + 1].mean(-1) for a in layers]))
    return torch.stack(prev).mean(0), torch.stack(induction).mean(0)


def test_previous_token_head_feeds_induction_head(traces):
    prev, induction = head_scores(traces["train 6-20"])
    # Seen: prev-token L0 = [0.07, 0.58, 0.97, 0.07], L1 all <= 0.06;
    #       induction L1 = [0.94, 0.96, 0.96, 0.96], L0 all <= 0.03.
    assert prev[0].max() > 0.9
    assert induction[1].max() > 0.85
    assert (induction[1] > 0.8).sum() >= 2
    # and the roles sit in their own layers
    assert prev[1].max() < 0.2
    assert induction[0].max() < 0.1


def test_induction_holds_on_held_out_lengths(traces):
    # Seen: prev-token L0H2 0.97 for both; induction L1 = [0.84, 0.90, 0.82, 0.84] (4-5),
    # [0.75, 0.85, 0.84, 0.86] (22-24).
    for name in ("held-out 4-5", "held-out 22-24"):
        prev, induction = head_scores(traces[name])
        assert prev[0].max() > 0.9, name
        assert induction[1].max() > 0.7, name


def test_head_roles_find_the_circuit(toy):
    """The ground truth head-role discovery is held to: previous-token in layer 0 feeding induction in layer 1."""
    roles = {(r.layer, r.head): r for r in head_roles(toy, progress=False)}
    assert roles[(0, 2)].role == "previous-token" and roles[(0, 2)].score > 0.9
    induction = [r for r in roles.values() if r.role == "induction"]
    assert induction and all(r.layer == 1 for r in induction)
    assert max(r.score for r in induction) > 0.8


def test_words_outside_the_vocabulary_are_explained(toy):
    with pytest.raises(InputError, match="could not read"):
        toy.run("ba ko hello")
