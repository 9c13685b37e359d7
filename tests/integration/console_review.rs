//! The console's side of a live write its rehearsal did not show, over real HTTP with the real `sleeper`
//! plugin and a counting stand-in: the execution page of a `needs_review` run shows the held write; an
//! operator gets *Allow once* and *Stop* forms, a user (the session's owner) sees the write but no forms, and
//! a user's forged decision is refused (403) and performs nothing. The operator's *Allow once* performs the
//! write once. Bad decisions, unknown executions and forms without the CSRF token change nothing.

use drydock_core::Role;
use drydock_core::proposals::ProposedStep;
use drydock_policy::Mode;
use drydock_tests::peer::Peer;
use serde_json::json;

use crate::console_auth::signed_in;
use crate::console_plans::{act, person};
use crate::rehearsal_live::{serve, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_write_is_shown_to_its_owner_and_only_an_operator_allows_it_once() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = serve(&peer, data.path()).await;
    let alice = person(&server, "alice", Role::User).await;
    let olga = person(&server, "olga", Role::Operator).await;
    let base = peer.base_url();
    let step = ProposedStep {
        tool: "sleeper.run".into(),
        args: json!({"url": format!("{base}/hook"), "extraUrl": format!("{base}/sneaky")}),
        description: None,
    };
    let proposal = server
        .core
        .propose_plan(&alice, "sleeper", "a console review test", vec![step])
        .await
        .unwrap();
    let id = proposal.session.id;
    server.core.approve_plan(&alice, &id).await.unwrap();
    let correlation = server
        .core
        .execute_node(&olga, &id, "step-1", Mode::Live)
        .await
        .unwrap();
    let paused = wait_until(
        &server,
        &correlation,
        &["needs_review", "completed", "failed"],
    )
    .await;
    assert_eq!(paused["status"], "needs_review", "{paused}");
    let page_path = format!("/plans/{id}/executions/{correlation}");
    let review_path = format!("{page_path}/review");

    let mut owner = signed_in(&server, "alice", "correct horse").await;
    let seen = owner.get_page(server.addr, &page_path).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert!(
        seen.body.contains("A write the rehearsal did not show")
            && seen.body.contains(&format!("<code>{base}/sneaky</code>"))
            && seen.body.contains("Only an operator can"),
        "{}",
        seen.body
    );
    assert!(!seen.body.contains("Allow once</button>"), "{}", seen.body);
    let forged = act(
        &mut owner,
        &server,
        &review_path,
        &[("decision", "allowOnce")],
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(
        forged.body.contains("nothing was decided") && forged.body.contains("operator"),
        "{}",
        forged.body
    );
    let no_csrf = owner
        .post(server.addr, &review_path, &[("decision", "allowOnce")])
        .await;
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.body);
    assert_eq!(peer.count(), 1, "only the rehearsed POST went out");

    let mut operator = signed_in(&server, "olga", "correct horse").await;
    let page = operator.get_page(server.addr, &page_path).await;
    assert!(
        page.body.contains("Allow once</button>") && page.body.contains("Stop</button>"),
        "{}",
        page.body
    );
    let sideways = act(
        &mut operator,
        &server,
        &review_path,
        &[("decision", "sideways")],
    )
    .await;
    assert_eq!(sideways.status, 400, "{}", sideways.body);
    assert!(
        sideways.body.contains("allowOnce or stop"),
        "{}",
        sideways.body
    );
    let unknown = act(
        &mut operator,
        &server,
        &format!("/plans/{id}/executions/no-such/review"),
        &[("decision", "stop")],
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert_eq!(peer.count(), 1, "nothing was decided yet");

    let allowed = act(
        &mut operator,
        &server,
        &review_path,
        &[("decision", "allowOnce")],
    )
    .await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    let done = wait_until(&server, &correlation, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    let paths: Vec<String> = peer.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/hook", "/sneaky"], "allowed once: sent once");
    let after = operator
        .get_page(server.addr, allowed.header("location").unwrap())
        .await;
    assert!(
        after.body.contains("Allowed once") && !after.body.contains("Allow once</button>"),
        "{}",
        after.body
    );
    let again = act(
        &mut operator,
        &server,
        &review_path,
        &[("decision", "stop")],
    )
    .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("holds no write"), "{}", again.body);
}
