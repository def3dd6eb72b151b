"""save_html / snapshot_html without a browser: what goes in a page.

The pages themselves are opened in Chromium by tests/browser/test_static_html.py.
"""

from __future__ import annotations

import ipywidgets
import pytest
from test_probe_view import TASK, small_probe_view

from interplab_widgets import InputError, ProjectionExplorer, save_html


@pytest.mark.slow
def test_save_html_puts_a_probe_view_beside_a_projection_explorer(smollm2, tmp_path):
    chart = small_probe_view()
    scatter = ProjectionExplorer(smollm2, ["One cat sat.", "Two cats sat."], layers=[0, 4])
    page = save_html(tmp_path / "both.html", chart, scatter).read_text(encoding="utf-8")
    fragment = chart.snapshot_fragment()
    assert "<svg" in fragment and fragment.count("<tr>") == 1 + len(chart.curve.layers)  # chart and table
    probes, projection = page.index(fragment), page.index('class="ilw-snapshot-data"')
    assert probes < projection  # in place, in the order given
    assert "tense &lt;b&gt;&amp;amp;&lt;/b&gt;" in page and TASK not in page
    assert "ilw-projection-explorer" in page  # the scatter's own view code, to rebuild it in the page


def test_save_html_names_what_it_cannot_show(tmp_path):
    with pytest.raises(InputError, match=r"cannot show a ipywidgets\.widgets\.widget_button\.Button"):
        save_html(tmp_path / "bad.html", small_probe_view(), ipywidgets.Button())
    assert not (tmp_path / "bad.html").exists()
