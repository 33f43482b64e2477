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
    Ok(builder.build())
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
    let Some(url) = state.config.smtp_relay.clone() else {
        return Ok("not sent: no SMTP relay configured (serve --smtp-relay)".into());
    };
    let payload: Value = serde_json::from_str(&job.payload).map_err(|e| ApiError::Internal(e.to_string()))?;
    let (ticket_id, comment_id) =
        (payload["ticket_id"].as_i64().unwrap_or(0), payload["comment_id"].as_i64().unwrap_or(0));
    let fresh = hex::encode(rand::thread_rng().r#gen::<[u8; 8]>());
    let token =
        crate::app::in_tx(state, async |tx| Ok(frontdesk_store::email::reply_token(tx, ticket_id, &fresh).await?))
            .await?;
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
    let mut ids: Vec<i64> = cc.iter().filter(|(_, k)| k != "follower").map(|(u, _)| *u).collect();
    ids.push(t.requester_id);
    ids.push(comment.author_id);
    let people = frontdesk_store::users::get_many(&mut conn, &ids).await?;
    let addresses = frontdesk_store::email::addresses(&mut conn).await?;
    let first = frontdesk_store::email::first_message_id(&mut conn, ticket_id).await?;
    let from = addresses.iter().find(|a| a.is_default == 1).or(addresses.first());
    let from = match from {
        Some(a) => mailbox(Some(&a.name), &a.email)?,
        None => mailbox(Some("Support"), "support@localhost")?,
    };
    let requester = people.iter().find(|u| u.id == t.requester_id);
    let Some(to) = requester.and_then(|u| u.email.as_deref().map(|e| (u.name.as_str(), e))) else {
        return Ok("not sent: the requester has no email address".into());
    };
    if frontdesk_store::users::is_undeliverable(&mut conn, to.1).await? {
        return Ok(format!("not sent: {} has bounced (undeliverable)", to.1));
    }
    drop(conn);
    let id = crate::app::email::message_id(ticket_id, &token, comment_id);
    let mut b = lettre::Message::builder()
        .from(from.clone())
        .reply_to(from)
        .to(mailbox(Some(to.0), to.1)?)
        .subject(one_line(&format!("[#{ticket_id}] {}", t.subject.clone().unwrap_or_default())))
        .message_id(Some(format!("<{id}>")));
    for u in people
        .iter()
        .filter(|u| u.id != t.requester_id && u.id != comment.author_id && cc.iter().any(|(c, _)| *c == u.id))
    {
        if let Some(e) = &u.email {
            b = b.cc(mailbox(Some(&u.name), e)?);
        }
    }
    if let Some(first) = &first {
        let reference = format!("<{}>", first.trim_matches(['<', '>']));
        b = b.in_reply_to(reference.clone()).references(reference);
    }
    let message = b
        .multipart(MultiPart::alternative_plain_html(comment.plain_body.clone(), comment.html_body.clone()))
        .map_err(|e| ApiError::Internal(format!("building the mail: {e}")))?;
    send(state, &url, message).await?;
    Ok(format!("sent to {} as <{id}>", to.1))
}

/// Hands a message to the relay.
async fn send(state: &AppState, url: &str, message: lettre::Message) -> Result<()> {
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

/// Mails a one-time link (a `email.link` job) in the user's language: their locale, else the
/// language of the page they asked from.
pub async fn deliver_link(state: &AppState, job: &Job) -> Result<String> {
    use frontdesk_store::presence::SIGN_IN;
    let Some(url) = state.config.smtp_relay.clone() else {
        return Ok("not sent: no SMTP relay configured (serve --smtp-relay)".into());
    };
    let payload: Value = serde_json::from_str(&job.payload).map_err(|e| ApiError::Internal(e.to_string()))?;
    let user_id = payload["user_id"].as_i64().unwrap_or(0);
    let purpose = if payload["purpose"] == SIGN_IN { SIGN_IN } else { frontdesk_store::presence::RESET };
    let mut conn = state.db.read().await?;
    let Some(user) = frontdesk_store::users::get(&mut conn, user_id).await? else {
        return Ok("not sent: the user is gone".into());
    };
    let Some(email) = user.email.clone().filter(|_| user.active == 1 && user.suspended == 0) else {
        return Ok("not sent: the user is suspended, deleted or has no email address".into());
    };
    if frontdesk_store::users::is_undeliverable(&mut conn, &email).await? {
        return Ok(format!("not sent: {email} has bounced (undeliverable)"));
    }
    let account = frontdesk_store::account::get(&mut conn).await?;
    let from = support_sender(&mut conn).await?;
    drop(conn);
    let locale = [user.locale.as_deref(), payload["locale"].as_str(), Some(account.locale.as_str())]
        .into_iter()
        .flatten()
        .find_map(|l| frontdesk_domain::Locale::parse(l).ok())
        .unwrap_or(frontdesk_domain::Locale::EnUs);
    let cap = crate::ui::LINKS_PER_HOUR;
    let Some(secret) = crate::ui::new_link_within(state, user_id, None, purpose, Some(cap)).await? else {
        return Ok(format!("not sent: {email} was sent {cap} links in the last hour"));
    };
    let link = crate::ui::link_url(state.public_url(), purpose, &secret);
    let ctx = minijinja::context! { name => user.name.clone(), account => account.name.clone(), link, purpose };
    let render = |name: &str| {
        crate::ui::render_string(name, locale, ctx.clone()).map_err(|e| ApiError::Internal(format!("{name}: {e}")))
    };
    let (text, html) = (render("mail_link.txt")?, render("mail_link.html")?);
    let subject_key = if purpose == SIGN_IN { "mail-sign-in-subject" } else { "mail-reset-subject" };
    let subject = crate::ui::i18n::tr(locale, subject_key, &[("account", account.name.clone().into())]);
    let message = lettre::Message::builder()
        .from(from)
        .to(mailbox(Some(&user.name), &email)?)
        .subject(one_line(&subject))
        .raw_header(auto_submitted())
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| ApiError::Internal(format!("building the mail: {e}")))?;
    send(state, &url, message).await?;
    Ok(format!("{purpose} link sent to {email}"))
}

/// RFC 3834: mail we send on our own says so, so that other systems do not answer it.
fn auto_submitted() -> lettre::message::header::HeaderValue {
    use lettre::message::header::{HeaderName, HeaderValue};
    HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into())
}
