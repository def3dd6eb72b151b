"""trace_generation on smollm2-135m: the model's own generation, and a logit lens that ends in its output."""

from __future__ import annotations

import pytest
import torch

from interplab_widgets import InputError
from interplab_widgets.analysis.generation import trace_generation

pytestmark = pytest.mark.slow

EIFFEL = "The Eiffel Tower is located in the city of"


@pytest.fixture(scope="module")
def record(smollm2):
    return trace_generation(smollm2, EIFFEL, max_new_tokens=12)


def test_tokens_equal_greedy_generate(smollm2, record):
    ids = torch.tensor([smollm2.run(EIFFEL).token_ids.tolist()])
    expected = smollm2.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False)
    assert record.token_ids.tolist() == expected[0, ids.shape[1] :].tolist()
    assert record.tokens[0] == " Paris"


def test_lens_at_the_last_layer_is_the_models_own_distribution(record):
    scores = torch.log_softmax(record.generation.scores, dim=-1)  # what generate chose from, step by step
    for step in range(record.n_steps):
        top = scores[step].topk(10)
        assert record.lens.top_ids[step, -1].tolist() == top.indices.tolist()
        torch.testing.assert_close(torch.tensor(record.lens.top_probs[step, -1]), top.values.exp(), atol=1e-4, rtol=0)
        entropy_bits = -(scores[step].exp() * scores[step]).sum() / torch.log(torch.tensor(2.0))
        assert abs(record.lens.entropy[step, -1] - entropy_bits.item()) < 1e-3
    assert (record.ranks == 0).all()  # greedy: every chosen token was the model's top-1


def test_paris_forms_in_the_late_layers(record):
    # measured: " Paris" is top-1 from lens row 28 (after block 27 of 30) on, with p = 0.10, 0.46, 0.48, 0.70
    assert record.first_top1_layer(0) == 28
    assert record.lens.target_probs[0, :20].max() < 0.01


def test_step_attention_is_the_new_tokens_query_row(record):
    attention = record.step_attention(2)
    position = record.generation.positions[2]
    assert attention.shape == (30, 9, position + 1)
    torch.testing.assert_close(torch.tensor(attention.sum(-1)), torch.ones(30, 9), atol=1e-4, rtol=0)
    trace = record.generation.trace  # one row of scores a layer = that row of the eager module's pattern
    for layer in (0, 17, 29):
        full = trace.attention(layer)[:, position, : position + 1]
        torch.testing.assert_close(torch.tensor(attention[layer]), full, atol=1e-5, rtol=0)


def test_chat_template_and_encoder_errors(smollm2, minilm):
    chat = trace_generation(smollm2, "What is the capital of France?", max_new_tokens=6, chat=True)
    assert "<|im_start|>" in "".join(chat.prompt_tokens) and "Paris" in "".join(chat.tokens)
    with pytest.raises(InputError, match=r"encoder.*AttentionExplorer"):
        trace_generation(minilm, "Hello there")
    with pytest.raises(InputError, match="max_new_tokens"):
        trace_generation(smollm2, "Hello", max_new_tokens=0)


def test_a_long_generation_shows_a_bar_in_the_cell_and_none_inside_a_views_request(capsys):
    """The user's cell gets a tqdm bar; a view's request reports its progress to the view instead."""
    from interplab_widgets import load_model
    from interplab_widgets.progress import Job, running

    toy = load_model("toy-induction")

    trace_generation(toy, "ba be bi", max_new_tokens=16)
    assert "generating" in capsys.readouterr().err
    job = Job()
    with running(job):
        trace_generation(toy, "ba be bi", max_new_tokens=16)
    assert "generating" not in capsys.readouterr().err
    assert job.fraction > 0.5  # the request saw the generation's progress
