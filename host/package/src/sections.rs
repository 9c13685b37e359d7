//! The package's two custom sections, at the top level of the component binary: `drydock-package` (the
//! manifest, TOML text) and `drydock-signature` (the signature, TOML text). A custom section has id 0 and
//! the runtime ignores it, so a packaged component still loads as it is: one file is the whole package.
//!
//! Only the top level is read: nested core modules and components are skipped by their length, never
//! parsed, so a section of the same name inside an embedded module cannot pose as the package's. Each of
//! the two sections may appear at most once; a second one is refused rather than one of them picked,
//! because "which one counts" is exactly the ambiguity a forger would exploit.
//!
//! The *payload* is the component without these two sections; it is what a signature's component digest
//! covers, so adding or replacing the manifest or signature never changes what the code is.

use std::ops::Range;

use wasmparser::{Chunk, Encoding, Parser, Payload};

/// The custom section holding the manifest.
pub const MANIFEST_SECTION: &str = "drydock-package";
/// The custom section holding the signature.
pub const SIGNATURE_SECTION: &str = "drydock-signature";

/// The largest manifest section accepted: a manifest is a page of TOML, never megabytes.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;
/// The largest signature section accepted (a key, a signature and two names fit in a few hundred bytes).
pub const MAX_SIGNATURE_BYTES: usize = 4 * 1024;

/// Why a file's sections could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SectionError {
    /// Not a WebAssembly binary, truncated, or a section whose length runs past the end.
    #[error(
        "the file is not a readable WebAssembly component ({0}); check that the download is complete and \
         that it is the `.wasm` the build produced"
    )]
    Malformed(String),
    /// A core module, not a component.
    #[error(
        "the file is a core WebAssembly module, not a component; build it as a component \
         (`drydock plugin build`, or `wasm-tools component new`)"
    )]
    NotAComponent,
    /// A drydock section appears twice at the top level.
    #[error(
        "the component has two `{0}` sections; a package carries at most one (rebuild it, or `strip` it and \
         embed again)"
    )]
    Duplicate(&'static str),
    /// A drydock section is larger than its limit.
    #[error("the `{name}` section is {size} bytes; at most {limit} are accepted")]
    TooLarge {
        /// The section's name.
        name: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A drydock section is not UTF-8 text.
    #[error("the `{0}` section is not UTF-8 text: {1}; it should hold TOML written by drydock")]
    NotText(&'static str, std::str::Utf8Error),
}

/// The drydock sections of one component, found by [`read_sections`].
#[derive(Debug)]
pub struct Sections<'a> {
    /// The embedded manifest's text, if any.
    pub manifest: Option<&'a str>,
    /// The signature section's text, if any.
    pub signature: Option<&'a str>,
    /// Each drydock section's name and byte range (header included), in file order, for [`strip`].
    ranges: Vec<(&'static str, Range<usize>)>,
}

/// Reads the top-level sections of `component`, checking that it is a complete component binary, and
/// returns its drydock sections.
pub fn read_sections(component: &[u8]) -> Result<Sections<'_>, SectionError> {
    let mut sections = Sections {
        manifest: None,
        signature: None,
        ranges: Vec::new(),
    };
    let mut parser = Parser::new(0);
    let mut offset = 0usize;
    loop {
        let rest = &component[offset..];
        let (consumed, payload) = match parser.parse(rest, true) {
            Ok(Chunk::Parsed { consumed, payload }) => (consumed, payload),
            // With eof = true the parser only asks for more when the input stops mid-item.
            Ok(Chunk::NeedMoreData(_)) => {
                return Err(SectionError::Malformed(format!(
                    "it ends after {} bytes, in the middle of a section",
                    component.len()
                )));
            }
            Err(error) => return Err(SectionError::Malformed(error.to_string())),
        };
        let start = offset;
        offset += consumed;
        match payload {
            Payload::Version { encoding, .. } if encoding != Encoding::Component => {
                return Err(SectionError::NotAComponent);
            }
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => {
                // Skipped by length: the nested binary is the runtime's to validate, not ours to read.
                if unchecked_range.end > component.len() {
                    return Err(SectionError::Malformed(format!(
                        "a nested module at byte {} claims {} bytes but the file ends at {}",
                        unchecked_range.start,
                        unchecked_range.len(),
                        component.len()
                    )));
                }
                offset = unchecked_range.end;
            }
            Payload::CustomSection(reader) => {
                let (name, slot, limit) = match reader.name() {
                    MANIFEST_SECTION => {
                        (MANIFEST_SECTION, &mut sections.manifest, MAX_MANIFEST_BYTES)
                    }
                    SIGNATURE_SECTION => (
                        SIGNATURE_SECTION,
                        &mut sections.signature,
                        MAX_SIGNATURE_BYTES,
                    ),
                    _ => continue,
                };
                if slot.is_some() {
                    return Err(SectionError::Duplicate(name));
                }
                let data = reader.data();
                if data.len() > limit {
                    return Err(SectionError::TooLarge {
                        name,
                        size: data.len(),
                        limit,
                    });
                }
                let text = std::str::from_utf8(data)
                    .map_err(|error| SectionError::NotText(name, error))?;
                *slot = Some(text);
                sections.ranges.push((name, start..offset));
            }
            Payload::End(_) => break,
            _ => {}
        }
    }
    if offset != component.len() {
        return Err(SectionError::Malformed(format!(
            "{} bytes follow the end of the component",
            component.len() - offset
        )));
    }
    Ok(sections)
}

/// The payload: `component` without its drydock sections (what a signature's component digest covers).
pub fn strip(component: &[u8]) -> Result<Vec<u8>, SectionError> {
    let sections = read_sections(component)?;
    Ok(without(component, &sections.ranges))
}

/// `component` with `manifest` embedded: any earlier manifest *and signature* are removed (a signature
/// over the old manifest would no longer verify), and the new manifest section is appended at the end.
/// The text is stored as given; check it with [`crate::Manifest::parse`] first.
pub fn embed(component: &[u8], manifest: &str) -> Result<Vec<u8>, SectionError> {
    check_size(MANIFEST_SECTION, manifest.len(), MAX_MANIFEST_BYTES)?;
    let mut out = strip(component)?;
    append_custom_section(&mut out, MANIFEST_SECTION, manifest.as_bytes());
    Ok(out)
}

/// `component` with its signature section (if any) replaced by one holding `signature`; the manifest
/// section is kept.
pub(crate) fn replace_signature(
    component: &[u8],
    signature: &str,
) -> Result<Vec<u8>, SectionError> {
    check_size(SIGNATURE_SECTION, signature.len(), MAX_SIGNATURE_BYTES)?;
    let sections = read_sections(component)?;
    let signature_only: Vec<_> = sections
        .ranges
        .into_iter()
        .filter(|(name, _)| *name == SIGNATURE_SECTION)
        .collect();
    let mut out = without(component, &signature_only);
    append_custom_section(&mut out, SIGNATURE_SECTION, signature.as_bytes());
    Ok(out)
}

fn check_size(name: &'static str, size: usize, limit: usize) -> Result<(), SectionError> {
    if size > limit {
        return Err(SectionError::TooLarge { name, size, limit });
    }
    Ok(())
}

fn without(component: &[u8], ranges: &[(&'static str, Range<usize>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(component.len());
    let mut at = 0;
    for (_, range) in ranges {
        out.extend_from_slice(&component[at..range.start]);
        at = range.end;
    }
    out.extend_from_slice(&component[at..]);
    out
}

/// Appends a custom section: id 0, LEB128 size, LEB128 name length, name, data.
pub fn append_custom_section(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut name_length = Vec::new();
    write_leb128(&mut name_length, name.len() as u64);
    out.push(0);
    write_leb128(out, (name_length.len() + name.len() + data.len()) as u64);
    out.extend_from_slice(&name_length);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
}

fn write_leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests;
