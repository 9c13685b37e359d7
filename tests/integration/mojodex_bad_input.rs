//! Mojodex routes refuse what they cannot use, in Mojodex's shape (`{error}`): no token or a wrong one is
//! a 403, wrong types and missing fields a 400, unknown integers and other users' executions a 404,
//! oversized bodies a 413, repeating a start or validating a step that does not wait a 409. The token is a
//! real Drydock token: revoking it closes the Mojodex face too.

use drydock_core::Role;
use serde_json::{Value, json};

use crate::mojodex::{create_execution, echo_loop, log_in, mojodex, start};

const EXECUTION: &str = "/user_workflow_execution";

fn error_of(answer: &drydock_tests::client::Answer) -> String {
    let body: Value = answer.json();
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("not a Mojodex error: {}", answer.body))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_refuses_wrong_credentials_methods_and_shapes() {
    let data = tempfile::tempdir().unwrap();
    let (server, _) = start(data.path()).await;
    let wrong = json!({"email": "alice", "password": "nope", "login_method": "email_password", "datetime": "now"});
    let answer = mojodex(&server, "POST", "/user", None, Some(&wrong)).await;
    assert_eq!(answer.status, 400);
    assert_eq!(error_of(&answer), "Wrong email or password.");
    let google =
        json!({"email": "alice", "google_token": "x", "login_method": "google", "datetime": "now"});
    let answer = mojodex(&server, "POST", "/user", None, Some(&google)).await;
    assert_eq!(answer.status, 400);
    assert!(error_of(&answer).contains("email_password"));
    for body in [
        json!({"email": "alice", "login_method": "email_password", "datetime": "now"}),
        json!({"email": 7, "password": "pw-alice", "login_method": "email_password", "datetime": "now"}),
        json!({"email": "alice", "password": "pw-alice", "login_method": "email_password"}),
        json!(["alice", "pw-alice"]),
    ] {
        let answer = mojodex(&server, "POST", "/user", None, Some(&body)).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        error_of(&answer);
    }
    let token = log_in(&server, "alice", "pw-alice").await;
    assert!(
        server.core.authenticate(&token).await.unwrap().is_some(),
        "a real Drydock token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_wants_a_valid_raw_token_and_revoking_it_closes_the_face() {
    let data = tempfile::tempdir().unwrap();
    let (server, _) = start(data.path()).await;
    let token = log_in(&server, "alice", "pw-alice").await;
    let execution = create_execution(&server, &token).await;
    let pk = execution["user_workflow_execution_pk"].as_i64().unwrap();
    let step = json!({"datetime": "now", "user_workflow_step_execution_pk": 1, "validated": true, "platform": "webapp"});
    let create = json!({"datetime": "now", "user_workflow_pk": 1, "platform": "webapp"});
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/user_workflow?datetime=now".into(), None),
        (
            "GET",
            format!("{EXECUTION}?datetime=now&user_workflow_execution_pk={pk}"),
            None,
        ),
        ("POST", EXECUTION.into(), Some(create)),
        (
            "PUT",
            format!("{EXECUTION}?user_workflow_execution_pk={pk}"),
            Some(json!([])),
        ),
        ("POST", "/user_workflow_step_execution".into(), Some(step)),
    ];
    for (method, path, body) in &routes {
        for bad in [None, Some("not-a-token"), Some("Bearer not-a-token")] {
            let answer = mojodex(&server, method, path, bad, body.as_ref()).await;
            assert_eq!(
                answer.status, 403,
                "{method} {path} with {bad:?}: {}",
                answer.body
            );
            error_of(&answer);
        }
    }
    // `Bearer <token>` is read as well as the raw token.
    let bearer = format!("Bearer {token}");
    let answer = mojodex(
        &server,
        "GET",
        "/user_workflow?datetime=now",
        Some(&bearer),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Signing out through the native API revokes the Mojodex token.
    let answer =
        drydock_tests::client::send(server.addr, "POST", "/api/auth/logout", Some(&token), None)
            .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let answer = mojodex(
        &server,
        "GET",
        "/user_workflow?datetime=now",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(answer.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_unknown_integers_and_other_users_things_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let (server, alice) = start(data.path()).await;
    let bob = server
        .core
        .add_user("bob", "pw-bob", Role::User, "test")
        .await
        .unwrap();
    let alices = create_execution(&server, &alice).await;
    let bobs = create_execution(&server, &bob).await;
    let bobs_pk = bobs["user_workflow_execution_pk"].as_i64().unwrap();
    let bobs_workflow = echo_loop(&server, &bob).await["user_workflow_pk"]
        .as_i64()
        .unwrap();
    let alice_workflow = echo_loop(&server, &alice).await["user_workflow_pk"]
        .as_i64()
        .unwrap();
    assert_ne!(
        bobs_workflow, alice_workflow,
        "a user's workflows are that user's"
    );

    let cases: Vec<(&str, String, Option<Value>, u16)> = vec![
        // Missing datetime, wrong types.
        ("GET", "/user_workflow".into(), None, 400),
        (
            "GET",
            "/user_workflow?datetime=now&user_workflow_pk=abc".into(),
            None,
            400,
        ),
        (
            "GET",
            "/user_workflow?datetime=now&offset=-1".into(),
            None,
            400,
        ),
        (
            "GET",
            format!("{EXECUTION}?user_workflow_execution_pk=1"),
            None,
            400,
        ),
        (
            "GET",
            format!("{EXECUTION}?datetime=now&user_workflow_execution_pk=x"),
            None,
            400,
        ),
        ("GET", format!("{EXECUTION}?datetime=now"), None, 400),
        (
            "POST",
            EXECUTION.into(),
            Some(json!({"datetime": "now", "user_workflow_pk": "1"})),
            400,
        ),
        (
            "POST",
            EXECUTION.into(),
            Some(json!({"user_workflow_pk": alice_workflow})),
            400,
        ),
        ("POST", EXECUTION.into(), Some(json!([1, 2])), 400),
        ("PUT", EXECUTION.into(), Some(json!([])), 400),
        (
            "PUT",
            format!("{EXECUTION}?user_workflow_execution_pk=0"),
            Some(json!([])),
            400,
        ),
        ("PUT", EXECUTION.into(), Some(json!("inputs")), 400),
        (
            "POST",
            "/user_workflow_step_execution".into(),
            Some(
                json!({"datetime": "now", "user_workflow_step_execution_pk": 1, "validated": "yes"}),
            ),
            400,
        ),
        (
            "POST",
            "/user_workflow_step_execution".into(),
            Some(json!({"datetime": "now", "validated": true})),
            400,
        ),
        (
            "POST",
            "/user_workflow_step_execution".into(),
            Some(
                json!({"datetime": "now", "user_workflow_step_execution_pk": 1, "validated": false, "feedback": 3}),
            ),
            400,
        ),
        // Unknown integers.
        (
            "GET",
            "/user_workflow?datetime=now&user_workflow_pk=999999".into(),
            None,
            404,
        ),
        (
            "GET",
            format!("{EXECUTION}?datetime=now&user_workflow_execution_pk=999999"),
            None,
            404,
        ),
        (
            "POST",
            EXECUTION.into(),
            Some(json!({"datetime": "now", "user_workflow_pk": 999999})),
            404,
        ),
        (
            "PUT",
            format!("{EXECUTION}?user_workflow_execution_pk=999999"),
            Some(json!([])),
            404,
        ),
        (
            "POST",
            "/user_workflow_step_execution".into(),
            Some(
                json!({"datetime": "now", "user_workflow_step_execution_pk": 999999, "validated": true}),
            ),
            404,
        ),
        // Bob's things.
        (
            "GET",
            format!("/user_workflow?datetime=now&user_workflow_pk={bobs_workflow}"),
            None,
            404,
        ),
        (
            "GET",
            format!("{EXECUTION}?datetime=now&user_workflow_execution_pk={bobs_pk}"),
            None,
            404,
        ),
        (
            "POST",
            EXECUTION.into(),
            Some(json!({"datetime": "now", "user_workflow_pk": bobs_workflow})),
            404,
        ),
        (
            "PUT",
            format!("{EXECUTION}?user_workflow_execution_pk={bobs_pk}"),
            Some(json!([])),
            404,
        ),
        (
            "POST",
            EXECUTION.into(),
            Some(
                json!({"datetime": "now", "user_workflow_execution_pk": bobs_pk, "json_inputs": []}),
            ),
            404,
        ),
    ];
    for (method, path, body, status) in &cases {
        let answer = mojodex(&server, method, path, Some(&alice), body.as_ref()).await;
        assert_eq!(
            answer.status, *status,
            "{method} {path} {body:?}: {}",
            answer.body
        );
        error_of(&answer);
    }
    // Bob's execution did not start, whatever alice sent.
    let answer = mojodex(
        &server,
        "GET",
        &format!("{EXECUTION}?datetime=now&user_workflow_execution_pk={bobs_pk}"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(answer.json()["status"], "created");

    // Inputs: unknown, repeated, not a list of objects, too many; oversized bodies.
    let pk = alices["user_workflow_execution_pk"].as_i64().unwrap();
    let start = format!("{EXECUTION}?user_workflow_execution_pk={pk}");
    let many: Vec<Value> = (0..300)
        .map(|i| json!({"input_name": format!("x{i}"), "value": 1}))
        .collect();
    for inputs in [
        json!([{"input_name": "nope", "value": "x"}]),
        json!([{"input_name": "text", "value": "a"}, {"input_name": "text", "value": "b"}]),
        json!([{"input_name": 3, "value": "x"}]),
        json!([{"input_name": "text"}]),
        json!(["text"]),
        Value::Array(many),
    ] {
        let answer = mojodex(&server, "PUT", &start, Some(&alice), Some(&inputs)).await;
        assert_eq!(answer.status, 400, "{inputs}: {}", answer.body);
        error_of(&answer);
    }
    let huge = json!([{"input_name": "text", "value": "x".repeat(1 << 20)}]);
    let answer = mojodex(&server, "PUT", &start, Some(&alice), Some(&huge)).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    error_of(&answer);
    let answer = mojodex(
        &server,
        "POST",
        "/user",
        None,
        Some(&json!({"email": "x".repeat(1 << 20)})),
    )
    .await;
    assert_eq!(answer.status, 413);

    // A start without the input an input node needs: the run waits for it, and says which.
    let answer = mojodex(
        &server,
        "PUT",
        &start,
        Some(&alice),
        Some(&json!([{"input_name": "again", "value": "no"}])),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let waiting = answer.json();
    assert_eq!(waiting["status"], "waiting_input");
    assert_eq!(waiting["question"]["step"], "ask_text");
    // Starting twice is a conflict; validating a step that does not wait too.
    let answer = mojodex(&server, "PUT", &start, Some(&alice), Some(&json!([]))).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    error_of(&answer);
    let ask_text = waiting["current_step_execution"]["user_workflow_step_execution_pk"].clone();
    let body = json!({"datetime": "now", "user_workflow_step_execution_pk": ask_text, "validated": false, "platform": "webapp"});
    let answer = mojodex(
        &server,
        "POST",
        "/user_workflow_step_execution",
        Some(&alice),
        Some(&body),
    )
    .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    error_of(&answer);
    // Bob cannot validate alice's step execution either.
    let answer = mojodex(
        &server,
        "POST",
        "/user_workflow_step_execution",
        Some(&bob),
        Some(&body),
    )
    .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
}
