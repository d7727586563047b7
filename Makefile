# The two commands of the README: `make run` and `make test`. Both create .venv on first use
# and install what they need into it; nothing else has to be installed by hand.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of PyTorch (a file on disk on our CI machines, a ~200 MB download elsewhere).
# On a GPU box install the CUDA build into the venv first; any torch already there is kept.
TORCH ?= torch==2.13.0

.PHONY: run test lint install install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Real fediverse peers for tests/interop: a Fedify 1.5 server (npm, Node 20+) and bovine-herd
# (PyPI, in a virtual environment of its own because it pins an older Quart than ours).
# Real client apps for tests/clients: toot and Mastodon.py come with the test extra; masto.js
# (npm) has its own folder.
FEDIFY_PEER := tests/interop/fedify
BOVINE_PEER := tests/interop/bovine
MASTO_CLIENT := tests/clients/masto
# Browser tests (tests/e2e): Debian's chromium driven by Playwright (never `playwright install`,
# which downloads its own browsers), and axe-core from npm for the accessibility check.
E2E := tests/e2e
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(VENV)/.installed-test: $(VENV)/.installed $(FEDIFY_PEER)/package-lock.json $(BOVINE_PEER)/requirements.txt \
		$(MASTO_CLIENT)/package-lock.json $(E2E)/package-lock.json
	$(BIN)/python -m pip install --quiet -e ".[test]"
	[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	cd $(E2E) && npm ci --no-audit --no-fund --loglevel=error
	cd $(FEDIFY_PEER) && npm ci --no-audit --no-fund --loglevel=error
	cd $(MASTO_CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	$(PYTHON) -m venv $(BOVINE_PEER)/.venv
	$(BOVINE_PEER)/.venv/bin/python -m pip install --quiet -r $(BOVINE_PEER)/requirements.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: install, set up an instance on SQLite in ./data (first time only) and serve it
run: $(VENV)/.installed
	$(BIN)/fediverse-ai init
	$(BIN)/fediverse-ai run

## test: install the test dependencies, lint, and run the whole suite (SQLite and PostgreSQL)
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/pytest -n auto

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
