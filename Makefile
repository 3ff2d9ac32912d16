# The commands the README names. `make up` runs MATS locally; `make test` is what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install up test lint typecheck contracts pytest bench clean

help:
	@echo "make up      install everything and start the local stack with demo data"
	@echo "make test    install everything and run lint, types, import contracts and all tests"
	@echo "make bench   measure webhook-to-subscriber latency against the functions-framework floor"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

install: $(UV)
	$(UV) sync --frozen --extra local --python python3
	npm ci --no-audit --no-fund --loglevel=error

up: install
	$(BIN)/mats up

lint:
	$(BIN)/ruff check src tests functions bench
	$(BIN)/ruff format --check src tests functions bench

typecheck:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

pytest:
	$(BIN)/python -m pytest

test: install lint typecheck contracts pytest

bench: install
	$(BIN)/python bench/ingest_latency.py

clean:
	rm -rf $(VENV) $(TOOLS) node_modules .mats .pytest_cache .mypy_cache .ruff_cache
