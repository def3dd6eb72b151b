"""Bad inputs get one clear InputError that says what to change, and results that would be silently empty
(NaN metrics, NaN head scores) get a UserWarning: never a raw transformers / tokenizers / torch traceback."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from interplab_widgets import load_model
from interplab_widgets.analysis.attribution import attribute
from interplab_widgets.analysis.circuit_tasks import CircuitTask
from interplab_widgets.analysis.head_roles import HEAD_SCORES, head_roles, head_scores, register_head_score
from interplab_widgets.analysis.patching import PatchingPair
from interplab_widgets.errors import InputError
from interplab_widgets.failures import PERTURBATIONS, Case, perturb, run_cases
from interplab_widgets.models.embedded import EMBEDDED_MODELS
from interplab_widgets.widgets.failure_explorer import FailureExplorer

FIRST = "ba ko mi su te no la fi"
CLEAN = f"{FIRST} {FIRST[:8]}"  # the toy model copies: after "ba ko mi" comes " su"
CORRUPTED = f"{FIRST} gu ra di"  # same length, nothing to copy


@pytest.fixture(scope="module")
def toy():
    return load_model("toy-induction")


@pytest.fixture
def toy_folder():
    return EMBEDDED_MODELS["toy-induction"].folder()


# -- load_model ---------------------------------------------------------------------------------


def test_an_empty_folder_or_the_current_one_holds_no_model(tmp_path, monkeypatch):
    with pytest.raises(InputError, match=r"holds no model: there is no config\.json"):
        load_model(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"'\.' \(.*\) holds no model"):
        load_model(".")


def test_a_folder_with_a_config_but_no_weights(tmp_path, toy_folder):
    shutil.copy(toy_folder / "config.json", tmp_path)
    with pytest.raises(InputError, match=r"has a config\.json but no weights"):
        load_model(str(tmp_path))


def test_a_folder_with_weights_but_no_tokenizer(tmp_path, toy_folder):
    for name in ("config.json", "model.safetensors"):
        shutil.copy(toy_folder / name, tmp_path)
    with pytest.raises(InputError, match=r"has a model but no tokenizer.*tokenizer\.save_pretrained\(folder\)"):
        load_model(str(tmp_path))


def test_a_tokenizer_argument_that_is_not_a_tokenizer(toy):
    with pytest.raises(InputError, match=r"tokenizer= must be a Hugging Face tokenizer.*got int 42"):
        load_model(toy.model, tokenizer=42)
    with pytest.raises(InputError, match=r"bare tokenizers.Tokenizer; wrap it: PreTrainedTokenizerFast"):
        load_model(toy.model, tokenizer=toy.tokenizer.backend_tokenizer)


# -- token ids and texts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([1, float("nan")], r"token_ids\[1\] is nan \(float\)"),
        ([1, 2.5], r"token_ids\[1\] is 2.5 \(float\); token ids are whole numbers in 0..63"),
        (["ba", "ko"], r"token_ids\[0\] is 'ba' \(str\)"),
        ("ba ko", "not a str"),
        (torch.tensor([[1, 2, 3]]), r"one sequence.*shape \(1, 3\) \(one sequence: pass token_ids\[0\]\)"),
        ([[1, 2], [3, 4]], r"token_ids\[0\] is a list.*one sequence at a time"),
        ([True, 2], r"token_ids\[0\] is True \(bool\)"),
        (None, "must be a list of integer token ids, got NoneType"),
        ([], "token_ids is empty"),
        ([0, 64], r"token_ids\[1\] is 64; token ids must be in 0..63"),
    ],
    ids=["nan", "float", "strings", "text", "2-d-tensor", "nested", "bool", "none", "empty", "out-of-range"],
)
def test_run_ids_refuses_what_is_not_a_sequence_of_token_ids(toy, ids, message):
    with pytest.raises(InputError, match=message):
        toy.run_ids(ids)


def test_run_ids_takes_whole_floats_arrays_and_tensors_as_the_ints_they_are(toy):
    expected = toy.run_ids([4, 9, 4, 9]).token_ids.tolist()
    for ids in ([4.0, 9.0, 4.0, 9.0], np.array([4, 9, 4, 9]), torch.tensor([4, 9, 4, 9]), np.array([4.0, 9, 4, 9])):
        assert toy.run_ids(ids).token_ids.tolist() == expected == [4, 9, 4, 9]


def test_a_lone_surrogate_is_named_with_its_index_and_the_fix(toy):
    text = "ba ko \ud83d mi"
    with pytest.raises(InputError, match=r"unpaired surrogate '\\ud83d' at index 6.*encode\('utf-8', 'replace'\)"):
        toy.run(text)
    with pytest.raises(InputError, match="unpaired surrogate"):
        toy.run_many(["ba ko", text], progress=False)
    fixed = text.encode("utf-8", "replace").decode("utf-8")  # the fix the message gives
    assert toy.run_many([fixed.replace("?", "su")], progress=False)[0].tokens == ["ba", "ko", "su", "mi"]


def test_targets_and_foils_the_tokenizer_cannot_encode(toy):
    unknown = r"could not read (answer|target|foil|answers\[0\]|the check token) 'hello': WordLevel error"
    with pytest.raises(InputError, match=unknown):
        PatchingPair(toy, CLEAN, CORRUPTED, answer="hello")
    with pytest.raises(InputError, match=unknown):
        attribute(toy, CLEAN, target="hello")
    with pytest.raises(InputError, match=unknown):
        attribute(toy, CLEAN, target=" su", foil="hello")
    with pytest.raises(InputError, match=unknown):
        CircuitTask(toy, [CLEAN], [CORRUPTED], answers=["hello"], contrasts=[" gu"])
    with pytest.raises(InputError, match=unknown):
        run_cases(toy, [Case("ba ko mi", "top_in", ("hello",))], progress=False)
    with pytest.raises(InputError, match=r"target=64 is not a token id of toy-induction: ids are 0\.\.63"):
        attribute(toy, CLEAN, target=64)


# -- lists with a bad item ----------------------------------------------------------------------


def test_failure_explorer_names_the_item_that_is_not_a_case(toy):
    with pytest.raises(InputError, match=r"cases\[0\] is NoneType None, not a Case: build it as Case\(prompt"):
        FailureExplorer(toy, [None])
    good = Case("ba ko mi", "top_in", ("su",))
    with pytest.raises(InputError, match=r"cases\[1\] is str 'typos'.*cannot be mixed"):
        FailureExplorer(toy, [good, "typos"])
    with pytest.raises(InputError, match="cases must be a list of Case objects; got NoneType"):
        run_cases(toy, None, progress=False)


def test_circuit_task_names_the_prompt_that_is_neither_text_nor_ids(toy):
    with pytest.raises(InputError, match=r"clean\[0\] is NoneType None; each prompt is a text or a list of token ids"):
        CircuitTask(toy, [None], [CORRUPTED])
    with pytest.raises(InputError, match=r"corrupted\[1\]\[2\] is 2.5 \(float\)"):
        CircuitTask(toy, [[1, 2, 3], [1, 2, 3]], [[4, 5, 6], [4, 5, 2.5]])


# -- metrics, scores and perturbations that return the wrong thing --------------------------------


def test_a_patching_metric_must_keep_the_batch(toy):
    su = toy.tokenizer.convert_tokens_to_ids("su")
    with pytest.raises(InputError, match=r"returned a tensor of shape \(\)\. Keep the batch dimension"):
        PatchingPair(toy, CLEAN, CORRUPTED, metric=lambda logits: logits[:, su].mean())
    with pytest.raises(InputError, match=r"returned float 1\.5"):
        PatchingPair(toy, CLEAN, CORRUPTED, metric=lambda logits: 1.5)
    with pytest.raises(InputError, match=r"metric is nan on the clean prompt"):
        PatchingPair(toy, CLEAN, CORRUPTED, metric=lambda logits: logits[:, su] * float("nan"))


class NanWhenPatched:
    """The logit of a token on the two unpatched prompts, NaN on every patched run (e.g. a log of a quantity
    that patching drives negative)."""

    def __init__(self, token_id: int) -> None:
        self.token_id, self.calls = token_id, 0

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        value = logits[:, self.token_id]
        return value if self.calls == 1 else value * float("nan")


def test_a_metric_that_is_nan_on_patched_runs_warns_once_with_the_cells(toy):
    pair = PatchingPair(toy, CLEAN, CORRUPTED, metric=NanWhenPatched(toy.tokenizer.convert_tokens_to_ids("su")))
    with pytest.warns(
        UserWarning, match=r"metric is NaN in 6 of 6 patched cells \(exact\): \(layer 0, position 9\)"
    ) as seen:
        result = pair.exact("resid", layers=[0, 1, 2], positions=[9, 10], progress=False)
    assert np.isnan(result.effects).all() and len(seen) == 1


def test_a_nan_head_score_warns_which_heads_get_no_role(toy):
    saved = dict(HEAD_SCORES)

    @register_head_score("half_nan", role="half", threshold=0.5, priority=0)
    def half_nan(pattern, sequence):
        """1 for the first two heads, NaN for the others (e.g. a mean over no queries)."""
        return torch.tensor([1.0, 1.0, float("nan"), float("nan")])

    try:
        expected = r"'half_nan' is NaN for 4 of 8 heads \(L0H2, L0H3, L1H2, L1H3\); they get no 'half' role"
        with pytest.warns(UserWarning, match=expected):
            scores = head_scores(toy, n_sequences=1, segment_length=8, progress=False)
        with pytest.warns(UserWarning, match=expected):
            roles = head_roles(scores)
        assert {(r.layer, r.head) for r in roles if r.role == "half"} == {(0, 0), (0, 1), (1, 0), (1, 1)}
    finally:
        HEAD_SCORES.clear()
        HEAD_SCORES.update(saved)


def test_a_perturbation_that_returns_a_string_is_named(monkeypatch):
    monkeypatch.setitem(PERTURBATIONS, "shout", lambda text, rng, **_: text.upper())
    with pytest.raises(InputError, match=r"perturbation 'shout' returned str 'THE CAT SAT'; a perturbation returns"):
        perturb("The cat sat", ["shout"])
