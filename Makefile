# The commands the README names. `make up` runs MATS locally; `make test` is what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
CHECKOV := $(TOOLS)/checkov/bin/checkov
export UV_PYTHON_DOWNLOADS := never
# The browser tests use Debian's Chromium (below), never a downloaded one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install web up test stage lint typecheck contracts web-test chromium pytest bench bench-cli bench-optimizer bench-accounting bench-api clean

help:
	@echo "make up      install everything and start the local stack with demo data"
	@echo "make test    install everything and run lint, types, import contracts and all tests"
	@echo "make stage   write each deployable's upload to build/ (functions, the bridge's image context; hosting with TF_ENV=dev|prod)"
	@echo "make web     build the web dashboard (web/dist), which mats up serves"
	@echo "make bench   measure webhook-to-signal and webhook-to-order latency against a functions-framework floor"
	@echo "make bench-cli  time mats --help and list commands on the local stack against python -c pass"
	@echo "make bench-optimizer  compare the optimiser with Riskfolio-Lib, PyPortfolioOpt, skfolio, HiGHS"
	@echo "make bench-accounting  time the accounting's read models and on_fill with 100x the history"
	@echo "make bench-api  the dashboard API's read latency (p50/p99) over HTTP with 100x the history"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# The dependencies' bytecode is written here, once (compileall skips what is up to date; uv's
# --compile-bytecode would recompile all of it on every sync): a shell that writes none
# (PYTHONDONTWRITEBYTECODE, read-only images) would otherwise compile the Google clients on every
# `mats` run. As with uv's flag, a file that does not compile is left to fail where it is imported.
# npm runs no install scripts: firebase-tools' optional re2 addon would otherwise be compiled
# from source (minutes, with node-gyp), and neither emulator needs it or any other script; the
# web app's tools (Vite's rolldown, Tailwind's oxide) come as prebuilt optional packages.
# checkov pins networkx < 2.7, which the bench group's Riskfolio-Lib cannot share: it gets a venv
# of its own, from hash-pinned requirements (the Terraform checks in tests/infra run it).
$(CHECKOV): infra/terraform/checkov-requirements.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python python3 $(TOOLS)/checkov
	$(UV) pip install --quiet --python $(TOOLS)/checkov/bin/python --require-hashes -r $<
	touch $@

install: $(UV) $(CHECKOV)
	$(UV) sync --frozen --extra local --extra bridge --python python3
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib || true
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(MAKE) --no-print-directory web

# The web dashboard's production build (web/dist), which `mats up` serves.
web:
	cd web && npm run build --silent

up: install
	$(BIN)/mats up

# What Terraform zips, docker builds and firebase deploys (infra/stage/stage.py; docs/runbook.md).
# TF_ENV=dev|prod: an applied environment, whose outputs give the hosted web app its config.json
# (without it build/hosting is left out); STAGE_ARGS: more flags, e.g. --web-api-key KEY.
stage: install
	$(BIN)/python infra/stage/stage.py --uv $(UV) \
	  $(if $(TF_ENV),--terraform-dir infra/terraform/environments/$(TF_ENV)) $(STAGE_ARGS)

lint:
	$(BIN)/ruff check src tests functions bench infra/stage
	$(BIN)/ruff format --check src tests functions bench infra/stage

typecheck:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

# The web app's component tests, then its first page's gzipped JavaScript against the budget.
web-test:
	cd web && npx vitest run
	cd web && node scripts/bundle-size.mjs

# The browser tests (tests/integration/test_web_dashboard.py) run in Debian's Chromium.
chromium:
	@test -x $(CHROMIUM) || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)

pytest: chromium
	$(BIN)/python -m pytest

test: install lint typecheck contracts web-test pytest

bench: install
	$(BIN)/python bench/pipeline_latency.py

bench-cli: install
	$(BIN)/python bench/cli_startup.py

bench-accounting: install
	$(BIN)/python bench/accounting.py

bench-api: install
	$(BIN)/python bench/api_reads.py

bench-optimizer: $(UV)
	$(UV) sync --frozen --extra local --extra bridge --group bench --python python3
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python bench/optimizer/run.py

clean:
	rm -rf $(VENV) $(TOOLS) node_modules web/node_modules web/dist .mats .pytest_cache .mypy_cache .ruff_cache
