//! Outbound mail over SMTP (lettre): a public reply to the requester and the CCs, from the
//! default support address, with the headers that make mail clients thread it — our
//! Message-ID carries the ticket's reply token, so the customer's answer threads back.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rand::Rng;
use serde_json::Value;

use frontdesk_store::jobs::Job;

use crate::AppState;
use crate::error::{ApiError, Result};
use frontdesk_app::dkim::{DkimAlgorithm, DkimKey};

/// The relay's transport from its URL (lettre's form: `smtp://host:port`,
/// `smtp://user:password@host:587?tls=required` for STARTTLS, `smtps://…` for TLS from the
/// start), trusting the certificates in `ca` besides the public roots.
fn transport(url: &str, ca: Option<&std::path::Path>) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let bad = |e: &dyn std::fmt::Display| ApiError::Internal(format!("the SMTP relay {:?}: {e}", redact(url)));
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| bad(&e))?;
    if let Some(ca) = ca {
        use tokio_rustls::rustls::pki_types::CertificateDer;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
        let host_port = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        let host = host_port.split(['/', '?']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h).trim_matches(['[', ']']);
        let mut params = TlsParameters::builder(host.to_string());
        let certs = CertificateDer::pem_file_iter(ca).map_err(|e| bad(&e))?;
        for cert in certs {
            let cert = cert.map_err(|e| bad(&e))?;
            params = params.add_root_certificate(Certificate::from_der(cert.to_vec()).map_err(|e| bad(&e))?);
        }
        let params = params.build_rustls().map_err(|e| bad(&e))?;
        let tls = if scheme == "smtps" {
            Tls::Wrapper(params)
        } else if url.contains("tls=required") {
            Tls::Required(params)
        } else {
            Tls::Opportunistic(params)
        };
        builder = builder.tls(tls);
    }
    // Each SMTP command gets 20 s, well inside a job's lease (60 s by default): a relay that
    // stalls fails the attempt before another worker could take the job over and send again.
    Ok(builder.timeout(Some(std::time::Duration::from_secs(20))).build())
}

/// A relay URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = url[s + 3..at].split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// A header value without line breaks: nothing a subject or a name holds can add a header.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn mailbox(name: Option<&str>, email: &str) -> Result<Mailbox> {
    let address = email.parse().map_err(|e| ApiError::Internal(format!("address {email:?}: {e}")))?;
    Ok(Mailbox::new(name.map(one_line), address))
}

/// Mails a public reply (a `email.reply` job); what happened, for the job's record.
pub async fn deliver(state: &AppState, job: &Job) -> Result<String> {
    let (url, payload) = match relay_and_payload(state, job)? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    let (ticket_id, comment_id) =
        (payload["ticket_id"].as_i64().unwrap_or(0), payload["comment_id"].as_i64().unwrap_or(0));
    let mut conn = state.db.read().await?;
    let t = frontdesk_store::tickets::get(&mut conn, ticket_id).await?.ok_or(ApiError::NotFound)?;
    let comment = frontdesk_store::audits::list_comments(
        &mut conn,
        ticket_id,
        true,
        frontdesk_store::PageRequest::After { id: Some(comment_id - 1), size: 1 },
    )
    .await?
    .items
    .into_iter()
    .find(|c| c.id == comment_id)
    .ok_or(ApiError::NotFound)?;
    let cc =
        frontdesk_store::tickets::collaborators(&mut conn, &[ticket_id]).await?.remove(&ticket_id).unwrap_or_default();
    // The CCs (followers get no copy), without the requester and the reply's author.
    let ids: Vec<i64> = cc
        .iter()
        .filter(|(u, k)| k != "follower" && *u != t.requester_id && *u != comment.author_id)
        .map(|(u, _)| *u)
        .collect();
    let copied = frontdesk_store::users::get_many(&mut conn, &ids).await?;
    let from = support_sender(&mut conn).await?;
    let (requester, to) = match reachable(&mut conn, t.requester_id).await? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    // In the requester's language (their locale, else the account's), with the footer that
    // says how to answer.
    let account = frontdesk_store::account::get(&mut conn).await?;
    drop(conn);
    let locale = mail_locale(&[requester.locale.as_deref(), Some(account.locale.as_str())]);
    let customer = requester.role == frontdesk_domain::Role::EndUser;
    let (text, html) = ticket_mail(
        state,
        locale,
        &account.name,
        ticket_id,
        customer,
        comment.plain_body.clone(),
        comment.html_body.clone(),
    )?;
    let b = lettre::Message::builder()
        .from(from.clone())
        .reply_to(from)
        .to(mailbox(Some(&requester.name), &to)?)
        .subject(one_line(&format!("[#{ticket_id}] {}", t.subject.clone().unwrap_or_default())));
    let (mut b, id) = threaded(state, b, ticket_id, comment_id).await?;
    let copied: Vec<&frontdesk_store::users::User> = copied.iter().filter(|u| u.email.is_some()).collect();
    // The campaign's own message (not later replies on its ticket), to the customer alone: they
    // can opt out of campaigns in one click (RFC 8058). With CCs it would let them do it too.
    if payload["campaign"] == true && copied.is_empty() {
        let secret =
            crate::app::links::new_link(state, t.requester_id, None, frontdesk_store::presence::UNSUBSCRIBE).await?;
        let link = crate::app::links::link_url(state.public_url(), frontdesk_store::presence::UNSUBSCRIBE, &secret);
        b = b
            .raw_header(header("List-Unsubscribe", format!("<{link}>")))
            .raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()));
    }
    for u in copied {
        b = b.cc(mailbox(Some(&u.name), u.email.as_deref().unwrap_or_default())?);
    }
    send(state, &url, alternative(b, text, html)?).await?;
    Ok(format!("sent to {to} as <{id}>"))
}

/// The message with its text and HTML parts.
fn alternative(b: lettre::message::MessageBuilder, text: String, html: String) -> Result<lettre::Message> {
    b.multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| ApiError::Internal(format!("building the mail: {e}")))
}

/// Marks mail as automatic (RFC 3834: mail we send on our own says so, so that other systems
/// do not answer it) and as ours (`X-Loop`), so that our own mail come back is known.
fn automatic(b: lettre::message::MessageBuilder) -> lettre::message::MessageBuilder {
    b.raw_header(header("Auto-Submitted", "auto-generated".into())).raw_header(header("X-Loop", X_LOOP.into()))
}

/// Makes a mail about a ticket thread: our Message-ID carries the ticket's reply token (so
/// an answer naming it threads back), and In-Reply-To/References name the message that opened
/// the ticket, when mail did. Returns the builder and the Message-ID.
async fn threaded(
    state: &AppState,
    b: lettre::message::MessageBuilder,
    ticket_id: i64,
    comment_id: i64,
) -> Result<(lettre::message::MessageBuilder, String)> {
    let fresh = hex::encode(rand::thread_rng().r#gen::<[u8; 8]>());
    let mut conn = state.db.read().await?;
    let first = frontdesk_store::email::first_message_id(&mut conn, ticket_id).await?;
    let known = frontdesk_store::email::reply_token_of(&mut conn, ticket_id).await?;
    drop(conn);
    // Made once, on the ticket's first mail: later mail reads it without taking the writer.
    let token = match known {
        Some(token) => token,
        None => crate::app::outbound::reply_token(state, ticket_id, &fresh).await?,
    };
    // A notification (no comment) gets a fresh part of its own, so its id is unique.
    let part = if comment_id > 0 { comment_id.to_string() } else { format!("n{fresh}") };
    let id = crate::app::email::message_id(ticket_id, &token, &part);
    let mut b = b.message_id(Some(format!("<{id}>")));
    if let Some(first) = &first {
        let reference = format!("<{}>", first.trim_matches(['<', '>']));
        b = b.in_reply_to(reference.clone()).references(reference);
    }
    Ok((b, id))
}

/// Hands a message to the relay.
async fn send(state: &AppState, url: &str, mut message: lettre::Message) -> Result<()> {
    if let Some(key) = &state.config.dkim {
        let domain = message.envelope().from().map(|a| a.domain().to_string()).unwrap_or_default();
        let present: Vec<&'static str> =
            DKIM_SIGNED.iter().copied().filter(|h| message.headers().get_raw(h).is_some()).collect();
        message.sign(&dkim_config(key, &domain, &present).map_err(|e| ApiError::Internal(format!("DKIM: {e}")))?);
    }
    let transport = transport(url, state.config.smtp_relay_ca.as_deref())?;
    transport.send(message).await.map_err(|e| ApiError::Internal(format!("SMTP: {e}")))?;
    Ok(())
}

/// The sender of mail that is not about a ticket: the default support address.
async fn support_sender(conn: &mut frontdesk_store::AnyConnection) -> Result<Mailbox> {
    let addresses = frontdesk_store::email::addresses(conn).await?;
    match addresses.iter().find(|a| a.is_default == 1).or(addresses.first()) {
        Some(a) => mailbox(Some(&a.name), &a.email),
        None => mailbox(Some("Support"), "support@localhost"),
    }
}

/// The relay mail goes to and the job's payload, or why nothing is sent (no relay).
fn relay_and_payload(state: &AppState, job: &Job) -> Result<std::result::Result<(String, Value), String>> {
    let Some(url) = state.config.smtp_relay.clone() else {
        return Ok(Err("not sent: no SMTP relay configured (serve --smtp-relay)".into()));
    };
    let payload = job.payload()?;
    Ok(Ok((url, payload)))
}

/// The user `id` with the address mail can go to, or why none can (gone, suspended, no
/// address, bounced), for the job's record.
async fn reachable(
    conn: &mut frontdesk_store::AnyConnection,
    id: i64,
) -> Result<std::result::Result<(frontdesk_store::users::User, String), String>> {
    let Some(user) = frontdesk_store::users::get(conn, id).await? else {
        return Ok(Err(format!("not sent: user {id} is gone")));
    };
    let Some(email) = user.email.clone().filter(|_| user.active == 1 && user.suspended == 0) else {
        return Ok(Err(format!("not sent: user {id} is suspended, deleted or has no email address")));
    };
    if frontdesk_store::users::is_undeliverable(conn, &email).await? {
        return Ok(Err(format!("not sent: {email} has bounced (undeliverable)")));
    }
    Ok(Ok((user, email)))
}

/// The language of a mail: the first of `choices` that names one we speak, else English.
fn mail_locale(choices: &[Option<&str>]) -> frontdesk_domain::Locale {
    choices
        .iter()
        .flatten()
        .find_map(|l| frontdesk_domain::Locale::parse(l).ok())
        .unwrap_or(frontdesk_domain::Locale::EnUs)
}

/// Mails a one-time link (a `email.link` job) in the user's language: their locale, else the
/// language of the page they asked from. A proof link goes to the claimed address itself, not
/// to the account's.
pub async fn deliver_link(state: &AppState, job: &Job) -> Result<String> {
    use frontdesk_store::presence::{RESET, SIGN_IN, VERIFY};
    let (url, payload) = match relay_and_payload(state, job)? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    let user_id = payload["user_id"].as_i64().unwrap_or(0);
    let purpose = match payload["purpose"].as_str() {
        Some(SIGN_IN) => SIGN_IN,
        Some(VERIFY) => VERIFY,
        _ => RESET,
    };
    let mut conn = state.db.read().await?;
    let (user, mut email) = match reachable(&mut conn, user_id).await? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    let mut link_purpose = purpose.to_string();
    if purpose == VERIFY {
        let id = payload["identity_id"].as_i64().unwrap_or(0);
        let claim = frontdesk_store::users::identity(&mut conn, user_id, id).await?;
        let Some(claim) = claim.filter(|i| i.proof_pending == 1) else {
            return Ok(format!("not sent: identity {id} is gone or already proven"));
        };
        email = claim.value;
        link_purpose = format!("{VERIFY}:{id}");
    }
    let account = frontdesk_store::account::get(&mut conn).await?;
    let from = support_sender(&mut conn).await?;
    drop(conn);
    let locale = mail_locale(&[user.locale.as_deref(), payload["locale"].as_str(), Some(account.locale.as_str())]);
    let cap = crate::app::links::LINKS_PER_HOUR;
    let Some(secret) = crate::app::links::new_link_within(state, user_id, None, &link_purpose, Some(cap)).await? else {
        return Ok(format!("not sent: {email} was sent {cap} links in the last hour"));
    };
    let link = crate::app::links::link_url(state.public_url(), purpose, &secret);
    let ctx = minijinja::context! { name => user.name.clone(), account => account.name.clone(), link, purpose, email => email.clone() };
    let render = |name: &str| {
        crate::ui::render_string(name, locale, ctx.clone()).map_err(|e| ApiError::Internal(format!("{name}: {e}")))
    };
    let (text, html) = (render("mail_link.txt")?, render("mail_link.html")?);
    let subject_key = match purpose {
        SIGN_IN => "mail-sign-in-subject",
        VERIFY => "mail-verify-subject",
        _ => "mail-reset-subject",
    };
    let subject = crate::i18n::tr(locale, subject_key, &[("account", account.name.clone().into())]);
    let b = lettre::Message::builder().from(from).to(mailbox(Some(&user.name), &email)?).subject(one_line(&subject));
    send(state, &url, alternative(automatic(b), text, html)?).await?;
    Ok(format!("{purpose} link sent to {email}"))
}

pub use frontdesk_mail::X_LOOP;

/// A header of ours (a fixed name; the value never holds a line break).
fn header(name: &'static str, value: String) -> lettre::message::header::HeaderValue {
    use lettre::message::header::{HeaderName, HeaderValue};
    HeaderValue::new(HeaderName::new_from_ascii_str(name), one_line(&value))
}

/// Automatic mails one address gets in an hour, at most.
pub const AUTOMATIC_PER_HOUR: i64 = 10;

/// Mails a trigger's notification (a `notification` job, one recipient) in the recipient's
/// language, marked as automatic, threaded like a reply, and at most [`AUTOMATIC_PER_HOUR`]
/// an hour to one customer address.
pub async fn deliver_notification(state: &AppState, job: &Job) -> Result<String> {
    let (url, payload) = match relay_and_payload(state, job)? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    let ticket_id = payload["ticket_id"].as_i64().unwrap_or(0);
    let recipient = payload["recipient"].as_i64().unwrap_or(0);
    let (subject, body) = (payload["subject"].as_str().unwrap_or(""), payload["body"].as_str().unwrap_or(""));
    let mut conn = state.db.read().await?;
    let (user, email) = match reachable(&mut conn, recipient).await? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    let account = frontdesk_store::account::get(&mut conn).await?;
    let from = support_sender(&mut conn).await?;
    drop(conn);
    let customer = user.role == frontdesk_domain::Role::EndUser;
    let locale = mail_locale(&[user.locale.as_deref(), Some(account.locale.as_str())]);
    // The rule's body came out of its placeholders HTML-escaped: the text part reads it back
    // (its subject is text already).
    let text_body = frontdesk_domain::text::html_to_plain(body);
    let html_body = frontdesk_domain::text::sanitize_html(&body.replace('\n', "<br>\n"));
    let (text, html) = ticket_mail(state, locale, &account.name, ticket_id, customer, text_body, html_body)?;
    let b = lettre::Message::builder()
        .from(from.clone())
        .reply_to(from)
        .to(mailbox(Some(&user.name), &email)?)
        .subject(one_line(subject));
    let (b, id) = threaded(state, automatic(b), ticket_id, 0).await?;
    let message = alternative(b, text, html)?;
    // A customer's slot for this hour is taken just before the mail goes (under the
    // addressee's lock, so two workers cannot both take the last one), and given back if it
    // does not go.
    let slot = if customer {
        let taken = crate::app::outbound::take_automatic_slot(
            state,
            user.id,
            &email,
            AUTOMATIC_PER_HOUR,
            "notification",
            ticket_id,
        )
        .await?;
        let Some(slot) = taken else {
            return Ok(format!("not sent: {email} had {AUTOMATIC_PER_HOUR} automatic mails in the last hour"));
        };
        Some(slot)
    } else {
        None
    };
    if let Err(e) = send(state, &url, message).await {
        if let Some(slot) = slot {
            crate::app::outbound::give_back_slot(state, slot).await?;
        }
        return Err(e);
    }
    Ok(format!("sent to {email} as <{id}>"))
}

/// A mail about a ticket in the reader's language, as text and HTML: the body (already
/// sanitised HTML), then a footer that says how to answer and links to the ticket (the
/// portal's page for a customer, the workspace's for staff).
fn ticket_mail(
    state: &AppState,
    locale: frontdesk_domain::Locale,
    account: &str,
    ticket_id: i64,
    customer: bool,
    text_body: String,
    html_body: String,
) -> Result<(String, String)> {
    let path = if customer { format!("/portal/requests/{ticket_id}") } else { format!("/agent/tickets/{ticket_id}") };
    let ctx = minijinja::context! {
        account, ticket_id, customer, link => format!("{}{path}", state.public_url()), text_body, html_body,
    };
    let render = |name: &str| {
        crate::ui::render_string(name, locale, ctx.clone()).map_err(|e| ApiError::Internal(format!("{name}: {e}")))
    };
    Ok((render("mail_ticket.txt")?, render("mail_ticket.html")?))
}

/// The headers a DKIM signature covers, those of them a mail has: RFC 8058 asks that both
/// List-Unsubscribe headers be signed for one-click unsubscribe to be offered.
const DKIM_SIGNED: [&str; 13] = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Auto-Submitted",
    "MIME-Version",
];

/// Reads the DKIM key file and tries it as the sender takes it, so a bad key stops the server
/// at start, not at the first mail.
pub fn load_dkim(path: &std::path::Path, selector: &str, domain: Option<String>) -> anyhow::Result<DkimKey> {
    let key = DkimKey::load(path, selector, domain)?;
    dkim_config(&key, "example.com", &["From"]).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(key)
}

/// The signing set-up lettre takes for `key`, for mail from `from_domain` signing `signed`.
pub fn dkim_config(
    key: &DkimKey,
    from_domain: &str,
    signed: &[&'static str],
) -> std::result::Result<lettre::message::dkim::DkimConfig, String> {
    use lettre::message::dkim::{
        DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
    };
    use lettre::message::header::HeaderName;
    let algorithm = match key.algorithm {
        DkimAlgorithm::Rsa => DkimSigningAlgorithm::Rsa,
        DkimAlgorithm::Ed25519 => DkimSigningAlgorithm::Ed25519,
    };
    let signing = DkimSigningKey::new(&key.key, algorithm).map_err(|e| format!("the DKIM key does not load: {e}"))?;
    let headers = signed.iter().copied().map(HeaderName::new_from_ascii_str).collect();
    let relaxed = DkimCanonicalizationType::Relaxed;
    Ok(DkimConfig::new(
        key.selector.clone(),
        key.domain.clone().unwrap_or_else(|| from_domain.to_string()),
        signing,
        headers,
        DkimCanonicalization { header: relaxed, body: relaxed },
    ))
}

/// Tells an admin (an `email.kept_notice` job, one admin) that a message could not become a
/// ticket and was kept to be tried again: who sent it, its subject, why, and where to read it.
pub async fn deliver_kept_notice(state: &AppState, job: &Job) -> Result<String> {
    let (url, payload) = match relay_and_payload(state, job)? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    let id = payload["inbound_id"].as_i64().unwrap_or(0);
    let mut conn = state.db.read().await?;
    let (admin, email) = match reachable(&mut conn, payload["recipient"].as_i64().unwrap_or(0)).await? {
        Ok(found) => found,
        Err(why) => return Ok(why),
    };
    let Some(kept) = frontdesk_store::email::get(&mut conn, id).await? else {
        return Ok(format!("not sent: message {id} is gone"));
    };
    let account = frontdesk_store::account::get(&mut conn).await?;
    let from = support_sender(&mut conn).await?;
    drop(conn);
    let locale = mail_locale(&[admin.locale.as_deref(), Some(account.locale.as_str())]);
    let unknown = || crate::i18n::tr(locale, "mail-kept-unknown", &[]);
    let args = [
        ("sender", kept.sender.clone().unwrap_or_else(unknown).into()),
        ("subject", kept.subject.clone().unwrap_or_else(unknown).into()),
        ("reason", kept.reason.clone().into()),
        ("link", format!("{}/api/v2/inbound_emails/{id}/raw", state.public_url()).into()),
    ];
    let subject = crate::i18n::tr(locale, "mail-kept-subject", &[("account", account.name.clone().into())]);
    let body = crate::i18n::tr(locale, "mail-kept-body", &args);
    let b = lettre::Message::builder().from(from).to(mailbox(Some(&admin.name), &email)?).subject(one_line(&subject));
    let message = automatic(b)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| ApiError::Internal(format!("building the mail: {e}")))?;
    send(state, &url, message).await?;
    Ok(format!("kept-message notice for message {id} sent to {email}"))
}
