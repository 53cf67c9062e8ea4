# The few commands people type. Each one bootstraps .venv (and, for tests, the Debian packages).
SHELL := /bin/bash
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
# unixODBC + FreeTDS: the real pyodbc driver for SQL Server failure tests; curl runs the docs'
# examples; Chromium is the browser of the GraphiQL and Swagger UI tests.
APT_PACKAGES := unixodbc tdsodbc curl chromium

.PHONY: run test lint format schema screenshots venv assets system-deps clean

run: venv assets
	$(BIN)/python -m gateway --port $(PORT)

test: venv assets system-deps lint
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Re-export docs/schema.graphql and db/schema.sql (the migrations as T-SQL, for DBAs) after
# changing the GraphQL types or adding a migration; tests fail until you do.
schema: venv
	$(BIN)/python scripts/export_schema.py
	$(BIN)/alembic -x url=mssql+pyodbc:// upgrade head --sql > db/schema.sql

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
	rm -rf $(VENV) .assets .mypy_cache .pytest_cache .ruff_cache
