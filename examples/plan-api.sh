#!/usr/bin/env bash
# Seed 001's flow against a running `drydock serve`: create a session from a work item, generate a plan,
# execute its nodes in order (dry run), follow the events, fetch the diff artifact. docs/plan-api.md walks
# through the same calls one by one.
#
#   TOKEN=<token> examples/plan-api.sh                  # the server at http://127.0.0.1:8080
#   DRYDOCK_URL=http://host:port TOKEN=<token> examples/plan-api.sh
#
# TOKEN is an API token (the first start of `drydock serve` prints an operator token); DRYDOCK_TOKEN is
# accepted too. Needs curl and jq.
set -euo pipefail

URL="${DRYDOCK_URL:-http://127.0.0.1:8080}"
TOKEN="${TOKEN:-${DRYDOCK_TOKEN:?set TOKEN to an API token (drydock serve prints one on its first start)}}"
H=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")

step() { printf '\n== %s\n' "$*"; }

step "create a session from a work item"
SESSION=$(curl -sf "${H[@]}" -X POST "$URL/api/sessions" -d '{
  "workItem": {"id": "ABC-123", "title": "Retry failed uploads",
               "description": "Uploads fail on flaky networks; retry with backoff.",
               "type": "feature", "labels": ["backend"]}}' | jq -r .sessionId)
echo "session $SESSION"

step "generate the plan (PlanUpdated summary)"
curl -sf "${H[@]}" -X POST "$URL/api/sessions/$SESSION/plan/generate" -d '{}' | jq -c .

step "inspect the plan (status, version, approval, steps)"
curl -sf "${H[@]}" "$URL/api/sessions/$SESSION/plan" | jq -c .

run_node() {
  local node=$1 correlation status
  step "execute node $node (dry run)"
  correlation=$(curl -sf "${H[@]}" -X POST "$URL/api/sessions/$SESSION/plan/execute-node" \
    -d "{\"nodeId\": \"$node\"}" | jq -r .correlationId)
  for _ in $(seq 1 300); do
    status=$(curl -sf "${H[@]}" "$URL/api/executions/$correlation" | jq -r .status)
    case "$status" in completed|failed|interrupted) break ;; esac
    sleep 0.1
  done
  echo "execution $correlation: $status"
  [ "$status" = completed ]
  LAST_CORRELATION=$correlation
}

run_node analyze
run_node implement

step "events so far (SSE replay from Last-Event-ID: 0; the stream stays open, so stop after 2 s)"
curl -sN --max-time 2 "${H[@]}" -H "Last-Event-ID: 0" "$URL/api/sessions/$SESSION/events" | grep '^event:' | sort | uniq -c || true

step "what will change: the rehearsal report (its hash is what an approval binds)"
curl -sf "${H[@]}" "$URL/api/sessions/$SESSION/plan/rehearsal" | jq -c '{hash, missing, nodes: [.nodes[] | {nodeId, writes}]}'

step "artifacts of the session"
artifacts=$(curl -sf "${H[@]}" "$URL/api/sessions/$SESSION/artifacts")
echo "$artifacts" | jq -c .
ARTIFACT=$(echo "$artifacts" | jq -r '.artifacts[0].id')

step "the dry-run diff (the workspace itself is untouched)"
curl -sf "${H[@]}" "$URL/api/artifacts/$ARTIFACT"
echo
echo "done: session $SESSION, last execution $LAST_CORRELATION"
