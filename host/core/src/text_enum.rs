//! Enums stored and serialized by name ([`crate::Role`], [`crate::PlanStatus`], [`crate::ExecutionStatus`]).
//!
//! One macro writes the name table once and derives everything from it: serde, `Display`, `FromStr` and
//! `as_str` for the database column, so the JSON name and the stored name can never drift apart.

/// A name that is not one of an enum's names, e.g. a role `admin` or a status read from a tampered row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}` (expected one of {})", .expected.join(", "))]
pub struct UnknownName {
    /// What was being parsed, e.g. "role".
    pub kind: &'static str,
    /// The rejected text.
    pub value: String,
    /// Every accepted name.
    pub expected: &'static [&'static str],
}

/// Declares a fieldless enum whose variants each have one stored/serialized name.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($kind:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in JSON and in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::text_enum::UnknownName;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $( $text => Ok($name::$variant), )+
                    _ => Err($crate::text_enum::UnknownName {
                        kind: $kind,
                        value: text.to_owned(),
                        expected: &[$($text),+],
                    }),
                }
            }
        }
    };
}

pub(crate) use named_enum;
