"""FeatureExplorer end to end: the shipped SmolLM2 SAE over held-out fortunes, in a real kernel and JupyterLab 4.

DOM contract checked here (the view is ``js/src/feature_explorer.ts``):

- root ``.ilw-feature-explorer``; list rows ``tr.ilw-feature-row[data-feature]`` (at most 300 at first);
- the dashboard ``.ilw-feature-dashboard[data-feature]`` with ``.ilw-feature-context`` rows of
  ``span.ilw-feature-token`` (the focus token ``.ilw-focus``) and ``svg.ilw-feature-histogram``;
- the prompt box ``textarea.ilw-text`` + ``button.ilw-run``; prompt tokens ``.ilw-feature-prompt-token`` with
  ``button.ilw-feature-chip[data-feature]``.

Kernel traits: ``selected_feature``, ``text``, ``_dashboard``, ``_prompt``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

CELLS = [
    "import json\nfrom interplab_widgets import FeatureExplorer, load_sae\n"
    "from interplab_widgets.features.sae import SHIPPED",
    "held = [json.loads(line) for line in (SHIPPED / 'smollm2-135m-layer15' / 'heldout.jsonl').open()][:60]\n"
    "f = FeatureExplorer('smollm2-135m', load_sae('smollm2-135m', layer=15), held)\nf",
]


def test_the_list_a_click_shows_contexts_from_the_kernel_and_a_prompt_its_features(jupyter, open_notebook):
    name = "feature_explorer.ipynb"
    jupyter.write_notebook(name, CELLS)
    nb = open_notebook(name, "lab")
    nb.run_all(timeout=300)
    root = nb.wait_rendered(nb.code_cell(1).locator(".ilw-feature-explorer"), timeout=180)
    expect(root.locator(".ilw-error")).to_be_hidden()

    rows = root.locator("tr.ilw-feature-row")
    expect(rows).to_have_count(300)  # 2,304 latents, the first page in density order
    first = rows.first
    feature = first.get_attribute("data-feature")
    assert feature == nb.kernel_eval("int(f.dashboards.density.argmax())")
    first.click()
    nb.wait_kernel_value("f.selected_feature", feature)
    dashboard = root.locator(f'.ilw-feature-dashboard[data-feature="{feature}"]')
    expect(dashboard).to_be_visible(timeout=60_000)
    contexts = dashboard.locator(".ilw-feature-contexts .ilw-feature-context")
    expect(contexts).to_have_count(int(nb.kernel_eval("len(f._dashboard['contexts'])")))
    shown = contexts.first.locator("span.ilw-feature-token.ilw-focus").text_content() or ""
    expected = nb.kernel_eval("(lambda c: c['tokens'][c['focus']])(f._dashboard['contexts'][0])")
    assert shown.strip() == expected.strip() or shown.replace("·", " ").strip() == expected.strip(), (shown, expected)
    expect(dashboard.locator("svg.ilw-feature-histogram rect").first).to_be_visible()

    root.locator("textarea.ilw-text").fill("The cat sat on the mat, and the dog barked.")
    root.locator("button.ilw-run").click()
    nb.wait_kernel_value("f.text", "The cat sat on the mat, and the dog barked.")
    tokens = root.locator(".ilw-feature-prompt-token")
    expect(tokens).to_have_count(int(nb.kernel_eval("len(f._prompt['tokens'])")), timeout=60_000)
    chip = tokens.nth(2).locator("button.ilw-feature-chip").first
    picked = chip.get_attribute("data-feature")
    assert picked == nb.kernel_eval("f._prompt['features'][2][0]['feature']")
    chip.click()
    nb.wait_kernel_value("f.selected_feature", picked)
    expect(root.locator(f'.ilw-feature-dashboard[data-feature="{picked}"]')).to_be_visible(timeout=60_000)
    nb.screenshot("feature_explorer", root)
    nb.screenshot_dark("feature_explorer_dark", root)
    assert not nb.problems.unexpected(), nb.problems.unexpected()
