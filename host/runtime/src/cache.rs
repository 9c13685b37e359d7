//! On-disk cache of compiled components, keyed by the component's code and the engine's settings.
//!
//! Compiling a component with Cranelift takes hundreds of milliseconds for a Rust plugin and seconds for a
//! JavaScript or Python one (its interpreter is compiled too); loading a cached artifact takes a few. The
//! key covers the component's code ([`code_sha256`]) and wasmtime's own compatibility hash of the engine
//! configuration, so a changed plugin, a changed setting or a new wasmtime never loads a stale artifact.
//! The code is the component without a package's manifest and signature sections: those are text for
//! Drydock, never compiled, so re-signing a package or upgrading it to a version that only changes what it
//! requests reuses the compiled code instead of compiling the interpreter again.
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

    /// The compiled form of `bytes` (whose [`code_sha256`] is `code_digest`), from the cache or freshly
    /// compiled. Returns the component and whether it came from the cache.
    pub fn load(
        &self,
        engine: &Engine,
        file: &Path,
        bytes: &[u8],
        code_digest: &str,
    ) -> Result<(Component, bool), RuntimeError> {
        let Some(dir) = &self.dir else {
            return Ok((compile(engine, file, bytes)?, false));
        };
        let path = dir.join(format!("{}.cwasm", cache_key(engine, code_digest)));
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

/// The custom sections a Drydock package adds to a component (see the `drydock-package` crate): its
/// manifest and the signature over it.
const PACKAGE_SECTIONS: [&str; 2] = ["drydock-package", "drydock-signature"];

/// sha256 (lowercase hex) of the component's code: its bytes without any top-level [`PACKAGE_SECTIONS`],
/// the same digest as the component stripped of them. Bytes that are not a well-formed component are
/// hashed whole (compiling them fails and says why).
pub fn code_sha256(bytes: &[u8]) -> String {
    let Some(package_sections) = package_section_ranges(bytes) else {
        return sha256_hex(bytes);
    };
    let mut hasher = Sha256::new();
    let mut kept_from = 0;
    for range in package_sections {
        hasher.update(&bytes[kept_from..range.start]);
        kept_from = range.end;
    }
    hasher.update(&bytes[kept_from..]);
    hex::encode(hasher.finalize())
}

/// Where the top-level package sections of a component are, in order; `None` if it cannot be read.
fn package_section_ranges(bytes: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
    use wasmparser::{Chunk, Parser, Payload};
    let mut parser = Parser::new(0);
    let (mut offset, mut ranges) = (0usize, Vec::new());
    loop {
        let Ok(Chunk::Parsed { consumed, payload }) = parser.parse(bytes.get(offset..)?, true)
        else {
            return None;
        };
        let start = offset;
        offset += consumed;
        match payload {
            // Nested modules and components are skipped by length: only top-level sections matter here.
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => offset = unchecked_range.end,
            Payload::CustomSection(reader) if PACKAGE_SECTIONS.contains(&reader.name()) => {
                ranges.push(start..offset);
            }
            Payload::End(_) => return (offset == bytes.len()).then_some(ranges),
            _ => {}
        }
    }
}

fn cache_key(engine: &Engine, code_digest: &str) -> String {
    let mut hasher = ShaHasher(Sha256::new());
    code_digest.hash(&mut hasher);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A component header, then each section as given (id, payload).
    fn component(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
        for (id, payload) in sections {
            bytes.push(*id);
            bytes.push(u8::try_from(payload.len()).unwrap());
            bytes.extend_from_slice(payload);
        }
        bytes
    }

    fn custom(name: &str, data: &[u8]) -> (u8, Vec<u8>) {
        let mut payload = vec![u8::try_from(name.len()).unwrap()];
        payload.extend_from_slice(name.as_bytes());
        payload.extend_from_slice(data);
        (0, payload)
    }

    #[test]
    fn the_code_digest_leaves_out_package_sections_and_nothing_else() {
        let bare = component(&[custom("name", b"x")]);
        let packaged = component(&[
            custom("drydock-package", b"version = \"1\""),
            custom("name", b"x"),
            custom("drydock-signature", b"sig"),
        ]);
        let other_manifest = component(&[
            custom("drydock-package", b"version = \"2\""),
            custom("name", b"x"),
        ]);
        let other_names = component(&[custom("name", b"y")]);
        assert_eq!(code_sha256(&packaged), sha256_hex(&bare));
        assert_eq!(code_sha256(&other_manifest), sha256_hex(&bare));
        assert_eq!(code_sha256(&bare), sha256_hex(&bare));
        assert_ne!(code_sha256(&other_names), code_sha256(&bare));
    }

    #[test]
    fn bytes_that_are_not_a_component_are_hashed_whole() {
        for hostile in [
            b"garbage".to_vec(),
            Vec::new(),
            // Cut in the middle of a package section.
            component(&[custom("drydock-package", b"version")])[..12].to_vec(),
            // A package section, then bytes after the end.
            [
                component(&[custom("drydock-package", b"v")]),
                b"\x00\x05".to_vec(),
            ]
            .concat(),
        ] {
            assert_eq!(code_sha256(&hostile), sha256_hex(&hostile), "{hostile:?}");
        }
    }
}
