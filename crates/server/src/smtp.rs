//! The built-in SMTP receiver (`serve --smtp-bind`): takes mail for the support addresses and
//! hands each message to the inbound pipeline (`app::email::receive`), the same one the mail
//! gateway uses. Each connection is its own task, with a size limit and an idle timeout, so
//! one slow or huge message never holds up another.
//!
//! Only the receiving side of RFC 5321 a mail exchanger needs: EHLO/HELO, MAIL, RCPT, DATA
//! (dot-unstuffed), RSET, NOOP, VRFY (not answered), QUIT, and STARTTLS (RFC 3207) when a
//! certificate is configured (`--smtp-tls-cert`, `--smtp-tls-key`).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::State;

/// Longest command line accepted (RFC 5321 allows 512 octets; some clients send a little more).
const MAX_LINE: usize = 2048;
const MAX_RECIPIENTS: usize = 100;
const IDLE: Duration = Duration::from_secs(300);

/// The TLS side of STARTTLS, from a PEM certificate chain and its PEM private key.
pub fn acceptor(cert: &std::path::Path, key: &std::path::Path) -> anyhow::Result<TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading the certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading the certificate {}", cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no certificate", cert.display());
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading the key {}", key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the SMTP certificate and key do not go together")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

pub fn spawn(
    state: State,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let (state, tls) = (state.clone(), tls.clone());
                        tokio::spawn(async move {
                            if let Err(e) = session(state, stream, peer.ip(), tls).await {
                                tracing::debug!(%peer, error = %e, "SMTP session ended");
                            }
                        });
                    }
                    Err(e) => tracing::warn!(error = %e, "SMTP accept failed"),
                },
                _ = stop.changed() => return,
            }
        }
    })
}

/// Reads one line (up to `MAX_LINE`), without its CRLF; `None` at the end of the stream.
async fn line<S: AsyncRead + Unpin>(r: &mut BufReader<S>, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    let n = tokio::time::timeout(IDLE, r.read_until(b'\n', buf))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle"))??;
    if n == 0 {
        return Ok(None);
    }
    let too_long = buf.len() > MAX_LINE;
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(too_long))
}

/// The address inside `<…>` of a MAIL or RCPT argument.
fn angle(arg: &str) -> Option<String> {
    let start = arg.find('<')? + 1;
    let end = arg[start..].find('>')? + start;
    Some(arg[start..end].trim().to_string())
}

async fn session(state: State, stream: TcpStream, peer: IpAddr, tls: Option<TlsAcceptor>) -> anyhow::Result<()> {
    // Replies are small and each waits on the client's next command: without this, Nagle's
    // algorithm and delayed ACKs hold every reply for tens of milliseconds.
    stream.set_nodelay(true)?;
    let mut io = BufReader::new(stream);
    io.write_all(b"220 frontdesk ESMTP ready\r\n").await?;
    let Some(acceptor) = tls else { return conversation(&state, io, peer, false).await.map(|_| ()) };
    let Some(io) = conversation(&state, io, peer, true).await? else { return Ok(()) };
    // Anything the client sent after STARTTLS, before the handshake, is dropped unread by
    // design (RFC 3207 §5): `conversation` refuses to upgrade when something was buffered.
    let secure = tokio::time::timeout(IDLE, acceptor.accept(io)).await??;
    conversation(&state, BufReader::new(secure), peer, false).await.map(|_| ())
}

/// One SMTP conversation over `io`. With `offer_tls`, EHLO offers STARTTLS, and a client that
/// takes it gets the plain stream back (to be wrapped in TLS, where the conversation starts
/// over, as RFC 3207 says).
#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
async fn conversation<S: AsyncRead + AsyncWrite + Unpin>(
    state: &State,
    mut io: BufReader<S>,
    peer: IpAddr,
    offer_tls: bool,
) -> anyhow::Result<Option<S>> {
    let max = state.config.smtp_max_size;
    let mut buf = Vec::new();
    // The client's HELO/EHLO name, for the SPF check.
    let mut helo = String::new();
    let mut from: Option<String> = None;
    let mut rcpt: Vec<String> = Vec::new();
    loop {
        let Some(too_long) = line(&mut io, &mut buf).await? else { return Ok(None) };
        if too_long {
            io.write_all(b"500 5.5.2 Line too long\r\n").await?;
            continue;
        }
        let text = String::from_utf8_lossy(&buf).to_string();
        let (verb, arg) = match text.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
            None => (text.trim().to_ascii_uppercase(), String::new()),
        };
        let reply: String = match verb.as_str() {
            "EHLO" => {
                helo = arg.clone();
                let tls = if offer_tls { "250-STARTTLS\r\n" } else { "" };
                format!("250-frontdesk\r\n{tls}250-SIZE {max}\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n")
            }
            "STARTTLS" if !offer_tls => "502 5.5.1 TLS is not available here\r\n".into(),
            "STARTTLS" if !io.buffer().is_empty() => {
                // Commands pipelined after STARTTLS would cross into the secure session.
                io.write_all(b"501 5.5.1 Nothing may follow STARTTLS before the handshake\r\n").await?;
                return Ok(None);
            }
            "STARTTLS" => {
                io.write_all(b"220 2.0.0 Ready to start TLS\r\n").await?;
                io.flush().await?;
                return Ok(Some(io.into_inner()));
            }
            "HELO" => {
                helo = arg.clone();
                "250 frontdesk\r\n".into()
            }
            "MAIL" => {
                let size = arg
                    .to_ascii_uppercase()
                    .split_whitespace()
                    .find_map(|p| p.strip_prefix("SIZE=").and_then(|n| n.parse::<usize>().ok()));
                match (angle(&arg), size) {
                    (_, Some(n)) if n > max => format!("552 5.3.4 Message larger than {max} bytes\r\n"),
                    (Some(a), _) => {
                        from = Some(a);
                        rcpt.clear();
                        "250 2.1.0 OK\r\n".into()
                    }
                    (None, _) => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".into(),
                }
            }
            "RCPT" => match (&from, angle(&arg)) {
                (None, _) => "503 5.5.1 MAIL first\r\n".into(),
                (_, None) => "501 5.5.4 Syntax: RCPT TO:<address>\r\n".into(),
                (Some(_), Some(_)) if rcpt.len() >= MAX_RECIPIENTS => "452 4.5.3 Too many recipients\r\n".into(),
                (Some(_), Some(a)) => match is_support_address(state, &a).await {
                    Ok(true) => {
                        rcpt.push(a);
                        "250 2.1.5 OK\r\n".into()
                    }
                    Ok(false) => format!("550 5.1.1 <{a}> is not a support address here\r\n"),
                    Err(_) => "451 4.3.0 Try again later\r\n".into(),
                },
            },
            "DATA" if from.is_none() || rcpt.is_empty() => "503 5.5.1 RCPT first\r\n".into(),
            "DATA" => {
                io.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                io.flush().await?;
                let (message, fits) = data(&mut io, max).await?;
                let reply = if !fits {
                    format!("552 5.3.4 Message larger than {max} bytes\r\n")
                } else {
                    let envelope = crate::sender_auth::Envelope {
                        ip: peer,
                        helo: helo.clone(),
                        mail_from: from.clone().unwrap_or_default(),
                    };
                    match crate::app::email::take_in_or_keep(state, &message, &rcpt, Some(&envelope)).await {
                        Ok(o) => format!("250 2.0.0 {}: {}\r\n", o.outcome, o.reason.replace(['\r', '\n'], " ")),
                        Err(e) => {
                            tracing::warn!(error = %e, "taking in a message failed");
                            "451 4.3.0 Try again later\r\n".into()
                        }
                    }
                };
                from = None;
                rcpt.clear();
                reply
            }
            "RSET" => {
                from = None;
                rcpt.clear();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "VRFY" => "252 2.5.0 Cannot verify\r\n".into(),
            "QUIT" => {
                io.write_all(b"221 2.0.0 Bye\r\n").await?;
                io.flush().await?;
                return Ok(None);
            }
            _ => "502 5.5.1 Command not implemented\r\n".into(),
        };
        io.write_all(reply.as_bytes()).await?;
        io.flush().await?;
    }
}

/// Reads a message up to the lone dot, dot-unstuffed; past `max` bytes the rest is read and
/// dropped (the answer is then 552).
async fn data<S: AsyncRead + Unpin>(r: &mut BufReader<S>, max: usize) -> anyhow::Result<(Vec<u8>, bool)> {
    let mut message = Vec::new();
    let mut fits = true;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let n = tokio::time::timeout(IDLE, r.read_until(b'\n', &mut raw)).await??;
        if n == 0 {
            anyhow::bail!("the connection closed in DATA");
        }
        let content = raw.strip_suffix(b"\r\n").or_else(|| raw.strip_suffix(b"\n")).unwrap_or(&raw);
        if content == b"." {
            return Ok((message, fits));
        }
        let content = content.strip_prefix(b".").unwrap_or(content);
        if fits && message.len() + content.len() + 2 > max {
            fits = false;
            message = Vec::new();
        }
        if fits {
            message.extend_from_slice(content);
            message.extend_from_slice(b"\r\n");
        }
    }
}

async fn is_support_address(state: &State, address: &str) -> crate::error::Result<bool> {
    let mut conn = state.db.read().await?;
    let list = frontdesk_store::email::addresses(&mut conn).await?;
    Ok(list.is_empty() || list.iter().any(|a| a.email.eq_ignore_ascii_case(address)))
}
