//! The Message-IDs we make carry a conversation's number and its reply token, so a reply that
//! names one in `In-Reply-To` or `References` finds its way back; `[#123]` in a subject is the
//! other clue. Clues are only clues: the binary checks each against what it stored.

/// The domain of the Message-IDs we make.
pub const ID_DOMAIN: &str = "frontdesk.mail";

/// Our Message-ID for a mail in conversation `number` (`part`: the message's own part, a
/// comment or a random one).
pub fn message_id(number: i64, token: &str, part: &str) -> String {
    format!("t{number}.{token}.c{part}@{ID_DOMAIN}")
}

/// The conversation number and token one of our Message-IDs carries, if `id` is one of ours.
pub fn ours(id: &str) -> Option<(i64, String)> {
    let local = id.trim_matches(['<', '>']).strip_suffix(&format!("@{ID_DOMAIN}"))?;
    let mut parts = local.split('.');
    let number: i64 = parts.next()?.strip_prefix('t')?.parse().ok().filter(|t| *t > 0)?;
    let token = parts.next().filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric()))?;
    Some((number, token.to_string()))
}

/// `[#123]` in a subject.
pub fn subject_number(subject: &str) -> Option<i64> {
    let start = subject.find("[#")? + 2;
    let end = subject[start..].find(']')? + start;
    subject[start..end].trim().parse().ok()
}

/// What in a message could name the conversation it answers, before anything is looked up.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Clues {
    /// Conversation numbers and reply tokens named by our Message-IDs among those it references.
    pub tokens: Vec<(i64, String)>,
    /// `[#id]` in its subject.
    pub subject_number: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_message_ids_read_back_and_others_do_not() {
        let id = message_id(42, "abc123", "7");
        assert_eq!(ours(&format!("<{id}>")), Some((42, "abc123".to_string())));
        assert_eq!(ours("<t42.abc123.c7@elsewhere.example>"), None);
        assert_eq!(ours("<t0.abc.c1@frontdesk.mail>"), None);
        assert_eq!(ours("<t5.a-b.c1@frontdesk.mail>"), None, "a token is letters and digits");
        assert_eq!(subject_number("Re: [#123] Printer"), Some(123));
        assert_eq!(subject_number("Re: [#abc] Printer"), None);
    }
}
