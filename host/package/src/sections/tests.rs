//! Reading, embedding and stripping the drydock sections of a real component, and refusing hostile files.

use super::*;
use crate::test_fixture::{MANIFEST, echo_component};

#[test]
fn a_built_component_has_no_drydock_sections() {
    let echo = echo_component();
    let sections = read_sections(&echo).unwrap();
    assert!(sections.manifest.is_none() && sections.signature.is_none());
    assert_eq!(strip(&echo).unwrap(), echo);
}

#[test]
fn an_embedded_manifest_reads_back_and_strips_to_the_original() {
    let echo = echo_component();
    let packaged = embed(&echo, MANIFEST).unwrap();
    assert_eq!(read_sections(&packaged).unwrap().manifest, Some(MANIFEST));
    assert_eq!(strip(&packaged).unwrap(), echo);
}

#[test]
fn embedding_again_replaces_the_manifest_and_drops_the_signature() {
    let echo = echo_component();
    let mut signed = embed(&echo, MANIFEST).unwrap();
    append_custom_section(&mut signed, SIGNATURE_SECTION, b"key = \"x\"");
    let again = embed(&signed, "name = \"other\"").unwrap();
    let sections = read_sections(&again).unwrap();
    assert_eq!(sections.manifest, Some("name = \"other\""));
    assert!(sections.signature.is_none());
}

#[test]
fn refuses_two_manifest_sections() {
    let mut twice = embed(&echo_component(), MANIFEST).unwrap();
    append_custom_section(&mut twice, MANIFEST_SECTION, MANIFEST.as_bytes());
    let error = read_sections(&twice).unwrap_err();
    assert!(
        matches!(error, SectionError::Duplicate(MANIFEST_SECTION)),
        "{error}"
    );
    assert!(error.to_string().contains("two `drydock-package` sections"));
}

#[test]
fn refuses_a_truncated_component() {
    let echo = echo_component();
    for cut in [4, 9, echo.len() / 2, echo.len() - 1] {
        let error = read_sections(&echo[..cut]).unwrap_err();
        assert!(
            matches!(error, SectionError::Malformed(_)),
            "cut at {cut}: {error}"
        );
        assert!(error.to_string().contains("download is complete"));
    }
}

#[test]
fn refuses_a_section_whose_length_runs_past_the_end() {
    let mut huge = echo_component();
    // id 0, size 0xFFFF_FFFF (LEB128), then only a few bytes.
    huge.extend_from_slice(&[0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, b'x']);
    let error = read_sections(&huge).unwrap_err();
    assert!(matches!(error, SectionError::Malformed(_)), "{error}");
}

#[test]
fn refuses_a_manifest_section_that_is_not_utf8() {
    let mut bad = echo_component();
    append_custom_section(&mut bad, MANIFEST_SECTION, &[0xff, 0xfe, b'a']);
    let error = read_sections(&bad).unwrap_err();
    assert!(error.to_string().contains("not UTF-8"), "{error}");
}

#[test]
fn refuses_an_oversized_manifest() {
    let text = "#".repeat(MAX_MANIFEST_BYTES + 1);
    let error = embed(&echo_component(), &text).unwrap_err();
    assert!(matches!(error, SectionError::TooLarge { .. }), "{error}");
}

#[test]
fn refuses_a_core_module_and_non_wasm() {
    let module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    assert!(matches!(
        read_sections(&module),
        Err(SectionError::NotAComponent)
    ));
    assert!(matches!(
        read_sections(b"<html>not found</html>"),
        Err(SectionError::Malformed(_))
    ));
}

#[test]
fn ignores_drydock_sections_nested_inside_modules() {
    // A nested core module carrying a `drydock-package` section must not count as the package's manifest.
    let mut module = vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    append_custom_section(&mut module, MANIFEST_SECTION, b"name = \"evil\"");
    let mut component = vec![0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x01];
    write_leb128(&mut component, module.len() as u64);
    component.extend_from_slice(&module);
    let sections = read_sections(&component).unwrap();
    assert!(sections.manifest.is_none());
}
