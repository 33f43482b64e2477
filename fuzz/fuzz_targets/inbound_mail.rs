//! The inbound mail reader and the threading clues it yields, on arbitrary bytes: nothing may
//! panic, a sender's name and a subject stay one line (no header can be injected through them),
//! the files kept stay within the limit asked for, and the clues are what threading may look
//! up. Built against the mail crate alone, so a run costs seconds of building, not minutes.
#![no_main]

use libfuzzer_sys::fuzz_target;

use frontdesk_mail::inbound::{parse, trim_reply};

fuzz_target!(|raw: &[u8]| {
    if let Some(m) = parse(raw, 5) {
        for line in [m.sender_name.as_deref(), m.subject.as_deref()].into_iter().flatten() {
            assert!(!line.contains(['\r', '\n']), "a header value of two lines: {line:?}");
        }
        assert!(m.attachments.len() <= 5 && m.attachments.len() <= m.attachments_total);
        let clues = m.clues();
        for (number, token) in &clues.tokens {
            assert!(*number > 0, "a conversation number that cannot be: {number}");
            assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "a reply token that is not ours: {token:?}");
        }
        let _ = trim_reply(&m.reply);
    }
    let _ = trim_reply(&String::from_utf8_lossy(raw));
});
