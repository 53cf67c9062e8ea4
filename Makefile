# The few commands people type. Each one installs what it needs from the lockfiles (uv.lock for
# Python, package-lock.json for npm) and, for tests, the Debian packages.
SHELL := /bin/bash
PYTHON ?= python3
# Lambda's runtime (template.yaml): `make test` runs the unit, API, integration and Lambda tests on
# it too. Found on PATH or under pyenv; `make test PYTHON312=/path/to/python3.12` names another.
PYTHON312 ?= $(firstword $(foreach candidate,python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12),\
  $(shell $(candidate) -c 'import sys; sys.version_info[:2] == (3, 12) and print(sys.executable)' 2>/dev/null)))
PORT ?= 8000
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
VENV312 := .venv-312
# uv from PyPI, pinned with hashes in requirements-uv.txt (which `make lock` writes from this
# version) and installed by pip into .uv/: a fresh clone needs only Python 3.11+ and pip.
UV_VERSION := 0.13.9
UV := $(ROOT)/.uv/bin/uv
# uv never downloads an interpreter: the system's (or pyenv's) Pythons are the ones used.
export UV_PYTHON_DOWNLOADS := never
# Installs from the lock, failing when pyproject.toml has changed without `make relock`.
SYNC := $(UV) sync --locked
# uv does not compile bytecode at install (pip did), so Python must be free to cache what it
# imports: with PYTHONDONTWRITEBYTECODE set, each of the servers and CLIs the tests start would
# compile moto, FastAPI and SQLAlchemy again (a 7 s start instead of 2 s).
export PYTHONDONTWRITEBYTECODE :=
NPM_CI := npm ci --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error
# The project's patches of npm packages (patches/: dynalite's keeps keys such as `__proto__`),
# applied after every `npm ci`, which runs no install scripts. A patch that no longer applies,
# or was made for another version of its package, stops the install.
PATCH_PACKAGE := node_modules/.bin/patch-package --error-on-fail --error-on-warn
# unixODBC + FreeTDS: the real pyodbc driver for SQL Server failure tests; curl and jq run the
# docs' examples and the demo; Chromium is the browser of the GraphiQL and Swagger UI tests;
# docker-compose (1.29) validates docker-compose.yml offline (no engine needed); openssl makes
# the certificates the layer's CA-bundle check is tested with; wrk loads the benchmarks' smoke run.
APT_PACKAGES := unixodbc tdsodbc curl jq chromium docker-compose openssl wrk
# `make demo-video` (and its test in `make test`): ffmpeg encodes, flite speaks the captions, sox
# converts the speech; Chromium takes the pictures; curl and jq run demo.sh.
VIDEO_APT_PACKAGES := curl jq chromium ffmpeg flite sox

.PHONY: run reconcile retention test test-312 test-remote demo demo-cast demo-video lint lint-python client \
	client-deps client-generate \
	lint-deploy bench bench-load bench-setup bench-batch bench-cold bench-http bench-deep bench-metrics \
	bench-profile bench-deps format schema release screenshots venv venv-run venv-demo venv-312 sam-venv assets assets-dev \
	assets-when-up check lock \
	relock lock-derived dynalite system-deps clean lambda-build build-ApiFunction \
	build-ReconcileFunction build-ClaimStreamFunction build-ClaimCheckFunction \
	build-RetentionFunction odbc-driver-sample

# Set-up runs side by side (uv and npm; then the linters), each step's output kept together.
PARALLEL := $(MAKE) --no-print-directory --jobs=3 --output-sync=target

# Serving needs the app, the embedded extra and dynalite only; `--inexact` keeps what `make test`
# added. The pages' browser files are installed once the server answers (until then the pages
# load them from their CDN), so npm's largest install is not on the way to the first answer.
# `make run AUTH=dev`: a local token issuer, and a token to try (EVENTLOG_AUTH, docs/configuration.md).
run:
	@$(PARALLEL) venv-run dynalite
	@$(MAKE) --no-print-directory assets-when-up &
	$(if $(AUTH),EVENTLOG_AUTH=$(AUTH)) $(BIN)/python -m gateway --port $(PORT)

# Waits (up to 2 minutes) for the server of `make run` to answer, then installs the pages' files,
# printing one line when they are served locally; npm's own output goes to .cache/assets.log.
assets-when-up:
	@test -f $(ASSETS_STAMP) || ! command -v npm >/dev/null || { \
	  $(BIN)/python -c 'import sys, time, urllib.request as r; [sys.exit(0) for _ in range(600) \
	    if not time.sleep(0.2) and r.urlopen("http://127.0.0.1:$(PORT)/health", timeout=1).status == 200]' \
	    2>/dev/null; mkdir -p .cache; \
	  if $(MAKE) --no-print-directory assets >.cache/assets.log 2>&1; then \
	    echo "  GraphiQL, Swagger UI and ReDoc files installed (assets/): the pages load them from here"; \
	  else echo "  the pages' files did not install (see .cache/assets.log): the pages load them from their CDN"; fi; }

test:
	@$(PARALLEL) venv assets-dev sam-venv system-deps odbc-driver-sample client-deps \
	  APT_PACKAGES="$(APT_PACKAGES) $(VIDEO_APT_PACKAGES)"
	@$(PARALLEL) lint lambda-build client
	$(BIN)/pytest
	@$(MAKE) --no-print-directory test-312

# The loop while editing: ruff, mypy (packages, tests, bench) and the unit and API tests, but those
# marked `slow` (property tests with many examples, schemathesis, the second emulator), which
# `make test` runs. One minute or less here when the machine is not loaded by other work.
check: venv assets-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -m "not slow" tests/unit tests/api

# Lambda runs Python 3.12: the tests of everything it loads (not the browser, demo or embedded
# server tests, which exercise the local toolchain) run there too, from the same lock.
test-312: venv-312
	$(VENV312)/bin/pytest -p no:cacheprovider -q tests/unit tests/api tests/integration \
	  tests/e2e/test_lambda_handler.py

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
demo: venv-demo
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="curl jq"
	PYTHON=$(BIN)/python bash scripts/demo.sh

# Re-record docs/demo.cast (asciinema) and its animated picture docs/demo.svg (svg-term-cli).
demo-cast: venv system-deps
	$(SYNC) --inexact --group cast --python $(PYTHON)
	DEMO_PAUSE=1.5 PYTHON=$(BIN)/python $(BIN)/asciinema rec --overwrite --quiet --cols 120 \
	  --rows 40 --title 'Event Log API: make demo' --command 'bash scripts/demo.sh' docs/demo.cast
	npx --yes svg-term-cli@2.1.1 --in docs/demo.cast --out docs/demo.svg --window \
	  --width 120 --height 40

# The narrated walkthrough, docs/demo.webm, with its captions (docs/demo.vtt) and the README's
# still, built from the running product (scripts/video/; `--quick` there for a short check).
demo-video: venv assets-dev
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(VIDEO_APT_PACKAGES)"
	$(BIN)/python -m scripts.video --out docs/demo.webm --still docs/img/demo-video.png

lint: lint-python lint-deploy

lint-python: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The SAM template and the compose file, checked offline. SAM CLI and cfn-lint pin older
# boto3/pydantic than the app, so they live in a venv of their own.
lint-deploy: sam-venv system-deps
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint template.yaml
	docker-compose -f docker-compose.yml --env-file .env.example config -q

# The lock's `deploy` group only (neither the app nor its dependencies), in .venv-sam.
sam-venv: $(UV)
	UV_PROJECT_ENVIRONMENT=$(SAM_VENV) $(SYNC) --only-group deploy --python $(PYTHON)

# The reconcile job against the stores EVENTLOG_* names: finishes abandoned erasures, reports
# orphans (ARGS=--apply deletes them).
reconcile: venv
	$(BIN)/python -m gateway reconcile $(ARGS)

# The retention job against the stores EVENTLOG_* names: removes the events received more than
# EVENTLOG_RETENTION_DAYS days ago (ARGS=--json prints the summary as JSON).
retention: venv
	$(BIN)/python -m gateway retention $(ARGS)

# Every figure of bench/ in one table, each with its anchor from the same run (a few minutes;
# BENCH_ROUNDS, BENCH_DURATION, BENCH_CONNECTIONS). The cold-start rows measure the built
# artifact too after `make lambda-build`.
bench: venv dynalite bench-deps
	$(BIN)/python -m bench.suite

# One figure at a time: the cold start in detail (with the import profile), the HTTP cases, the
# deep pages.
bench-cold: venv
	$(BIN)/python bench/cold_start.py

bench-http: venv dynalite bench-deps
	$(BIN)/python -m bench.throughput

bench-deep: venv
	$(BIN)/python -m bench.deep_pages

# CPU per request with metrics on against off, alternated in one run (in-process; doubles, and
# SQLite + dynalite).
bench-metrics: venv
	$(BIN)/python -m bench.metrics_overhead $(ARGS)

# Events/s through batches of 100 against single POSTs (in-memory doubles, SQLite + dynalite).
bench-batch: venv dynalite bench-deps
	$(BIN)/python -m bench.batch

# wrk, the load generator of the benchmarks (Debian's, on 127.0.0.1 only).
bench-deps:
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES=wrk

# CPU per request and the functions with the most own time, in-process under cProfile, beside
# bare FastAPI's comparable routes (ARGS="--case post --requests 5000 --top 25").
bench-profile: venv
	$(BIN)/python -m bench.cpu_profile $(ARGS)

# Store calls per request, and wrk against the embedded server on 127.0.0.1 (needs `wrk`).
bench-load: venv
	$(BIN)/python -m bench.load

# The TypeScript client (clients/typescript, docs/client.md), with npm packages of its own from its
# own lock: its generated types checked against docs/openapi.json and docs/schema.graphql (made
# again in a temporary folder), its formatting and types, its unit tests, then the build that
# the browser and docs tests load.
CLIENT := clients/typescript

client: client-deps
	cd $(CLIENT) && node codegen/generate.mjs --check
	cd $(CLIENT) && node_modules/.bin/prettier --check --log-level warn .
	cd $(CLIENT) && node_modules/.bin/tsc -p tsconfig.json && node_modules/.bin/tsc -p test/tsconfig.json
	cd $(CLIENT) && node_modules/.bin/vitest run --reporter=dot
	cd $(CLIENT) && rm -rf dist && node_modules/.bin/tsc -p tsconfig.build.json

client-deps: $(CLIENT)/node_modules/.installed

$(CLIENT)/node_modules/.installed: $(CLIENT)/package-lock.json
	cd $(CLIENT) && $(NPM_CI) && touch node_modules/.installed

# After `make schema` (or a change to clients/typescript/src/graphql/*.graphql): the client's
# types and documents generated again, to commit with the contract.
client-generate: client-deps
	cd $(CLIENT) && node codegen/generate.mjs

# Re-export docs/schema.graphql, docs/openapi.json and db/schema.sql (the migrations as T-SQL,
# for DBAs, and the page query they serve) after changing the API, a query or a migration;
# tests fail until you do.
schema: venv
	$(BIN)/python scripts/export_schema.py
	$(BIN)/alembic -x url=mssql+pyodbc:// upgrade head --sql > db/schema.sql
	$(BIN)/python scripts/export_schema.py --page-query >> db/schema.sql

# Cut a version: `make release VERSION=0.2.0` once the contract check passes (every breaking
# change since the last release listed in CHANGELOG.md). Stamps CHANGELOG.md, pyproject.toml and
# gateway/__init__.py, relocks, re-exports the contract and keeps it in docs/released/0.2.0/;
# review the diff, commit, and tag v0.2.0.
release: venv
	@test -n "$(VERSION)" || { echo "Name the version: make release VERSION=x.y.z"; exit 1; }
	$(BIN)/python -m scripts.contract release $(VERSION)
	$(UV) lock
	@$(MAKE) --no-print-directory schema
	$(BIN)/python -m scripts.contract freeze $(VERSION)

# Retake docs/img/*.png (the README's pictures) from the browser tests.
screenshots: venv assets-dev system-deps
	$(BIN)/pytest tests/e2e/test_browser.py --save-screenshots

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# .venv, shared by `make run` and `make test`: uv installs only what is missing or changed, in
# well under a second when nothing is.
venv: $(UV)
	$(SYNC) --python $(PYTHON)

# moto serves the embedded DynamoDB only where Node.js (and so dynalite) is missing. In a new
# .venv (a fresh clone) the serving set's bytecode is compiled at install, side by side with npm,
# rather than module by module as the server first imports them, which is slower on a loaded
# machine; an existing .venv (perhaps holding `make test`'s tools too, thousands of files never
# served) keeps compiling on first import.
EMULATOR_EXTRAS := --extra embedded $(if $(shell command -v node),,--extra moto)

venv-run: $(UV)
	$(SYNC) --inexact --no-dev $(EMULATOR_EXTRAS) $(if $(wildcard $(BIN)/python),,--compile-bytecode) \
	  --python $(PYTHON)

# What demo.sh runs: the app, moto's server (a process of its own the demo pauses), curl and jq.
venv-demo: $(UV)
	$(SYNC) --inexact --no-dev --extra embedded --extra moto --python $(PYTHON)

venv-312: $(UV)
	@test -n "$(PYTHON312)" || { echo "make test runs the Lambda tests on Python 3.12 as well," \
	  "and no python3.12 was found: install it, or pass PYTHON312=/path/to/python3.12"; exit 1; }
	UV_PROJECT_ENVIRONMENT=$(VENV312) $(SYNC) --python $(PYTHON312)

$(UV): requirements-uv.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: make PYTHON=python3.12 ...")'
	rm -rf $(ROOT)/.uv
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install --quiet --disable-pip-version-check \
	  --require-hashes --no-deps --target $(ROOT)/.uv -r $(ROOT)/requirements-uv.txt
	touch $@

# GraphiQL, Swagger UI and ReDoc files (assets/package.json's dependencies, at the versions the
# pages name) into assets/node_modules/, from assets/package-lock.json. Without npm the pages
# load them from their CDN.
ASSETS_STAMP := assets/node_modules/.installed
assets: $(ASSETS_STAMP)

# Everything npm installs for the app and its tests: the pages' files and dynalite.
assets-dev: assets dynalite

$(ASSETS_STAMP): assets/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  echo "npm not found: GraphiQL and /docs will load their files from a CDN"; exit 0; fi; \
	cd assets && $(NPM_CI) && touch node_modules/.installed

# dynalite, an independent DynamoDB implementation: make run's embedded emulator, and the tests'
# beside moto, with the project's patch (patches/README.md) applied by patch-package, from
# package.json and package-lock.json. Without Node.js, make run serves DynamoDB with moto.
dynalite: node_modules/.patched

node_modules/.patched: package-lock.json $(wildcard patches/*.patch)
	@if ! command -v npm >/dev/null; then \
	  echo "npm not found: the embedded DynamoDB will be moto's, in the server's process"; exit 0; fi; \
	$(NPM_CI) && $(PATCH_PACKAGE) && touch $@

# Every Python and npm dependency to the newest release pyproject.toml and package.json allow, in
# one command; review the diff of uv.lock and the npm locks (docs/dependencies.md).
lock: $(UV)
	$(UV) lock --upgrade
	$(MAKE) --no-print-directory lock-derived NPM_LOCK=update

# After editing pyproject.toml or package.json: lock what changed, keep every other pin.
relock: $(UV)
	$(UV) lock
	$(MAKE) --no-print-directory lock-derived NPM_LOCK=install

# What is derived from the locks: assets/package.json's pins from the pages, the npm locks, the
# exports the Lambda artifact and the Docker image install, and uv's own pin. Tests fail when
# any of them drifts.
lock-derived: venv
	$(BIN)/python scripts/pin_assets.py
	npm $(NPM_LOCK) --package-lock-only --ignore-scripts --no-audit --no-fund --loglevel=error
	cd assets && npm $(NPM_LOCK) --package-lock-only --ignore-scripts --no-audit --no-fund \
	  --loglevel=error
	cd $(CLIENT) && npm $(NPM_LOCK) --package-lock-only --ignore-scripts --no-audit --no-fund \
	  --loglevel=error
	$(UV) export --frozen --quiet --no-emit-project --no-dev --extra mssql --prune uvicorn \
	  -o requirements-lambda.txt
	$(UV) export --frozen --quiet --no-emit-project --no-dev --extra mssql --extra otlp \
	  -o requirements-docker.txt
	echo "uv==$(UV_VERSION)" | $(UV) pip compile - --quiet --universal --generate-hashes \
	  --custom-compile-command "make lock" -o requirements-uv.txt

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
	rm -rf $(VENV) $(SAM_VENV) $(VENV312) .uv node_modules assets/node_modules .aws-sam .cache .mypy_cache \
	  .pytest_cache .ruff_cache $(CLIENT)/node_modules $(CLIENT)/dist

# Seconds from a fresh clone to `make run`'s first answer and `make test`'s first test, with
# empty (cold) and filled (warm) package caches of its own: docs/performance.md's figures
# (ARGS="--targets run" times `make run` only).
bench-setup:
	$(PYTHON) bench/setup.py --port $(PORT) $(ARGS)

# `sam build` (template.yaml, BuildMethod: makefile). samconfig.toml builds in the source folder,
# so SAM copies nothing (.venv and .venv-sam included) and this recipe picks what ships: the
# runtime code, the lock's export for Lambda's Python 3.12 on x86_64 (Amazon Linux 2023: glibc
# 2.34) whatever Python runs the build, every file checked against its hash, the browser files of
# /docs and GraphiQL, and bytecode compiled once by Python 3.12. Hash-checked bytecode,
# unchecked: SAM's zip dates every file 1980-01-01, so timestamp-checked .pyc files would all be
# stale and every module compiled again at every cold start (/var/task is read-only: nothing is
# ever cached). The code never changes under a deployed artifact.
LAMBDA_PYTHON ?= $(PYTHON312)
LAMBDA_PLATFORM := x86_64-manylinux_2_34

# The jobs ship the same artifact (other handlers of it).
build-ReconcileFunction build-ClaimStreamFunction build-ClaimCheckFunction build-RetentionFunction: build-ApiFunction

build-ApiFunction: assets $(UV)
	@test -n "$(LAMBDA_PYTHON)" || { echo "Python 3.12 (Lambda's) is needed to compile the bytecode: install python3.12 or give LAMBDA_PYTHON=/path/to/python3.12"; exit 1; }
	cp -r gateway resolvers jobs schema persistence migrations alembic.ini "$(ARTIFACTS_DIR)/"
	find "$(ARTIFACTS_DIR)" -name __pycache__ -type d -prune -exec rm -rf {} +
	$(UV) pip install --quiet --target "$(ARTIFACTS_DIR)" --python-platform $(LAMBDA_PLATFORM) \
	  --python-version 3.12 --only-binary :all: --require-hashes \
	  -r $(ROOT)/requirements-lambda.txt
	$(BIN)/python -m scripts.package_assets "$(ARTIFACTS_DIR)/assets/node_modules"
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)"

# The function as `sam build` makes it (the ODBC layer needs Docker: sam build --use-container).
# The tests import it as Lambda would (tests/integration/test_lambda_artifact.py).
lambda-build: sam-venv venv assets
	$(SAM_VENV)/bin/sam build --exclude OdbcLayer --exclude ReconcileFunction \
	  --exclude ClaimStreamFunction --exclude ClaimCheckFunction --exclude RetentionFunction \
	  --template template.yaml

# Microsoft's ODBC Driver 18 as built for RHEL 9 / Amazon Linux, from Microsoft's
# mssql-python-odbc wheel on PyPI (never committed): tests/integration/test_odbc_layer.py runs
# the layer's library collection on the real driver and checks it against what the driver
# declares it needs. Test data, not a dependency: pip (uv has no `pip download`) fetches it.
ODBC_DRIVER_WHEEL := mssql-python-odbc==18.6.2.2
odbc-driver-sample: .cache/msodbcsql/.installed

.cache/msodbcsql/.installed:
	rm -rf .cache/msodbcsql
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip download --quiet --disable-pip-version-check \
	  --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 --python-version 3.12 \
	  -d .cache/msodbcsql "$(ODBC_DRIVER_WHEEL)"
	$(PYTHON) -m zipfile -e .cache/msodbcsql/*.whl .cache/msodbcsql/
	touch $@
