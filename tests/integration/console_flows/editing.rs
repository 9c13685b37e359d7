//! The operator's YAML editor: the validator's line-numbered errors inline with the text kept, nothing
//! invalid stored, validate-only, save, delete; a user's read-only view and 403 pages.

use super::{operator, post_from, start};
use crate::console_auth::signed_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_saving_invalid_yaml_sees_the_line_numbered_errors_with_the_text_kept_and_nothing_stored()
 {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let mut jar = signed_in(&server, "olga", "correct horse").await;
    let page = jar.get_page(server.addr, "/workflows/echo_loop").await;
    assert!(
        page.body
            .contains("<textarea class=\"code\" id=\"yaml\" name=\"yaml\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Validate only"), "{}", page.body);
    assert!(
        page.body
            .contains("data-confirm=\"Delete the workflow echo_loop?"),
        "{}",
        page.body
    );
    let stored = server
        .core
        .workflow(&operator(&server).await, "echo_loop")
        .await
        .unwrap()
        .yaml;

    let broken = stored.replace("      - echo.echo\n", "      - echo.nope\n");
    let line = broken
        .lines()
        .position(|l| l.contains("echo.nope"))
        .unwrap()
        + 1;
    for action in ["save", "validate"] {
        let answer = post_from(
            &mut jar,
            &server,
            "/workflows/echo_loop",
            "/workflows/echo_loop",
            &[("action", action), ("yaml", &broken)],
        )
        .await;
        assert_eq!(answer.status, 422, "{action}: {}", answer.body);
        for needle in [
            "<ol class=\"diagnostics\"".to_owned(),
            format!("line {line}, column "),
            format!("<li class=\"bad\" id=\"yaml-line-{line}\"><code>      - echo.nope</code>"),
            "echo.nope".to_owned(),
            "Nothing was saved".to_owned(),
        ] {
            assert!(
                answer.body.contains(&needle),
                "{action}: {needle} missing: {}",
                answer.body
            );
        }
        // The person's text is in the editor, not the stored one.
        let editor = &answer.body[answer.body.find("<textarea").unwrap()..];
        assert!(
            editor[..editor.find("</textarea>").unwrap()].contains("echo.nope"),
            "{action}"
        );
    }
    let after = server
        .core
        .workflow(&operator(&server).await, "echo_loop")
        .await
        .unwrap()
        .yaml;
    assert_eq!(after, stored, "nothing invalid is stored");

    // Validate only, valid: said so, not stored. Save: stored, post/redirect/get with a confirmation.
    let edited = stored.replace("loops until you stop.", "loops until you say no.");
    let answer = post_from(
        &mut jar,
        &server,
        "/workflows/echo_loop",
        "/workflows/echo_loop",
        &[("action", "validate"), ("yaml", &edited)],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("Valid for the tools loaded now. Nothing was saved"),
        "{}",
        answer.body
    );
    assert_eq!(
        server
            .core
            .workflow(&operator(&server).await, "echo_loop")
            .await
            .unwrap()
            .yaml,
        stored
    );
    let answer = post_from(
        &mut jar,
        &server,
        "/workflows/echo_loop",
        "/workflows/echo_loop",
        &[("action", "save"), ("yaml", &edited)],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.header("location"),
        Some("/workflows/echo_loop?done=saved")
    );
    let page = jar
        .get_page(server.addr, "/workflows/echo_loop?done=saved")
        .await;
    assert!(page.body.contains("Saved."), "{}", page.body);
    assert!(
        page.body.contains("loops until you say no."),
        "{}",
        page.body
    );
    assert_eq!(
        server
            .core
            .workflow(&operator(&server).await, "echo_loop")
            .await
            .unwrap()
            .yaml,
        edited
    );

    // Delete, after the confirmation the page asks for.
    let answer = post_from(
        &mut jar,
        &server,
        "/workflows/echo_loop",
        "/workflows/echo_loop/delete",
        &[],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = jar.get_page(server.addr, "/workflows?done=deleted").await;
    assert!(page.body.contains("Deleted."), "{}", page.body);
    assert!(
        !page.body.contains("href=\"/workflows/echo_loop\""),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_reads_a_workflow_but_gets_a_403_page_for_editing_or_deleting_it() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let mut jar = signed_in(&server, "ada", "correct horse").await;
    let page = jar.get_page(server.addr, "/workflows/echo_loop").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Read only"), "{}", page.body);
    assert!(page.body.contains("<ol class=\"listing\""), "{}", page.body);
    assert!(
        !page.body.contains("name=\"yaml\""),
        "no editor for a user: {}",
        page.body
    );
    assert!(
        !page.body.contains("/workflows/echo_loop/delete"),
        "{}",
        page.body
    );
    let stored = server
        .core
        .workflow(&operator(&server).await, "echo_loop")
        .await
        .unwrap()
        .yaml;
    for (action, form) in [
        (
            "/workflows/echo_loop",
            vec![("action", "save"), ("yaml", "name: echo_loop\n")],
        ),
        (
            "/workflows/echo_loop",
            vec![("action", "validate"), ("yaml", "name: x\n")],
        ),
        ("/workflows/echo_loop/delete", vec![]),
    ] {
        let answer = post_from(&mut jar, &server, "/workflows/echo_loop", action, &form).await;
        assert_eq!(answer.status, 403, "{action}: {}", answer.body);
        assert!(answer.body.contains("operator role"), "{}", answer.body);
    }
    assert_eq!(
        server
            .core
            .workflow(&operator(&server).await, "echo_loop")
            .await
            .unwrap()
            .yaml,
        stored
    );
}
