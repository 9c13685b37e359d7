//! The syntax of the names a grant holds (secret and env variable names, fs mounts), in one place so that
//! the policy file and a package's requests (drydock-package) refuse the same things with the same words.

/// Checks a secret name: `^[A-Za-z_][A-Za-z0-9_]*$`.
pub fn check_secret_name(name: &str) -> Result<(), String> {
    if is_variable_name(name) {
        Ok(())
    } else {
        Err(format!(
            "secret name `{name}` must match ^[A-Za-z_][A-Za-z0-9_]*$"
        ))
    }
}

/// Checks an environment variable name: `^[A-Za-z_][A-Za-z0-9_]*$`, and never `DRYDOCK_*`.
pub fn check_env_name(name: &str) -> Result<(), String> {
    if !is_variable_name(name) {
        return Err(format!(
            "env variable name `{name}` must match ^[A-Za-z_][A-Za-z0-9_]*$"
        ));
    }
    // The host's own switches (DRYDOCK_LIVE above all) must never be readable by a plugin.
    if name.to_ascii_uppercase().starts_with("DRYDOCK_") {
        return Err(format!(
            "env variable `{name}` is reserved: DRYDOCK_* variables are the host's own"
        ));
    }
    Ok(())
}

/// Checks an fs mount, the absolute guest path at which a plugin sees a granted directory (`/data`).
pub fn check_mount(mount: &str) -> Result<(), String> {
    let valid = mount.starts_with('/')
        && mount.len() > 1
        && mount.len() <= 128
        && !mount.ends_with('/')
        && mount[1..].split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "fs mount `{mount}` must be an absolute guest path like `/data` (letters, digits, \
             `_`, `-`, `.`; no `..`, no trailing `/`)"
        ))
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_of_the_host_are_reserved() {
        assert!(check_env_name("JIRA_BASE_URL").is_ok());
        assert!(
            check_env_name("drydock_live")
                .unwrap_err()
                .contains("reserved")
        );
        assert!(check_secret_name("DRYDOCK_X").is_ok());
        assert!(check_secret_name("9X").is_err());
    }

    #[test]
    fn mounts_are_absolute_plain_paths() {
        assert!(check_mount("/data/notes").is_ok());
        for bad in ["data", "/", "/data/", "/a/../b", "/a b"] {
            assert!(check_mount(bad).is_err(), "{bad}");
        }
    }
}
