//! The real component the tests package: the echo example plugin, built by `cargo xtask plugins`.

/// The bytes of `plugins/dist/echo.wasm`; panics (never skips) when it has not been built.
pub(crate) fn echo_component() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/dist/echo.wasm");
    std::fs::read(path).unwrap_or_else(|error| {
        panic!("cannot read {path} ({error}): `cargo xtask plugins` builds the example plugins")
    })
}

/// A minimal valid manifest, as text.
pub(crate) const MANIFEST: &str = r#"name = "echo"
version = "1.2.3"
description = "Echoes its input."
contract = "drydock:plugin@0.1.0"

[requests]
http = [{ url = "https://notes.example.com/api/", methods = ["GET", "POST"], reason = "Posts notes." }]
fs = [{ access = "ro", reason = "Reads the notes to post." }]
secrets = [{ name = "NOTES_TOKEN", reason = "Signs in to the notes service." }]
llm = { reason = "Summarises a note." }
"#;
