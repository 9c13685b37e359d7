#!/usr/bin/env bash
# Seed 001's flow against a running `drydock serve`: create a session from a work item, generate a plan,
# execute its nodes in order (dry run), follow the events, fetch the diff artifact.
#
#   DRYDOCK_URL=http://127.0.0.1:8080 DRYDOCK_TOKEN=<token> examples/plan-api.sh
#
# Needs curl; uses only grep/sed to read ids from the JSON answers.
set -euo pipefail

URL="${DRYDOCK_URL:-http://127.0.0.1:8080}"
TOKEN="${DRYDOCK_TOKEN:?set DRYDOCK_TOKEN to a token (drydock serve prints one on first start)}"
AUTH=(-H "Authorization: Bearer ${TOKEN}")
JSON=(-H "Content-Type: application/json")

# The string value of "field" in a one-object JSON answer.
field() { grep -o "\"$1\":\"[^\"]*\"" | head -n1 | sed "s/\"$1\":\"\\([^\"]*\\)\"/\\1/"; }

step() { printf '\n== %s\n' "$*"; }

step "create a session from a work item"
session_json=$(curl -sf "${AUTH[@]}" "${JSON[@]}" -X POST "$URL/api/sessions" -d '{
  "workItem": {"id": "ABC-123", "title": "Retry failed uploads",
               "description": "Uploads fail on flaky networks; retry with backoff.",
               "type": "feature", "labels": ["backend"]}}')
echo "$session_json"
SESSION=$(echo "$session_json" | field sessionId)

step "generate the plan (PlanUpdated summary)"
curl -sf "${AUTH[@]}" "${JSON[@]}" -X POST "$URL/api/sessions/$SESSION/plan/generate" -d '{}'
echo

step "inspect the plan (status, version, approval, steps)"
curl -sf "${AUTH[@]}" "$URL/api/sessions/$SESSION/plan"
echo

run_node() {
  local node=$1 answer correlation status
  step "execute node $node (dry run)"
  answer=$(curl -sf "${AUTH[@]}" "${JSON[@]}" -X POST "$URL/api/sessions/$SESSION/plan/execute-node" \
    -d "{\"nodeId\": \"$node\"}")
  echo "$answer"
  correlation=$(echo "$answer" | field correlationId)
  for _ in $(seq 1 100); do
    status=$(curl -sf "${AUTH[@]}" "$URL/api/executions/$correlation" | field status)
    case "$status" in completed|failed|interrupted) break ;; esac
    sleep 0.1
  done
  echo "execution $correlation: $status"
  [ "$status" = completed ]
  LAST_CORRELATION=$correlation
}

run_node analyze
run_node implement

step "events so far (SSE replay; Last-Event-ID: 0)"
curl -s -N --max-time 2 "${AUTH[@]}" -H "Last-Event-ID: 0" "$URL/api/sessions/$SESSION/events" | grep '^event:' | sort | uniq -c || true

step "artifacts of the session"
artifacts=$(curl -sf "${AUTH[@]}" "$URL/api/sessions/$SESSION/artifacts")
echo "$artifacts"
ARTIFACT=$(echo "$artifacts" | field id)

step "the dry-run diff (the workspace itself is untouched)"
curl -sf "${AUTH[@]}" "$URL/api/artifacts/$ARTIFACT"
echo
echo "done: session $SESSION, last execution $LAST_CORRELATION"
