//! Frontdesk's domain: the vocabulary of `PRODUCT.md` as types that parse at the boundary.
//!
//! Nothing here does I/O, reads the clock or speaks SQL; the storage and server crates build on
//! these types, so an invalid status, priority, email address or tax id cannot travel past the
//! edge of the system.

pub mod conditions;
pub mod fields;
pub mod filter;
pub mod identity;
pub mod jobs;
pub mod locale;
pub mod rules;
pub mod search;
pub mod text;
pub mod ticket;
pub mod user;

pub use identity::{Cpf, EmailAddress, IdentityKind};
pub use jobs::JobKind;
pub use locale::{Locale, TimeZone};
pub use ticket::{Priority, Status, TicketType, normalize_tag, normalize_tags};
pub use user::Role;

/// Why something was refused, for a reader of any language: a key of the UI's translation files
/// and its arguments (the domain names the problem; the UI words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Reason {
    pub fn new(key: &'static str, args: &[(&'static str, &dyn std::fmt::Display)]) -> Self {
        Reason { key, args: args.iter().map(|(k, v)| (*k, v.to_string())).collect() }
    }
}

/// A value that failed to parse: an English message fit to show the person who sent it (the
/// API's words), and the same problem as a `Reason` for the pages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub message: String,
    pub reason: Reason,
}

impl Invalid {
    /// `key` and `args` for the pages, `message` for the API.
    pub fn new(key: &'static str, args: &[(&'static str, &dyn std::fmt::Display)], message: impl Into<String>) -> Self {
        Invalid { message: message.into(), reason: Reason::new(key, args) }
    }
}

/// Defines a closed set of lowercase wire names as an enum with `parse`/`as_str`, in the order
/// given (which is the order the domain compares them in).
#[macro_export]
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn parse(s: &str) -> Result<Self, $crate::Invalid> {
                let lower = s.trim().to_ascii_lowercase();
                match lower.as_str() {
                    $($wire => Ok($name::$variant),)+
                    _ => {
                        let expected = [$($wire),+].join(", ");
                        Err($crate::Invalid::new(
                            "error-not-one-of",
                            &[("value", &s), ("expected", &expected)],
                            format!("{} is not a valid {}; expected one of: {}", s, $what, expected),
                        ))
                    }
                }
            }
        }

        /// As JSON and in templates, the wire name.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// Stored rows decode through this: a value that is not one of the names is an error.
        impl TryFrom<String> for $name {
            type Error = $crate::Invalid;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
