//! Files on comments. A file arrives by the API (`POST /api/v2/uploads`, which answers with
//! an upload token) or in an inbound mail (its parts become an upload of their own); a
//! comment that names the token in `uploads` takes the files. Their type is sniffed from the
//! bytes, never taken from the sender, and they are always served as downloads.

use frontdesk_store::AnyConnection;
use frontdesk_store::attachments::{self as store, Attachment};

use super::in_tx;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiError, Result};

/// The largest file taken, in bytes (Zendesk's limit).
pub const MAX_FILE: usize = 50 * 1024 * 1024;
/// How long an upload waits for a comment to take it.
pub const UPLOAD_LIFETIME_SECS: i64 = 3 * 86_400;
/// The most files one comment (or one inbound mail) brings.
pub const MAX_FILES: usize = 100;

/// A random secret, as upload tokens and content-URL tokens are.
pub fn random_token() -> String {
    use rand::Rng;
    hex::encode(rand::thread_rng().r#gen::<[u8; 16]>())
}

/// A file name safe to store and to send back in a header: no path, no control characters,
/// no quotes, at most 255 characters; "attachment" when nothing is left.
pub fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String =
        base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|')).collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    if clean.is_empty() { "attachment".into() } else { clean.chars().take(255).collect() }
}

/// The type of a file, from its bytes: a known signature, else text when it is UTF-8 without
/// control characters, else `application/octet-stream`.
pub fn sniff(bytes: &[u8]) -> String {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type().to_string();
    }
    let head = &bytes[..bytes.len().min(8192)];
    let text = match std::str::from_utf8(head) {
        Ok(s) => Some(s),
        // A multi-byte character cut at the end of the sample is still text.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    match text {
        Some(t) if !t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}')) => {
            "text/plain".into()
        }
        _ => "application/octet-stream".into(),
    }
}

/// A file about to be stored.
pub struct NewFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub inline: bool,
    pub content_id: Option<String>,
    /// The secret of its content URL (made early, so a mail's HTML can point at it).
    pub access_token: String,
}

impl NewFile {
    pub fn new(name: &str, bytes: Vec<u8>) -> NewFile {
        NewFile { name: safe_name(name), bytes, inline: false, content_id: None, access_token: random_token() }
    }
}

/// Stores files under an upload token (a new one unless `token` is given); the token.
pub async fn store_upload(
    conn: &mut AnyConnection,
    files: &[NewFile],
    token: Option<&str>,
    by: Option<i64>,
    now: i64,
) -> Result<String> {
    let token = token.map(str::to_string).unwrap_or_else(random_token);
    for f in files {
        if f.bytes.len() > MAX_FILE {
            return Err(ApiError::TooLarge(MAX_FILE));
        }
        let a = Attachment {
            upload_token: Some(token.clone()),
            upload_expires_at: Some(now + UPLOAD_LIFETIME_SECS),
            file_name: f.name.clone(),
            content_type: sniff(&f.bytes),
            size: f.bytes.len() as i64,
            inline: i64::from(f.inline),
            content_id: f.content_id.clone(),
            access_token: f.access_token.clone(),
            created_by: by,
            created_at: now,
            ..Default::default()
        };
        store::insert(conn, &a, &f.bytes).await?;
    }
    Ok(token)
}

/// How much of a file [`sniff`] reads.
const SNIFFED: usize = 8192;

/// A file on its way in, written to a temporary file as it arrives, so that an upload is never
/// held whole in memory; the temporary file goes when this does.
pub struct Spooled {
    path: std::path::PathBuf,
    pub size: u64,
    /// Its first bytes, to sniff its type from.
    head: Vec<u8>,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Spooled {
    /// Reads a body into a temporary file, a piece at a time: `TooLarge` as soon as it passes
    /// `limit`, and a body that breaks off (or passes a limit of the server's) the same.
    pub async fn read<B: AsRef<[u8]>, E>(
        mut body: impl futures_util::Stream<Item = std::result::Result<B, E>> + Unpin,
        limit: usize,
    ) -> Result<Spooled> {
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let path = std::env::temp_dir().join(format!("frontdesk-upload-{}", random_token()));
        let mut out = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::Internal(format!("a temporary file for an upload: {e}")))?;
        let mut file = Spooled { path, size: 0, head: Vec::new() };
        while let Some(piece) = body.next().await {
            let piece = piece.map_err(|_| ApiError::TooLarge(limit))?;
            let piece = piece.as_ref();
            file.size += piece.len() as u64;
            if file.size > limit as u64 {
                return Err(ApiError::TooLarge(limit));
            }
            if file.head.len() < SNIFFED {
                file.head.extend_from_slice(&piece[..piece.len().min(SNIFFED - file.head.len())]);
            }
            out.write_all(piece).await.map_err(|e| ApiError::Internal(format!("writing an upload: {e}")))?;
        }
        out.flush().await.map_err(|e| ApiError::Internal(format!("writing an upload: {e}")))?;
        Ok(file)
    }

    /// Stores it under an upload token (a new one unless `token` is given), a chunk at a time;
    /// the token.
    pub async fn store(
        &self,
        conn: &mut AnyConnection,
        name: &str,
        access_token: &str,
        token: Option<&str>,
        by: Option<i64>,
        now: i64,
    ) -> Result<String> {
        use tokio::io::AsyncReadExt;
        let token = token.map(str::to_string).unwrap_or_else(random_token);
        let a = Attachment {
            upload_token: Some(token.clone()),
            upload_expires_at: Some(now + UPLOAD_LIFETIME_SECS),
            file_name: safe_name(name),
            content_type: sniff(&self.head),
            size: self.size as i64,
            access_token: access_token.to_string(),
            created_by: by,
            created_at: now,
            ..Default::default()
        };
        let id = store::insert_row(conn, &a).await?;
        let mut input = tokio::fs::File::open(&self.path)
            .await
            .map_err(|e| ApiError::Internal(format!("reading an upload back: {e}")))?;
        let mut buf = vec![0u8; store::CHUNK];
        for seq in 0.. {
            let mut filled = 0;
            while filled < buf.len() {
                let n = input
                    .read(&mut buf[filled..])
                    .await
                    .map_err(|e| ApiError::Internal(format!("reading an upload back: {e}")))?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 && seq > 0 {
                break;
            }
            store::put_chunk(conn, id, seq, &buf[..filled]).await?;
            if filled < buf.len() {
                break;
            }
        }
        Ok(token)
    }
}

/// Checks that every upload token names files waiting for a comment.
pub async fn check_uploads(conn: &mut AnyConnection, tokens: &[String], now: i64) -> Result<()> {
    for t in tokens {
        if store::pending(conn, t, now).await?.is_empty() {
            return Err(ApiError::invalid(
                "comment.uploads",
                format!("comment.uploads: {t:?} is not an upload token, or its files expired or were used"),
            )
            .msg("error-upload-token", &[]));
        }
    }
    Ok(())
}

/// The content URL of a file under `base` (scheme and host).
pub fn content_url(base: &str, a: &Attachment) -> String {
    let name: String = form_urlencoded::byte_serialize(a.file_name.as_bytes()).collect();
    format!("{base}/attachments/token/{}/?name={name}", a.access_token)
}

/// Whether the caller may see a file: staff; whoever uploaded it; a customer who can see its
/// ticket, for a public comment's file.
pub async fn visible(conn: &mut AnyConnection, actor: &Actor, a: &Attachment) -> Result<bool> {
    if actor.is_staff() || a.created_by == Some(actor.id()) {
        return Ok(true);
    }
    let (Some(ticket_id), Some(comment_id)) = (a.ticket_id, a.comment_id) else { return Ok(false) };
    if crate::tickets::load(conn, actor, ticket_id, false).await.is_err() {
        return Ok(false);
    }
    let comments = frontdesk_store::audits::list_comments(
        conn,
        ticket_id,
        true,
        frontdesk_store::PageRequest::After { id: Some(comment_id - 1), size: 1 },
    )
    .await?;
    Ok(comments.items.iter().any(|c| c.id == comment_id))
}

/// Keeps an uploaded file as a pending upload of `actor`'s (a new upload, or added to their
/// upload `given` while no comment has taken it), within their daily quota; hands back the
/// upload's token and its files.
pub async fn keep_upload(
    state: &AppState,
    actor: &Actor,
    file: &Spooled,
    name: &str,
    access_token: &str,
    given: Option<String>,
) -> Result<(String, Vec<Attachment>)> {
    let now = state.now();
    let quota = state.config.upload_quota;
    in_tx(state, async |tx| {
        store::delete_expired(tx, now).await?;
        if !actor.is_admin() {
            let used = store::bytes_uploaded_since(tx, actor.id(), now - 86_400).await?;
            if used as u64 + file.size > quota {
                return Err(ApiError::QuotaReached { quota });
            }
        }
        // Adding to an upload: only the one who made it, and only while no comment took it.
        if let Some(t) = &given {
            let mine = store::pending(tx, t, now).await?;
            if mine.is_empty() || mine.iter().any(|a| a.created_by != Some(actor.id())) {
                return Err(ApiError::invalid(
                    "token",
                    format!("token: {t:?} is not an upload of yours waiting for a comment"),
                ));
            }
        }
        let token = file.store(tx, name, access_token, given.as_deref(), Some(actor.id()), now).await?;
        let files = store::pending(tx, &token, now).await?;
        Ok((token, files))
    })
    .await
}

/// Deletes upload `token` before a comment takes it: its maker's, or staff's.
pub async fn delete_upload(state: &AppState, actor: &Actor, token: &str) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| {
        let files = store::pending(tx, token, now).await?;
        if files.is_empty() || !(actor.is_staff() || files.iter().all(|a| a.created_by == Some(actor.id()))) {
            return Err(ApiError::NotFound);
        }
        store::delete_upload(tx, token).await?;
        Ok(())
    })
    .await
}

/// Redacts file `id` of comment `comment_id` on ticket `ticket_id`: its bytes are gone for good.
pub async fn redact(state: &AppState, actor: &Actor, ticket_id: i64, comment_id: i64, id: i64) -> Result<Attachment> {
    in_tx(state, async |tx| {
        crate::tickets::load(tx, actor, ticket_id, true).await?;
        let a = store::get(tx, id).await?.ok_or(ApiError::NotFound)?;
        if a.ticket_id != Some(ticket_id) || a.comment_id != Some(comment_id) {
            return Err(ApiError::NotFound);
        }
        store::redact(tx, id).await?;
        store::get(tx, id).await?.ok_or(ApiError::NotFound)
    })
    .await
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_spooled_upload_stops_at_its_limit_and_leaves_no_file_behind() {
        let pieces = |n: usize| futures_util::stream::iter((0..n).map(|_| Ok::<_, std::io::Error>(vec![7u8; 1000])));
        let file = super::Spooled::read(pieces(5), 5000).await.unwrap();
        assert_eq!(file.size, 5000);
        let path = file.path.clone();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 5000);
        drop(file);
        assert!(!path.exists(), "the temporary file goes with it");
        assert!(matches!(super::Spooled::read(pieces(6), 5000).await, Err(crate::error::ApiError::TooLarge(5000))));
    }
}
