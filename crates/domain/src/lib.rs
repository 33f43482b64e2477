//! Frontdesk's domain: the vocabulary of `PRODUCT.md` as types that parse at the boundary.
//!
//! Nothing here does I/O, reads the clock or speaks SQL; the storage and server crates build on
//! these types, so an invalid status, priority, email address or tax id cannot travel past the
//! edge of the system.

pub mod conditions;
pub mod fields;
pub mod filter;
pub mod identity;
pub mod locale;
pub mod rules;
pub mod search;
pub mod text;
pub mod ticket;
pub mod user;

pub use identity::{Cpf, EmailAddress, IdentityKind};
pub use locale::{Locale, TimeZone};
pub use ticket::{Priority, Status, TicketType, normalize_tag, normalize_tags};
pub use user::Role;

/// A value that failed to parse, with a message fit to show the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
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
                    _ => Err($crate::Invalid(format!(
                        "{} is not a valid {}; expected one of: {}",
                        s, $what, [$($wire),+].join(", ")
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
