//! The catalog and its start forms; a run followed from its page through an answer, a rejection with
//! feedback (the step is redone with it) and an acceptance to completion; refusals beside their forms.

use serde_json::json;

use super::{COUNTED, operator, person, post_from, run_id, start, start_run};
use crate::console_auth::{field, signed_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_lists_each_workflow_with_a_labelled_start_form_from_its_inputs() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let mut jar = signed_in(&server, "ada", "correct horse").await;
    let page = jar.get_page(server.addr, "/workflows").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for needle in [
        "echo_loop",
        "Echoes what you type through the echo plugin",
        "<label for=\"in-echo_loop-greeting\">greeting",
        "The word each echo starts with",
        "default Echo",
        "name=\"input.greeting\"",
        "action=\"/workflows/echo_loop/runs\"",
        "Start a run of echo_loop",
        "some validated by you",
    ] {
        assert!(
            page.body.contains(needle),
            "{needle} missing: {}",
            page.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_rejected_with_feedback_redone_accepted_and_completes_from_its_page() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let mut jar = signed_in(&server, "ada", "correct horse").await;
    let path = start_run(&mut jar, &server, "echo_loop", &[("input.greeting", "Hi")]).await;
    let id = run_id(&path).to_owned();

    // The run page: its status in words, its first question, live regions following the run's events.
    let page = jar.get_page(server.addr, &path).await;
    for needle in [
        "waiting for an answer",
        "What should the echo plugin repeat?",
        &format!("data-live-events=\"/api/runs/{id}/events?after="),
        "id=\"run-question\" data-live-region",
        "ask_text",
        "Cancel the run",
    ] {
        assert!(
            page.body.contains(needle),
            "{needle} missing: {}",
            page.body
        );
    }
    let question = field(&page.body, "question");
    let answer = post_from(
        &mut jar,
        &server,
        &path,
        &format!("{path}/answer"),
        &[("question", &question), ("value", "spring")],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);

    // The sandboxed echo waits for validation, its output on the page.
    let page = jar.get_page(server.addr, &path).await;
    assert!(
        page.body.contains("Validate step <code>echo_text</code>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Hi: spring"), "{}", page.body);
    assert!(
        page.body.contains("Reject and redo with this feedback"),
        "{}",
        page.body
    );

    // Rejected with feedback: the step is redone with it and waits again.
    let answer = post_from(
        &mut jar,
        &server,
        &path,
        &format!("{path}/validation"),
        &[
            ("step", "echo_text"),
            ("decision", "reject"),
            ("feedback", " (louder)"),
        ],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = jar.get_page(server.addr, &path).await;
    assert!(
        page.body.contains("Hi: spring(louder)"),
        "the redone output: {}",
        page.body
    );
    assert!(
        page.body
            .contains("Rejected with feedback: </strong>(louder)"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("step echo_text rejected with feedback: (louder)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("waiting for validation"),
        "{}",
        page.body
    );

    // Accepted: the run goes on to its yes/no question, answered with a button.
    let answer = post_from(
        &mut jar,
        &server,
        &path,
        &format!("{path}/validation"),
        &[("step", "echo_text"), ("decision", "accept")],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = jar.get_page(server.addr, &path).await;
    assert!(
        page.body.contains("echo(es) so far. Another one?"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("name=\"value\" value=\"no\""),
        "{}",
        page.body
    );
    let question = field(&page.body, "question");
    let answer = post_from(
        &mut jar,
        &server,
        &path,
        &format!("{path}/answer"),
        &[("question", &question), ("value", "no")],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);

    let page = jar.get_page(server.addr, &path).await;
    assert!(
        page.body.contains("badge s-completed\">completed"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Echoed 1 time(s):"), "{}", page.body);
    assert!(
        page.body.contains("Nothing is asked of you"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Cancel the run"),
        "a finished run has no cancel: {}",
        page.body
    );

    // The core agrees: completed, the rejected attempt kept with its feedback, the accepted one after it.
    let ada = person(&server, "ada").await;
    let view = server.core.run_view(&ada, &id).await.unwrap();
    assert_eq!(view.run.status().as_str(), "completed");
    let echoes: Vec<_> = view
        .run
        .history()
        .iter()
        .filter(|r| r.step == "echo_text")
        .collect();
    assert_eq!(echoes.len(), 2, "{:?}", view.run.history());
    assert_eq!(echoes[0].feedback.as_deref(), Some("(louder)"));
    assert_eq!(
        view.run.state()["transcript"],
        json!(["Hi: spring(louder)"])
    );

    // It is listed among ada's runs, and on the workflow's page.
    let runs = jar.get_page(server.addr, "/runs").await;
    assert!(
        runs.body.contains(&format!("href=\"/runs/{id}\"")),
        "{}",
        runs.body
    );
    let workflow = jar.get_page(server.addr, "/workflows/echo_loop").await;
    assert!(
        workflow.body.contains(&format!("href=\"/runs/{id}\"")),
        "{}",
        workflow.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_inputs_answers_and_validations_come_back_beside_their_form() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    server
        .core
        .put_workflow(&operator(&server).await, "counted", COUNTED.into())
        .await
        .unwrap();
    let mut jar = signed_in(&server, "ada", "correct horse").await;

    // A wrong type for a declared input: the catalog again, the error in that workflow's card, the value kept.
    let answer = post_from(
        &mut jar,
        &server,
        "/workflows",
        "/workflows/counted/runs",
        &[("from", "catalog"), ("input.times", "three")],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("the run did not start"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("expected an integer"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("name=\"input.times\" value=\"three\""),
        "{}",
        answer.body
    );
    // An input the workflow does not declare, from the workflow's own page: the error on that page.
    let answer = post_from(
        &mut jar,
        &server,
        "/workflows/counted",
        "/workflows/counted/runs",
        &[
            ("from", "workflow"),
            ("input.times", "2"),
            ("input.ghost", "x"),
        ],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("unknown input `ghost`"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("<h1>Workflow counted</h1>"),
        "{}",
        answer.body
    );
    // A required input left blank.
    let answer = post_from(
        &mut jar,
        &server,
        "/workflows",
        "/workflows/counted/runs",
        &[("from", "catalog"), ("input.times", " ")],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("missing input `times`"),
        "{}",
        answer.body
    );
    let ada = person(&server, "ada").await;
    assert!(
        server
            .core
            .recent_runs(&ada, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "no run started"
    );

    let path = start_run(&mut jar, &server, "counted", &[("input.times", "2")]).await;
    let page = jar.get_page(server.addr, &path).await;
    assert!(page.body.contains("Times: 2"), "{}", page.body);
    // A rejection without feedback text is not sent: say what to change, or end the run.
    let answer = post_from(
        &mut jar,
        &server,
        &path,
        &format!("{path}/validation"),
        &[("step", "show"), ("decision", "reject"), ("feedback", "  ")],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("write the feedback the step should be redone with"),
        "{}",
        answer.body
    );
    // A decision the page never offers.
    let answer = post_from(
        &mut jar,
        &server,
        &path,
        &format!("{path}/validation"),
        &[("step", "show"), ("decision", "maybe")],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    // Validating a step the run does not wait for: a conflict, shown beside the forms.
    let answer = post_from(
        &mut jar,
        &server,
        &path,
        &format!("{path}/validation"),
        &[("step", "elsewhere"), ("decision", "accept")],
    )
    .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.body.contains("not done:"), "{}", answer.body);
    // An answer to a question that is not asked.
    let answer = post_from(
        &mut jar,
        &server,
        &path,
        &format!("{path}/answer"),
        &[("question", "stale"), ("value", "x")],
    )
    .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    let view = server.core.run_view(&ada, run_id(&path)).await.unwrap();
    assert_eq!(
        view.run.status().as_str(),
        "waiting_validation",
        "nothing changed"
    );

    // Cancel ends it.
    let answer = post_from(&mut jar, &server, &path, &format!("{path}/cancel"), &[]).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = jar.get_page(server.addr, &path).await;
    assert!(
        page.body.contains("badge s-cancelled\">cancelled"),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_runs_from_the_console_spends_the_same_budget_as_the_api() {
    let data = tempfile::tempdir().unwrap();
    let policy = "[budgets]\nper_token = { requests = 1, per_seconds = 3600 }\n";
    let server = crate::support::start_server(
        policy,
        &[drydock_tests::plugins::ECHO],
        data.path(),
        super::OPERATOR,
    )
    .await;
    let demos = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
    server.core.import_workflow_dir(&demos).await.unwrap();
    crate::server::user_token(&server, "ada", drydock_core::Role::User).await;
    let mut jar = signed_in(&server, "ada", "correct horse").await;
    let first = post_from(
        &mut jar,
        &server,
        "/workflows",
        "/workflows/echo_loop/runs",
        &[("input.greeting", "Hi")],
    )
    .await;
    assert_eq!(first.status, 303, "{}", first.body);
    let second = post_from(
        &mut jar,
        &server,
        "/workflows",
        "/workflows/echo_loop/runs",
        &[("input.greeting", "Hi")],
    )
    .await;
    assert_eq!(second.status, 429, "{}", second.body);
    assert!(
        second.header("retry-after").is_some(),
        "{:?}",
        second.headers
    );
    assert!(
        second.body.contains("too many workflow runs"),
        "{}",
        second.body
    );
    let runs = server
        .core
        .recent_runs(&person(&server, "ada").await, None, 10)
        .await
        .unwrap();
    assert_eq!(runs.len(), 1, "the refused start made no run");
}
