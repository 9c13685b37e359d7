//! The CLI's stored login: `~/.drydock/credentials` (JSON `{server, username, token}`), readable by its
//! owner only (mode 0600, in a 0700 directory), like `~/.netrc` or `~/.docker/config.json`.

use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// A stored login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// The server the token is for.
    pub server: String,
    /// Who logged in.
    pub username: String,
    /// The bearer token.
    pub token: String,
}

/// `~/.drydock/credentials` (`$HOME` must be set).
pub fn path() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .context("HOME is not set, so there is no ~/.drydock/credentials to use")?;
    Ok(PathBuf::from(home).join(".drydock").join("credentials"))
}

/// The stored login, if there is one.
pub fn load() -> anyhow::Result<Option<Credentials>> {
    let path = path()?;
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).with_context(|| {
            format!(
                "{} is not a Drydock credentials file; delete it and run `drydock login`",
                path.display()
            )
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

/// Stores the login, readable by the owner only.
pub fn save(credentials: &Credentials) -> anyhow::Result<PathBuf> {
    let path = path()?;
    let dir = path.parent().expect("the credentials file has a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        // An existing file keeps its old mode through `open`; make sure it is the owner's alone.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        std::io::Write::write_all(
            &mut file,
            serde_json::to_string_pretty(credentials)?.as_bytes(),
        )?;
    }
    #[cfg(not(unix))]
    std::fs::write(&path, serde_json::to_string_pretty(credentials)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
