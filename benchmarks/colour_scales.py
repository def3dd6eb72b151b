"""How much of a previous-token head's diagonal each colour scale shows, on smollm2-135m at about 540 tokens.

The issue's complaint: at 540 tokens a head's pattern is "a white triangle with a faint diagonal", because a
linear scale spends its range on one sink column. For every head that puts at least 5 % of its weight on the
previous token, this counts the diagonal cells (query i, key i - 1) a reader can see, i.e. whose colour is at
least a quarter of the way up the map (level >= 64 of 255, as the views quantise it), under each scale the
view offers, with the colours computed by the same code the SVG export uses (``interplab_widgets.widgets.svg``,
the JS rule). The baseline is the linear scale in the same run, on the same matrices.

    python benchmarks/colour_scales.py [--tokens 540]
"""

from __future__ import annotations

import argparse

import numpy as np

from interplab_widgets import load_model
from interplab_widgets.widgets.svg import scaled

VISIBLE_LEVEL = 64
MIN_PREVIOUS = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=540)
    args = parser.parse_args()
    model = load_model("smollm2-135m")
    sentence = "The quick brown fox jumps over the lazy dog while the cat sat on the mat because it was tired. "
    ids = model.tokenizer(sentence * (args.tokens // 20 + 1))["input_ids"][: args.tokens]
    trace = model.run_ids(ids)
    n = trace.n_tokens
    diagonal = (np.arange(1, n), np.arange(n - 1))
    scales = {
        "linear": (False, "linear"),
        "sqrt": (False, "sqrt"),
        "log (3 decades)": (False, "log"),
        "linear, rows normalised": (True, "linear"),
        "log, rows normalised": (True, "log"),
    }
    visible: dict[str, list[float]] = {name: [] for name in scales}
    heads = []
    for layer in range(trace.n_layers):
        rows = trace.attention_rows(layer, range(n)).numpy().astype(np.float64)  # [heads, n, n]
        for head, pattern in enumerate(rows):
            if pattern[diagonal].mean() < MIN_PREVIOUS:
                continue
            heads.append((layer, head, float(pattern[diagonal].mean()), float(pattern[:, 0].mean())))
            for name, (by_row, scale) in scales.items():
                top = pattern.max(axis=1, keepdims=True) if by_row else pattern.max()
                levels = np.floor(255 * scaled(pattern, top, scale) + 0.5)
                visible[name].append(float((levels[diagonal] >= VISIBLE_LEVEL).mean()))
    print(f"{n} tokens; {len(heads)} heads put at least {MIN_PREVIOUS} on the previous token on average")
    linear = np.array(visible["linear"])
    faint = linear < 0.5
    print(f"under a linear scale {int(faint.sum())} of them show less than half their diagonal")
    print(f"{'scale':<26} {'diagonal visible, mean':>22} {'vs linear':>10} {'on the faint heads':>19}")
    for name, fractions in visible.items():
        f = np.array(fractions)
        ratio = f.mean() / linear.mean()
        on_faint = f"{f[faint].mean():.1%}" if faint.any() else "-"
        print(f"{name:<26} {f.mean():>21.1%} {ratio:>9.1f}x {on_faint:>19}")
    worst = int(linear.argmin())
    layer, head, previous, sink = heads[worst]
    print(f"faintest under linear: L{layer} H{head} (previous {previous:.2f}, first token {sink:.2f}): "
          + ", ".join(f"{name} {visible[name][worst]:.0%}" for name in scales))  # fmt: skip


if __name__ == "__main__":
    main()
