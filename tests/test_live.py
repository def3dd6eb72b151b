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
        if module is handle.model:  # its one replaced forward is the one that takes the handle's lock
            assert module.forward.interplab_lock is handle.lock
        else:
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


# -- issue #34: nothing blocks, nothing leaks, every request answered ----------------------------------------------

TOY_CLEAN = "ba be bi bo bu da de ba be bi bo bu"
TOY_CORRUPTED = "ba be bi bo bu da de fa fe fi fo fu"


def _metric_raising_on_call(n, error):
    calls = []

    def metric(logits):
        calls.append(1)
        if len(calls) >= n:
            raise error
        return logits[:, 0]

    return metric


def test_a_keyboard_interrupt_from_user_code_cancels_its_request_and_the_worker_lives_on():
    toy = load_model("toy-induction", fresh=True)
    view = PatchingExplorer(toy, TOY_CLEAN, TOY_CORRUPTED, metric=_metric_raising_on_call(10**9, KeyboardInterrupt()))
    worker = worker_for(toy)
    view.pair.metric = _metric_raising_on_call(1, KeyboardInterrupt())  # the next grid's first metric call raises
    view.component = "attn"
    view.wait(120)  # answered: it does not block for its whole timeout
    assert view._status == {
        "request": view._request,
        "state": "cancelled",
        "label": view._status["label"],
        "fraction": None,
    }
    assert view.component == "resid"  # the inputs of the last answer are back
    assert worker.alive and worker_for(toy) is worker
    view.pair.metric = _metric_raising_on_call(10**9, KeyboardInterrupt())
    view.component = "mlp"  # every later request runs
    view.wait(120)
    assert view._status["state"] == "done" and view._grid["component"] == "mlp"


def test_a_keyboard_interrupt_in_a_cached_answer_is_answered_then_raised():
    toy = load_model("toy-induction", fresh=True)
    explorer = AttentionExplorer(toy, TOY_CLEAN, roles=False)
    explorer.selected_head = 1
    explorer.wait()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    explorer._answer = interrupted
    with pytest.raises(KeyboardInterrupt):
        explorer.selected_head = 0  # computed at construction: answered on this thread
    explorer.wait(1)  # never blocks
    assert explorer._status["state"] == "cancelled" and explorer.selected_head == 1


def test_a_dead_worker_is_replaced():
    toy = load_model("toy-induction", fresh=True)
    explorer = AttentionExplorer(toy, TOY_CLEAN, roles=False)
    dead = worker_for(toy)
    dead.submit(None)  # what ends its thread
    dead._thread.join(30)
    assert not dead.alive
    explorer.text = "fa fe fi fa fe fi"
    explorer.wait(120)
    assert explorer._status["state"] == "done" and explorer._tokens[0] == "fa"
    assert worker_for(toy) is not dead and worker_for(toy).alive


def test_the_users_own_forward_waits_until_a_view_has_removed_its_hooks(smollm2, patching, reference):
    """Before, a user's forward during a patching grid ran through the grid's hooks (IndexError, or patched logits)."""
    patching.wait()
    ids = smollm2.tokenizer(TEXT, return_tensors="pt").input_ids
    with torch.no_grad():
        expected = smollm2.model(ids).logits
    inside, release = threading.Event(), threading.Event()
    original = patching.pair.metric

    def metric(logits):  # runs inside the grid, with its hooks in place
        inside.set()
        release.wait(60)
        return original(logits)

    patching.pair.metric = metric
    patching.component = "mlp" if patching.component != "mlp" else "attn"
    assert inside.wait(120)
    got = {}

    def users_cell():
        with torch.no_grad():
            got["logits"] = smollm2.model(ids).logits

    user = threading.Thread(target=users_cell)
    user.start()
    user.join(0.5)
    assert user.is_alive(), "the user's forward ran while the view's hooks were on the model"
    release.set()
    user.join(120)
    patching.pair.metric = original
    patching.wait()
    torch.testing.assert_close(got["logits"], expected, rtol=0, atol=0)  # an unpatched forward
    assert_model_untouched(smollm2, reference)


def test_handles_models_and_workers_are_freed_when_nothing_holds_them():
    import gc
    import weakref

    handles, threads = [], []
    for _ in range(3):
        toy = load_model("toy-induction", fresh=True)
        view = PatchingExplorer(toy, TOY_CLEAN, TOY_CORRUPTED)
        view.component = "attn"
        view.wait(120)
        handles.append((weakref.ref(toy), weakref.ref(toy.model)))
        threads.append(worker_for(toy)._thread)
        view.close()
        del toy, view
    gc.collect()
    assert [(h(), m()) for h, m in handles] == [(None, None)] * 3
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()


def test_every_browser_message_with_a_request_id_is_answered_once():
    toy = load_model("toy-induction", fresh=True)
    explorer = AttentionExplorer(toy, TOY_CLEAN, roles=False)
    explorer.wait()

    def send(**state):
        explorer.set_state({**state, "_request": explorer._request + 1})
        explorer.wait()
        return explorer._status

    status = send(selected_head=explorer.selected_head)  # no change: nothing to compute, still answered
    assert status["request"] == explorer._request and status["state"] == "done"
    status = send(no_such_trait=1)
    assert status["request"] == explorer._request and status["state"] == "error"
    assert "no synced value named 'no_such_trait'" in explorer._error
    for bad in ["1", 1.5, float("nan"), None, True]:
        status = send(selected_head=bad)
        assert status["request"] == explorer._request and status["state"] == "error", bad
        assert explorer._error.startswith("selected_head must be a whole number") and explorer.selected_head == 0
    status = send(selected_head=2)  # and the next good message runs
    assert status["state"] == "done" and explorer._detail["head"] == 2
    before = explorer._request
    explorer.set_state({"selected_head": 3, "_request": 1})  # an id that goes backwards
    explorer.wait()
    assert explorer._request == before + 1 and explorer._status["request"] == before + 1
    assert explorer._detail["head"] == 3


def test_compiled_solvers_release_the_gil_and_the_kernel_loop_turns_while_flow_solves(smollm2, monkeypatch):
    import numba

    from interplab_widgets.analysis import flow

    dispatchers = [f for f in vars(flow).values() if isinstance(f, numba.core.registry.CPUDispatcher)]
    assert dispatchers and all(f.targetoptions.get("nogil") for f in dispatchers)

    calls = []
    solve = flow._flow_pairs
    monkeypatch.setattr(flow, "_flow_pairs", lambda *args: calls.append(1) or solve(*args))
    text = " ".join(["the cat sat on the mat and the dog lay by the door"] * 6)
    explorer = AttentionExplorer(smollm2, text, roles=False)
    explorer.wait()
    ticks = 0
    explorer.set_state({"mode": "flow", "selected_layer": 6, "_request": explorer._request + 1})
    while not explorer._latest.finished.is_set():  # the kernel's main thread, turning its loop
        time.sleep(0.001)
        ticks += 1
    explorer.wait()
    assert explorer._status["state"] == "done" and explorer._detail["mode"] == "flow"
    # Holding the GIL, each compiled call would let the loop turn about once; released, it turns throughout.
    assert calls and ticks > 20 * len(calls), (ticks, len(calls))


def test_the_flow_solver_is_compiled_in_a_child_process_not_on_the_kernel(tmp_path):
    import os
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from interplab_widgets.analysis import flow\n"
        "stack = np.tril(np.random.default_rng(0).random((3, 2, 12, 12)))\n"
        "result = flow.attention_flow(stack / stack.sum(-1, keepdims=True), positions=[11])\n"
        "stats = flow._flow_pairs.stats\n"
        "print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()), result.shape)\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}  # an empty cache: the first compile of this machine
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    hits, misses, shape = out.stdout.split(maxsplit=2)
    assert (int(hits), int(misses), shape.strip()) == (1, 0, "(1, 12)")  # loaded from the child's cache


def test_a_copy_or_pickle_of_the_model_runs_itself_with_a_lock_of_its_own():
    import copy
    import io

    toy = load_model("toy-induction", fresh=True)
    ids = toy.tokenizer(TOY_CLEAN, return_tensors="pt").input_ids
    with torch.no_grad():
        expected = toy.model(ids).logits
        twin = copy.deepcopy(toy.model)
        twin.get_input_embeddings().weight.mul_(2)  # a fine-tuned copy must not run the original
        assert not torch.equal(twin(ids).logits, expected)
        assert twin.forward.interplab_lock is not toy.lock
        buffer = io.BytesIO()
        torch.save(toy.model, buffer)
        buffer.seek(0)
        assert torch.equal(torch.load(buffer, weights_only=False)(ids).logits, expected)
    assert load_model(toy.model).lock is toy.lock  # a second handle of one model shares its lock
