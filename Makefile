# The two set-up commands of the README's Quick start, and a few helpers.
PYTHON ?= python3
PIP = $(PYTHON) -m pip

.PHONY: setup install test test-fast lint demo-catalog

## Install everything, build the index over the demo catalog, and run a first match.
setup: install
	qis-match build
	qis-match match "我们厂的压力表到期了要送检" --region 湖北省武汉市 --top 5

## Install the package with the sentence-transformers and Ray extras and the dev tools.
## torch is installed first, pinned to the CPU build: unpinned, it pulls gigabytes of CUDA.
install:
	$(PIP) install --quiet "torch==2.13.0"
	$(PIP) install --quiet -e ".[st,dev,ray]"

## The whole test suite (what CI runs).
test:
	$(PYTHON) -m ruff check qis_match service tests
	$(PYTHON) -m pytest -q

## Everything but the slow tests (a minute or two less).
test-fast:
	$(PYTHON) -m pytest -q -m "not slow"

lint:
	$(PYTHON) -m ruff check qis_match service tests
	$(PYTHON) -m ruff format --check qis_match service tests

## Regenerate the demo catalog from data/reference (deterministic).
demo-catalog:
	qis-match catalog generate --out data/catalog
