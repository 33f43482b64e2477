//! Ticket vocabulary: status, priority, type and tags.

use crate::{Invalid, wire_enum};

wire_enum!(
    /// The system status categories, in their natural order (`status<solved` means
    /// new, open, pending or hold).
    Status, "status" {
        New => "new",
        Open => "open",
        Pending => "pending",
        Hold => "hold",
        Solved => "solved",
        Closed => "closed",
    }
);

/// A new ticket is new until something moves it.
impl Default for Status {
    fn default() -> Self {
        Status::New
    }
}

wire_enum!(
    /// Priorities, lowest first.
    Priority, "priority" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

wire_enum!(
    TicketType, "ticket type" {
        Problem => "problem",
        Incident => "incident",
        Question => "question",
        Task => "task",
    }
);

/// Longest tag we keep; Zendesk's limit is of the same order.
pub const MAX_TAG_LEN: usize = 80;

/// Tags are lowercase tokens without spaces: `"VIP Customer"` becomes `vip_customer`.
pub fn normalize_tag(raw: &str) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new("error-tag-blank", &[], "a tag cannot be blank"));
    }
    let tag: String = trimmed
        .chars()
        .map(|c| if c.is_whitespace() || c == ',' { '_' } else { c })
        .flat_map(char::to_lowercase)
        .collect();
    if tag.chars().count() > MAX_TAG_LEN {
        return Err(Invalid::new(
            "error-tag-too-long",
            &[("value", &tag), ("max", &MAX_TAG_LEN)],
            format!("tag {tag:?} is longer than {MAX_TAG_LEN} characters"),
        ));
    }
    Ok(tag)
}

/// Normalises a list of tags, dropping duplicates and keeping the first-seen order.
pub fn normalize_tags<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        // A single string may carry several space-separated tags (the rule actions' form).
        for piece in t.split_whitespace() {
            let tag = normalize_tag(piece)?;
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_ordered_as_zendesk_orders_them() {
        assert!(Status::New < Status::Open && Status::Hold < Status::Solved);
        assert_eq!(Status::parse("Pending").unwrap(), Status::Pending);
        let err = Status::parse("waiting").unwrap_err();
        assert!(err.message.contains("expected one of: new, open"), "{err}");
    }

    #[test]
    fn tags_are_lowercased_split_and_deduplicated() {
        let tags = normalize_tags(["VIP", "vip billing", "Açaí"]).unwrap();
        assert_eq!(tags, vec!["vip", "billing", "açaí"]);
        assert!(normalize_tag("  ").is_err());
        assert!(normalize_tag(&"x".repeat(81)).is_err());
    }
}
