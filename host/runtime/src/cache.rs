//! On-disk cache of compiled components, keyed by the component's hash and the engine's settings.
//!
//! Compiling a component with Cranelift takes hundreds of milliseconds; loading a cached artifact takes a
//! few. The key covers the component bytes (sha256) and wasmtime's own compatibility hash of the engine
//! configuration, so a changed plugin, a changed setting or a new wasmtime never loads a stale artifact.
//!
//! A cached artifact is native code, so the cache directory is as sensitive as the host binary: it is created
//! with owner-only permissions, files are written atomically (temp file + rename), and an artifact that fails
//! to load is recompiled and replaced rather than trusted.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::RuntimeError;

/// Where compiled components are kept, or no cache at all.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

impl CompileCache {
    /// A cache in `dir` (created if missing, mode 0700 on unix).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Result<Self, RuntimeError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| RuntimeError::Io {
            action: "cannot create the compile cache directory",
            path: dir.clone(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        Ok(Self { dir: Some(dir) })
    }

    /// No cache: every load compiles.
    pub fn disabled() -> Self {
        Self { dir: None }
    }

    /// The compiled form of `bytes` (whose sha256 is `sha256`), from the cache or freshly compiled.
    /// Returns the component and whether it came from the cache.
    pub fn load(
        &self,
        engine: &Engine,
        file: &Path,
        bytes: &[u8],
        sha256: &str,
    ) -> Result<(Component, bool), RuntimeError> {
        let Some(dir) = &self.dir else {
            return Ok((compile(engine, file, bytes)?, false));
        };
        let path = dir.join(format!("{}.cwasm", cache_key(engine, sha256)));
        if path.is_file() {
            match load_artifact(engine, &path) {
                Ok(component) => return Ok((component, true)),
                Err(err) => tracing::warn!(
                    artifact = %path.display(),
                    error = %err,
                    "a cached compiled component could not be loaded; recompiling it"
                ),
            }
        }
        let component = compile(engine, file, bytes)?;
        if let Err(err) = store_artifact(&component, dir, &path) {
            tracing::warn!(artifact = %path.display(), error = %err, "could not write the compile cache");
        }
        Ok((component, false))
    }
}

/// sha256 of the bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn cache_key(engine: &Engine, component_sha256: &str) -> String {
    let mut hasher = ShaHasher(Sha256::new());
    component_sha256.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex::encode(hasher.0.finalize())
}

/// Feeds `Hash` impls into sha256 (std's hashers are not meant to be stable keys).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn compile(engine: &Engine, file: &Path, bytes: &[u8]) -> Result<Component, RuntimeError> {
    Component::new(engine, bytes).map_err(|err| RuntimeError::InvalidComponent {
        file: file.to_path_buf(),
        message: format!("{err:#}"),
    })
}

#[allow(unsafe_code)]
fn load_artifact(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: the file was produced by `Component::serialize` of this same engine configuration (the key
    // includes the engine's compatibility hash) and written atomically into our owner-only cache directory;
    // wasmtime additionally checks the artifact's header against the engine before using it.
    unsafe { Component::deserialize_file(engine, path) }
}

fn store_artifact(component: &Component, dir: &Path, path: &Path) -> Result<(), String> {
    let bytes = component.serialize().map_err(|err| format!("{err:#}"))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|err| err.to_string())?;
    std::io::Write::write_all(&mut temp, &bytes).map_err(|err| err.to_string())?;
    temp.persist(path).map_err(|err| err.to_string())?;
    Ok(())
}
