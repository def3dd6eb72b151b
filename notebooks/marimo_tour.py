# /// script
# dependencies = ["interplab-widgets", "marimo"]
# ///
"""The views in marimo: `marimo edit notebooks/marimo_tour.py` (or `marimo run` for a read-only page).

Each view is wrapped in `mo.ui.anywidget`, so its synced traits are the element's `.value`: a cell
that reads it runs again whenever a click in the view changes a selection.
"""

import marimo

app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    from interplab_widgets import AttentionExplorer, GenerationTracer, load_model

    model = load_model("smollm2-135m")
    return AttentionExplorer, GenerationTracer, mo, model


@app.cell
def _(mo):
    mo.md("""## Attention: click a head in the grid, hover or pin a token""")
    return


@app.cell
def _(AttentionExplorer, mo, model):
    attention = mo.ui.anywidget(AttentionExplorer(model, "The cat sat on the mat because it was tired.", roles=False))
    attention
    return (attention,)


@app.cell
def _(attention, mo):
    _value = attention.value  # read the value, so this cell runs again on every selection
    mo.md(f"Selected in the view: **layer {_value['selected_layer']}, head {_value['selected_head']}**")
    return


@app.cell
def _(mo):
    mo.md("""## Generation: step through the tokens the model wrote""")
    return


@app.cell
def _(GenerationTracer, mo, model):
    tracer = mo.ui.anywidget(GenerationTracer(model, "The capital of France is", max_new_tokens=8))
    tracer
    return (tracer,)


@app.cell
def _(mo, tracer):
    mo.md(f"Step shown in the view: **{tracer.value['step']}**")
    return


if __name__ == "__main__":
    app.run()
