"""The live core without a browser: requests on the worker, latest-only answers, cancellation, restoration."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import torch

from interplab_widgets import AttentionExplorer, PatchingExplorer, load_model
from interplab_widgets.analysis.patching import PatchingPair
from interplab_widgets.progress import Cancelled, Job, checkpoint, running, steps
from interplab_widgets.widgets.live import worker_for

pytestmark = pytest.mark.slow

TEXT = "The cat sat on the mat because it was tired."
CLEAN = "The Eiffel Tower is located in the city of"
CORRUPTED = "The Colosseum is located in the city of"


def assert_model_untouched(handle, reference):
    """No hook, no replaced forward, eager/sdpa setting as it was, and a trace equal to a fresh one's."""
    for name, module in handle.model.named_modules():
        assert not module._forward_hooks and not module._forward_pre_hooks, f"hook left on {name!r}"
        assert "forward" not in module.__dict__, f"forward of {name!r} left replaced"
    trace = handle.run(TEXT)
    for layer in range(handle.n_layers + 1):
        torch.testing.assert_close(trace.residual(layer), reference.residual(layer), rtol=0, atol=0)


@pytest.fixture(scope="module")
def reference(smollm2):
    return smollm2.run(TEXT)


@pytest.fixture(scope="module")
def patching(smollm2):
    return PatchingExplorer(smollm2, CLEAN, CORRUPTED, answer=" Paris", contrast=" Rome")


def test_one_handle_per_name_and_fresh_copies_on_request(smollm2):
    assert load_model("smollm2-135m") is smollm2
    assert load_model(smollm2.model, tokenizer=smollm2.tokenizer) is load_model(smollm2.model)
    fresh = load_model("smollm2-135m", fresh=True)
    assert fresh is not smollm2 and fresh.model is not smollm2.model
    assert load_model("smollm2-135m") is smollm2  # a fresh copy is its owner's alone
    assert fresh.fingerprint() == smollm2.fingerprint()  # same weights, same fingerprint
    with torch.no_grad():
        fresh.model.get_input_embeddings().weight.mul_(1.001)  # what any fine-tuning step does to a tensor
    fresh.memo.pop("fingerprint")
    assert fresh.fingerprint() != smollm2.fingerprint()


def test_a_browser_message_setting_two_traits_computes_one_cell(patching, monkeypatch):
    calls = []
    original = PatchingExplorer.cell_payload

    def counted(self, *args, **kwargs):
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PatchingExplorer, "cell_payload", counted)
    patching.set_state({"selected_layer": 7, "selected_position": 3, "_request": patching._request + 1})
    patching.wait()
    assert calls == [(7, 3, "resid", "denoise")]
    assert (patching._cell["layer"], patching._cell["position"]) == (7, 3)
    assert patching._status["request"] == patching._request and patching._status["state"] == "done"


def test_twenty_rapid_clicks_compute_at_most_two_answers_and_end_on_the_last(smollm2):
    explorer = AttentionExplorer(smollm2, TEXT, mode="norm")  # norm-based attention: a real computation per head
    before = explorer.computations
    for i in range(20):
        explorer.set_state({"selected_layer": 10 + i % 9, "selected_head": i % 9, "_request": explorer._request + 1})
    explorer.wait()
    assert explorer.computations - before <= 2
    assert (explorer._detail["layer"], explorer._detail["head"]) == (10 + 19 % 9, 19 % 9)
    assert explorer._status == {"request": explorer._request, "state": "done", "label": "detail of L11H1 (norm)",
                                "fraction": 1.0}  # fmt: skip


def test_answers_arrive_by_themselves_outside_a_kernel_even_under_an_event_loop(smollm2):
    async def build():  # a loop that looks running on this thread but never runs our callbacks
        return AttentionExplorer(smollm2, TEXT, roles=False)

    try:
        asyncio.get_running_loop()  # the browser tests' Playwright keeps one running on this thread
        explorer = AttentionExplorer(smollm2, TEXT, roles=False)
    except RuntimeError:
        explorer = asyncio.run(build())
    explorer.selected_head = 5
    deadline = time.monotonic() + 60
    while explorer._detail["head"] != 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert explorer._detail["head"] == 5 and explorer._status["state"] == "done"  # no wait() needed


def test_cached_answers_stay_on_the_main_thread(smollm2):
    explorer = AttentionExplorer(smollm2, TEXT)
    explorer.selected_head = 4
    explorer.wait()
    seen = []
    original = explorer._answer
    explorer._answer = lambda *a, **k: seen.append(threading.current_thread()) or original(*a, **k)
    explorer.selected_head = 0  # computed at construction: cached
    assert seen == [threading.main_thread()] and explorer._detail["head"] == 0  # answered before any wait()


def test_a_cancelled_request_stops_restores_its_inputs_and_leaves_the_model_as_it_was(smollm2, patching, reference):
    patching.wait()
    answered = (patching.component, patching.selected_layer)
    progress = []
    original = patching._show_progress
    patching._show_progress = lambda request, fraction: progress.append(fraction) or original(request, fraction)
    patching.component = "attn"  # a new 30 x n grid: seconds of batched patching on the worker
    deadline = time.monotonic() + 60
    while not progress and time.monotonic() < deadline:
        time.sleep(0.02)
    assert progress and 0 <= progress[0] < 1  # a real fraction, reported while it runs
    patching.cancel()
    assert patching._status["state"] == "cancelled"
    assert (patching.component, patching.selected_layer) == answered  # the view shows the last answer again
    patching.wait()
    assert ("attn", "denoise") not in patching.results  # it stopped at a batch boundary
    assert patching._grid["component"] == "resid"
    assert_model_untouched(smollm2, reference)
    patching.component = "mlp"  # and the next request runs normally
    patching.wait()
    assert patching._grid["component"] == "mlp" and patching._status["state"] == "done"


@pytest.mark.parametrize("error", [RuntimeError("a user's metric failed"), KeyboardInterrupt(), Cancelled()])
def test_an_interrupted_patched_batch_leaves_no_hook_and_no_replaced_forward(smollm2, reference, error):
    pair = PatchingPair(smollm2, CLEAN, CORRUPTED, answer=" Paris", contrast=" Rome")
    calls = []

    def metric(logits):
        calls.append(1)
        if len(calls) == 2:  # inside the second batch, with its hooks and skipped blocks in place
            raise error
        return logits[:, 0]

    pair.metric = metric
    with pytest.raises(type(error)):
        pair.patched_metric("resid", [(layer, 2) for layer in range(20, 31)], batch_size=4)
    assert_model_untouched(smollm2, reference)


def test_progress_spans_nest_and_cancellation_stops_at_the_next_checkpoint():
    reported = []
    job = Job(on_progress=reported.append)
    with running(job), pytest.raises(Cancelled):
        for outer in steps(range(2), disable=True):
            for inner in steps(range(4), disable=True):
                if (outer, inner) == (1, 2):
                    job.cancel()
                checkpoint()
    assert reported == sorted(reported) and reported[-1] == 0.75  # a batch loop around a layer loop: one fraction
    assert reported[:5] == [0.0, 0.0, 0.125, 0.125, 0.25]
    checkpoint()  # outside a request it never raises


def test_the_users_own_cell_waits_on_the_workers_lock(smollm2):
    explorer = AttentionExplorer(smollm2, TEXT, roles=False)
    entered, release = threading.Event(), threading.Event()
    original = explorer._run

    def slow_run(text):
        entered.set()
        release.wait(30)
        return original(text)

    explorer._run = slow_run
    explorer.text = "A second text to trace."
    assert entered.wait(30)
    assert worker_for(smollm2).handle is smollm2
    got = smollm2.lock.acquire(timeout=0.2)  # what handle.run in a user's cell does first
    assert not got, "the user's forward pass ran while a view's request held the model"
    release.set()
    explorer.wait()
    assert explorer._tokens[0] == "A" and explorer._status["state"] == "done"


def test_a_request_that_fails_before_it_starts_still_gets_an_answer(smollm2, patching, monkeypatch):
    monkeypatch.setattr(PatchingExplorer, "refresh", lambda self: 1 / 0)
    patching.set_state({"direction": "noise", "_request": patching._request + 1})
    assert patching._status == {"request": patching._request, "state": "error", "label": "request", "fraction": None}
    assert patching._error == "ZeroDivisionError: division by zero"  # the view stops waiting and says why
