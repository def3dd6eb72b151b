"""save_html: every view as a standalone page, opened in headless Chromium with no kernel.

The input text of every view carries markup that would run script if it were ever parsed as HTML;
the page must render the view, show that text as text, and run none of it (the ``page`` fixture
also fails the test on any console error or dialog).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from interplab_widgets import (
    AttentionExplorer,
    Case,
    FailureExplorer,
    GenerationTracer,
    PatchingExplorer,
    ProbeView,
    ProjectionExplorer,
    harvest,
    load_dataset,
)
from interplab_widgets.widgets.static_html import BINARY, snapshot_html

pytestmark = pytest.mark.slow

HOSTILE = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def open_snapshot(page, path, root: str):
    page.goto(path.as_uri())
    view = page.locator(root)
    expect(view).to_be_visible(timeout=30_000)
    page.wait_for_timeout(300)  # anything injected would have run by now
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0
    return view


def test_anywidget_views_render_from_a_file_without_running_input(smollm2, page, tmp_path):
    views = {
        ".ilw-attention-explorer": AttentionExplorer(smollm2, f"Hello {HOSTILE} there", roles=False),
        ".ilw-generation-tracer": GenerationTracer(smollm2, f"Say {HOSTILE}", max_new_tokens=4, chat=False),
        ".ilw-patching-explorer": PatchingExplorer(
            smollm2, "The Eiffel Tower is located in the city of", "The Colosseum is located in the city of"
        ),
        ".ilw-projection-explorer": ProjectionExplorer(smollm2, [f"One {HOSTILE}", "Two cats sat."], layers=[0, 4]),
        ".ilw-failure-explorer": FailureExplorer(
            smollm2, [Case(f"{HOSTILE} The capital of France is", "top_in", (" Paris",))]
        ),
    }
    for root, widget in views.items():
        path = widget.save_html(tmp_path / f"{root[5:]}.html")
        view = open_snapshot(page, path, root)
        expect(view.locator(".ilw-error")).to_be_hidden()
        if root != ".ilw-patching-explorer":  # the markup is shown as text (tokens, legend or table)
            shown = "".join(view.inner_text().split())
            assert "onerror" in shown or "</script>" in shown, root
    # Data computed before saving is in the snapshot: the patching grid's cells carry their colours.
    patching = open_snapshot(page, tmp_path / "patching-explorer.html", ".ilw-patching-explorer")
    assert patching.locator(".ilw-patch-cell").count() == 31 * 10
    # View-only interaction works without a kernel: sorting the failure table.
    failures = open_snapshot(page, tmp_path / "failure-explorer.html", ".ilw-failure-explorer")
    failures.locator('th[data-sort="effect"]').click()
    expect(failures.locator('th[data-sort="effect"]')).to_have_attribute("aria-sort", "descending")


def test_probe_view_snapshot_alone_and_beside_views_one_of_them_broken(smollm2, page, tmp_path):
    dataset = load_dataset("negation")
    rows = harvest(smollm2, dataset.texts, layers=[0, 8, 16], unit="sentence", pooling="last", progress=False)
    chart = ProbeView(smollm2, dataset, harvested=rows)
    page.goto(chart.save_html(tmp_path / "probes.html").as_uri())
    expect(page.locator("svg polyline")).to_have_count(5)  # accuracy, control, selectivity, unseen types, chance
    expect(page.locator("table tr")).to_have_count(4)
    lines = page.locator("svg polyline").count()

    # One page, three views in order: a scatter whose saved state is corrupt (a binary value that is not
    # base64, so reading it throws), the same scatter intact, and the chart. The broken one shows its
    # error in place; the ones after it still render.
    scatter = ProjectionExplorer(smollm2, [f"One {HOSTILE}", "Two cats sat."], layers=[0, 4])
    text = snapshot_html([scatter, scatter, chart])
    first = text.index('data-target="ilw-snapshot-0"')
    binary = f'"{BINARY}": "'
    assert binary in text[first:]
    (tmp_path / "three.html").write_text(text[:first] + text[first:].replace(binary, binary + "%", 1))
    open_snapshot(page, tmp_path / "three.html", "#ilw-snapshot-1 .ilw-projection-explorer")
    error = page.locator("#ilw-snapshot-0 .ilw-snapshot-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("This view could not be shown: ")
    expect(page.locator("#ilw-snapshot-0 .ilw-projection-explorer")).to_have_count(0)
    expect(page.locator("#ilw-snapshot-1 .ilw-snapshot-error")).to_have_count(0)
    expect(page.locator("#ilw-snapshot-2 svg polyline")).to_have_count(lines)


def test_demo_writes_a_page_with_two_views(page, tmp_path, smollm2):
    from interplab_widgets.__main__ import main

    main(["demo", "--html", str(tmp_path / "demo.html")])
    open_snapshot(page, tmp_path / "demo.html", ".ilw-attention-explorer")
    expect(page.locator(".ilw-generation-tracer")).to_be_visible()
    expect(page.locator(".ilw-help-toggle")).to_have_count(2)
