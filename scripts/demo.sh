#!/usr/bin/env bash
# A narrated walk through the product (`make demo`): record, replay, conflict, validation,
# paging, GraphQL with and without details, and a DynamoDB outage answered with 503 and then
# retried into exactly one stored event.
#
# It runs its own stack on free ports: the API (`python -m gateway`) over a SQLite file and the
# DynamoDB emulator as a separate process, so it can pause that process (SIGSTOP) the way a
# network partition would. Every call checks its status: the script exits non-zero on any
# surprise, which is how tests/e2e/test_demo.py runs it. DEMO_PAUSE=seconds between steps.
# Authentication is off (EVENTLOG_AUTH=none): this walk is about storage; README's "Trying
# authentication" shows tokens.
set -euo pipefail

PYTHON=${PYTHON:-.venv/bin/python}
PAUSE=${DEMO_PAUSE:-1}
WORK=$(mktemp -d)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
say() { printf '  %s\n' "$@"; }
pause() { sleep "$PAUSE"; }

# Show a curl command as typed, run it, show the JSON answer and the status; stop on surprise.
call() {
  local expected=$1 command=$2 response status body
  printf '\n\033[36m$ %s\033[0m\n' "${command//$API/\$API}"
  response=$(eval "$command -s -w '\n%{http_code}'")
  status=${response##*$'\n'}
  body=${response%$'\n'*}
  if [[ -n $body ]]; then printf '%s\n' "$body"; fi  # as sent: jq would round 19.90 to 19.9
  printf '\033[33m→ %s\033[0m\n' "$status"
  if [[ $status != "$expected" ]]; then
    printf 'expected %s, got %s: stopping\n' "$expected" "$status" >&2
    exit 1
  fi
  LAST_BODY=$body
  pause
}

dynamodb_requests() { grep -c '"POST / HTTP' "$WORK/dynamodb.log" || true; }

# --- the stack ------------------------------------------------------------------------------
DYNAMODB_PORT=$(free_port)
API_PORT=$(free_port)
API=http://127.0.0.1:$API_PORT
"$PYTHON" -m persistence.embedded --port "$DYNAMODB_PORT" >/dev/null 2>"$WORK/dynamodb.log" &
DYNAMODB_PID=$!
PIDS+=("$DYNAMODB_PID")
EVENTLOG_DATABASE_URL="sqlite:///$WORK/events.db" \
EVENTLOG_DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT" \
EVENTLOG_CREATE_TABLES=true \
EVENTLOG_AUTH=none \
EVENTLOG_CURSOR_SECRET=demo-cursor-secret-of-32-characters-at-least \
EVENTLOG_DYNAMODB_CONNECT_TIMEOUT_SECONDS=1 \
EVENTLOG_DYNAMODB_READ_TIMEOUT_SECONDS=1 \
EVENTLOG_DYNAMODB_MAX_ATTEMPTS=2 \
EVENTLOG_RETRY_AFTER_SECONDS=1 \
EVENTLOG_LOG_LEVEL=ERROR \
AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo \
  "$PYTHON" -m gateway --port "$API_PORT" >"$WORK/api.out" 2>"$WORK/api.log" &
PIDS+=("$!")
for _ in $(seq 100); do
  curl -s -o /dev/null "$API/health" && break
  sleep 0.2
done

bold "Event Log API demo"
say "API on $API: metadata in SQLite ($WORK/events.db)," \
  "details in a DynamoDB emulator on port $DYNAMODB_PORT (a separate process we can pause)."
pause

# --- 1. record, replay, conflict ------------------------------------------------------------
EVENT='{"eventId": "3f2b8a4e-5c1d-4e8f-9a7b-1c2d3e4f5a6b", "userId": "user-42", "eventType": "page_view", "timestamp": "2026-11-24T09:30:00.250+01:00", "details": {"page": "/pricing", "durationMs": 5120, "price": 19.90}}'

bold "1. Record an event: the client's eventId is the idempotency key"
call 201 "curl -X POST $API/events -H 'Content-Type: application/json' -d '$EVENT'"
say "Stored: the timestamp is answered in UTC, the price by value in one spelling (19.9: DynamoDB trims zeros)."

bold "2. The same request again (a client retrying after a timeout)"
call 200 "curl -X POST $API/events -H 'Content-Type: application/json' -d '$EVENT'"
say "200, not 201: the stored event, with its first receivedAt. Nothing new was written."

bold "3. The same eventId with other content"
call 409 "curl -X POST $API/events -H 'Content-Type: application/json' -d '{\"eventId\": \"3f2b8a4e-5c1d-4e8f-9a7b-1c2d3e4f5a6b\", \"userId\": \"user-42\", \"eventType\": \"purchase\"}'"
say "A conflict, as application/problem+json; the stored event is untouched."

# --- 2. validation ----------------------------------------------------------------------------
bold "4. Bad input: every offending field in one answer"
call 422 "curl -X POST $API/events -H 'Content-Type: application/json' -d '{\"userId\": \"user 42\", \"timestamp\": \"2026-11-24T09:30:00\", \"details\": {\"price\": 1.234567890123456789012345678901234567890}}'"

# --- 3. paging ------------------------------------------------------------------------------
bold "5. Paging: four more events for user-7, then pages of two"
for day in 20 21 22 23; do
  call 201 "curl -X POST $API/events -H 'Content-Type: application/json' -d '{\"eventId\": \"7b1e6c2a-00$day-4f00-8a00-00000000c0de\", \"userId\": \"user-7\", \"eventType\": \"page_view\", \"timestamp\": \"2026-11-${day}T10:00:00Z\", \"details\": {\"day\": $day}}'"
done
call 200 "curl '$API/events/user-7?limit=2'"
cursor=$(jq -r .nextCursor <<<"$LAST_BODY")
say "Newest first. nextCursor names the last event seen: pass it back for the next page."
call 200 "curl '$API/events/user-7?limit=2&cursor=$cursor'"
say "The last page: nextCursor is null. Keyset pages never skip or repeat an event," \
  "even while new ones arrive, and cost the same however deep you go."
call 400 "curl '$API/events/user-7?limit=2&eventType=click&cursor=$cursor'"
say "A cursor is signed and bound to its filters: reused with others it is refused."

# --- 4. GraphQL -----------------------------------------------------------------------------
bold "6. GraphQL over the same resolver: a query without details never touches DynamoDB"
before=$(dynamodb_requests)
call 200 "curl $API/graphql -H 'Content-Type: application/json' -d '{\"query\": \"{ events(userId: \\\"user-7\\\", first: 4) { nodes { eventId eventType timestamp } } }\"}'"
say "DynamoDB requests for that query: $(($(dynamodb_requests) - before))"
before=$(dynamodb_requests)
call 200 "curl $API/graphql -H 'Content-Type: application/json' -d '{\"query\": \"{ events(userId: \\\"user-7\\\", first: 4) { nodes { eventId details } } }\"}'"
say "With details: $(($(dynamodb_requests) - before)) DynamoDB request (one BatchGetItem for the page, not one per event)."

# --- 5. outage ------------------------------------------------------------------------------
bold "7. DynamoDB stops answering (the emulator is paused, like a network partition)"
kill -STOP "$DYNAMODB_PID"
call 503 "curl $API/health/ready"
OUTAGE_EVENT='{"eventId": "c0ffee00-0000-4000-8000-000000000001", "userId": "user-7", "eventType": "purchase", "timestamp": "2026-11-24T12:00:00Z", "details": {"orderId": "A-1001", "total": 42.50}}'
call 503 "curl -X POST $API/events -H 'Content-Type: application/json' -d '$OUTAGE_EVENT'"
say "503 within the configured timeouts, with Retry-After. Nothing became visible:"
call 200 "curl '$API/events/user-7?eventType=purchase'"

bold "8. DynamoDB is back: the client retries the same request"
kill -CONT "$DYNAMODB_PID"
call 201 "curl -X POST $API/events -H 'Content-Type: application/json' -d '$OUTAGE_EVENT'"
call 200 "curl '$API/events/user-7?eventType=purchase'"
say "Stored exactly once. Had the stalled attempt's details reached DynamoDB late, the retry" \
  "adopted them: details without a metadata row are never shown."

bold "Done. The REST contract: docs/rest.md; the GraphQL schema: docs/schema.graphql."
