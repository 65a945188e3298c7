# weft: the two commands of the quick start are `make demo` and `make test`.
# Both create a virtualenv in .venv and install weft with what it needs (Python 3.11+, pip).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-quick test-unit lint typecheck kube bench clean

## Test workers (pytest-xdist): each runs its own local cloud. More workers than cores pays, as
## integration tests spend much of their time waiting on the servers: on 2 cores, 4 workers ran
## the suite in 6 min 41 s, 3 in 7 min 36 s, 6 in 7 min 24 s. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 4
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## The whole lifecycle on the embedded local cloud, offline: init, plan, up, plan, status, down.
demo: setup kube
	$(BIN)/python scripts/demo.py

## Lint, layer contracts, and the whole test suite (unit + integration against the local cloud).
test: setup lint typecheck kube
	$(PYTEST)

## The quick loop: every test but those marked slow (crash tests, fuzzers, driver conformance).
test-quick: setup kube
	$(PYTEST) -m "not slow"

## The unit tests only: pure logic, no server, no Kubernetes.
test-unit: setup
	$(PYTEST) tests/unit

## The local Kubernetes: kube-apiserver + kube-controller-manager, cached per version in
## ~/.cache/weft/k8s ($WEFT_K8S_CACHE): built from $WEFT_K8S_SOURCE (a server source tarball, Go
## from Debian's packages, ~6 min on 2 cores), else the official release binaries where they can
## be downloaded (SHA-256 checked), else Debian bookworm's 1.20.2 source package (root, ~7 min).
## A no-op when cached. Where nothing can be built, it says why and the Kubernetes tests skip.
kube: setup
	$(BIN)/python -m weft.local.kube.setup --if-possible

lint: setup
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

## Benchmarks (not part of `make test`): plan, apply and teardown speed and API cost on the local
## cloud, under a latency model, side by side with sequential baselines, and `weft upgrade` step by
## step on the local Kubernetes (bench/upgrade.py). Writes bench/results/*.json and bench/RESULTS.md. Options: make bench BENCH_ARGS="--scenarios network --scale 100".
bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build src/*.egg-info
