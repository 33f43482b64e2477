//! Webhook delivery: a rule's call becomes a job (enqueued with the ticket change), delivered
//! here with a signature, retried by the job runner with backoff, and refused for loopback and
//! private addresses unless the operator allows them (so a rule cannot probe the network the
//! server sits in). The address checked is the address connected to: no DNS rebinding.
//!
//! Signature (Zendesk's scheme, so existing receivers verify it unchanged):
//! `X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, timestamp + body))` with the
//! timestamp in `X-Zendesk-Webhook-Signature-Timestamp`. `X-Frontdesk-Delivery` stays the same
//! across retries, so a receiver can drop a repeat.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use frontdesk_store::jobs::Job;
use frontdesk_store::rules as store;

use crate::AppState;
use crate::error::{ApiError, Result};

/// Whether an address is one a webhook may not reach without the operator's leave.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]) // carrier-grade NAT
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link local
        }
    }
}

/// The address to connect to for `url`, refused when private and not allowed.
pub async fn resolve(url: &reqwest::Url, allow_private: bool) -> std::result::Result<SocketAddr, String> {
    let host = url.host_str().ok_or("no host")?;
    let port = url.port_or_known_default().ok_or("no port")?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let first = addrs.first().copied().ok_or_else(|| format!("{host} has no address"))?;
    if !allow_private && let Some(bad) = addrs.iter().find(|a| is_private(a.ip())) {
        return Err(format!(
            "{host} resolves to {} (a loopback or private address): refused; the operator may allow it with \
             --webhook-allow-private",
            bad.ip()
        ));
    }
    Ok(first)
}

/// `base64(HMAC-SHA256(secret, timestamp + body))`.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Delivers one webhook job; an error makes the runner retry it later.
pub async fn deliver(state: &AppState, job: &Job) -> Result<String> {
    let payload = job.payload()?;
    let id = payload["webhook_id"].as_i64().unwrap_or(0);
    let mut conn = state.db.read().await?;
    let Some(hook) = store::webhook(&mut conn, id).await? else {
        return Ok(format!("webhook {id} was deleted: nothing sent"));
    };
    drop(conn);
    if hook.status != "active" {
        return Ok(format!("webhook {id} is inactive: nothing sent"));
    }
    let url = crate::app::webhooks::check_endpoint(&hook.endpoint)?;
    let addr = resolve(&url, state.config.webhook_allow_private).await.map_err(ApiError::Internal)?;
    let host = url.host_str().unwrap_or_default().to_string();
    let client = reqwest::Client::builder()
        .resolve(&host, addr)
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let body = payload["body"].as_str().unwrap_or("").to_string();
    let timestamp = crate::clock::iso(state.now());
    let method =
        reqwest::Method::from_bytes(hook.http_method.to_uppercase().as_bytes()).unwrap_or(reqwest::Method::POST);
    let content_type = match hook.request_format.as_str() {
        "xml" => "application/xml",
        "form_encoded" => "application/x-www-form-urlencoded",
        _ => "application/json",
    };
    let res = client
        .request(method, url)
        .header("Content-Type", content_type)
        .header("X-Zendesk-Webhook-Signature", signature(&hook.signing_secret, &timestamp, &body))
        .header("X-Zendesk-Webhook-Signature-Timestamp", &timestamp)
        .header("X-Zendesk-Webhook-Id", hook.id.to_string())
        .header("X-Frontdesk-Delivery", job.id.to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| ApiError::Internal(format!("webhook {id}: {e}")))?;
    let status = res.status();
    if !status.is_success() {
        return Err(ApiError::Internal(format!("webhook {id}: the receiver answered {status}")));
    }
    Ok(format!("delivered: {status}"))
}
