//! `drydock workflow run`, as a person runs it in the shell and as a script runs it: inputs asked or given
//! with `--input` (which also answers input nodes), each step's effects and message shown, `Continue
//! (Y/n)?`, and an input nobody answered named in the error.

use std::process::{Command, Output};

use super::{ServedDrydock, pty, served_drydock, text};

#[test]
fn workflow_run_asks_inputs_shows_steps_and_asks_to_continue() {
    let served = served_drydock();
    let mut login = pty(&served, &["login", "--username", "olivia"]);
    login.exp_string("Password: ").unwrap();
    login.send_line("olivia-pass").unwrap();
    login.exp_eof().unwrap();

    let mut shell = pty(&served, &["shell"]);
    shell.exp_string("drydock> ").unwrap();
    shell.send_line("workflow run echo_loop").unwrap();
    shell.exp_string("greeting [Echo]: ").unwrap();
    shell.send_line("").unwrap();
    shell.exp_string("Step ask_text started").unwrap();
    shell
        .exp_string("What should the echo plugin repeat?")
        .unwrap();
    shell.send_line("hello").unwrap();
    shell.exp_string("Step ask_text ended").unwrap();
    shell.exp_string("Step echo_text started").unwrap();
    shell.exp_string("no effects outside the sandbox").unwrap();
    shell
        .exp_string("The echo plugin answered: Echo: hello")
        .unwrap();
    shell.exp_string("Results:").unwrap();
    shell.exp_string("Echo: hello").unwrap();
    shell.exp_string("Continue (Y/n)? ").unwrap();
    shell.send_line("").unwrap();
    shell.exp_string("Step echo_text ended").unwrap();
    shell.exp_string("Another one? (yes/no)").unwrap();
    shell.send_line("no").unwrap();
    shell.exp_string("Workflow echo_loop completed.").unwrap();
    shell.exp_string("drydock> ").unwrap();
    shell.send_line("exit").unwrap();
    shell.exp_eof().unwrap();
}

/// `drydock <args>` without a terminal (standard input closed), as a script runs it, logged in as olivia.
fn scripted(served: &ServedDrydock, args: &[&str]) -> Output {
    let mut login = pty(served, &["login", "--username", "olivia"]);
    login.exp_string("Password: ").unwrap();
    login.send_line("olivia-pass").unwrap();
    login.exp_eof().unwrap();
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env("HOME", served.home.path())
        .env("DRYDOCK_SERVER", &served.url)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_scripted_run_answers_input_nodes_from_input_flags_and_shows_each_effect_and_message() {
    let served = served_drydock();
    let out = scripted(
        &served,
        &[
            "workflow",
            "run",
            "workspace_notes",
            "--input",
            "ask_path=README.md",
            "--input",
            "ask_note=yes",
            "--input",
            "note_text=checked",
            "--yes",
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("(from --input ask_path=…)"), "{stdout}");
    assert!(
        stdout.contains("# The test workspace"),
        "the read step's message: {stdout}"
    );
    let write = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("simulated fs"))
        .unwrap_or_else(|| panic!("no simulated write shown: {stdout}"));
    assert!(write.contains("NOTES.md"), "{write}");
    assert!(
        stdout.contains("Wrote ") && stdout.contains("a dry run unless an operator made it live"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Workflow workspace_notes completed."),
        "{stdout}"
    );
}

#[test]
fn a_scripted_run_without_an_answer_for_an_input_node_names_it() {
    let served = served_drydock();
    let out = scripted(&served, &["workflow", "run", "echo_loop", "--yes"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("waits for input `ask_text`")
            && stderr.contains("--input ask_text=<value>"),
        "{stderr}"
    );
}
