//! What the pages refuse: forms without their CSRF token, unknown ids, other people's runs and
//! conversations, oversized and malformed forms.

use drydock_tests::client::send_form;

use super::{person, post_from, run_id, start, start_run};
use crate::console_auth::{field, signed_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_their_csrf_token_unknown_ids_other_peoples_runs_and_oversized_forms_are_refused()
 {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let mut ada = signed_in(&server, "ada", "correct horse").await;
    let path = start_run(&mut ada, &server, "echo_loop", &[]).await;
    let page = ada.get_page(server.addr, &path).await;
    let question = field(&page.body, "question");

    // CSRF: none, or another session's.
    let mut bob = signed_in(&server, "bob", "correct horse").await;
    let bobs_csrf = field(&bob.get_page(server.addr, "/workflows").await.body, "_csrf");
    for csrf in [None, Some(bobs_csrf.as_str())] {
        for (action, form) in [
            (
                "/workflows/echo_loop/runs".to_owned(),
                vec![("from", "catalog")],
            ),
            (
                format!("{path}/answer"),
                vec![("question", question.as_str()), ("value", "x")],
            ),
            (format!("{path}/cancel"), vec![]),
            ("/chat".to_owned(), vec![("message", "hello")]),
        ] {
            let mut all = form.clone();
            if let Some(csrf) = csrf {
                all.push(("_csrf", csrf));
            }
            let answer = ada.post(server.addr, &action, &all).await;
            assert_eq!(answer.status, 403, "{action}: {}", answer.body);
            assert!(answer.body.contains("CSRF"), "{}", answer.body);
        }
    }
    // Signed out: to the sign-in page.
    let answer = send_form(
        server.addr,
        &format!("{path}/cancel"),
        &[("_csrf", "x")],
        &[],
    )
    .await;
    assert_eq!(answer.status, 303);
    let ada_actor = person(&server, "ada").await;
    assert_eq!(
        server
            .core
            .recent_runs(&ada_actor, None, 10)
            .await
            .unwrap()
            .len(),
        1,
        "one run only"
    );
    assert_eq!(
        server
            .core
            .run_view(&ada_actor, run_id(&path))
            .await
            .unwrap()
            .run
            .status()
            .as_str(),
        "waiting_input"
    );

    // Unknown ids and another user's run: not-found pages, nothing done.
    for unknown in [
        "/runs/no-such-run",
        "/workflows/no_such_flow",
        "/chat/no-such-conversation",
        &path,
    ] {
        let answer = bob.get_page(server.addr, unknown).await;
        assert_eq!(answer.status, 404, "{unknown}: {}", answer.body);
        assert!(
            answer.body.contains("Back to the console"),
            "{}",
            answer.body
        );
    }
    for (action, form) in [
        (
            format!("{path}/answer"),
            vec![("question", question.as_str()), ("value", "bob was here")],
        ),
        (format!("{path}/cancel"), vec![]),
        ("/workflows/no_such_flow/runs".to_owned(), vec![]),
        (
            "/chat/no-such-conversation".to_owned(),
            vec![("message", "hello")],
        ),
    ] {
        let answer = post_from(&mut bob, &server, "/workflows", &action, &form).await;
        assert_eq!(answer.status, 404, "{action}: {}", answer.body);
    }
    assert_eq!(
        server
            .core
            .run_view(&ada_actor, run_id(&path))
            .await
            .unwrap()
            .run
            .status()
            .as_str(),
        "waiting_input"
    );

    // An oversized form is refused before it is read whole; a form that is not a form is refused too.
    let mut olga = signed_in(&server, "olga", "correct horse").await;
    let huge = "x".repeat(300 * 1024);
    let answer = post_from(
        &mut olga,
        &server,
        "/workflows/echo_loop",
        "/workflows/echo_loop",
        &[("action", "save"), ("yaml", &huge)],
    )
    .await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.body.contains("larger than"), "{}", answer.body);
    let answer = post_from(
        &mut olga,
        &server,
        "/workflows/echo_loop",
        "/workflows/echo_loop",
        &[("action", "bogus"), ("yaml", "name: echo_loop\n")],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let answer = post_from(
        &mut olga,
        &server,
        "/workflows/echo_loop",
        "/workflows/echo_loop",
        &[("action", "save"), ("yaml", "  \n")],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("the YAML is empty"), "{}", answer.body);
}
