"""Opt-in runs against something other than this process: live stores (tests/live) and a
deployment (`make test-remote BASE_URL=...`), read from EVENTLOG_TEST_* before the tests clear
every EVENTLOG_* variable."""

import os

# Opt-in live stores (tests/live), kept before the EVENTLOG_* variables are cleared below.
LIVE_SETTINGS = {
    name: value for name, value in os.environ.items() if name.startswith("EVENTLOG_TEST_")
}


# `make test-remote BASE_URL=...`: the API tests and the docs' examples against a running
# deployment (compose, `sam local start-api`, a stage) instead of an app in this process.
REMOTE_BASE_URL = LIVE_SETTINGS.get("EVENTLOG_TEST_BASE_URL", "").rstrip("/")


# The fixtures that reach the server under test; a test needing anything else (settings, a
# store double, the stores' contents) needs the app in this process and is left out.
REMOTE_FIXTURES = {"client", "http", "embedded_server"}


REMOTE_ALLOWED = REMOTE_FIXTURES | {"request", "spec", "tmp_path", "tmp_path_factory"}


# The docs' examples record fixed eventIds: one document per fresh stack (`DOCS=README.md`).
REMOTE_DOCUMENT = LIVE_SETTINGS.get("EVENTLOG_TEST_DOCS") or "docs/rest.md"
