"""harvest, the shipped datasets, probes with control tasks, projections, and the two widgets' kernel side."""

from __future__ import annotations

import os
import signal
import threading
import time

import ipywidgets
import numpy as np
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from interplab_widgets import (
    InputError,
    ProbeView,
    ProjectionExplorer,
    harvest,
    load_dataset,
    probe_layers,
)
from interplab_widgets.analysis import control_labels, probe_splits, project
from interplab_widgets.analysis.probes import REGULARISATION
from interplab_widgets.analysis.projection import prepare
from interplab_widgets.analysis.projection_child import fit
from interplab_widgets.analysis.projection_process import ProjectionProcessError, projection_process
from interplab_widgets.datasets import DATASETS, from_texts
from interplab_widgets.progress import Cancelled, Job, running
from interplab_widgets.widgets.wire import from_wire

TEXTS = ["The cat sat on the mat.", "Paris is the capital of France.", "Two plus two is four"]


@pytest.fixture(scope="module")
def negation(smollm2):
    dataset = load_dataset("negation")
    return dataset, harvest(smollm2, dataset.texts, unit="sentence", pooling="last", progress=False)


def test_token_rows_are_the_residual_stream_of_each_token_with_their_provenance(smollm2, tmp_path):
    result = harvest(smollm2, TEXTS, layers=[0, 5, 30], cache=tmp_path, progress=False)
    traces = [smollm2.run(text) for text in TEXTS]
    assert result.n_rows == sum(len(t.token_info) for t in traces)
    assert result.layers == [0, 5, 30] and result.activations[5].shape == (result.n_rows, 576)
    row = 0
    for text_index, trace in enumerate(traces):
        for token in trace.token_info:
            assert (result.text_index[row], result.token_index[row]) == (text_index, token.index)
            assert result.tokens[row] == token.text
            assert TEXTS[text_index][result.start[row] : result.end[row]] in (token.text, token.text.strip())
            for layer in (0, 5, 30):
                np.testing.assert_allclose(
                    result.layer(layer)[row], trace.residual(layer)[token.index], rtol=1e-5, atol=1e-3
                )  # batched vs single: float noise
            row += 1
    assert result.context(1) == "The[ cat] sat on the mat."
    with pytest.raises(InputError, match="layer 7 was not harvested"):
        result.layer(7)


def test_sentence_rows_pool_the_tokens(smollm2, minilm, tmp_path):
    mean = harvest(smollm2, TEXTS, layers=[12], unit="sentence", cache=False, progress=False)
    last = harvest(smollm2, TEXTS, layers=[12], unit="sentence", pooling="last", cache=False, progress=False)
    for i, text in enumerate(TEXTS):
        residual = smollm2.run(text).residual(12)
        np.testing.assert_allclose(
            mean.layer(12)[i], residual.mean(0), rtol=1e-5, atol=1e-3
        )  # batched vs single: float noise
        np.testing.assert_allclose(
            last.layer(12)[i], residual[-1], rtol=1e-5, atol=1e-3
        )  # batched vs single: float noise
    assert list(mean.token_index) == [-1, -1, -1] and mean.tokens == TEXTS
    # BERT's [CLS] and [SEP] are left out unless asked for.
    words = harvest(minilm, TEXTS[:1], layers=[6], cache=False, progress=False)
    everything = harvest(minilm, TEXTS[:1], layers=[6], special_tokens=True, cache=False, progress=False)
    assert everything.tokens[0] == "[CLS]" and everything.tokens[-1] == "[SEP]"
    assert words.tokens == everything.tokens[1:-1]


def test_a_second_harvest_reads_the_cache(smollm2, tmp_path):
    first = harvest(smollm2, TEXTS, layers=[3, 4], cache=tmp_path, progress=False)
    second = harvest(smollm2, TEXTS, layers=[3, 4], cache=tmp_path, progress=False)
    assert not first.from_cache and second.from_cache
    assert len(list(tmp_path.glob("*.npz"))) == 1
    for layer in (3, 4):
        np.testing.assert_array_equal(first.layer(layer), second.layer(layer))
    np.testing.assert_array_equal(first.start, second.start)
    assert second.tokens == first.tokens and second.texts == TEXTS
    other = harvest(smollm2, TEXTS, layers=[3], cache=tmp_path, progress=False)
    assert not other.from_cache and len(list(tmp_path.glob("*.npz"))) == 2


def test_harvest_refuses_bad_requests_before_running(smollm2):
    with pytest.raises(InputError, match=r"would hold .* GiB.*Choose fewer layers"):
        harvest(smollm2, TEXTS, max_bytes=10_000, cache=False)
    with pytest.raises(InputError, match="out of range"):
        harvest(smollm2, TEXTS, layers=[31], cache=False)
    with pytest.raises(InputError, match="list of texts"):
        harvest(smollm2, "one text", cache=False)
    with pytest.raises(InputError, match="unit must be one of"):
        harvest(smollm2, TEXTS, unit="word", cache=False)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_shipped_datasets_are_balanced_minimal_sets(name):
    dataset = load_dataset(name)
    counts = np.bincount(dataset.labels)
    assert len(counts) == len(dataset.label_names) >= 2 and counts.min() == counts.max() >= 48
    assert len(set(dataset.texts)) == len(dataset)
    assert len(set(dataset.types)) >= 16


def test_negated_and_affirmative_sentences_differ_only_by_the_negation():
    dataset = load_dataset("negation")
    affirmative, negated = dataset.texts[0], dataset.texts[1]
    assert (affirmative, negated) == ("The dog is happy.", "The dog is not happy.")
    assert dataset.types[0] == dataset.types[1] == "dog"
    assert {text.split()[-1] for text in dataset.texts} == {"happy.", "tired.", "hungry.", "quiet.", "today.", "again."}


def test_negation_probe_on_smollm2_is_accurate_selective_and_generalises(smollm2, negation):
    """Measured: 0.50 at the embeddings (the last token is the same word in both classes), 0.97-1.00
    from block 2 on; the control task (a random label per subject noun) 0.50-0.76 up to block 23, so
    selectivity is 0.24-0.49 there; 0.93-1.00 on subject nouns never seen in training."""
    dataset, harvested = negation
    curve = probe_layers(smollm2, dataset, harvested=harvested, progress=False)
    assert curve.layers == list(range(31)) and curve.n_test > 100 and curve.n_held_out_types >= 4
    assert curve.accuracy[0] < 0.6  # the embeddings of the last token know nothing of the negation
    assert curve.accuracy[2:].min() > 0.9 and curve.generalisation[2:].min() > 0.9
    assert curve.selectivity[2:19].min() > 0.3
    assert set(curve.regularisation) <= set(REGULARISATION)
    assert "selectivity" in curve.table() and "held-out types" in curve.table()


def test_selectivity_is_zero_and_generalisation_at_chance_for_a_task_only_memorising_can_solve(smollm2):
    """A label that is a random function of the word: the probe must pick enough capacity to memorise
    words, so the control (another random function) is learnt just as well and selectivity is ~0, and
    words never seen in training are at chance. On the real categories of the same words, the strongest
    regularisation reads them (control 0.27) and unseen words are classified right: the measures differ
    where the property does. Measured: memorising |selectivity| <= 0.04, held-out 0.10-0.28 (chance 0.2)."""
    words = load_dataset("word_categories")
    harvested = harvest(smollm2, words.texts, layers=[0, 8, 16, 24], unit="sentence", pooling="last", progress=False)
    memorised = control_labels(words.types, words.labels, seed=7)
    arbitrary = from_texts(words.texts, [f"class {label}" for label in memorised], types=words.types)
    memorising = probe_layers(smollm2, arbitrary, harvested=harvested, progress=False)
    assert memorising.accuracy.min() > 0.85 and memorising.control_accuracy.min() > 0.85
    assert np.abs(memorising.selectivity).max() < 0.12
    assert memorising.generalisation.max() < 0.4
    assert memorising.regularisation.min() >= 1e-2  # it had to give the probe capacity
    categories = probe_layers(smollm2, words, harvested=harvested, progress=False)
    assert categories.accuracy.min() > 0.95 and categories.generalisation.min() > 0.9
    assert categories.selectivity.min() > 0.5


TENSE_NOUNS = "dog cat teacher doctor child farmer pilot singer baker nurse king girl".split()


def test_a_users_own_small_dataset_probes_or_says_what_to_change(smollm2):
    """48 sentences of the user's own, past vs present, 12 subject nouns; the last word is the same in both
    classes, so the default types (last words) cannot be held out, and the probe says so instead of failing."""
    texts, labels = [], []
    for noun in TENSE_NOUNS:
        for past, present in (("walked", "walks"), ("cooked", "cooks")):
            place = "home" if past == "walked" else "dinner"
            texts += [f"The {noun} {past} {place}", f"The {noun} {present} {place}"]
            labels += ["past", "present"]
    by_last_word = probe_layers(smollm2, from_texts(texts, labels), layers=[0, 6, 12], progress=False)
    assert by_last_word.accuracy.max() > 0.9 and np.isnan(by_last_word.generalisation).all()
    assert any("held-out types: n/a" in note for note in by_last_word.notes)
    by_noun = from_texts(texts, labels, types=[text.split()[1] for text in texts], name="tense")
    curve = probe_layers(smollm2, by_noun, layers=[0, 6, 12], progress=False)
    assert curve.n_held_out_types >= 2 and curve.generalisation.max() > 0.9
    assert np.isfinite(curve.control_accuracy).all()
    print("\n" + curve.table())
    with pytest.raises(InputError, match="at least 4 per label"):
        probe_layers(smollm2, from_texts(texts[:5] + texts[6:7], labels[:5] + labels[6:7]), progress=False)
    with pytest.raises(InputError, match="at least two different labels"):
        probe_layers(smollm2, texts=texts, labels=["past"] * len(texts), progress=False)


def test_probe_splits_share_types_for_the_control_and_keep_them_apart_for_generalisation():
    dataset = load_dataset("subject_number")
    splits = probe_splits(dataset.labels, dataset.types)
    train, test = splits.seen
    assert {dataset.types[i] for i in test} <= {dataset.types[i] for i in train}
    assert abs(len(test) / len(dataset) - 0.25) < 0.02 and not set(train) & set(test)
    held_train, held_test = splits.held_out
    assert not {dataset.types[i] for i in held_train} & {dataset.types[i] for i in held_test}
    assert set(splits.validation[0]) | set(splits.validation[1]) == set(train)
    for noun in set(dataset.types):
        assert len({splits.control[i] for i, t in enumerate(dataset.types) if t == noun}) == 1
    assert len(set(control_labels(["a", "a", "b", "b"], np.array([0, 0, 0, 1])))) == 2
    custom = from_texts(["a b", "c d", "e f", "g h"], ["x", "y", "x", "y"])
    assert custom.label_names == ["x", "y"] and custom.types == ["b", "d", "f", "h"]
    with pytest.raises(InputError, match="one label per text"):
        from_texts(["a", "b"], ["x"])


@pytest.mark.parametrize("method", ["pca", "umap", "tsne"])
def test_projections_keep_clearly_separated_labels_apart(negation, method):
    """Measured at layer 16 (k-NN, 5-fold): PCA 0.88, UMAP 1.00, t-SNE 1.00."""
    dataset, harvested = negation
    features = harvested.layer(16)
    points = project(features, method)
    assert points.shape == (len(dataset), 2) and points.dtype == np.float32
    knn = cross_val_score(KNeighborsClassifier(5), points, dataset.labels, cv=5).mean()
    assert knn > 0.8, f"{method}: k-NN on the 2-D points {knn:.3f}"
    # At the embeddings every sentence's last token is ".": one vector 576 times. Its "projection" was
    # rounding noise (k-NN 0.5), which a scatter scaled to fit draws as structure: it is refused in words.
    with pytest.raises(InputError, match=f"All {len(dataset)} points are the same vector"):
        project(harvested.layer(0), method)


def test_projection_explorer_answers_selections_and_probes(smollm2, negation):
    dataset, harvested = negation
    names = [dataset.label_names[label] for label in dataset.labels]
    explorer = ProjectionExplorer(smollm2, harvested, labels={"negation": names}, layer=16)
    points = from_wire(explorer._points["xy"])
    assert points.shape == (len(dataset), 2) and explorer._points["layer"] == 16
    assert explorer._layers == list(range(31)) and explorer._n_points == len(dataset)
    assert explorer.color_by == "negation" and explorer._label_sets["negation"]["names"] == ["affirmative", "negated"]

    negated = [int(i) for i in np.flatnonzero(dataset.labels == 1)]
    explorer.selected_points = negated
    explorer.wait()
    selection = explorer._selection
    assert selection["count"] == len(negated) and set(selection) == {"count", "contexts"}
    first = selection["contexts"][0]
    assert explorer._texts[first["text"]] == dataset.texts[negated[0]] and len(selection["contexts"]) == 50

    explorer._on_message(explorer, {"type": "probe"}, [])
    explorer.wait()
    probe = explorer._probe
    assert probe["status"] == "done" and probe["accuracy"] > 0.95 and probe["n_test"] > 100

    explorer.method = "umap"
    explorer.wait()
    assert explorer._points["method"] == "umap" and ((16, "umap") in explorer.projections)
    explorer.selected_layer = 40
    explorer.wait()
    assert "layer 40 was not harvested" in explorer._error
    explorer.selected_layer, explorer.selected_points = 2, [10_000]  # the view answers all its inputs at once
    explorer.wait()
    assert "point ids must be in" in explorer._error
    explorer.selected_points = []
    explorer.wait()
    assert explorer._error == "" and explorer._points["layer"] == 2


def test_token_explorer_labels_points_by_text(smollm2):
    explorer = ProjectionExplorer(smollm2, TEXTS, layers=[0, 10])
    assert explorer._layers == [0, 10] and explorer.selected_layer == 10
    assert explorer._label_sets["text"]["names"][1].startswith("text 1: Paris")
    explorer.selected_points = [0]
    explorer.wait()
    explorer._on_message(explorer, {"type": "probe"}, [])
    explorer.wait()
    assert explorer._probe["status"] == "error" and "Select between 4 and" in explorer._probe["message"]


def test_probe_view_clicks_move_a_linked_projection(smollm2, negation):
    dataset, harvested = negation
    view = ProbeView(smollm2, dataset, harvested=harvested)
    explorer = ProjectionExplorer(smollm2, harvested, layer=16)
    ipywidgets.link((view, "selected_layer"), (explorer, "selected_layer"))
    view._points.selected = [4]  # what a click on layer 4's point does in the browser
    explorer.wait()
    assert view.selected_layer == 4 and explorer.selected_layer == 4 and explorer._points["layer"] == 4
    explorer.selected_layer = 20
    explorer.wait()
    assert view.selected_layer == 20 and list(view._points.selected) == [20] and view._marker.x[0] == 20


def test_syntax_labels_come_from_spacy_words(smollm2):
    from interplab_widgets.syntax import syntax_labels

    rows = harvest(smollm2, ["The cat sat on the mat."], layers=[0], cache=False, progress=False)
    labels = syntax_labels(rows)
    pos_names, pos = labels["part of speech"]
    depth_names, depth = labels["dependency depth"]
    by_token = {rows.tokens[i]: (pos_names[pos[i]], depth_names[depth[i]]) for i in range(rows.n_rows)}
    assert by_token[" cat"] == ("NOUN", "1") and by_token[" sat"] == ("VERB", "0") and by_token[" mat"] == ("NOUN", "2")
    explorer = ProjectionExplorer(smollm2, rows, syntax=True)
    assert {"part of speech", "dependency depth"} <= set(explorer._label_sets)
    with pytest.raises(InputError, match="per token"):
        syntax_labels(harvest(smollm2, ["a b c"], layers=[0], unit="sentence", cache=False, progress=False))


# -- UMAP and t-SNE in their own process (issue #34) ------------------------------------------------------


def _in_thread(target):
    """Run ``target()`` on a thread; the returned dict gets ``value`` or ``error`` and ``done`` is set."""
    outcome: dict = {"done": threading.Event()}

    def run():
        try:
            outcome["value"] = target()
        except BaseException as error:
            outcome["error"] = error
        finally:
            outcome["done"].set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def _wait_busy(process):
    """Until a job is in the child: polled in a generous loop, so a slow first start never fails it."""
    for _ in range(6000):
        if process.busy.wait(0.1):
            return
    raise AssertionError("the projection process never received its job")


def _gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def features(negation):
    """200 real sentence vectors (SmolLM2 layer 16, negation set)."""
    return negation[1].layer(16)[:200]


@pytest.mark.parametrize("method", ["umap", "tsne"])
def test_umap_and_tsne_run_in_a_child_process_and_give_what_they_give_in_process(features, method):
    process = projection_process()
    points = project(features, method)
    assert process.alive() and process.pid != os.getpid()
    reduced, options = prepare(features, method)
    assert options["random_state"] == 0 and reduced.dtype == np.float32 and reduced.shape == (200, 50)
    np.testing.assert_array_equal(points, fit(method, reduced, options))  # same seed, same parameters


def test_cancelling_a_running_umap_kills_its_process_and_the_next_call_works(features):
    """A million epochs would run for hours: only the cancel can end this call."""
    process = projection_process()
    job = Job()

    def endless():
        with running(job):
            return project(features, "umap", n_epochs=1_000_000)

    outcome = _in_thread(endless)
    _wait_busy(process)
    pid = process.pid
    assert process.alive()
    job.cancel()
    outcome["thread"].join()
    assert isinstance(outcome.get("error"), Cancelled)
    assert not process.alive() and _gone(pid)
    points = project(features, "umap", n_epochs=50)
    assert points.shape == (200, 2) and process.alive() and process.pid != pid


def test_a_crashed_projection_process_is_one_clear_error_and_the_next_call_works(features):
    process = projection_process()
    endless = {"max_iter": 1_000_000, "n_iter_without_progress": 1_000_000, "min_grad_norm": 0.0}
    outcome = _in_thread(lambda: project(features, "tsne", **endless))
    _wait_busy(process)
    pid = process.pid
    os.kill(pid, signal.SIGKILL)  # what a segfault or the out-of-memory killer does to it
    outcome["thread"].join()
    error = outcome.get("error")
    assert isinstance(error, ProjectionProcessError), error
    assert "t-SNE process was stopped by signal SIGKILL" in str(error) and "kernel is unaffected" in str(error)
    assert not process.alive() and _gone(pid)
    assert project(features, "tsne", max_iter=250).shape == (200, 2) and process.pid != pid


def test_the_kernel_thread_keeps_running_while_umap_fits(features):
    """A thread of this process ticks (1 ms sleeps) while a warm UMAP fits in the child. The detector's
    control: a numba loop without ``nogil`` on a thread here lets the ticker tick almost never."""
    import numba

    @numba.njit
    def logistic(steps):
        x = 0.5
        for _ in range(steps):
            x = 3.9 * x * (1.0 - x)
        return x

    logistic(10)  # compiled before it is watched
    project(features, "umap", n_epochs=10)  # the child started and compiled before it is watched

    def ticks_during(call):
        ticks, stop = [0], threading.Event()

        def tick():
            while not stop.is_set():
                time.sleep(0.001)
                ticks[0] += 1

        outcome = _in_thread(call)
        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        outcome["thread"].join()
        stop.set()
        ticker.join()
        assert "error" not in outcome, outcome.get("error")
        return ticks[0]

    held = ticks_during(lambda: logistic(300_000_000))
    free = ticks_during(lambda: project(features, "umap", n_epochs=3000))
    print(f"\nticks while numba held the GIL: {held}; while UMAP fitted in the child: {free}")
    assert held <= 5  # the detector works: a held GIL stops the ticker
    assert free > 50


def test_projection_inputs_that_cannot_be_projected_say_what_to_change(smollm2, features):
    same_end = [f"The {noun} is happy." for noun in TENSE_NOUNS]
    embeddings = harvest(smollm2, same_end, layers=[0], unit="sentence", pooling="last", cache=False, progress=False)
    for method in ("pca", "umap", "tsne"):  # t-SNE segfaulted a process on such points (pitfalls.md)
        with pytest.raises(InputError, match="All 12 points are the same vector"):
            project(embeddings.layer(0), method)
    broken = features.copy()
    broken[3, 7] = np.nan
    with pytest.raises(InputError, match="NaN or infinite"):
        project(broken, "umap")
    with pytest.raises(InputError, match=r"at least 3 points"):
        project(features[:2], "tsne")
    with pytest.raises(InputError, match=r"\[n, d\] array"):
        project(features[0], "pca")
    with pytest.raises(InputError, match=r"UMAP refused its parameters: .*unexpected keyword argument 'perplexity'"):
        project(features, "umap", perplexity=5.0)
    with pytest.raises(InputError, match=r"t-SNE refused its parameters: .*perplexity"):
        project(features, "tsne", perplexity=-1.0)
    with pytest.raises(InputError, match="UMAP refused its parameters: min_dist"):
        project(features, "umap", min_dist=-1.0)


def test_the_explorers_cancel_and_a_superseding_request_stop_umap_at_once(smollm2, negation):
    _, harvested = negation
    process = projection_process()
    explorer = ProjectionExplorer(smollm2, harvested, layer=16, projection_params={"n_epochs": 1_000_000})
    explorer.method = "umap"  # hours of epochs: only a cancel ends it
    _wait_busy(process)
    pid = process.pid
    explorer.cancel()
    explorer.wait()
    assert explorer._status["state"] == "cancelled" and explorer.method == "pca"
    assert not process.alive() and _gone(pid) and (16, "umap") not in explorer.projections

    explorer.method = "umap"
    _wait_busy(process)
    pid, superseded = process.pid, explorer._latest
    explorer.method = "pca"  # cached: answered at once, and the UMAP stops
    superseded.finished.wait()
    assert explorer._status["state"] == "done" and explorer._points["method"] == "pca"
    assert not process.alive() and _gone(pid)

    explorer.projection_params = {"n_epochs": 50}
    explorer.method = "umap"
    explorer.wait()
    assert explorer._error == "" and explorer._points["method"] == "umap" and process.alive()
    explorer.projection_params = {"n_neighbors": "many"}
    explorer.selected_layer = 20
    explorer.wait()
    assert explorer._error.startswith("UMAP refused its parameters: ")
    with pytest.raises(InputError, match="projection_params must be a dict"):
        ProjectionExplorer(smollm2, harvested, projection_params=[("n_neighbors", 30)])


def test_the_explorer_draws_a_layer_of_identical_points_as_one_spot_and_says_so(smollm2, negation):
    """The tour opens on layer 0, where every negation sentence is the same vector (issue #27's fake clusters)."""
    dataset, harvested = negation
    explorer = ProjectionExplorer(smollm2, harvested, layer=0)
    xy = from_wire(explorer._points["xy"])
    assert xy.shape == (len(dataset), 2) and not xy.any()  # one spot, not rounding noise scaled up
    assert explorer._error.startswith(f"All {len(dataset)} points are the same vector")
    explorer.selected_layer = 16  # a layer with spread: the note goes with its points
    explorer.wait()
    assert explorer._error == "" and from_wire(explorer._points["xy"]).std() > 0
    explorer.selected_layer = 0  # cached: the note comes back with them
    assert explorer._error.startswith(f"All {len(dataset)} points are the same vector")
