//! The inbound mail parser and the threading clues it yields, on arbitrary bytes: nothing
//! may panic, a sender's name stays one line (no header can be injected through it), the
//! sanitised HTML carries no script, and the clues are what threading may look up.
#![no_main]

use libfuzzer_sys::fuzz_target;

use frontdesk_server::app::email::{parse, trim_reply};

fuzz_target!(|raw: &[u8]| {
    if let Some(p) = parse(raw) {
        if let Some(name) = p.sender_name() {
            assert!(!name.contains(['\r', '\n']), "a display name of two lines: {name:?}");
        }
        let html = p.html().to_ascii_lowercase();
        assert!(!html.contains("<script"), "a script survived the sanitiser: {html}");
        let clues = p.clues();
        for (ticket, token) in &clues.tokens {
            assert!(*ticket > 0, "a ticket id that cannot be: {ticket}");
            assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "a reply token that is not ours: {token:?}");
        }
        let _ = trim_reply(p.reply());
    }
    let _ = trim_reply(&String::from_utf8_lossy(raw));
});
