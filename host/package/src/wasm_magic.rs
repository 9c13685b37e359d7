//! The first check on fetched bytes: are they a WebAssembly *component*? Eight bytes decide it (`\0asm` plus
//! the version and layer fields), so an HTML error page, a tarball or a core module is refused with what it
//! is before anyone tries to compile it.

/// What is wrong with bytes that were supposed to be a component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAComponent {
    /// Zero bytes.
    #[error("it is empty")]
    Empty,
    /// The `\0asm` magic is missing.
    #[error("it is not WebAssembly (it starts with {first_bytes}, not \\0asm)")]
    NotWasm {
        /// Up to the first eight bytes, in hex, to recognise an HTML page or an archive.
        first_bytes: String,
    },
    /// A core module: magic, version 1, layer 0.
    #[error(
        "it is a core WebAssembly module, not a component; build for wasm32-wasip2 or wrap it with `wasm-tools component new`"
    )]
    CoreModule,
    /// Magic present but a version/layer this host does not know.
    #[error("it is WebAssembly with an unknown version/layer field {field}")]
    UnknownVersion {
        /// The four bytes after the magic, in hex.
        field: String,
    },
}

const MAGIC: &[u8; 4] = b"\0asm";
/// Version 0x0d, layer 1: the component-model binary format.
const COMPONENT_VERSION: [u8; 4] = [0x0d, 0x00, 0x01, 0x00];
/// Version 1, layer 0: a core module.
const CORE_MODULE_VERSION: [u8; 4] = [0x01, 0x00, 0x00, 0x00];

/// Checks that `bytes` start like a component.
pub fn check_component(bytes: &[u8]) -> Result<(), NotAComponent> {
    if bytes.is_empty() {
        return Err(NotAComponent::Empty);
    }
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(NotAComponent::NotWasm {
            first_bytes: hex::encode(&bytes[..bytes.len().min(8)]),
        });
    }
    match [bytes[4], bytes[5], bytes[6], bytes[7]] {
        COMPONENT_VERSION => Ok(()),
        CORE_MODULE_VERSION => Err(NotAComponent::CoreModule),
        field => Err(NotAComponent::UnknownVersion {
            field: hex::encode(field),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_a_component_from_a_core_module_and_from_html() {
        assert_eq!(check_component(b"\0asm\x0d\x00\x01\x00rest"), Ok(()));
        assert_eq!(
            check_component(b"\0asm\x01\x00\x00\x00"),
            Err(NotAComponent::CoreModule)
        );
        assert!(matches!(
            check_component(b"<html>not found</html>"),
            Err(NotAComponent::NotWasm { .. })
        ));
        assert_eq!(check_component(b""), Err(NotAComponent::Empty));
    }
}
