//! `drydock login`: asks for a username and password, exchanges them for a token (`POST /api/auth/login`)
//! and stores it in `~/.drydock/credentials` (mode 0600). A wrong password says so and stores nothing.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::credentials::{self, Credentials};
use super::http::Server;
use super::{LoginArgs, spinner};

/// Runs `drydock login`.
pub async fn run(args: LoginArgs) -> anyhow::Result<ExitCode> {
    let url = args
        .server
        .server
        .clone()
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let server = Server::new(&url, None)?;
    let username = match args.username {
        Some(name) => name,
        None => ask("Username: ")?,
    };
    let password = if args.password_stdin || !std::io::stdin().is_terminal() {
        if !args.password_stdin {
            print!("Password: ");
            std::io::stdout().flush()?;
        }
        read_line()?
    } else {
        rpassword::prompt_password("Password: ").context("reading the password")?
    };
    let answer = spinner::spin(
        "logging in",
        server.post(
            "/api/auth/login",
            &json!({ "username": username, "password": password }),
        ),
    )
    .await?;
    match answer.status {
        200 => {
            let token = answer.body["token"]
                .as_str()
                .context("the server's login answer has no token")?
                .to_owned();
            let path = credentials::save(&Credentials {
                server: server.url().to_owned(),
                username: username.clone(),
                token,
            })?;
            println!(
                "Logged in to {} as {} ({}). The token is in {}.",
                server.url(),
                answer.body["name"].as_str().unwrap_or(&username),
                answer.body["role"].as_str().unwrap_or("user"),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        401 => {
            println!("Login failed: wrong username or password.");
            Ok(ExitCode::FAILURE)
        }
        _ => {
            println!("Login failed: {}", answer.error_message());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn ask(prompt: &str) -> anyhow::Result<String> {
    print!("{prompt}");
    std::io::stdout().flush()?;
    read_line()
}

fn read_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
