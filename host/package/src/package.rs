//! A package as the lifecycle receives it: the component's bytes and its manifest, wherever the manifest
//! came from. **The embedded manifest wins**: a `drydock-package` section inside the component is the
//! manifest, whatever lies beside the file, because it is the one a signature covers. Authors who do not
//! embed may put it beside the component, as `<stem>.toml` (checked first: specific to this file) or
//! `drydock-plugin.toml` (the project manifest `drydock plugin new` writes).

use std::path::{Path, PathBuf};

use crate::manifest::{Manifest, ManifestError};
use crate::sections::{MANIFEST_SECTION, SectionError, read_sections};

/// A component and its validated manifest. Nothing here is verified or granted yet.
#[derive(Debug, Clone)]
pub struct Package {
    /// The component file's bytes, drydock sections included.
    pub component: Vec<u8>,
    /// The manifest.
    pub manifest: Manifest,
    /// The manifest's exact text (what a signature covers when embedded).
    pub manifest_text: String,
    /// Where the manifest came from.
    pub source: ManifestSource,
}

/// Where a package's manifest was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestSource {
    /// The component's `drydock-package` section.
    Embedded,
    /// A file beside the component.
    Beside(PathBuf),
    /// Text given with the component (a second OCI layer, a form field).
    Given,
}

/// Why a package could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The component file could not be read.
    #[error("cannot read the component {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The component's sections are unreadable.
    #[error(transparent)]
    Sections(#[from] SectionError),
    /// The manifest is invalid.
    #[error("invalid package manifest: {0}")]
    Manifest(#[from] ManifestError),
    /// No manifest anywhere.
    #[error(
        "{origin} has no manifest: embed one (drydock plugin sign/pack) or put `{stem}.toml` or \
         drydock-plugin.toml beside it"
    )]
    NoManifest {
        /// The component's name.
        origin: String,
        /// Its file stem.
        stem: String,
    },
}

impl Package {
    /// The package from bytes fetched elsewhere; `beside` is a manifest that came with them, used only
    /// when none is embedded. `origin` names the component in errors.
    pub fn from_parts(
        component: Vec<u8>,
        beside: Option<String>,
        origin: &str,
    ) -> Result<Package, PackageError> {
        Package::assemble(
            component,
            beside.map(|text| (text, ManifestSource::Given)),
            origin,
        )
    }

    /// Reads the component at `path` and its manifest: embedded, else `<stem>.toml`, else
    /// `drydock-plugin.toml` in the same directory.
    pub fn read(path: &Path) -> Result<Package, PackageError> {
        let component = std::fs::read(path).map_err(|source| PackageError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        if read_sections(&component)?.manifest.is_some() {
            return Package::assemble(component, None, &origin);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let candidates = [
            dir.join(format!("{stem}.toml")),
            dir.join("drydock-plugin.toml"),
        ];
        for candidate in candidates {
            match std::fs::read_to_string(&candidate) {
                Ok(text) => {
                    return Package::assemble(
                        component,
                        Some((text, ManifestSource::Beside(candidate))),
                        &origin,
                    );
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(PackageError::Read {
                        path: candidate,
                        source,
                    });
                }
            }
        }
        Package::assemble(component, None, &origin)
    }

    fn assemble(
        component: Vec<u8>,
        beside: Option<(String, ManifestSource)>,
        origin: &str,
    ) -> Result<Package, PackageError> {
        let embedded = read_sections(&component)?.manifest.map(str::to_owned);
        let (text, source, manifest_origin) = match (embedded, beside) {
            (Some(text), _) => (
                text,
                ManifestSource::Embedded,
                format!("{origin}#{MANIFEST_SECTION}"),
            ),
            (None, Some((text, source))) => {
                let manifest_origin = match &source {
                    ManifestSource::Beside(path) => path.display().to_string(),
                    _ => format!("the manifest given with {origin}"),
                };
                (text, source, manifest_origin)
            }
            (None, None) => {
                let stem = Path::new(origin).file_stem().unwrap_or_default();
                return Err(PackageError::NoManifest {
                    origin: origin.to_owned(),
                    stem: stem.to_string_lossy().into_owned(),
                });
            }
        };
        let manifest = Manifest::parse(&text, &manifest_origin)?;
        Ok(Package {
            component,
            manifest,
            manifest_text: text,
            source,
        })
    }
}

#[cfg(test)]
mod tests;
