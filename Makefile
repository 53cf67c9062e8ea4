# The few commands people type. Each one bootstraps .venv (and, for tests, the Debian packages).
SHELL := /bin/bash
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
# unixODBC + FreeTDS: the real pyodbc driver for SQL Server failure tests; curl and jq run the
# docs' examples and the demo; Chromium is the browser of the GraphiQL and Swagger UI tests;
# docker-compose (1.29) validates docker-compose.yml offline (no engine needed); openssl makes
# the certificates the layer's CA-bundle check is tested with.
APT_PACKAGES := unixodbc tdsodbc curl jq chromium docker-compose openssl

.PHONY: run test demo demo-cast lint lint-deploy bench bench-load format schema screenshots venv assets \
	dynalite system-deps clean lambda-build build-ApiFunction odbc-driver-sample test-remote

# `make run AUTH=dev`: a local token issuer, and a token to try (EVENTLOG_AUTH, see README).
run: venv assets
	$(if $(AUTH),EVENTLOG_AUTH=$(AUTH)) $(BIN)/python -m gateway --port $(PORT)

test: venv assets dynalite system-deps lint lambda-build odbc-driver-sample
	$(BIN)/pytest

# The REST and GraphQL tests and the docs' examples against a running deployment:
#   make test-remote BASE_URL=http://127.0.0.1:8000    (docker compose up, or make run)
#   make test-remote BASE_URL=http://127.0.0.1:3000    (sam local start-api)
# Tests that need the app in this process (store doubles, the stores' contents) are left out
# and counted as deselected. The docs' examples record fixed eventIds, so each document needs a
# fresh stack: docs/rest.md's by default, README's with DOCS=README.md.
test-remote: venv system-deps
	@test -n "$(BASE_URL)" || { echo "Give the server: make test-remote BASE_URL=http://127.0.0.1:8000"; exit 1; }
	EVENTLOG_TEST_BASE_URL=$(BASE_URL) EVENTLOG_TEST_DOCS=$(DOCS) $(BIN)/pytest tests/e2e/test_docs_examples.py tests/api

# A narrated walk through the product on its own stack (DEMO_PAUSE=0 for no pauses).
demo: venv system-deps
	PYTHON=$(BIN)/python bash scripts/demo.sh

# Re-record docs/demo.cast (asciinema) and its animated picture docs/demo.svg (svg-term-cli).
demo-cast: venv system-deps
	$(BIN)/python -m pip install --quiet asciinema
	DEMO_PAUSE=1.5 PYTHON=$(BIN)/python $(BIN)/asciinema rec --overwrite --quiet --cols 120 \
	  --rows 40 --title 'Event Log API: make demo' --command 'bash scripts/demo.sh' docs/demo.cast
	npx --yes svg-term-cli@2.1.1 --in docs/demo.cast --out docs/demo.svg --window \
	  --width 120 --height 40

lint: venv lint-deploy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The SAM template and the compose file, checked offline. SAM CLI and cfn-lint pin older
# boto3/pydantic than the app, so they live in a venv of their own.
lint-deploy: $(SAM_VENV)/.installed system-deps
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint template.yaml
	docker-compose -f docker-compose.yml --env-file .env.example config -q

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli cfn-lint
	touch $@

# Cold-start figures of the Lambda handler (import, then building the app).
bench: venv
	$(BIN)/python bench/cold_start.py

# Store calls per request, and wrk against the embedded server on 127.0.0.1 (needs `wrk`).
bench-load: venv
	$(BIN)/python bench/load.py

# Re-export docs/schema.graphql, docs/openapi.json and db/schema.sql (the migrations as T-SQL,
# for DBAs, and the page query they serve) after changing the API, a query or a migration;
# tests fail until you do.
schema: venv
	$(BIN)/python scripts/export_schema.py
	$(BIN)/alembic -x url=mssql+pyodbc:// upgrade head --sql > db/schema.sql
	$(BIN)/python scripts/export_schema.py --page-query >> db/schema.sql

# Retake docs/img/*.png (the README's pictures) from the browser tests.
screenshots: venv assets system-deps
	$(BIN)/pytest tests/e2e/test_browser.py --save-screenshots

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: make PYTHON=python3.12 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# GraphiQL, Swagger UI and ReDoc files from the npm registry (never committed); without npm the
# pages fall back to their CDN.
assets: .assets/.installed

.assets/.installed: $(VENV)/.installed scripts/install_assets.py
	$(BIN)/python scripts/install_assets.py
	@if [ -d .assets/node_modules ]; then touch $@; fi

# dynalite, an independent DynamoDB implementation (npm, pinned by .dynalite/package-lock.json):
# the tests run the details store against it beside moto, so one emulator's quirks hide nothing.
dynalite: .dynalite/node_modules/.installed

.dynalite/node_modules/.installed: .dynalite/package-lock.json
	npm ci --prefix .dynalite --no-audit --no-fund --loglevel=error
	touch $@

system-deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "Missing Debian packages:$$missing. Install them with: sudo apt-get install$$missing"; exit 1; \
	fi; \
	echo "Installing Debian packages:$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null

clean:
	rm -rf $(VENV) $(SAM_VENV) .assets .dynalite/node_modules .aws-sam .cache .mypy_cache \
	  .pytest_cache .ruff_cache

# `sam build` (template.yaml, BuildMethod: makefile). samconfig.toml builds in the source folder,
# so SAM copies nothing (.venv and .venv-sam included) and this recipe picks what ships: the
# runtime code, wheels for Lambda's Python 3.12 on x86_64 whatever Python runs the build, the
# browser files of /docs and GraphiQL, and bytecode compiled once by Python 3.12. Hash-checked
# bytecode, unchecked: SAM's zip dates every file 1980-01-01, so timestamp-checked .pyc files
# would all be stale and every module compiled again at every cold start (/var/task is
# read-only: nothing is ever cached). The code never changes under a deployed artifact.
LAMBDA_PYTHON ?= $(shell PYENV_VERSION=3.12 python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null)

build-ApiFunction: assets
	@test -n "$(LAMBDA_PYTHON)" || { echo "Python 3.12 (Lambda's) is needed to compile the bytecode: install python3.12 or give LAMBDA_PYTHON=/path/to/python3.12"; exit 1; }
	cp -r gateway schema persistence migrations alembic.ini "$(ARTIFACTS_DIR)/"
	find "$(ARTIFACTS_DIR)" -name __pycache__ -type d -prune -exec rm -rf {} +
	$(LAMBDA_PYTHON) -m pip install --quiet --no-compile --target "$(ARTIFACTS_DIR)" \
	  --platform manylinux2014_x86_64 --implementation cp --python-version 3.12 \
	  --only-binary=:all: -r requirements-lambda.txt
	$(BIN)/python -m scripts.package_assets "$(ARTIFACTS_DIR)/.assets/node_modules"
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)"

# The function as `sam build` makes it (the ODBC layer needs Docker: sam build --use-container).
# The tests import it as Lambda would (tests/integration/test_lambda_artifact.py).
lambda-build: $(SAM_VENV)/.installed venv assets
	$(SAM_VENV)/bin/sam build --exclude OdbcLayer --template template.yaml

# Microsoft's ODBC Driver 18 as built for RHEL 9 / Amazon Linux, from Microsoft's
# mssql-python-odbc wheel on PyPI (never committed): tests/integration/test_odbc_layer.py runs
# the layer's library collection on the real driver and checks it against what the driver
# declares it needs.
ODBC_DRIVER_WHEEL := mssql-python-odbc==18.6.2.2
odbc-driver-sample: .cache/msodbcsql/.installed

.cache/msodbcsql/.installed: $(VENV)/.installed
	rm -rf .cache/msodbcsql
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: \
	  --platform manylinux_2_28_x86_64 --python-version 3.12 -d .cache/msodbcsql "$(ODBC_DRIVER_WHEEL)"
	$(BIN)/python -m zipfile -e .cache/msodbcsql/*.whl .cache/msodbcsql/
	touch $@
