//! The built-in SMTP receiver (`serve --smtp-bind`): takes mail for the support addresses and
//! hands each message to the inbound pipeline (`app::email::receive`), the same one the mail
//! gateway uses. Each connection is its own task, with a size limit and an idle timeout, so
//! one slow or huge message never holds up another.
//!
//! Only the receiving side of RFC 5321 a mail exchanger needs: EHLO/HELO, MAIL, RCPT, DATA
//! (dot-unstuffed), RSET, NOOP, VRFY (not answered), QUIT.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::State;

/// Longest command line accepted (RFC 5321 allows 512 octets; some clients send a little more).
const MAX_LINE: usize = 2048;
const MAX_RECIPIENTS: usize = 100;
const IDLE: Duration = Duration::from_secs(300);

pub fn spawn(state: State, listener: TcpListener, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let state = state.clone();
                        tokio::spawn(async move {
                            if let Err(e) = session(state, stream).await {
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
async fn line(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
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

async fn session(state: State, stream: TcpStream) -> anyhow::Result<()> {
    // Replies are small and each waits on the client's next command: without this, Nagle's
    // algorithm and delayed ACKs hold every reply for tens of milliseconds.
    stream.set_nodelay(true)?;
    let max = state.config.smtp_max_size;
    let (read, mut write) = stream.into_split();
    let mut r = BufReader::new(read);
    write.write_all(b"220 frontdesk ESMTP ready\r\n").await?;
    let mut buf = Vec::new();
    let mut from: Option<String> = None;
    let mut rcpt: Vec<String> = Vec::new();
    loop {
        let Some(too_long) = line(&mut r, &mut buf).await? else { return Ok(()) };
        if too_long {
            write.write_all(b"500 5.5.2 Line too long\r\n").await?;
            continue;
        }
        let text = String::from_utf8_lossy(&buf).to_string();
        let (verb, arg) = match text.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
            None => (text.trim().to_ascii_uppercase(), String::new()),
        };
        let reply: String = match verb.as_str() {
            "EHLO" => format!("250-frontdesk\r\n250-SIZE {max}\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"),
            "HELO" => "250 frontdesk\r\n".into(),
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
                (Some(_), Some(a)) => match is_support_address(&state, &a).await {
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
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let (message, fits) = data(&mut r, max).await?;
                let reply = if !fits {
                    format!("552 5.3.4 Message larger than {max} bytes\r\n")
                } else {
                    match crate::app::email::take_in(&state, &message, &rcpt).await {
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
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.1 Command not implemented\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// Reads a message up to the lone dot, dot-unstuffed; past `max` bytes the rest is read and
/// dropped (the answer is then 552).
async fn data(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, max: usize) -> anyhow::Result<(Vec<u8>, bool)> {
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
