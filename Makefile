# weft: the two commands of the quick start are `make demo` and `make test`.
# Both create a virtualenv in .venv and install weft with what it needs (Python 3.11+, pip).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## The whole lifecycle on the embedded local cloud, offline: init, plan, up, plan, status, down.
demo: setup
	$(BIN)/python scripts/demo.py

## Lint, layer contracts, and the whole test suite (unit + integration against the local cloud).
test: setup lint typecheck
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build src/*.egg-info
