//! Inbound email: one pipeline for every way mail arrives (the mail gateway, and the SMTP and
//! IMAP receivers to come). A message is parsed (mail-parser: MIME, every charset real mail
//! uses), checked for loops and noise, deduplicated by its Message-ID, threaded onto a ticket
//! or made into a new one — and the decision is recorded, with its reason, both on the message
//! and in the ticket's audit.

use serde_json::{Value, json};

use frontdesk_domain::{EmailAddress, Role};
use frontdesk_store::AnyConnection;
use frontdesk_store::email::{self as store, Inbound};

use super::Via;
use super::tickets::{CommentInput, RequesterInput, TicketInput};
use crate::auth::Actor;
use crate::error::{ApiError, Result};

pub use frontdesk_mail::threading::{ID_DOMAIN, message_id};

/// After a public reply by an agent: mail it to the requester and the CCs, as a job queued in
/// the reply's own transaction (so a crash neither loses it nor sends it twice).
pub async fn enqueue_reply(conn: &mut AnyConnection, saved: &super::tickets::Saved, now: i64) -> Result<()> {
    enqueue_mail(conn, saved, false, now).await
}

/// [`enqueue_reply`] for a campaign's own message: mailed with the headers that let the customer
/// unsubscribe from campaigns in one click.
pub async fn enqueue_campaign_mail(conn: &mut AnyConnection, saved: &super::tickets::Saved, now: i64) -> Result<()> {
    enqueue_mail(conn, saved, true, now).await
}

async fn enqueue_mail(conn: &mut AnyConnection, saved: &super::tickets::Saved, campaign: bool, now: i64) -> Result<()> {
    let Some(c) = saved.comment.as_ref().filter(|c| c.public == 1) else { return Ok(()) };
    let author = frontdesk_store::users::get(conn, c.author_id).await?;
    if author.is_none_or(|a| a.role == Role::EndUser) {
        return Ok(());
    }
    let job = frontdesk_store::jobs::NewJob {
        public_id: None,
        kind: frontdesk_domain::JobKind::Reply,
        payload: json!({"ticket_id": saved.ticket.id, "comment_id": c.id, "campaign": campaign}).to_string(),
        max_attempts: 10,
        run_at_ms: now * 1000,
        total: None,
        requested_by: Some(c.author_id),
        unique_key: Some(format!("email.reply:{}", c.id)),
    };
    frontdesk_store::jobs::enqueue(conn, &job, now).await?;
    Ok(())
}

/// The largest message taken in; a larger one is refused and recorded without its content.
pub const MAX_MESSAGE: usize = 25 * 1024 * 1024;

/// What became of a message.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub outcome: &'static str,
    pub reason: String,
    pub ticket_id: Option<i64>,
    pub message_id: Option<String>,
}

impl Outcome {
    fn new(outcome: &'static str, reason: impl Into<String>, ticket_id: Option<i64>) -> Outcome {
        Outcome { outcome, reason: reason.into(), ticket_id, message_id: None }
    }
}

/// What the pipeline needs of a message, read before any transaction: parsing, decoding and
/// sanitising are CPU work that must not hold the writer. The mail crate reads the message;
/// here it becomes a first comment, files and a reply.
pub struct Parsed {
    /// The message as read.
    pub mail: frontdesk_mail::inbound::Message,
    /// The whole message as a new ticket's first comment, and that comment rendered.
    first: CommentInput,
    rendered: frontdesk_domain::text::RenderedBody,
    /// The message as a reply: without the quoted history.
    reply: String,
    /// Its attachments and inline images; `dropped` says what was left out and why.
    files: Vec<super::attachments::NewFile>,
    dropped: Option<String>,
    /// Who really sent it (SPF, DKIM, DMARC), once checked; unchecked counts as unaligned.
    pub verdict: Option<crate::sender_auth::Verdict>,
}

impl Parsed {
    /// The threading clues of the message (each still to be checked against the database).
    pub fn clues(&self) -> frontdesk_mail::threading::Clues {
        self.mail.clues()
    }

    /// The sender's display name: one line of text, or none.
    pub fn sender_name(&self) -> Option<&str> {
        self.mail.sender_name.as_deref()
    }

    /// The message as a reply, without its quoted history.
    pub fn reply(&self) -> &str {
        &self.reply
    }

    /// The sanitised HTML the message's first comment shows.
    pub fn html(&self) -> &str {
        &self.rendered.html_body
    }
}

/// Reads a message; `None` when it is no message at all (or the MIME parser gave up on it).
/// Archives are kept as they came: nothing is ever unpacked, so a zip bomb stays the few
/// kilobytes it was.
pub fn parse(raw: &[u8]) -> Option<Parsed> {
    let max = super::attachments::MAX_FILES;
    let mail = frontdesk_mail::inbound::parse(raw, max)?;
    let files: Vec<super::attachments::NewFile> = mail
        .attachments
        .iter()
        .map(|a| {
            let mut f = super::attachments::NewFile::new(&a.name, a.bytes.clone());
            f.inline = a.inline;
            f.content_id = a.content_id.clone();
            f
        })
        .collect();
    let total = mail.attachments_total;
    let dropped = (total > max).then(|| format!("{total} attachments: the first {max} were kept"));
    // Inline images point at their content URL once stored (a relative one, as the sanitiser
    // keeps it, whatever host the reader uses).
    let html = mail.html.as_ref().map(|h| {
        let mut h = h.clone();
        for f in files.iter().filter(|f| f.content_id.is_some()) {
            let cid = f.content_id.as_deref().unwrap_or_default();
            let name: String = form_urlencoded::byte_serialize(f.name.as_bytes()).collect();
            h = h.replace(&format!("cid:{cid}"), &format!("/attachments/token/{}/?name={name}", f.access_token));
        }
        h
    });
    let first = CommentInput {
        body: if html.is_none() {
            Some(if mail.text.trim().is_empty() { "(empty message)".into() } else { mail.text.clone() })
        } else {
            None
        },
        html_body: html,
        public: Some(true),
        author_id: None,
        uploads: Vec::new(),
    };
    let rendered = super::tickets::render(&first);
    let reply = if mail.reply.is_empty() { "(empty message)".to_string() } else { mail.reply.clone() };
    Some(Parsed { mail, first, rendered, reply, files, dropped, verdict: None })
}

/// Takes in one message in the caller's transaction: `envelope_to` are the addresses it was
/// delivered to (the SMTP envelope or the gateway's argument), else its `To` and `Cc` are used.
pub async fn receive(
    conn: &mut AnyConnection,
    raw: &[u8],
    parsed: Option<&Parsed>,
    envelope_to: &[String],
    now: i64,
) -> Result<Outcome> {
    let mut record = Inbound { size: raw.len() as i64, created_at: now, ..Default::default() };
    if raw.len() > MAX_MESSAGE {
        return refused_unread(conn, raw.len(), MAX_MESSAGE, "it is larger than the limit", now).await;
    }
    let Some(p) = parsed else {
        let o = Outcome::new("rejected", "rejected: not a message that can be parsed (kept for an admin)", None);
        record.outcome = o.outcome.into();
        record.reason = o.reason.clone();
        store::record(conn, &record, raw).await?;
        return Ok(o);
    };
    record.message_id = p.mail.message_id.clone();
    record.thread_key = p.mail.thread_key.clone();
    record.sender = Some(p.mail.sender_email.clone());
    record.subject = p.mail.subject.clone();
    record.authentication = p.verdict.as_ref().and_then(|v| serde_json::to_string(v).ok());
    let addresses = store::addresses(conn).await?;
    let mut delivered: Vec<String> = envelope_to.iter().map(|a| a.trim().to_lowercase()).collect();
    if delivered.is_empty() {
        delivered = p.mail.to_cc.clone();
    }
    let support = delivered
        .iter()
        .find_map(|d| addresses.iter().find(|a| a.email.eq_ignore_ascii_case(d)))
        .or_else(|| addresses.iter().find(|a| a.is_default == 1))
        .cloned();
    record.recipient = support.as_ref().map(|a| a.email.clone()).or_else(|| delivered.first().cloned());

    let ours = |a: &str| addresses.iter().any(|s| s.email.eq_ignore_ascii_case(a.trim()));
    let looped = if ours(&p.mail.sender_email) {
        Some(format!("ignored: sent from our own support address {}", p.mail.sender_email))
    } else {
        p.mail.x_loop.iter().find(|l| ours(l)).map(|l| format!("ignored: X-Loop names our support address {l}"))
    };
    let decided = match looped {
        Some(why) => Ok(Outcome::new("ignored", why, None)),
        None => decide(conn, p, support.as_ref(), &addresses, now).await,
    };
    let mut o = match decided {
        Ok(o) => o,
        Err(e @ ApiError::Invalid(_)) => Outcome::new("rejected", format!("rejected: {}", e.words()), None),
        Err(e) => return Err(e),
    };
    record.outcome = o.outcome.into();
    record.reason = o.reason.clone();
    record.ticket_id = o.ticket_id;
    if store::record(conn, &record, raw).await?.is_none() {
        if o.outcome == "ignored" {
            return Ok(o);
        }
        // The same message, taken in meanwhile through another address: the caller rolls this
        // transaction back (so the ticket made above goes with it) and tries again.
        return Err(ApiError::UpdateConflict);
    }
    o.message_id = record.message_id;
    Ok(o)
}

#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
async fn decide(
    conn: &mut AnyConnection,
    p: &Parsed,
    support: Option<&store::RecipientAddress>,
    addresses: &[store::RecipientAddress],
    now: i64,
) -> Result<Outcome> {
    if let Some(address) = &p.mail.bounce {
        let known = frontdesk_store::users::mark_undeliverable(conn, address, now).await?;
        let what = if known { "marked undeliverable" } else { "not a known address" };
        return Ok(Outcome::new("ignored", format!("ignored: a hard bounce for {address} ({what})"), None));
    }
    if let Some(why) = &p.mail.noise {
        return Ok(Outcome::new("ignored", why.clone(), None));
    }
    let Ok(email) = EmailAddress::parse(&p.mail.sender_email) else {
        return Ok(Outcome::new(
            "rejected",
            format!("rejected: the sender {:?} is not an email address", p.mail.sender_email),
            None,
        ));
    };
    if let Some(id) = &p.mail.message_id
        && let Some(seen) = store::by_message_id(conn, id).await?
    {
        return Ok(Outcome::new("ignored", "ignored: this message was already taken in", seen.ticket_id));
    }
    let via = Via {
        channel: "email",
        source: json!({
            "from": {"address": email.as_str(), "name": p.mail.sender_name},
            "to": {"address": support.map(|a| a.email.clone()), "name": support.map(|a| a.name.clone())},
            "rel": null,
        }),
    };
    if p.mail.several_from {
        return Ok(Outcome::new(
            "held",
            "held: it names more than one From address; kept for an admin, no ticket made",
            None,
        ));
    }
    let claimed = frontdesk_store::users::find_by_identity(conn, "email", email.as_str()).await?;
    if let Some(why) = distrust(p.verdict.as_ref(), claimed.as_ref(), &email, addresses) {
        return take_unverified(conn, p, &email, &why, &via, now).await;
    }
    let sender = super::tickets::find_or_create_requester(
        conn,
        &RequesterInput { name: p.mail.sender_name.clone(), email: email.clone(), locale: None },
        now,
    )
    .await?;
    // The files come as an upload of their own, taken by whichever comment the message makes.
    let uploads = if p.files.is_empty() {
        Vec::new()
    } else {
        vec![super::attachments::store_upload(conn, &p.files, None, Some(sender.id), now).await?]
    };
    let files_note = |reason: String| match &p.dropped {
        Some(d) => format!("{reason} ({d})"),
        None => reason,
    };
    // A reply: the ticket our reply token, a referenced message, the Outlook conversation or
    // `[#id]` in the subject names — if the sender takes part in that ticket.
    let mut note = None;
    if let Some((ticket_id, clue)) = named_ticket(conn, p).await? {
        let how = clue.words();
        match frontdesk_store::tickets::get(conn, ticket_id).await?.filter(|t| t.deleted_at.is_none()) {
            Some(t) if participant(conn, &t, &sender).await? && t.status != frontdesk_domain::Status::Closed => {
                let reason = format!("threaded by {how}");
                let input = TicketInput {
                    comment: Some(CommentInput {
                        body: Some(p.reply.clone()),
                        public: Some(true),
                        author_id: Some(sender.id),
                        uploads: uploads.clone(),
                        ..Default::default()
                    }),
                    extra_events: vec![json!({"type": "EmailThreading", "value": reason})],
                    ..Default::default()
                };
                // A reply from the requester reopens the ticket (`tickets::apply_update`).
                let admin = system_actor(conn).await?;
                super::tickets::update_in(conn, &admin, t.id, input, &via, now).await?;
                return Ok(Outcome::new("threaded", files_note(reason), Some(t.id)));
            }
            Some(t) if t.status == frontdesk_domain::Status::Closed => {
                note = Some(format!("new ticket: #{} is closed", t.id))
            }
            Some(t) => note = Some(format!("new ticket: the sender is not a participant of #{}", t.id)),
            None => note = Some(format!("new ticket: #{ticket_id} does not exist")),
        }
    }
    // One sender makes at most so many tickets by mail an hour: a loop or a flood past that is
    // kept for an admin, not made into tickets.
    let made = store::tickets_made_by(conn, &p.mail.sender_email, now - 3600).await?;
    if made >= TICKETS_PER_SENDER_HOUR {
        return Ok(Outcome::new(
            "held",
            format!(
                "held: {} made {made} tickets by mail in the last hour (the limit is {TICKETS_PER_SENDER_HOUR})",
                p.mail.sender_email
            ),
            None,
        ));
    }
    let reason = note.unwrap_or_else(|| "new ticket: no reference to an existing ticket".into());
    // Made by the system on the sender's behalf: they are its requester, submitter and author.
    let actor = system_actor(conn).await?;
    let mut input = TicketInput {
        subject: super::input::Patch::Set(p.mail.subject.clone().unwrap_or_else(|| p.reply.chars().take(80).collect())),
        requester_id: super::input::Patch::Set(sender.id),
        submitter_id: super::input::Patch::Set(sender.id),
        comment: Some(CommentInput { author_id: Some(sender.id), uploads, ..p.first.clone() }),
        rendered: Some(p.rendered.clone()),
        extra_events: vec![json!({"type": "EmailThreading", "value": reason})],
        ..Default::default()
    };
    if let Some(a) = support {
        input.recipient = super::input::Patch::Set(a.email.clone());
        if let Some(g) = a.group_id {
            input.group_id = super::input::Patch::Set(g);
        }
    }
    let saved = super::tickets::create_in(conn, &actor, input, &via, now).await?;
    Ok(Outcome::new("created", files_note(reason), Some(saved.ticket.id)))
}

/// The most tickets one sender's mail makes in an hour; more is held.
pub const TICKETS_PER_SENDER_HOUR: i64 = 20;

/// How a message names the ticket it answers, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clue {
    /// Our reply token, in a Message-ID of ours it references.
    Token,
    /// A message of the ticket's that it references.
    References,
    /// Outlook's conversation (Thread-Index).
    ThreadIndex,
    /// `[#id]` in its subject.
    Subject,
}

impl Clue {
    /// How the recorded reasons say it.
    fn words(self) -> &'static str {
        match self {
            Clue::Token => "our reply token",
            Clue::References => "References",
            Clue::ThreadIndex => "Outlook's Thread-Index",
            Clue::Subject => "the subject's [#id]",
        }
    }

    /// Whether only someone who got our mail could have made it (a typed number or a
    /// conversation index can be made up).
    fn unguessable(self) -> bool {
        matches!(self, Clue::Token | Clue::References)
    }
}

/// The ticket a message names, and how (still to be checked against who sent it).
async fn named_ticket(conn: &mut AnyConnection, p: &Parsed) -> Result<Option<(i64, Clue)>> {
    let clues = p.clues();
    for (t, token) in &clues.tokens {
        if store::token_matches(conn, *t, token).await? {
            return Ok(Some((*t, Clue::Token)));
        }
    }
    if let Some((t, _)) = store::ticket_of_message_ids(conn, &p.mail.referenced).await? {
        return Ok(Some((t, Clue::References)));
    }
    if let Some(k) = &p.mail.thread_key
        && let Some(t) = store::ticket_of_thread(conn, k).await?
    {
        return Ok(Some((t, Clue::ThreadIndex)));
    }
    Ok(clues.subject_number.map(|t| (t, Clue::Subject)))
}

/// Why a message cannot be taken as from the person it names, if it cannot: it claims a staff
/// member or one of our own domains and is not aligned, or its domain's DMARC policy says to
/// reject it and it fails.
fn distrust(
    verdict: Option<&crate::sender_auth::Verdict>,
    claimed: Option<&frontdesk_store::users::User>,
    email: &EmailAddress,
    addresses: &[store::RecipientAddress],
) -> Option<String> {
    let unchecked = crate::sender_auth::Verdict::unchecked();
    let v = verdict.unwrap_or(&unchecked);
    let domain = email.domain();
    if !v.aligned {
        if let Some(u) = claimed.filter(|u| u.role != Role::EndUser) {
            return Some(format!(
                "it says it is from {} ({}), of the staff, but is not authenticated ({})",
                u.name,
                email.as_str(),
                v.summary()
            ));
        }
        if addresses.iter().any(|a| a.email.rsplit_once('@').is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain))) {
            return Some(format!(
                "it says it is from {}, on this helpdesk's own domain, but is not authenticated ({})",
                email.as_str(),
                v.summary()
            ));
        }
    }
    v.rejected_by_policy().then(|| format!("its domain's DMARC policy rejects it ({})", v.summary()))
}

/// A message whose sender cannot be believed: on the ticket it names it becomes an internal
/// note marked unverified, written by the system (the agents see it; the customer and the
/// person it names are never mailed it); naming none, it is held for an admin, making nothing.
async fn take_unverified(
    conn: &mut AnyConnection,
    p: &Parsed,
    email: &EmailAddress,
    why: &str,
    via: &Via,
    now: i64,
) -> Result<Outcome> {
    // Only a clue a forger cannot make up puts unverified mail on a ticket.
    let named = match named_ticket(conn, p).await?.filter(|(_, clue)| clue.unguessable()) {
        Some((id, clue)) => frontdesk_store::tickets::get(conn, id)
            .await?
            .filter(|t| t.deleted_at.is_none() && t.status != frontdesk_domain::Status::Closed)
            .map(|t| (t, clue.words())),
        None => None,
    };
    let Some((t, how)) = named else {
        return Ok(Outcome::new("held", format!("held: {why}; kept for an admin, no ticket made"), None));
    };
    let admin = system_actor(conn).await?;
    let body = format!(
        "**Unverified sender.** This mail says it is from {}, but {why}. It was not taken as theirs.\n\n{}",
        email.as_str(),
        p.reply
    );
    let input = TicketInput {
        comment: Some(CommentInput {
            body: Some(body),
            public: Some(false),
            author_id: Some(admin.id()),
            ..Default::default()
        }),
        extra_events: vec![
            json!({"type": "EmailThreading", "value": format!("threaded by {how} as an unverified internal note")}),
            json!({"type": "UnverifiedSender", "value": email.as_str(), "body": why}),
        ],
        ..Default::default()
    };
    super::tickets::update_in(conn, &admin, t.id, input, via, now).await?;
    Ok(Outcome::new("threaded", format!("threaded by {how} as an internal note: {why}"), Some(t.id)))
}

/// Records a message refused without its content (too large to take, or never fetched):
/// its size and why, for an admin to see.
async fn refused_unread(conn: &mut AnyConnection, size: usize, limit: usize, why: &str, now: i64) -> Result<Outcome> {
    let o = Outcome::new("rejected", format!("rejected unread: {why} ({size} bytes; the limit is {limit})"), None);
    let record = Inbound {
        size: size as i64,
        created_at: now,
        outcome: o.outcome.into(),
        reason: o.reason.clone(),
        ..Default::default()
    };
    store::record(conn, &record, &[]).await?;
    Ok(o)
}

/// [`refused_unread`] in its own transaction (a mailbox's message that is not fetched).
pub async fn refuse_unread(state: &crate::AppState, size: usize, limit: usize, why: &str) -> Result<Outcome> {
    let now = state.now();
    super::in_tx(state, async |tx| refused_unread(tx, size, limit, why, now).await).await
}

/// The message parsed, with its sender checks' verdict.
async fn checked(
    state: &crate::AppState,
    raw: &[u8],
    envelope: Option<&crate::sender_auth::Envelope>,
) -> Option<Parsed> {
    let mut parsed = if raw.len() > MAX_MESSAGE { None } else { parse(raw) };
    if let Some(p) = parsed.as_mut() {
        p.verdict = Some(state.sender_auth.check(raw, envelope, &p.mail.sender_email).await);
    }
    parsed
}

async fn take_in_checked(
    state: &crate::AppState,
    raw: &[u8],
    parsed: Option<&Parsed>,
    to: &[String],
) -> Result<Outcome> {
    let now = state.now();
    let mut tries = 0;
    loop {
        match super::in_tx(state, async |tx| receive(tx, raw, parsed, to, now).await).await {
            Err(ApiError::UpdateConflict) if tries < 2 => tries += 1,
            other => return other,
        }
    }
}

/// The job that tells an admin a message was kept because it could not become a ticket.
const KEPT_NOTICE: frontdesk_domain::JobKind = frontdesk_domain::JobKind::KeptNotice;
/// How long a kept message waits before it is first tried again.
const RETRY_AFTER_MS: i64 = 60_000;

/// Takes in a message in its own transaction. When the same message raced in through another
/// address, this transaction rolls back (with the ticket it made) and the message is taken in
/// again, now as already seen: one message makes one ticket.
///
/// Before any transaction, the sender is checked (SPF with the connection's `envelope` where
/// there is one, DKIM, DMARC); the verdict is recorded with the message and decides whether it
/// is taken as from the person it names.
///
/// When taking it in fails (a store that refuses the write, a bug), the message is not lost and
/// does not block the mailbox it came from: it is kept as `failed` with the reason, tried again
/// by a job with backoff, and every admin is told by mail. `Err` only when even keeping it
/// failed, so the sender (or the mailbox) keeps it and offers it again.
pub async fn take_in_or_keep(
    state: &crate::AppState,
    raw: &[u8],
    to: &[String],
    envelope: Option<&crate::sender_auth::Envelope>,
) -> Result<Outcome> {
    let parsed = checked(state, raw, envelope).await;
    match take_in_checked(state, raw, parsed.as_ref(), to).await {
        Ok(o) => Ok(o),
        Err(e) => {
            tracing::warn!(error = %e, "a message could not be taken in: keeping it to try again");
            keep_failed(state, raw, parsed.as_ref(), to, &e).await
        }
    }
}

async fn keep_failed(
    state: &crate::AppState,
    raw: &[u8],
    parsed: Option<&Parsed>,
    to: &[String],
    e: &ApiError,
) -> Result<Outcome> {
    let now = state.now();
    let reason = format!("failed: {}; kept, to be tried again", e.words());
    let record = Inbound {
        message_id: parsed.and_then(|p| p.mail.message_id.clone()),
        sender: parsed.map(|p| p.mail.sender_email.clone()),
        recipient: to.first().map(|t| t.trim().to_lowercase()),
        subject: parsed.and_then(|p| p.mail.subject.clone()),
        thread_key: parsed.and_then(|p| p.mail.thread_key.clone()),
        authentication: parsed.and_then(|p| p.verdict.as_ref()).and_then(|v| serde_json::to_string(v).ok()),
        outcome: "failed".into(),
        reason: reason.clone(),
        size: raw.len() as i64,
        created_at: now,
        ..Default::default()
    };
    super::in_tx(state, async |tx| {
        let Some(id) = store::record(tx, &record, raw).await? else {
            // Kept (or taken in) already, under the same Message-ID.
            return Ok(Outcome::new("failed", "failed: the same message is kept already", None));
        };
        let job = |kind: frontdesk_domain::JobKind, payload: Value, key: String| frontdesk_store::jobs::NewJob {
            public_id: None,
            kind,
            payload: payload.to_string(),
            max_attempts: 10,
            run_at_ms: now * 1000,
            total: None,
            requested_by: None,
            unique_key: Some(key),
        };
        let retry_kind = frontdesk_domain::JobKind::MailRetry;
        let mut retry = job(retry_kind, json!({"inbound_id": id, "to": to}), format!("{retry_kind}:{id}"));
        retry.run_at_ms += RETRY_AFTER_MS;
        frontdesk_store::jobs::enqueue(tx, &retry, now).await?;
        // One notice an admin an hour, for the first message kept: a store that refuses every
        // write must not turn each message into a mail to every admin.
        for admin in frontdesk_store::users::admin_ids(tx).await? {
            let notice = json!({"inbound_id": id, "recipient": admin});
            frontdesk_store::jobs::enqueue(
                tx,
                &job(KEPT_NOTICE, notice, format!("{KEPT_NOTICE}:{admin}:{}", now / 3600)),
                now,
            )
            .await?;
        }
        let mut o = Outcome::new("failed", reason.clone(), None);
        o.message_id = record.message_id.clone();
        Ok(o)
    })
    .await
}

/// Takes a kept message in again (the `email.retry` job): its record is replaced by what becomes of
/// it now, in one transaction; an error leaves it kept, for the job's next attempt.
pub async fn retry_kept(state: &crate::AppState, payload: &Value) -> Result<String> {
    let id = payload["inbound_id"].as_i64().ok_or_else(|| ApiError::Internal("retry job without inbound_id".into()))?;
    let to: Vec<String> = payload["to"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let mut conn = state.db.read().await?;
    let kept = store::get(&mut conn, id).await?;
    let raw = store::raw(&mut conn, id).await?;
    drop(conn);
    let (Some(kept), Some(raw)) = (kept, raw) else { return Ok(format!("message {id} is gone")) };
    if kept.outcome != "failed" {
        return Ok(format!("message {id} was taken in already ({})", kept.outcome));
    }
    let mut parsed = parse(&raw);
    if let Some(p) = parsed.as_mut() {
        // The verdict made when the message came in (its connection is gone), else a new one.
        p.verdict = match kept.authentication.as_deref().map(serde_json::from_str) {
            Some(Ok(v)) => Some(v),
            _ => Some(state.sender_auth.check(&raw, None, &p.mail.sender_email).await),
        };
    }
    let now = state.now();
    let o = super::in_tx(state, async |tx| {
        store::forget(tx, id).await?;
        receive(tx, &raw, parsed.as_ref(), &to, now).await
    })
    .await?;
    Ok(format!("message {id} taken in again: {}", o.reason))
}

/// Whether the sender takes part in the ticket: its requester, a CC or follower, or staff.
async fn participant(
    conn: &mut AnyConnection,
    t: &frontdesk_store::tickets::Ticket,
    sender: &frontdesk_store::users::User,
) -> Result<bool> {
    if sender.role != Role::EndUser || t.requester_id == sender.id {
        return Ok(true);
    }
    let cc = frontdesk_store::tickets::collaborators(conn, &[t.id]).await?;
    Ok(cc.get(&t.id).is_some_and(|list| list.iter().any(|(id, _)| *id == sender.id)))
}

/// Who writes a reply taken in by email (the comment's author is the sender).
async fn system_actor(conn: &mut AnyConnection) -> Result<Actor> {
    let id = frontdesk_store::users::first_admin(conn)
        .await?
        .ok_or_else(|| ApiError::Internal("email needs an admin to exist".into()))?;
    let user = frontdesk_store::users::get(conn, id).await?.ok_or(ApiError::NotFound)?;
    Ok(Actor { user, role: Role::Admin })
}

/// A support address as the API shows it.
pub fn address_json(a: &store::RecipientAddress) -> Value {
    json!({
        "id": a.id, "email": a.email, "name": a.name, "brand_name": a.brand_name, "group_id": a.group_id,
        "default": a.is_default == 1,
        "created_at": crate::clock::iso(a.created_at), "updated_at": crate::clock::iso(a.updated_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_mail::inbound::trim_reply;

    #[test]
    fn a_parser_panic_on_hostile_mail_is_contained_and_threading_clues_take_only_our_shape() {
        // Found by the fuzz target: nested forwards whose boundaries the parser loses track of.
        let raw = include_bytes!("../../../tests/fixtures/email/fuzz_nested_forward.eml");
        let _ = parse(raw);
        let ok = parse(b"From: a@b.test\r\nSubject: Re: [#42] x\r\nIn-Reply-To: <t7.ab12.c3@frontdesk.mail>\r\nReferences: <t8.a@b.c3@frontdesk.mail> <t-1.ab.c1@frontdesk.mail>\r\n\r\nhi\r\n")
            .unwrap();
        let clues = ok.clues();
        assert_eq!(clues.tokens, [(7, "ab12".to_string())]);
        assert_eq!(clues.subject_number, Some(42));
    }

    #[test]
    fn replies_lose_their_quoted_history_and_signature() {
        let gmail =
            "Thanks, that worked!\n\nOn Tue, Nov 24, 2026 at 10:00 AM Support <help@acme.test> wrote:\n> Try again\n";
        assert_eq!(trim_reply(gmail), "Thanks, that worked!");
        let pt =
            "Obrigado!\n\nEm ter., 24 de nov. de 2026 às 10:00, Suporte <help@acme.test> escreveu:\n> Tente de novo";
        assert_eq!(trim_reply(pt), "Obrigado!");
        let outlook = "Works now.\n\n-----Original Message-----\nFrom: Support\nSent: Tuesday";
        assert_eq!(trim_reply(outlook), "Works now.");
        let sig = "See attached.\n-- \nJoão Silva\nACME";
        assert_eq!(trim_reply(sig), "See attached.");
        assert_eq!(trim_reply("> only a quote"), "> only a quote", "never an empty comment");
        assert_eq!(frontdesk_mail::threading::subject_number("Re: Printer [#42] broken"), Some(42));
        assert_eq!(frontdesk_mail::threading::subject_number("Re: [#x]"), None);
    }
}
