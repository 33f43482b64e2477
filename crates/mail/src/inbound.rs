//! An inbound message read into plain facts: who sent it (one line each), its subject (one
//! line), whom it was for, what it answers, whether it is noise (RFC 3834 and the usual signs
//! of bulk mail, bounces and loops), a hard bounce's failed address, its bodies and its files.
//! mail-parser does the MIME and every charset real mail uses.

use crate::threading::{Clues, ours, subject_number};

/// A message, read.
#[derive(Debug, Clone)]
pub struct Message {
    pub message_id: Option<String>,
    pub sender_email: String,
    /// The sender's display name: one line of text (control characters become spaces), or none.
    pub sender_name: Option<String>,
    /// One line of text too, or none.
    pub subject: Option<String>,
    /// Its `To` and `Cc`, lower-cased, for when no envelope names the recipients.
    pub to_cc: Vec<String>,
    /// The Message-IDs it answers (`In-Reply-To`, then `References`, newest first).
    pub referenced: Vec<String>,
    /// Outlook's conversation (`Thread-Index`), in hex.
    pub thread_key: Option<String>,
    /// Why it is noise that must not make or reopen a conversation, if it is.
    pub noise: Option<String>,
    /// It names more than one From address (or has more than one From header): how a forger
    /// shows one domain to the checks and another to the reader.
    pub several_from: bool,
    /// Every `X-Loop` it carries, lower-cased.
    pub x_loop: Vec<String>,
    /// The address a delivery report says failed for good.
    pub bounce: Option<String>,
    /// The HTML body as sent (unsanitised: the reader's side sanitises it).
    pub html: Option<String>,
    /// The text body.
    pub text: String,
    /// The text body without the quoted history and the signature below it.
    pub reply: String,
    /// Its attachments and inline images, the first `max_attachments` of them.
    pub attachments: Vec<Attachment>,
    /// How many it had in all.
    pub attachments_total: usize,
}

/// A file a message carries.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Shown in the body (`Content-Disposition: inline` or none), by its `content_id`.
    pub inline: bool,
    pub content_id: Option<String>,
}

impl Message {
    /// What could name the conversation it answers (each still to be checked).
    pub fn clues(&self) -> Clues {
        Clues {
            tokens: self.referenced.iter().filter_map(|id| ours(id)).collect(),
            subject_number: self.subject.as_deref().and_then(subject_number),
        }
    }
}

/// Reads a message, keeping at most `max_attachments` files; `None` when it is no message at
/// all. A panic of the MIME parser on hostile input (the fuzz target found one, a debug
/// assertion in nested forwarded messages) counts as no message: it must not take the
/// receiver down.
pub fn parse(raw: &[u8], max_attachments: usize) -> Option<Message> {
    std::panic::catch_unwind(|| parse_unguarded(raw, max_attachments)).ok().flatten()
}

/// One line of text: control characters (an encoded CR LF) become spaces, so it can never start
/// a header of a mail that quotes it.
fn one_line(s: &str) -> Option<String> {
    let s = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn parse_unguarded(raw: &[u8], max_attachments: usize) -> Option<Message> {
    let m = mail_parser::MessageParser::default().parse(raw)?;
    let from_headers = m.headers_raw().filter(|(name, _)| name.eq_ignore_ascii_case("From")).count();
    let from_addresses = m.from().map_or(0, |a| a.iter().count());
    let sender = m.from().and_then(|a| a.first());
    let sender_email = sender.and_then(|a| a.address()).unwrap_or("").trim().to_string();
    let (attachments, attachments_total) = attachments(&m, max_attachments);
    let text = m.body_text(0).map(|t| t.to_string()).unwrap_or_default();
    Some(Message {
        message_id: m.message_id().map(str::to_string),
        sender_name: sender.and_then(|a| a.name()).and_then(one_line),
        subject: m.subject().and_then(one_line),
        to_cc: m
            .all_to()
            .chain(m.all_cc())
            .flat_map(|list| list.iter())
            .filter_map(|a| a.address())
            .map(|a| a.to_lowercase())
            .collect(),
        referenced: referenced_ids(&m),
        thread_key: thread_key(&m),
        noise: noise(&m, &sender_email),
        several_from: from_headers > 1 || from_addresses > 1,
        x_loop: m
            .headers_raw()
            .filter(|(name, _)| name.eq_ignore_ascii_case("X-Loop"))
            .map(|(_, v)| v.trim().trim_matches(['<', '>']).to_ascii_lowercase())
            .collect(),
        bounce: hard_bounce(&m),
        sender_email,
        html: m.body_html(0).map(|h| h.to_string()),
        reply: trim_reply(&text),
        text,
        attachments,
        attachments_total,
    })
}

/// A message's attachments and inline images, at most `max` of them, and how many it had.
/// Archives are kept as they came: nothing is ever unpacked, so a zip bomb stays the few
/// kilobytes it was.
fn attachments(m: &mail_parser::Message<'_>, max: usize) -> (Vec<Attachment>, usize) {
    use mail_parser::MimeHeaders;
    let mut files = Vec::new();
    let mut total = 0;
    for part in m.attachments() {
        total += 1;
        if files.len() >= max {
            continue;
        }
        let inline = part.content_disposition().is_none_or(|d| d.ctype().eq_ignore_ascii_case("inline"));
        let content_id = part.content_id().filter(|_| inline).map(|c| c.trim_matches(['<', '>']).to_string());
        files.push(Attachment {
            name: part.attachment_name().unwrap_or("attachment").to_string(),
            bytes: part.contents().to_vec(),
            inline: content_id.is_some(),
            content_id,
        });
    }
    (files, total)
}

/// Why a message is noise that must not make or reopen a conversation (RFC 3834 and the usual
/// signs of bulk mail, bounces and loops).
fn noise(m: &mail_parser::Message<'_>, sender: &str) -> Option<String> {
    let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(a) = header("Auto-Submitted").filter(|a| a != "no") {
        return Some(format!("ignored: Auto-Submitted: {a}"));
    }
    if let Some(p) = header("Precedence").filter(|p| matches!(p.as_str(), "bulk" | "junk" | "list")) {
        return Some(format!("ignored: Precedence: {p}"));
    }
    if header("X-Loop").is_some_and(|l| l.contains(crate::X_LOOP)) {
        return Some("ignored: X-Loop names us".into());
    }
    if let Some(list) = header("List-Id") {
        return Some(format!("ignored: mailing list mail (List-Id: {list})"));
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder"] {
        if let Some(v) = header(name) {
            return Some(format!("ignored: an automatic reply ({name}: {v})"));
        }
    }
    let local = sender.split('@').next().unwrap_or("").to_ascii_lowercase();
    if local == "mailer-daemon" || local == "postmaster" {
        return Some(format!("ignored: a bounce from {local}"));
    }
    if header("Content-Type").is_some_and(|c| c.contains("multipart/report")) {
        return Some("ignored: a delivery report".into());
    }
    None
}

/// The address a delivery report says failed for good (RFC 3464: `Action: failed` with a 5.x.x
/// status), if the message is such a report.
fn hard_bounce(m: &mail_parser::Message<'_>) -> Option<String> {
    let report = m.header_raw("Content-Type").is_some_and(|c| c.to_ascii_lowercase().contains("multipart/report"));
    if !report {
        return None;
    }
    let text = String::from_utf8_lossy(m.raw_message());
    let field = |name: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let failed = field("Action").is_some_and(|a| a.eq_ignore_ascii_case("failed"));
    let permanent = field("Status").is_some_and(|s| s.starts_with('5'));
    let recipient = field("Final-Recipient")?;
    let address = recipient.rsplit(';').next()?.trim().trim_matches(['<', '>']).to_lowercase();
    (failed && permanent && address.contains('@')).then_some(address)
}

/// Outlook's conversation: the first 22 bytes of `Thread-Index` (a reply adds 5 bytes to its
/// parent's), in hex.
fn thread_key(m: &mail_parser::Message<'_>) -> Option<String> {
    use base64::Engine;
    let raw = m.header_raw("Thread-Index")?.trim().to_string();
    let bytes = base64::engine::general_purpose::STANDARD.decode(raw.as_bytes()).ok()?;
    (bytes.len() >= 22).then(|| hex::encode(&bytes[..22]))
}

/// The reply without the quoted history and the signature below it.
pub fn trim_reply(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let starts_history = t.starts_with('>')
            || t == "-- "
            || t == "--"
            || t.starts_with("-----Original Message-----")
            || t.starts_with("-----Mensagem original-----")
            || t.starts_with("-----Original-Nachricht-----")
            || (t.starts_with("On ") && t.ends_with("wrote:"))
            || (t.starts_with("Em ") && t.ends_with("escreveu:"))
            || t.ends_with("のメッセージ:")
            || t.ends_with("wrote:") && t.contains('@')
            || t.starts_with("From: ") && !kept.is_empty() && kept.last().is_some_and(|l| l.trim().is_empty());
        if starts_history {
            break;
        }
        kept.push(line);
    }
    let out = kept.join("\n").trim().to_string();
    if out.is_empty() { text.trim().to_string() } else { out }
}

/// The message ids a reply names (`In-Reply-To`, then `References`, newest first).
fn referenced_ids(m: &mail_parser::Message<'_>) -> Vec<String> {
    let list = |v: &mail_parser::HeaderValue<'_>| -> Vec<String> {
        match (v.as_text_list(), v.as_text()) {
            (Some(l), _) => l.iter().map(|s| s.to_string()).collect(),
            (None, Some(s)) => vec![s.to_string()],
            _ => Vec::new(),
        }
    };
    let mut ids = list(m.in_reply_to());
    let mut refs = list(m.references());
    refs.reverse();
    ids.extend(refs);
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reads_into_one_line_names_clues_and_noise() {
        let raw = b"From: =?utf-8?q?Ana=0D=0ABcc:_x?= <ana@example.com>\r\nTo: Help <help@acme.test>\r\n\
Subject: Re: [#12] =?utf-8?q?Ol=C3=A1=0D=0AX?=\r\nIn-Reply-To: <t12.tok1.c3@frontdesk.mail>\r\n\
Auto-Submitted: auto-replied\r\n\r\nThanks!\r\n\r\nOn Mon, Ana wrote:\r\n> old\r\n";
        let m = parse(raw, 10).unwrap();
        assert_eq!(m.sender_email, "ana@example.com");
        assert_eq!(m.sender_name.as_deref(), Some("Ana  Bcc: x"));
        assert_eq!(m.subject.as_deref(), Some("Re: [#12] Olá  X"));
        assert_eq!(m.to_cc, ["help@acme.test"]);
        assert_eq!(m.clues(), Clues { tokens: vec![(12, "tok1".into())], subject_number: Some(12) });
        assert_eq!(m.noise.as_deref(), Some("ignored: Auto-Submitted: auto-replied"));
        assert_eq!(m.reply, "Thanks!");
        assert!(parse(b"", 10).is_none() || parse(b"", 10).is_some_and(|m| m.sender_email.is_empty()));
    }
}
