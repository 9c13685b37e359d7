#!/usr/bin/env bash
# Seed 000's walkthrough against a running `drydock serve`, message for message: start a conversation,
# give requirements, check the task, modify the plan, approve it, follow the (dry) run, discuss the results.
# The only addition to the seed's curl commands is the bearer token. docs/chat-api.md walks through the same
# calls one by one.
#
#   TOKEN=<token> examples/chat-api.sh                  # the server at http://127.0.0.1:8080
#   DRYDOCK_URL=http://host:port TOKEN=<token> examples/chat-api.sh
#
# TOKEN is an API token (the first start of `drydock serve` prints an operator token); DRYDOCK_TOKEN is
# accepted too. Needs curl and jq.
set -euo pipefail

URL="${DRYDOCK_URL:-http://127.0.0.1:8080}"
TOKEN="${TOKEN:-${DRYDOCK_TOKEN:?set TOKEN to an API token (drydock serve prints one on its first start)}}"
H=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")

step() { printf '\n== %s\n' "$*"; }

# Sends one message of user123 (in the conversation once there is one) and prints the answer.
say() {
  local body
  body=$(jq -n --arg message "$1" --arg conversation "${CONVERSATION:-}" \
    '{user_id: "user123", message: $message} + (if $conversation == "" then {} else {conversation_id: $conversation} end)')
  curl -sf "${H[@]}" -X POST "$URL/api/v1/chat" -d "$body"
  echo
}

step "start a conversation"
answer=$(say "I need to deploy a new web application on AWS with a load balancer and auto-scaling.")
echo "$answer"
CONVERSATION=$(echo "$answer" | jq -r .conversation_id)
TASK=$(echo "$answer" | jq -r .task_id)

step "provide requirements"
say "It's a Node.js application. I want to deploy it in us-west-2. Auto-scaling should be based on CPU usage (>70%)."

step "check the task"
curl -sf "${H[@]}" "$URL/api/v1/tasks/$TASK" | jq -c .

step "modify the plan"
say "I'd like to make a few changes. Can we use t3.medium instances instead? Also, I want to add CloudFront for content delivery."

step "approve the plan"
say "I approve the plan. Please proceed with the execution."

step "check the task status until the run ends"
for _ in $(seq 1 300); do
  status=$(curl -sf "${H[@]}" "$URL/api/v1/tasks/$TASK" | jq -r .status)
  case "$status" in completed|failed|cancelled) break ;; esac
  sleep 0.1
done
echo "task $TASK: $status"
[ "$status" = completed ]

step "discuss results"
say "Great! The deployment is complete. How can I access my application now?"
echo "done: conversation $CONVERSATION, task $TASK"
