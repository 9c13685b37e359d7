#!/usr/bin/env bash
# Seed 000's walkthrough against a running `drydock serve`, message for message: start a conversation,
# give requirements, check the task, modify the plan, approve it, follow the (dry) run, discuss the results.
# The only addition to the seed's curl commands is the bearer token.
#
#   DRYDOCK_URL=http://127.0.0.1:8080 DRYDOCK_TOKEN=<token> examples/chat-api.sh
#
# Needs curl; uses only grep/sed to read ids from the JSON answers.
set -euo pipefail

URL="${DRYDOCK_URL:-http://127.0.0.1:8080}"
TOKEN="${DRYDOCK_TOKEN:?set DRYDOCK_TOKEN to a token (drydock serve prints one on first start)}"
AUTH=(-H "Authorization: Bearer ${TOKEN}")
JSON=(-H "Content-Type: application/json")

# The string value of "field" in a JSON answer (the first one).
field() { grep -o "\"$1\":\"[^\"]*\"" | head -n1 | sed "s/\"$1\":\"\\([^\"]*\\)\"/\\1/"; }

step() { printf '\n== %s\n' "$*"; }

say() {
  local body
  if [ -n "${CONVERSATION_ID:-}" ]; then
    body="{\"conversation_id\": \"$CONVERSATION_ID\", \"user_id\": \"user123\", \"message\": \"$1\"}"
  else
    body="{\"user_id\": \"user123\", \"message\": \"$1\"}"
  fi
  curl -sf "${AUTH[@]}" "${JSON[@]}" -X POST "$URL/api/v1/chat" -d "$body"
}

step "start a conversation"
answer=$(say "I need to deploy a new web application on AWS with a load balancer and auto-scaling.")
echo "$answer"
CONVERSATION_ID=$(echo "$answer" | field conversation_id)
TASK_ID=$(echo "$answer" | field task_id)

step "provide requirements"
say "It's a Node.js application. I want to deploy it in us-west-2. Auto-scaling should be based on CPU usage (>70%)."
echo

step "check the task"
curl -sf "${AUTH[@]}" "$URL/api/v1/tasks/$TASK_ID"
echo

step "modify the plan"
say "I'd like to make a few changes. Can we use t3.medium instances instead? Also, I want to add CloudFront for content delivery."
echo

step "approve the plan"
say "I approve the plan. Please proceed with the execution."
echo

step "check the task status until the run ends"
for _ in $(seq 1 100); do
  # The task's own status is the one followed by "steps" (nodes and steps have a status of their own).
  status=$(curl -sf "${AUTH[@]}" "$URL/api/v1/tasks/$TASK_ID" | grep -o '"status":"[a-z_]*","steps"' | sed 's/"status":"\([a-z_]*\)".*/\1/')
  case "$status" in completed|failed|cancelled) break ;; esac
  sleep 0.1
done
echo "task $TASK_ID: $status"
[ "$status" = completed ]

step "discuss results"
say "Great! The deployment is complete. How can I access my application now?"
echo
echo "done: conversation $CONVERSATION_ID, task $TASK_ID"
