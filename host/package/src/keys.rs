//! Signing keys. A secret key file holds one line, `drydock-ed25519-secret-key:<base64 of the 32-byte
//! seed>`, and is created with mode 0600 (never overwritten); a public key is written
//! `ed25519:<base64>` ([`Ed25519PublicKey`], the form the policy's `[trust] keys` take).
//!
//! Reading a secret key file that others can read is refused, as ssh does: a signing key anyone on the
//! machine can copy signs for anyone.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use drydock_policy::Ed25519PublicKey;
use ed25519_dalek::SigningKey;

/// The first part of a secret key file's line.
pub const SECRET_KEY_PREFIX: &str = "drydock-ed25519-secret-key:";

/// An ed25519 signing key. Its bytes are wiped when dropped (ed25519-dalek's zeroize).
pub struct SecretKey(SigningKey);

impl std::fmt::Debug for SecretKey {
    /// Shows the public half only: a secret must not reach a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.public())
    }
}

/// Why a key could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The operating system's random source failed.
    #[error("cannot generate a key: the system's random source failed ({0})")]
    Random(String),
    /// Reading or writing the key file failed.
    #[error("cannot {action} the key file {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file exists already; a key is never overwritten.
    #[error("the key file {} exists already; choose another path (a key is never overwritten)", .0.display())]
    Exists(PathBuf),
    /// The file is readable by others than its owner.
    #[error(
        "the key file {} can be read by other users (mode {mode:o}); run `chmod 600` on it",
        path.display()
    )]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The text is not `drydock-ed25519-secret-key:<base64 of 32 bytes>`.
    #[error(
        "{origin} is not a Drydock secret key: expected one line `{SECRET_KEY_PREFIX}<base64>` as \
         `drydock key generate` writes it"
    )]
    Format {
        /// The file (or other origin) read.
        origin: String,
    },
}

impl SecretKey {
    /// A new random key from the operating system's random source.
    pub fn generate() -> Result<SecretKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|error| KeyError::Random(error.to_string()))?;
        let key = SigningKey::from_bytes(&seed);
        seed.fill(0);
        Ok(SecretKey(key))
    }

    /// The public half, as the policy and signature sections write it.
    pub fn public(&self) -> Ed25519PublicKey {
        Ed25519PublicKey(self.0.verifying_key().to_bytes())
    }

    /// The key file's text (one line, newline-terminated).
    pub fn to_file_text(&self) -> String {
        format!("{SECRET_KEY_PREFIX}{}\n", BASE64.encode(self.0.to_bytes()))
    }

    /// Parses a key file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<SecretKey, KeyError> {
        let format = || KeyError::Format {
            origin: origin.to_owned(),
        };
        let encoded = text
            .trim()
            .strip_prefix(SECRET_KEY_PREFIX)
            .ok_or_else(format)?;
        let bytes = BASE64.decode(encoded).map_err(|_| format())?;
        let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| format())?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// Writes the key to a new file at `path`, readable by its owner only; an existing file is an error.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::Exists(path.to_path_buf())
            } else {
                io_error("create", path, source)
            }
        })?;
        file.write_all(self.to_file_text().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|source| io_error("write", path, source))
    }

    /// Reads a key file, refusing one that others can read.
    pub fn read(path: &Path) -> Result<SecretKey, KeyError> {
        let metadata = std::fs::metadata(path).map_err(|source| io_error("read", path, source))?;
        #[cfg(unix)]
        {
            let mode = std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::TooOpen {
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
        #[cfg(not(unix))]
        let _ = metadata;
        let text =
            std::fs::read_to_string(path).map_err(|source| io_error("read", path, source))?;
        SecretKey::parse(&text, &path.display().to_string())
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.0
    }
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> KeyError {
    KeyError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_key_reads_back_and_only_its_owner_can_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        let key = SecretKey::generate().unwrap();
        key.write_new(&path).unwrap();
        #[cfg(unix)]
        {
            let mode = std::os::unix::fs::PermissionsExt::mode(
                &std::fs::metadata(&path).unwrap().permissions(),
            );
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(SECRET_KEY_PREFIX), "{text}");
        assert_eq!(SecretKey::read(&path).unwrap().public(), key.public());
    }

    #[test]
    fn never_overwrites_a_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        SecretKey::generate().unwrap().write_new(&path).unwrap();
        let error = SecretKey::generate().unwrap().write_new(&path).unwrap_err();
        assert!(matches!(error, KeyError::Exists(_)), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_key_file_others_can_read() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        SecretKey::generate().unwrap().write_new(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = SecretKey::read(&path).unwrap_err();
        assert!(error.to_string().contains("chmod 600"), "{error}");
    }

    #[test]
    fn refuses_text_that_is_not_a_secret_key() {
        for text in ["", "ed25519:AAAA", "drydock-ed25519-secret-key:AAAA"] {
            assert!(matches!(
                SecretKey::parse(text, "k"),
                Err(KeyError::Format { .. })
            ));
        }
    }

    #[test]
    fn debug_shows_only_the_public_key() {
        let key = SecretKey::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(&key.public().to_string()));
        assert!(
            !shown.contains(
                key.to_file_text()
                    .trim()
                    .trim_start_matches(SECRET_KEY_PREFIX)
            )
        );
    }
}
