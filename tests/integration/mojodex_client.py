"""A Mojodex client as the seed's CLI (seed 003) talks to its backend, for tests/integration/mojodex.rs.

It uses the real clients Mojodex's Python CLI would: `requests` for the routes and `python-socketio`'s
client for the events. It logs in, lists the workflows, runs the demo `echo_loop` twice (once over the
websocket transport, once over polling) and prints one JSON object of everything it saw on stdout; the
Rust test makes the assertions. Every wait is bounded.

Usage: python mojodex_client.py BASE_URL USERNAME PASSWORD OTHER_SESSION_ID
"""

import json
import queue
import sys

import requests
import socketio

WAIT = 60
EVENTS = [
    "workflow_step_execution_started",
    "workflow_step_execution_ended",
    "workflow_step_execution_invalidated",
    "workflow_execution_ended",
    "error",
]


def main():
    base, username, password, other_session = sys.argv[1:5]
    seen = {}
    now = "2024-04-01T12:00:00"

    login = requests.post(
        f"{base}/user",
        json={"email": username, "password": password, "login_method": "email_password", "datetime": now},
        timeout=WAIT,
    )
    seen["login"] = login.json()
    headers = {"Authorization": seen["login"]["token"]}

    listed = requests.get(
        f"{base}/user_workflow",
        params={"datetime": now, "platform": "webapp", "version": "0.0.0"},
        headers=headers,
        timeout=WAIT,
    ).json()
    seen["workflows"] = listed
    echo = next(w for w in listed["user_workflows"] if w["name"] == "echo_loop")

    # Without a token, the namespace refuses the connection.
    try:
        anonymous = socketio.Client()
        anonymous.connect(base, transports=["polling"], wait_timeout=WAIT)
        seen["anonymous_connect"] = "connected"
        anonymous.disconnect()
    except socketio.exceptions.ConnectionError as err:
        seen["anonymous_connect"] = f"refused: {err}"

    seen["validated_run"] = run_echo(base, headers, echo, now, "websocket", other_session, reject_with=None)
    seen["rejected_run"] = run_echo(base, headers, echo, now, "polling", None, reject_with="end")
    print(json.dumps(seen))


def run_echo(base, headers, echo, now, transport, other_session, reject_with):
    """Creates and starts an echo_loop execution, follows its events, and validates or rejects its step."""
    seen = {"transport": transport}
    created = requests.post(
        f"{base}/user_workflow_execution",
        json={"datetime": now, "user_workflow_pk": echo["user_workflow_pk"], "platform": "webapp"},
        headers=headers,
        timeout=WAIT,
    ).json()
    seen["created"] = created
    pk = created["user_workflow_execution_pk"]

    events = queue.Queue()
    client = socketio.Client()
    for name in EVENTS:
        client.on(name, lambda data, name=name: events.put((name, data)))
    client.connect(base, auth={"token": headers["Authorization"]}, transports=[transport], wait_timeout=WAIT)
    if other_session is not None:
        seen["foreign_join"] = client.call(
            "start_session", {"session_id": other_session, "version": "0.0.0"}, timeout=WAIT
        )
        seen["foreign_join_event"] = next_event(events, lambda n, d: n == "error")
    seen["join"] = client.call("start_session", {"session_id": created["session_id"], "version": "0.0.0"}, timeout=WAIT)

    # The seed's CLI sends the inputs as a bare list, the pk in the query string.
    started = requests.put(
        f"{base}/user_workflow_execution",
        params={"user_workflow_execution_pk": pk, "datetime": now},
        json=[{"input_name": "text", "value": "hi"}, {"input_name": "again", "value": "no"}],
        headers=headers,
        timeout=WAIT,
    )
    seen["start_status"] = started.status_code
    seen["events"] = []

    def until(predicate):
        found = next_event(events, predicate, seen["events"])
        if found is None:
            raise SystemExit(json.dumps({"error": "an expected event never came", "seen": seen}))
        return found

    ended = until(lambda n, d: n == "workflow_step_execution_ended" and d["step_name"] == "echo_text")
    # As the seed's CLI does after each ended step: read the status and the step's results.
    seen["status_after_end"] = get_execution(base, headers, pk, now)
    if reject_with == "end":
        seen["rejection"] = validate(base, headers, ended["user_workflow_step_execution_pk"], False, now)
        until(lambda n, d: n == "workflow_execution_ended")
    else:
        feedback = validate(base, headers, ended["user_workflow_step_execution_pk"], False, now, feedback="!")
        seen["rejection"] = feedback
        again = until(lambda n, d: n == "workflow_step_execution_ended" and d["step_name"] == "echo_text")
        seen["validation"] = validate(base, headers, again["user_workflow_step_execution_pk"], True, now)
        seen["validation_of_old"] = validate(base, headers, ended["user_workflow_step_execution_pk"], True, now)
        until(lambda n, d: n == "workflow_execution_ended")
    seen["final"] = get_execution(base, headers, pk, now)
    client.disconnect()
    return seen


def next_event(events, predicate, log=None):
    """The next event that matches, keeping every event read in `log`; None if none comes in time."""
    while True:
        try:
            name, data = events.get(timeout=WAIT)
        except queue.Empty:
            return None
        if log is not None:
            log.append({"event": name, "data": data})
        if predicate(name, data):
            return data


def get_execution(base, headers, pk, now):
    return requests.get(
        f"{base}/user_workflow_execution",
        params={"user_workflow_execution_pk": pk, "datetime": now},
        headers=headers,
        timeout=WAIT,
    ).json()


def validate(base, headers, step_pk, validated, now, feedback=None):
    body = {"datetime": now, "user_workflow_step_execution_pk": step_pk, "validated": validated, "platform": "webapp"}
    if feedback is not None:
        body["feedback"] = feedback
    answer = requests.post(f"{base}/user_workflow_step_execution", json=body, headers=headers, timeout=WAIT)
    return {"status": answer.status_code, "body": answer.json()}


if __name__ == "__main__":
    main()
