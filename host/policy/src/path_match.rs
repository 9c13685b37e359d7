//! The one path matcher: lexical normalisation and "is this path inside that granted directory".
//!
//! Lexical on purpose: a granted directory may not exist yet when the policy is loaded, and the answer
//! must not depend on the file system at decision time. Symlinks are the enforcement point's business
//! (preopens give the plugin a capability handle, not a path string). Comparison is per component, so
//! `/work/ws` covers `/work/ws/a` but never `/work/wsx`.

use std::path::{Component, Path, PathBuf};

/// Why a path could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A `..` component would climb above the root (or above the start of a relative path).
    #[error("`{}` climbs above its root with `..`", .0.display())]
    ClimbsAboveRoot(PathBuf),
}

/// Resolves `.` and `..` lexically; a `..` with nothing left to remove is an error, never clamped.
///
/// A relative path stays relative (`a/../b` → `b`; an empty result is `.`).
pub fn normalize(path: &Path) -> Result<PathBuf, PathError> {
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth == 0 {
                    return Err(PathError::ClimbsAboveRoot(path.to_path_buf()));
                }
                out.pop();
                depth -= 1;
            }
            Component::Normal(name) => {
                out.push(name);
                depth += 1;
            }
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    Ok(out)
}

/// Whether `candidate` lies in `dir` (or is `dir`), comparing whole components after normalising both.
///
/// A relative `candidate` is resolved against `dir`. Anything that fails to normalise is outside.
pub fn is_within(dir: &Path, candidate: &Path) -> bool {
    let joined = dir.join(candidate); // `join` replaces `dir` when `candidate` is absolute
    match (normalize(dir), normalize(&joined)) {
        (Ok(dir), Ok(candidate)) => candidate.starts_with(dir),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn dot_and_dotdot_are_resolved_lexically() {
        assert_eq!(
            normalize(Path::new("/a/./b/../c/")),
            Ok(PathBuf::from("/a/c"))
        );
        assert_eq!(normalize(Path::new("a/../b")), Ok(PathBuf::from("b")));
        assert_eq!(normalize(Path::new("a/..")), Ok(PathBuf::from(".")));
    }

    #[test]
    fn dotdot_above_root_is_refused() {
        assert!(normalize(Path::new("/..")).is_err());
        assert!(normalize(Path::new("/a/../../b")).is_err());
        assert!(normalize(Path::new("../a")).is_err());
    }

    #[test]
    fn covers_children_but_not_siblings_with_a_common_prefix() {
        assert!(is_within(Path::new("/work/ws"), Path::new("/work/ws/a")));
        assert!(is_within(Path::new("/work/ws"), Path::new("/work/ws")));
        assert!(!is_within(Path::new("/work/ws"), Path::new("/work/wsx")));
        assert!(!is_within(Path::new("/work/ws"), Path::new("/work")));
    }

    #[test]
    fn relative_candidates_resolve_against_the_dir() {
        assert!(is_within(Path::new("/work/ws"), Path::new("a/b")));
        assert!(is_within(Path::new("/work/ws"), Path::new("a/../b")));
        assert!(!is_within(Path::new("/work/ws"), Path::new("../other")));
        assert!(!is_within(
            Path::new("/work/ws"),
            Path::new("/work/ws/../other")
        ));
    }

    proptest! {
        #[test]
        fn more_dotdots_than_depth_never_lands_within(
            dir in prop::collection::vec("[a-m]{1,6}", 1..4),
            inner in prop::collection::vec("[a-z]{1,6}", 0..4),
            extra_ups in 1usize..6,
            tail in prop::collection::vec("[n-z]{1,6}", 0..3),
        ) {
            let dir = PathBuf::from(format!("/{}", dir.join("/")));
            let mut candidate = PathBuf::from_iter(&inner);
            candidate.extend(std::iter::repeat_n("..", inner.len() + extra_ups));
            candidate.extend(&tail);
            prop_assert!(!is_within(&dir, &candidate), "{} in {}", candidate.display(), dir.display());
            prop_assert!(!is_within(&dir, &dir.join(&candidate)));
        }

        #[test]
        fn appending_components_always_lands_within(
            dir in prop::collection::vec("[a-z0-9_.-]{1,6}", 0..4),
            extra in prop::collection::vec("[a-zA-Z0-9_-]{1,6}", 0..5),
        ) {
            let dir = PathBuf::from(format!("/{}", dir.join("/")));
            prop_assume!(normalize(&dir).is_ok());
            let relative = PathBuf::from_iter(&extra);
            prop_assert!(is_within(&dir, &relative));
            prop_assert!(is_within(&dir, &dir.join(&relative)));
        }
    }
}
