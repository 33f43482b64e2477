//! JSON kept in a column (a rule's conditions, a view's definition, an audit's events, a
//! campaign's template, a job's payload) is read here and nowhere else. Each such row carries
//! the `format` its JSON was written in; this version reads [`FORMAT`] and nothing else, and a
//! value it cannot read is an [`Unreadable`] error naming the record — never an empty default,
//! which would turn a corrupt trigger into one that matches every ticket.

use serde::de::DeserializeOwned;

/// The format of stored JSON this version writes (the columns' default) and reads.
pub const FORMAT: i64 = 1;

/// The format a row's JSON is in; a new record's is [`FORMAT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format(pub i64);

impl Default for Format {
    fn default() -> Self {
        Format(FORMAT)
    }
}

impl From<i64> for Format {
    fn from(v: i64) -> Self {
        Format(v)
    }
}

/// A stored value that cannot be read: which record and part, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored {what} cannot be read: {why}")]
pub struct Unreadable {
    /// The record and its part, e.g. "conditions of trigger 12".
    pub what: String,
    pub why: String,
}

/// Reads `text`, stored in `format`, as a `T`; `what` names the record and part for the error.
pub fn read<T: DeserializeOwned>(
    what: impl FnOnce() -> String,
    Format(format): Format,
    text: &str,
) -> Result<T, Unreadable> {
    if format != FORMAT {
        let why = format!("it is in format {format}, and this version of Frontdesk reads format {FORMAT}");
        return Err(Unreadable { what: what(), why });
    }
    serde_json::from_str(text).map_err(|e| Unreadable { what: what(), why: e.to_string() })
}

/// Reads an optional stored value: `None` stays `None`.
pub fn read_optional<T: DeserializeOwned>(
    what: impl FnOnce() -> String,
    format: Format,
    text: Option<&str>,
) -> Result<Option<T>, Unreadable> {
    text.map(|t| read(what, format, t)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_does_not_parse_or_is_in_another_format_is_an_error_naming_it() {
        let name = || "conditions of trigger 7".to_string();
        let now = Format::default();
        assert_eq!(read::<Vec<i64>>(name, now, "[1,2]").unwrap(), vec![1, 2]);
        let e = read::<Vec<i64>>(name, now, "{not json").unwrap_err();
        assert_eq!(e.what, "conditions of trigger 7");
        assert!(e.to_string().starts_with("the stored conditions of trigger 7 cannot be read: "), "{e}");
        let e = read::<Vec<i64>>(name, Format(FORMAT + 1), "[1]").unwrap_err();
        assert!(e.why.contains("format 2"), "{e}");
        assert_eq!(read_optional::<Vec<i64>>(name, now, None).unwrap(), None);
    }
}
