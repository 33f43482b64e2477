//! Offset and cursor pagination (`zendesk-api.md` §5) with absolute links.

use base64::Engine;
use serde_json::{Map, Value, json};

use frontdesk_store::{Page, PageRequest};

use super::extract::{Base, Params};
use crate::error::ApiError;
use frontdesk_edge::Result;

pub const MAX_PAGE_SIZE: i64 = 100;

#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub req: PageRequest,
    pub cursor: bool,
}

fn encode_cursor(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"id\":{id}}}"))
}

fn decode_cursor(raw: &str) -> Result<i64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .map_err(|_| ApiError::BadRequest(format!("Invalid cursor {raw:?}")))?;
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|_| ApiError::BadRequest(format!("Invalid cursor {raw:?}")))?;
    Ok(v.get("id").and_then(Value::as_i64).ok_or_else(|| ApiError::BadRequest(format!("Invalid cursor {raw:?}")))?)
}

impl Paging {
    /// Cursor paging when `page[size]` (or a cursor) is given, offset paging otherwise.
    pub fn from_params(p: &Params) -> Result<Paging> {
        Self::with_max(p, MAX_PAGE_SIZE)
    }

    pub fn with_max(p: &Params, max: i64) -> Result<Paging> {
        let size = p.int("page[size]")?;
        let after = p.get("page[after]").filter(|s| !s.is_empty());
        let before = p.get("page[before]").filter(|s| !s.is_empty());
        if size.is_some() || after.is_some() || before.is_some() {
            let size = size.unwrap_or(max).clamp(1, max);
            let req = match (after, before) {
                (_, Some(b)) => PageRequest::Before { id: decode_cursor(b)?, size },
                (Some(a), None) => PageRequest::After { id: Some(decode_cursor(a)?), size },
                (None, None) => PageRequest::After { id: None, size },
            };
            return Ok(Paging { req, cursor: true });
        }
        let per_page = p.int("per_page")?.unwrap_or(max).clamp(1, max);
        let page = p.int("page")?.unwrap_or(1).max(1);
        Ok(Paging { req: PageRequest::Offset { page, per_page }, cursor: false })
    }

    /// Only cursor paging (e.g. `ticket_audits`).
    pub fn cursor_only(p: &Params) -> Result<Paging> {
        let mut paging = Self::from_params(p)?;
        if let PageRequest::Offset { per_page, .. } = paging.req {
            paging = Paging { req: PageRequest::After { id: None, size: per_page }, cursor: true };
        }
        Ok(paging)
    }

    /// The list response: `{key: items, …paging keys}`.
    pub fn respond<T: frontdesk_store::sql::HasId>(
        &self,
        base: &Base,
        params: &Params,
        key: &str,
        items: Vec<Value>,
        page: &Page<T>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert(key.to_string(), Value::Array(items));
        let link = |set: &[(&str, String)]| -> String {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &params.pairs {
                if !set.iter().any(|(sk, _)| sk == k) && !k.starts_with("page[") && k != "page" {
                    ser.append_pair(k, v);
                }
            }
            for (k, v) in set {
                ser.append_pair(k, v);
            }
            format!("{}{}?{}", base.0, params.path, ser.finish())
        };
        match self.req {
            PageRequest::Offset { page: n, per_page } => {
                let pp = per_page.to_string();
                let next = page.has_more.then(|| link(&[("page", (n + 1).to_string()), ("per_page", pp.clone())]));
                let prev = (n > 1).then(|| link(&[("page", (n - 1).to_string()), ("per_page", pp.clone())]));
                out.insert("next_page".into(), json!(next));
                out.insert("previous_page".into(), json!(prev));
                out.insert("count".into(), json!(page.count.unwrap_or(0)));
            }
            PageRequest::After { size, .. } | PageRequest::Before { size, .. } => {
                let first = page.items.first().map(|t| encode_cursor(t.id()));
                let last = page.items.last().map(|t| encode_cursor(t.id()));
                let size = size.to_string();
                let is_before = matches!(self.req, PageRequest::Before { .. });
                // Going forward, "more" means more after; going back, we came from after.
                let more_after = if is_before { !page.items.is_empty() } else { page.has_more };
                let more_before = if is_before {
                    page.has_more
                } else {
                    matches!(self.req, PageRequest::After { id: Some(_), .. }) && !page.items.is_empty()
                };
                let next = match (&last, more_after) {
                    (Some(c), true) => Some(link(&[("page[after]", c.clone()), ("page[size]", size.clone())])),
                    _ => None,
                };
                let prev = match (&first, more_before) {
                    (Some(c), true) => Some(link(&[("page[before]", c.clone()), ("page[size]", size.clone())])),
                    _ => None,
                };
                out.insert(
                    "meta".into(),
                    json!({"has_more": more_after, "after_cursor": last, "before_cursor": first}),
                );
                out.insert("links".into(), json!({"next": next, "prev": prev}));
            }
        }
        out
    }
}
