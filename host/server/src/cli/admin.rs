//! Offline administration of a data directory: `drydock audit verify --data-dir DIR` and
//! `drydock user add NAME --role R`. They work on the SQLite file directly, so they run on the host that
//! owns the data (like `createuser` for PostgreSQL), with or without a running server.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use drydock_core::{Role, Store, Verification, verify_offline};

/// `drydock audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain (read-only) and name the first broken row.
    Verify {
        /// The data directory holding drydock.sqlite3.
        #[arg(long, env = "DRYDOCK_DATA_DIR", default_value = ".drydock-data")]
        data_dir: PathBuf,
    },
}

/// `drydock user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user and print a token for it. The password is read from the first line of standard input.
    Add {
        /// Username: a-z, 0-9, `_`, `.`, `-`.
        name: String,
        /// `user` or `operator`.
        #[arg(long, default_value = "user")]
        role: Role,
        /// The data directory holding drydock.sqlite3.
        #[arg(long, env = "DRYDOCK_DATA_DIR", default_value = ".drydock-data")]
        data_dir: PathBuf,
    },
}

/// Runs `drydock audit ...`.
pub fn audit(command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { data_dir } = command;
    match verify_offline(&data_dir)
        .with_context(|| format!("cannot read the audit log in `{}`", data_dir.display()))?
    {
        Verification::Intact { rows, head } => {
            println!("audit log intact: {rows} rows, head {head}");
            Ok(ExitCode::SUCCESS)
        }
        Verification::Broken { seq, reason } => {
            println!("audit log BROKEN at row {seq}: {reason}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Runs `drydock user ...`.
pub fn user(command: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Add {
        name,
        role,
        data_dir,
    } = command;
    eprintln!("password for `{name}` (one line on standard input):");
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password")?;
    let password = password.trim_end_matches(['\r', '\n']);
    let store =
        Store::open(&data_dir).with_context(|| format!("cannot open `{}`", data_dir.display()))?;
    let user = store.add_user(&name, password, role)?;
    let token = store.issue_token(&user.id, "cli")?;
    store.audit_append(&drydock_core::AuditEntry {
        actor: "system".into(),
        action: "user.add".into(),
        target: Some(user.username.clone()),
        correlation_id: None,
        detail: serde_json::json!({ "role": role, "via": "cli" }),
    })?;
    println!("added {} `{}`; token: {token}", user.role, user.username);
    Ok(ExitCode::SUCCESS)
}
