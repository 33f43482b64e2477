//! Who may call each route of the API: one table, read when the router is built. Every route
//! is wrapped in a check of its entry before its handler runs, so a handler that forgets its own
//! check still refuses; a route with no entry is refused to everyone but admins (and a test
//! fails until it has one). Handlers still narrow what an end user reaches of a route open to
//! them (their own requests, their own profile).

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::extract::Caller;
use crate::error::ApiError;

use Access::*;
pub use frontdesk_edge::Access;

/// `(methods, route pattern, access)`: the first entry whose method and pattern match wins; a
/// pattern ending in `*` matches every route under it; `*` as the method matches any.
const POLICY: &[(&str, &str, Access)] = &[
    ("GET", "/api/v2/openapi", Public),
    ("GET", "/attachments/token/*", Public),
    // users/me answers an anonymous caller as anonymous (a Zendesk quirk clients rely on).
    ("GET", "/api/v2/users/me", Public),
    // A customer's own requests, profile, identities and files.
    ("GET POST", "/api/v2/tickets", SignedIn),
    ("GET", "/api/v2/tickets/show_many", SignedIn),
    ("GET PUT", "/api/v2/tickets/{id}", SignedIn),
    ("GET", "/api/v2/tickets/{id}/comments", SignedIn),
    ("GET", "/api/v2/users/{id}/tickets/requested", SignedIn),
    ("GET", "/api/v2/users/{id}/tickets/ccd", SignedIn),
    ("GET", "/api/v2/organizations/{id}/tickets", SignedIn),
    ("GET", "/api/v2/organizations/{id}", SignedIn),
    ("PUT", "/api/v2/users/{id}/identities/{iid}/verify", Admin),
    ("GET PUT", "/api/v2/users/{id}", SignedIn),
    ("GET POST", "/api/v2/users/{id}/identities", SignedIn),
    ("GET PUT DELETE", "/api/v2/users/{id}/identities/{iid}", SignedIn),
    ("PUT", "/api/v2/users/{id}/identities/{iid}/make_primary", SignedIn),
    ("GET", "/api/v2/users/{id}/organizations", SignedIn),
    ("GET", "/api/v2/users/{id}/organization_memberships", SignedIn),
    ("GET", "/api/v2/users/{id}/permissions", SignedIn),
    ("POST", "/api/v2/uploads", SignedIn),
    ("DELETE", "/api/v2/uploads/{token}", SignedIn),
    ("GET", "/api/v2/attachments/{id}", SignedIn),
    // Proactive campaigns: agents with the permission.
    ("*", "/api/v2/campaigns*", Campaigns),
    ("PUT", "/api/v2/users/{id}/permissions", Admin),
    // The helpdesk's settings and its doors to the outside.
    ("*", "/api/v2/account/*", Admin),
    ("*", "/api/v2/api_tokens*", Admin),
    ("*", "/api/v2/recipient_addresses*", Admin),
    ("*", "/api/v2/inbound_email*", Admin),
    ("*", "/api/v2/mailboxes", Admin),
    ("*", "/api/v2/webhooks*", Admin),
    ("*", "/api/v2/failed_jobs", Admin),
    ("DELETE", "/api/v2/users/{id}", Admin),
    ("POST PUT DELETE PATCH", "/api/v2/groups*", Admin),
    ("POST PUT DELETE", "/api/v2/group_memberships*", Admin),
    ("PUT", "/api/v2/users/{uid}/group_memberships/{id}/make_default", Admin),
    ("POST PUT DELETE PATCH", "/api/v2/custom_statuses*", Admin),
    ("POST PUT DELETE PATCH", "/api/v2/ticket_fields*", Admin),
    ("POST PUT DELETE PATCH", "/api/v2/user_fields*", Admin),
    ("POST PUT DELETE PATCH", "/api/v2/organization_fields*", Admin),
    ("POST", "/api/v2/organizations", Admin),
    ("POST", "/api/v2/organizations/create_many", Admin),
    ("POST", "/api/v2/organizations/create_or_update", Admin),
    ("PUT DELETE", "/api/v2/organizations/{id}", Admin),
    ("DELETE", "/api/v2/views/destroy_many", Admin),
    ("GET", "/api/v2/triggers*", Staff),
    ("GET", "/api/v2/automations", Staff),
    ("GET", "/api/v2/automations/active", Staff),
    ("GET", "/api/v2/automations/{id}", Staff),
    ("*", "/api/v2/triggers*", Admin),
    ("*", "/api/v2/automations*", Admin),
    ("GET", "/api/v2/trigger_categories*", Staff),
    ("*", "/api/v2/trigger_categories*", Admin),
    // Everything else of the API is the team's.
    ("*", "/api/v2/*", Staff),
];

/// The entry for a route, if the table has one.
/// The policy's entries: `(methods, route pattern, access)`.
pub fn entries() -> &'static [(&'static str, &'static str, Access)] {
    POLICY
}

pub fn access(method: &Method, pattern: &str) -> Option<Access> {
    POLICY.iter().find_map(|(methods, p, access)| {
        let method_ok = *methods == "*" || methods.split(' ').any(|m| m == method.as_str());
        let path_ok = match p.strip_suffix('*') {
            Some(prefix) => pattern.starts_with(prefix),
            None => pattern == *p,
        };
        (method_ok && path_ok).then_some(*access)
    })
}

/// Refuses a caller below `access` before the handler runs: 401 without credentials, 403 with
/// too few rights. Authentication (the outer layer) has put the caller in the request.
pub async fn enforce(access: Access, req: Request, next: Next) -> Response {
    let caller = req.extensions().get::<Caller>().and_then(|c| c.0.as_ref());
    let allowed = match (access, caller) {
        (Public, _) => true,
        (_, None) => return frontdesk_edge::Failure(ApiError::Unauthenticated).into_response(),
        (SignedIn, Some(_)) => true,
        (Staff | Campaigns, Some(a)) => a.is_staff(),
        (Admin, Some(a)) => a.is_admin(),
    };
    if !allowed {
        return frontdesk_edge::Failure(ApiError::forbidden()).into_response();
    }
    next.run(req).await
}
