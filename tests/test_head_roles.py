"""Head scores and head roles: loop oracles on hand-built patterns, the pipeline on a fake model whose
heads are ideal, the plug-in registry, and what the real embedded models measure."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from interplab_widgets import load_model
from interplab_widgets.analysis.head_roles import (
    HEAD_SCORES,
    ROLE_THRESHOLDS,
    HeadRole,
    HeadScores,
    RepeatedSequence,
    head_roles,
    head_scores,
    ordinary_token_ids,
    register_head_score,
    repeated_sequences,
    unregister_head_score,
)
from interplab_widgets.errors import InputError

BUILT_IN = ("previous_token", "induction", "duplicate_token", "sink", "self", "local", "mean_distance")
rng = np.random.default_rng(0)


def random_patterns(heads, n, causal=True):
    logits = rng.normal(size=(heads, n, n)) * 2
    if causal:
        logits = np.where(np.tril(np.ones((n, n))) > 0, logits, -np.inf)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    return torch.tensor(p / p.sum(-1, keepdims=True), dtype=torch.float32)


def scores_by_loops(p, start, length, causal):
    """Every built-in score of every head, one obvious loop each: ``{name: [heads]}``."""
    p = p.double().numpy()
    heads, n, _ = p.shape
    end = start + 2 * length
    queries = [i for i in range(start, end) if i >= 1]
    second = list(range(start + length, end))
    out = {name: [] for name in BUILT_IN}
    for h in range(heads):
        out["previous_token"].append(np.mean([p[h, i, i - 1] for i in range(start + 1, end)]))
        out["induction"].append(np.mean([p[h, i, i - length + 1] for i in second]))
        out["duplicate_token"].append(np.mean([p[h, i, i - length] for i in second]))
        out["sink"].append(np.mean([p[h, i, 0] for i in queries]))
        out["self"].append(np.mean([p[h, i, i] for i in queries]))
        distances, largest = [], []
        for i in queries:
            distances.append(sum(p[h, i, j] * abs(i - j) for j in range(n)))
            largest.append(i if causal else max(i, n - 1 - i))
        out["mean_distance"].append(np.mean(distances))
        out["local"].append(1 - sum(distances) / sum(largest))
    return out


# -- oracles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("causal", "start", "suffix"),
    [(True, 0, 0), (True, 1, 0), (False, 1, 1), (False, 0, 0)],
    ids=["causal", "causal-bos", "encoder-cls-sep", "encoder-bare"],
)
def test_every_built_in_score_equals_its_loop_definition(causal, start, suffix):
    length = 6
    n = start + 2 * length + suffix
    pattern = random_patterns(3, n, causal)
    sequence = RepeatedSequence(segment_length=length, start=start, n_tokens=n, is_causal=causal)
    expected = scores_by_loops(pattern, start, length, causal)
    for name in BUILT_IN:
        got = np.asarray(HEAD_SCORES[name].compute(pattern, sequence), dtype=np.float64)
        np.testing.assert_allclose(got, expected[name], atol=1e-6, err_msg=name)


def test_scores_of_pure_patterns():
    """One-hot heads score exactly 1 on their own score, and locality spans [0, 1]."""
    length, n = 5, 10
    eye = torch.eye(n)
    previous = torch.roll(eye, -1, dims=1).tril()
    previous[0, 0] = 1
    induction = torch.zeros(n, n)
    duplicate = torch.zeros(n, n)
    for i in range(n):
        induction[i, i - length + 1 if i >= length else 0] = 1
        duplicate[i, i - length if i >= length else i] = 1
    sink = torch.zeros(n, n)
    sink[:, 0] = 1
    pattern = torch.stack([previous, induction, duplicate, sink, eye])
    scores = {
        name: np.asarray(HEAD_SCORES[name].compute(pattern, RepeatedSequence(segment_length=length)))
        for name in BUILT_IN
    }
    # Query 1 of the induction and sink heads looks at 0 (its previous token); the duplicate-token head
    # looks at itself in the first copy; the sink head's query 5 looks at 0 = 5 - L.
    np.testing.assert_allclose(scores["previous_token"], [1, 1 / 9, 0, 1 / 9, 0])
    np.testing.assert_allclose(scores["induction"], [0, 1, 0, 0, 0])
    np.testing.assert_allclose(scores["duplicate_token"], [0, 0, 1, 1 / 5, 0])
    np.testing.assert_allclose(scores["self"], [0, 0, 4 / 9, 0, 1])
    assert scores["sink"][3] == 1 and scores["local"][3] == 0  # every query as far as it can look
    assert scores["local"][4] == 1 and scores["mean_distance"][4] == 0
    np.testing.assert_allclose(scores["mean_distance"][[0, 2]], [1, length * 5 / 9])  # 4 self rows of 9


# -- the pipeline on a fake model with ideal heads ----------------------------------------------------


class FakeTokenizer:
    """A BERT-like tokenizer over ``t0 .. t{size-1}``: ids 0 and 1 are [CLS] and [SEP] and frame every text."""

    all_special_ids = (0, 1)

    def __init__(self, size=40):
        self.pieces = ["[CLS]", "[SEP]", *(f"t{i}" for i in range(2, size))]
        self.added_tokens_decoder = {0: "[CLS]", 1: "[SEP]"}

    def __len__(self):
        return len(self.pieces)

    def convert_ids_to_tokens(self, ids):
        return [self.pieces[i] for i in ids]

    def decode(self, ids):
        return " ".join(self.pieces[i] for i in ids)

    def __call__(self, text, add_special_tokens=True):
        ids = [self.pieces.index(word) for word in text.split()]
        return {"input_ids": [0, *ids, 1] if add_special_tokens else ids}


def ideal_heads(ids):
    """Four heads ``[4, n, n]``: previous-token, induction, duplicate-token, sink (causal)."""
    n = len(ids)
    pattern = torch.zeros(4, n, n)
    for i in range(n):
        earlier = [j for j in range(i) if ids[j] == ids[i]]
        pattern[0, i, max(i - 1, 0)] = 1
        pattern[1, i, earlier[-1] + 1 if earlier else 0] = 1
        pattern[2, i, earlier[-1] if earlier else i] = 1
        pattern[3, i, 0] = 1
    return pattern


class FakeHandle:
    name = "fake"
    n_heads = 4
    is_causal = True

    def __init__(self, n_layers=2, max_tokens=512):
        self.n_layers = n_layers
        self.max_tokens = max_tokens
        self.tokenizer = FakeTokenizer()
        embeddings = SimpleNamespace(num_embeddings=len(self.tokenizer))
        self.model = SimpleNamespace(get_input_embeddings=lambda: embeddings)
        self.traced = []

    def run_ids(self, ids):
        self.traced.append(list(ids))
        pattern = ideal_heads(ids)
        return SimpleNamespace(attentions=lambda: ((layer, pattern) for layer in range(self.n_layers)))


def test_inputs_are_a_framed_segment_repeated_back_to_back():
    handle = FakeHandle()
    sequences, length, start = repeated_sequences(handle, 3, 10, seed=7)
    assert (length, start) == (10, 1)
    for ids in sequences:
        assert len(ids) == 22 and ids[0] == 0 and ids[-1] == 1
        segment = ids[1:11]
        assert ids[11:21] == segment
        assert len(set(segment)) == 10 and not set(segment) & {0, 1}  # distinct ordinary tokens
    assert repeated_sequences(handle, 3, 10, seed=7)[0] == sequences
    assert repeated_sequences(handle, 3, 10, seed=8)[0] != sequences
    # A short context clamps L so that [CLS] + 2L + [SEP] fits.
    assert repeated_sequences(FakeHandle(max_tokens=13), 1, 10, seed=0)[1] == 5


def test_ordinary_tokens_leave_out_special_added_and_bracketed_ones():
    tokenizer = FakeTokenizer()
    tokenizer.pieces[5] = "[unused3]"
    tokenizer.pieces[6] = " "
    ids = ordinary_token_ids(tokenizer, 10_000)
    assert set(ids) == set(range(2, 40)) - {5, 6}


def test_head_scores_and_roles_find_the_ideal_heads():
    handle = FakeHandle()
    scores = head_scores(handle, n_sequences=3, segment_length=8, progress=False)
    assert len(handle.traced) == 3
    assert scores.names == BUILT_IN and scores.values.shape == (2, 4, len(BUILT_IN))
    assert (scores.n_sequences, scores.segment_length, scores.model) == (3, 8, "fake")
    for layer in range(2):
        np.testing.assert_allclose(
            [scores.score(name)[layer, head] for head, name in enumerate(BUILT_IN[:4])], 1, atol=1e-6
        )
    roles = head_roles(scores)
    expected = ["previous-token", "induction", "duplicate-token", "sink"]
    assert roles == [HeadRole(layer, head, role, 1.0) for layer in range(2) for head, role in enumerate(expected)]
    assert head_roles(handle, n_sequences=1, segment_length=8, progress=False) == roles


def test_thresholds_override_by_role_or_score_name_and_none_turns_a_role_off():
    values = np.zeros((1, 2, len(BUILT_IN)), dtype=np.float32)
    values[0, 0, BUILT_IN.index("induction")] = 0.25  # under the default 0.3
    values[0, 0, BUILT_IN.index("previous_token")] = 0.6
    values[0, 1, BUILT_IN.index("sink")] = 0.9
    scores = HeadScores(BUILT_IN, values)
    assert [(r.head, r.role) for r in head_roles(scores)] == [(0, "previous-token"), (1, "sink")]
    assert head_roles(scores, {"induction": 0.2})[0] == HeadRole(0, 0, "induction", pytest.approx(0.25))
    assert head_roles(scores, {"previous_token": 0.7, "sink": None}) == []
    with pytest.raises(InputError, match="Unknown role 'copying'"):
        head_roles(scores, {"copying": 0.5})
    with pytest.raises(InputError, match="only apply"):
        head_roles(scores, n_sequences=2)


def test_default_thresholds_are_the_registered_ones():
    registered = {s.role: s.threshold for s in HEAD_SCORES.values() if s.role}
    assert registered == dict(ROLE_THRESHOLDS)


# -- HeadScores --------------------------------------------------------------------------------------


def test_head_scores_structure_rows_dataframe_and_repr(monkeypatch):
    values = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2) / 12
    scores = HeadScores(("a", "b"), values, units=("fraction", "tokens"), model="m", n_sequences=4, segment_length=9)
    np.testing.assert_array_equal(scores.score("b"), values[..., 1])
    assert scores.top("a", 2) == [(1, 2, pytest.approx(10 / 12)), (1, 1, pytest.approx(8 / 12))]
    rows = scores.rows()
    assert len(rows) == 6 and rows[4] == {"layer": 1, "head": 1, "a": pytest.approx(8 / 12), "b": pytest.approx(9 / 12)}
    frame = scores.to_dataframe()
    assert list(frame.columns) == ["layer", "head", "a", "b"] and len(frame) == 6
    text = repr(scores)
    assert "'m', 2 layers x 3 heads, 4 sequences of 2 x 9" in text and "L1H2 0.83" in text and "(tokens)" in text
    with pytest.raises(InputError, match="these scores are: a, b"):
        scores.score("c")
    with pytest.raises(InputError, match="layers, heads, 2"):
        HeadScores(("a", "b"), np.zeros((2, 3)))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        scores.to_dataframe()


# -- plug-ins ----------------------------------------------------------------------------------------


@pytest.fixture
def registry_restored():
    saved = dict(HEAD_SCORES)
    yield
    HEAD_SCORES.clear()
    HEAD_SCORES.update(saved)


def test_a_registered_score_is_a_column_and_a_role_until_unregistered(registry_restored):
    @register_head_score("last_of_segment", role="segment-end", threshold=0.5)
    def last_of_segment(pattern, sequence):
        """Attention from the second copy to the last token of the first copy."""
        assert sequence.layer in (0, 1) and sequence.trace is not None
        return pattern[:, sequence.second_copy, sequence.start + sequence.segment_length - 1].mean(-1)

    assert HEAD_SCORES["last_of_segment"].description.startswith("Attention from the second copy")
    handle = FakeHandle(n_layers=1)
    scores = head_scores(handle, n_sequences=2, segment_length=6, progress=False)
    assert scores.names == (*BUILT_IN, "last_of_segment")
    # Of the 6 second-copy queries, one looks at the first copy's last token in the previous-token head
    # (the first query), the induction head (the 5th) and the duplicate-token head (the 6th).
    np.testing.assert_allclose(scores.score("last_of_segment")[0], [1 / 6, 1 / 6, 1 / 6, 0], atol=1e-6)
    assert head_roles(scores, {"segment-end": 0.1, "induction": None}) == [
        HeadRole(0, 0, "previous-token", 1.0),
        HeadRole(0, 1, "segment-end", pytest.approx(1 / 6)),
        HeadRole(0, 2, "duplicate-token", 1.0),
        HeadRole(0, 3, "sink", 1.0),
    ]

    unregister_head_score("last_of_segment")
    assert head_scores(handle, n_sequences=1, segment_length=6, progress=False).names == BUILT_IN
    with pytest.raises(InputError, match="Unknown role 'segment-end'"):
        head_roles(scores, {"segment-end": 0.1})
    with pytest.raises(InputError, match="No head score named"):
        unregister_head_score("last_of_segment")


def test_plug_in_priority_decides_between_roles(registry_restored):
    register_head_score("also_sink", role="resting", threshold=0.5, priority=41)(HEAD_SCORES["sink"].compute)
    scores = head_scores(FakeHandle(n_layers=1), n_sequences=1, segment_length=6, progress=False)
    assert head_roles(scores)[3].role == "sink"  # sink is 40
    register_head_score("also_sink", role="resting", threshold=0.5, priority=39)(HEAD_SCORES["sink"].compute)
    assert head_roles(scores)[3].role == "resting"


def test_a_score_registered_after_the_first_roles_is_in_the_next_ones(registry_restored, tmp_path, monkeypatch):
    """cached_head_roles (what AttentionExplorer labels heads with) is keyed on the registered scores, in memory
    and on disk: a plug-in registered after the first view is used by the next one, and one replaced by other
    code under the same name is not read from the old file."""
    module = sys.modules["interplab_widgets.analysis.head_roles"]
    monkeypatch.setenv("INTERPLAB_CACHE", str(tmp_path))
    scored = []
    real = module.head_scores
    monkeypatch.setattr(module, "head_scores", lambda handle: scored.append(tuple(HEAD_SCORES)) or real(handle))
    toy = load_model("toy-induction", fresh=True)  # a handle, and a memo, of its own
    every_head = {(layer, head) for layer in range(toy.n_layers) for head in range(toy.n_heads)}
    before = module.cached_head_roles(toy)
    assert {r.role for r in before} >= {"induction", "previous-token"} and len(scored) == 1

    @register_head_score("everywhere_score", role="everywhere", threshold=0.5, priority=0)
    def ones(pattern, sequence):
        return torch.ones(pattern.shape[0])

    assert {(r.layer, r.head) for r in module.cached_head_roles(toy) if r.role == "everywhere"} == every_head
    assert scored[-1][-1] == "everywhere_score" and len(scored) == 2

    toy.memo.pop("head_roles")  # a new session: nothing in memory, the scores on disk
    assert {r.role for r in module.cached_head_roles(toy)} == {"everywhere"} and len(scored) == 2

    @register_head_score("everywhere_score", role="everywhere", threshold=0.5, priority=0)
    def zeros(pattern, sequence):
        return torch.zeros(pattern.shape[0])

    assert module.cached_head_roles(toy) == before and len(scored) == 3  # new code: scored again, not the old file
    unregister_head_score("everywhere_score")
    assert module.cached_head_roles(toy) == before and len(scored) == 3  # read from the first call's file
    assert len(list((tmp_path / "head_scores").glob("*.npz"))) == 3


def test_registration_errors(registry_restored):
    with pytest.raises(InputError, match="both role= and threshold="):
        register_head_score("x", role="x-role")
    with pytest.raises(InputError, match="already given by score 'induction'"):
        register_head_score("x", role="induction", threshold=0.1)

    @register_head_score("wrong_shape")
    def wrong_shape(pattern, sequence):
        return pattern.mean()

    with pytest.raises(InputError, match="'wrong_shape' returned shape"):
        head_scores(FakeHandle(n_layers=1), n_sequences=1, segment_length=4, progress=False)


def test_bad_arguments():
    with pytest.raises(InputError, match="n_sequences"):
        head_scores(FakeHandle(), n_sequences=0)
    with pytest.raises(InputError, match="segment_length"):
        head_scores(FakeHandle(), segment_length=1)
    with pytest.raises(InputError, match="too few"):
        head_scores(FakeHandle(max_tokens=5))


# -- real models ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smollm2_scores(smollm2):
    return head_scores(smollm2, n_sequences=4, segment_length=30, progress=False)


@pytest.mark.slow
def test_smollm2_scores_are_fractions_and_distances_in_range(smollm2_scores):
    assert smollm2_scores.values.shape == (30, 9, len(BUILT_IN))
    fractions = [name for name in BUILT_IN if name != "mean_distance"]
    assert all(0 <= smollm2_scores.score(n).min() and smollm2_scores.score(n).max() <= 1 + 1e-5 for n in fractions)
    assert 0 <= smollm2_scores.score("mean_distance").min() and smollm2_scores.score("mean_distance").max() <= 60


@pytest.mark.slow
def test_smollm2_has_induction_heads_in_layers_17_and_18(smollm2_scores):
    # Measured (4 sequences, L = 30, seed 0): L18H6 0.91, L17H4 0.79, L17H3 0.79, L17H5 0.65, L18H7 0.62,
    # L23H2 0.52, L23H7 0.51, L20H6 0.41, L24H4 0.35, L22H7 0.34; 232 of 270 heads score under 0.05.
    induction = smollm2_scores.score("induction")
    assert smollm2_scores.top("induction", 1)[0][:2] == (18, 6) and induction[18, 6] > 0.8
    assert min(induction[17, 3], induction[17, 4], induction[18, 6]) > 0.7
    assert (induction < 0.05).sum() > 200
    roles = {(r.layer, r.head): r.role for r in head_roles(smollm2_scores)}
    assert all(roles[head] == "induction" for head in [(17, 3), (17, 4), (17, 5), (18, 6), (18, 7)])
    assert min(layer for (layer, _), role in roles.items() if role == "induction") >= 17


@pytest.mark.slow
def test_smollm2_previous_token_and_duplicate_token_heads(smollm2_scores):
    # Measured: previous-token L16H0 0.90, L11H1 0.86, L2H1 0.76, L1H2 0.73, L19H3 0.70, L22H1 0.64, L10H5 0.55;
    # duplicate-token L14H3 0.81, L8H0 0.77, L5H6 0.69, L2H4 0.47, L15H6 0.42, L9H2 0.37.
    previous = smollm2_scores.score("previous_token")
    duplicate = smollm2_scores.score("duplicate_token")
    assert min(previous[16, 0], previous[11, 1], previous[2, 1], previous[1, 2]) > 0.65
    assert min(duplicate[14, 3], duplicate[8, 0]) > 0.65
    roles = {(r.layer, r.head): r.role for r in head_roles(smollm2_scores)}
    assert all(roles[h] == "previous-token" for h in [(1, 2), (2, 1), (11, 1), (16, 0)])
    assert all(roles[h] == "duplicate-token" for h in [(8, 0), (14, 3)])
    # The induction circuit's order: previous-token heads (layers 1-2) come long before induction heads (17+).
    first_previous = min(layer for (layer, _), role in roles.items() if role == "previous-token")
    first_induction = min(layer for (layer, _), role in roles.items() if role == "induction")
    assert first_previous <= 2 < first_induction
    # Most heads rest on the first token: 52 sink heads measured (L18H8 1.00, L5H5 0.99, L3H3 0.98, ...).
    assert sum(role == "sink" for role in roles.values()) > 30


@pytest.mark.slow
def test_smollm2_induction_score_needs_the_repetition(smollm2):
    """Control: on 60 random tokens with no repeat, L18H6 no longer looks at i - L + 1."""
    ids = np.random.default_rng(1).choice(ordinary_token_ids(smollm2.tokenizer, 49152), size=60, replace=False)
    trace = smollm2.run_ids(ids.tolist())
    sequence = RepeatedSequence(segment_length=30, is_causal=True)
    induction = HEAD_SCORES["induction"].compute(trace.attention(18), sequence)
    assert float(induction[6]) < 0.1


@pytest.mark.slow
def test_minilm_encoder_has_a_previous_token_head_and_no_induction(minilm):
    # Measured (4 sequences, L = 30, [CLS] + 2L + [SEP]): previous-token L0H2 0.99 (next best 0.32);
    # duplicate-token L2H9 0.57, L1H1 0.36; induction at most 0.02 (bidirectional: nothing to predict).
    scores = head_scores(minilm, n_sequences=4, segment_length=30, progress=False)
    assert scores.values.shape == (6, 12, len(BUILT_IN))
    assert scores.score("previous_token")[0, 2] > 0.9
    assert scores.score("induction").max() < 0.1
    roles = {(r.layer, r.head): r.role for r in head_roles(scores)}
    assert roles[(0, 2)] == "previous-token" and roles[(2, 9)] == "duplicate-token"
    assert "induction" not in roles.values()


@pytest.mark.slow
def test_head_roles_are_scored_once_per_set_of_weights_and_kept_on_disk(smollm2, tmp_path, monkeypatch):
    module = sys.modules["interplab_widgets.analysis.head_roles"]  # the package re-exports a function of this name

    monkeypatch.setenv("INTERPLAB_CACHE", str(tmp_path))
    scored, results = [], []
    real = module.head_scores

    def counted(handle):
        scored.append(handle)
        results.append(results[0] if results else real(handle, n_sequences=2))
        return results[-1]

    monkeypatch.setattr(module, "head_scores", counted)
    memo = smollm2.memo.pop("head_roles", None)
    try:
        roles = module.cached_head_roles(smollm2)
        assert len(scored) == 1 and len(list((tmp_path / "head_scores").glob("*.npz"))) == 1
        smollm2.memo.pop("head_roles")  # a new session: nothing in memory, the file on disk
        assert module.cached_head_roles(smollm2) == roles and len(scored) == 1
        other = SimpleNamespace(memo={}, fingerprint=lambda: "other weights", name="other")
        module.cached_head_roles(other)  # other weights: scored again, in a file of their own
        assert scored[-1] is other and len(list((tmp_path / "head_scores").glob("*.npz"))) == 2
    finally:
        if memo is not None:
            smollm2.memo["head_roles"] = memo
