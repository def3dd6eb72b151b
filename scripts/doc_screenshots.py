"""Copy the documentation's screenshots from the end-to-end tests into ``docs/images/``.

The browser tests (``tests/browser/``) save page screenshots of every view in
``test-artifacts/screenshots/`` (gitignored). The docs show a few of them; this script copies
those into ``docs/images/`` (committed) and refuses any over 400 kB. They are copied as they
are: Chromium already deflates its PNGs well (deflating the pixel data again at level 9 saves
nothing), and resizing would make the text in them unreadable.

    python -m pytest tests/browser        # takes the screenshots (needs Chromium)
    python scripts/doc_screenshots.py     # then copies the ones the docs use

Standard library only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "test-artifacts" / "screenshots"
TARGET = REPO / "docs" / "images"
MAX_BYTES = 400_000

#: Screenshot name -> the end-to-end test that takes it (the docs' captions name the same file).
SCREENSHOTS = {
    "attention_explorer_lab.png": "tests/browser/test_attention_explorer.py",
    "attention_explorer_nb7.png": "tests/browser/test_attention_explorer.py",
    "attention_explorer_hostile.png": "tests/browser/test_attention_explorer.py",
    "generation_tracer_lab.png": "tests/browser/test_generation_tracer.py",
    "patching_explorer.png": "tests/browser/test_patching_explorer.py",
    "patching_explorer_attn.png": "tests/browser/test_patching_explorer.py",
    "projection_explorer_linked.png": "tests/browser/test_projection_explorer.py",
    "projection_explorer_100k.png": "tests/browser/test_projection_explorer.py",
    "failure_explorer.png": "tests/browser/test_failure_explorer.py",
    "failure_explorer_side_by_side.png": "tests/browser/test_failure_explorer.py",
    # JupyterLab Dark (each view's test switches the theme for one screenshot), marimo and Voilà.
    "attention_explorer_dark.png": "tests/browser/test_attention_explorer.py",
    "generation_tracer_dark.png": "tests/browser/test_generation_tracer.py",
    "patching_explorer_dark.png": "tests/browser/test_patching_explorer.py",
    "projection_explorer_dark.png": "tests/browser/test_projection_explorer.py",
    "failure_explorer_dark.png": "tests/browser/test_failure_explorer.py",
    "attribution_view_dark.png": "tests/browser/test_attribution_view.py",
    "circuit_explorer_dark.png": "tests/browser/test_circuit_explorer.py",
    "feature_explorer_dark.png": "tests/browser/test_feature_explorer.py",
    "marimo_attention_explorer.png": "tests/browser/test_marimo.py",
    "voila_tour.png": "tests/browser/test_tour.py",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="where the browser tests left their screenshots")
    parser.add_argument("--target", type=Path, default=TARGET, help="the docs' image folder")
    args = parser.parse_args(argv)

    missing = [name for name in SCREENSHOTS if not (args.source / name).is_file()]
    if missing:
        tests = sorted({SCREENSHOTS[name] for name in missing})
        print(f"Missing in {args.source}: {', '.join(missing)}.", file=sys.stderr)
        print(f"Run the end-to-end tests that take them first: python -m pytest {' '.join(tests)}", file=sys.stderr)
        return 1
    args.target.mkdir(parents=True, exist_ok=True)
    too_large = []
    for name, test in SCREENSHOTS.items():
        data = (args.source / name).read_bytes()
        (args.target / name).write_bytes(data)
        print(f"{name:<36} {len(data) / 1000:4.0f} kB   ({test})")
        if len(data) > MAX_BYTES:
            too_large.append(name)
    if too_large:
        print(f"Over {MAX_BYTES // 1000} kB: {', '.join(too_large)}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
