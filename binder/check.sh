#!/usr/bin/env bash
# CI check of the Binder files: install from them into a fresh virtual environment, then run the tour
# with that environment's kernel. Fails on any error output.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
export PATH="$work/venv/bin:$PATH"
pip install --quiet --upgrade pip
pip install --quiet -r binder/requirements.txt
# postBuild installs the package non-editable from a copy, as Binder does with its clone.
git ls-files -z | tar --null -T - -cf - | (mkdir "$work/repo" && tar -xf - -C "$work/repo")
bash "$work/repo/binder/postBuild"
python - "$work/repo/notebooks/00_tour.ipynb" <<'PY'
import sys

import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
errors = [o for c in notebook.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
assert not errors, errors
print(f"binder check: {path} ran in a fresh environment from binder/ with {sys.executable}")
PY
