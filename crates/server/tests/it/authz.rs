//! The authorization matrix: every route of the API's endpoint table, called as each kind of
//! caller, against the one policy table in the code (`http::policy`). A caller below a route's
//! entry must be refused (401 without credentials, 403 with too few rights) and no call may
//! fail with a server error. Prints its figures; fails on any unexpected answer.

use reqwest::{Method, StatusCode};
use serde_json::json;

use frontdesk_domain::Role;
use frontdesk_server::http::policy::{Access, access};

use crate::helpers::{TestApp, into_resp};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Anonymous,
    EndUser,
    OtherEndUser,
    Agent,
    CampaignAgent,
    Admin,
}

fn allowed(caller: Caller, access: Access) -> bool {
    use Caller::*;
    match access {
        Access::Public => true,
        Access::SignedIn => caller != Anonymous,
        Access::Staff => matches!(caller, Agent | CampaignAgent | Admin),
        Access::Campaigns => matches!(caller, CampaignAgent | Admin),
        Access::Admin => caller == Admin,
    }
}

#[tokio::test]
async fn every_route_refuses_every_caller_below_its_policy() {
    let app = TestApp::spawn().await;
    let (customer, customer_token) = app.user("Cora Customer", "cora@example.com", Role::EndUser).await;
    let (_, other_token) = app.user("Olga Other", "olga@example.com", Role::EndUser).await;
    let (_, agent_token) = app.user("Abel Agent", "abel@example.com", Role::Agent).await;
    let (campaigner, campaigner_token) = app.user("Cida Campaigns", "cida@example.com", Role::Agent).await;
    let r =
        app.put(&format!("/api/v2/users/{campaigner}/permissions"), json!({"permissions": ["run_campaigns"]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Records for the routes to name: Cora's request, a group, a view.
    let ticket =
        app.ticket(json!({"subject": "Cora's", "comment": {"body": "x"}, "requester_id": customer})).await["id"]
            .as_i64()
            .unwrap();
    app.post("/api/v2/groups", json!({"group": {"name": "Support"}})).await;
    let callers = [
        (Caller::Anonymous, None),
        (Caller::EndUser, Some(("cora@example.com", customer_token))),
        (Caller::OtherEndUser, Some(("olga@example.com", other_token))),
        (Caller::Agent, Some(("abel@example.com", agent_token))),
        (Caller::CampaignAgent, Some(("cida@example.com", campaigner_token))),
        (Caller::Admin, Some((app.admin_email.as_str(), app.token.clone()))),
    ];
    let routes = frontdesk_server::http::endpoints();
    let (mut calls, mut unexpected_2xx, mut server_errors) = (0, 0, 0);
    let mut wrong = Vec::new();
    for (caller, credentials) in &callers {
        for e in &routes {
            // A user's routes name Cora (never the admin, whom a change could lock out), the
            // others her request; a DELETE or a token names nothing that exists, so the calls
            // before cannot take the admin's own token or address away.
            let id = if e.method == Method::DELETE || e.path.starts_with("/api/v2/api_tokens") {
                999_999
            } else if e.path.starts_with("/api/v2/users/{id}") {
                customer
            } else {
                ticket
            };
            let path = e
                .path
                .replace("{ticket_id}", &ticket.to_string())
                .replace("{id}", &id.to_string())
                .replace("{option_id}", "1")
                .replace("{iid}", "1")
                .replace("{uid}", &customer.to_string())
                .replace("{comment_id}", "1")
                .replace("{token}", "no-such-token");
            let method = Method::from_bytes(e.method.as_str().as_bytes()).unwrap();
            let mut req = app.http.request(method.clone(), app.url(&path));
            if let Some((email, token)) = credentials {
                req = req.basic_auth(format!("{email}/token"), Some(token));
            }
            if matches!(method, Method::POST | Method::PUT | Method::PATCH) {
                req = req.json(&json!({}));
            }
            let r = into_resp(req.send().await.unwrap()).await;
            calls += 1;
            let policy = access(&e.method, e.path).expect("every route has a policy entry");
            if r.status.is_server_error() {
                server_errors += 1;
                wrong.push(format!("{caller:?} {} {path}: {} {}", e.method, r.status, r.body));
            } else if !allowed(*caller, policy) {
                let expected =
                    if *caller == Caller::Anonymous { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN };
                if r.status.is_success() {
                    unexpected_2xx += 1;
                }
                if r.status != expected {
                    wrong.push(format!(
                        "{caller:?} {} {path} ({policy:?}): {} instead of {expected}",
                        e.method, r.status
                    ));
                }
            } else if r.status == StatusCode::UNAUTHORIZED {
                wrong.push(format!("{caller:?} {} {path} ({policy:?}): 401 for a caller the policy lets in", e.method));
            }
        }
    }
    println!(
        "authorization matrix: {} routes x {} callers = {calls} calls, {unexpected_2xx} unexpected 2xx, {server_errors} server errors",
        routes.len(),
        callers.len()
    );
    assert!(wrong.is_empty(), "{} unexpected answers:\n{}", wrong.len(), wrong.join("\n"));
}

/// Whether a page's answer gave the caller what the route holds: a page (2xx), or, for a form
/// post, the redirect that follows a done action. A refusal is a 4xx, or a redirect to the
/// sign-in page or to the caller's own start page.
fn reached(method: &str, status: StatusCode, location: Option<&str>) -> bool {
    if status.is_success() {
        return true;
    }
    if !status.is_redirection() || method == "GET" {
        return false;
    }
    let to = location.unwrap_or("");
    !(to.starts_with("/login") || to == "/" || to == "/portal" || to == "/agent")
}

#[tokio::test]
async fn every_page_refuses_every_caller_below_its_policy() {
    use crate::helpers::make_user;
    use crate::ui::{Browser, hidden};
    let app = TestApp::spawn().await;
    let password = "a good long password";
    let (customer, _) = make_user(&app.state, "Cora Customer", "cora@example.com", Role::EndUser, Some(password)).await;
    make_user(&app.state, "Olga Other", "olga@example.com", Role::EndUser, Some(password)).await;
    make_user(&app.state, "Abel Agent", "abel@example.com", Role::Agent, Some(password)).await;
    let (campaigner, _) =
        make_user(&app.state, "Cida Campaigns", "cida@example.com", Role::Agent, Some(password)).await;
    make_user(&app.state, "Ada Admin", "ada@example.com", Role::Admin, Some(password)).await;
    app.put(&format!("/api/v2/users/{campaigner}/permissions"), json!({"permissions": ["run_campaigns"]})).await;
    let ticket =
        app.ticket(json!({"subject": "Cora's", "comment": {"body": "x"}, "requester_id": customer})).await["id"]
            .as_i64()
            .unwrap();
    let org = app.post("/api/v2/organizations", json!({"organization": {"name": "Cora Ltda"}})).await.body
        ["organization"]["id"]
        .as_i64()
        .unwrap();
    let callers = [
        (Caller::Anonymous, None),
        (Caller::EndUser, Some("cora@example.com")),
        (Caller::OtherEndUser, Some("olga@example.com")),
        (Caller::Agent, Some("abel@example.com")),
        (Caller::CampaignAgent, Some("cida@example.com")),
        (Caller::Admin, Some("ada@example.com")),
    ];
    // Signing out ends the caller's session: it goes last.
    let mut pages: Vec<(&str, &str, Access)> = frontdesk_server::ui::pages()
        .into_iter()
        .flat_map(|(methods, path, access)| methods.split(' ').map(move |m| (m, path, access)))
        .collect();
    pages.sort_by_key(|(_, path, _)| *path == "/logout");
    let (mut calls, mut unexpected, mut server_errors) = (0, 0, 0);
    let mut wrong = Vec::new();
    for (caller, email) in &callers {
        let mut b = Browser::new(&app.url(""), "en-US");
        let csrf = if let Some(email) = email {
            let p = b.sign_in(email, password).await;
            assert_eq!(p.status, StatusCode::SEE_OTHER, "{email} signs in: {}", p.html);
            let home = b.get(p.location.as_deref().unwrap()).await;
            let home = if home.html.contains("name=\"_csrf\"") { home } else { b.get("/portal").await };
            hidden(&home.html, "_csrf")
        } else {
            hidden(&b.get("/login").await.html, "_csrf")
        };
        for (method, pattern, access) in &pages {
            let id = match *pattern {
                p if p.starts_with("/agent/users/") || p.starts_with("/admin/users/") => customer,
                p if p.starts_with("/agent/organizations/") => org,
                p if p.ends_with("/delete") => 999_999,
                _ => ticket,
            };
            let path = pattern
                .replace("{slug}", "groups")
                .replace("/admin/groups/{id}", "/admin/groups/new")
                .replace("{id}", &id.to_string())
                .replace("{secret}", "no-such-secret")
                .replace("{file}", "report.csv");
            let page = if *method == "GET" {
                b.get(&path).await
            } else {
                b.post(&path, &[("_csrf", csrf.as_str()), ("body", "x"), ("subject", "x")]).await
            };
            calls += 1;
            let got = reached(method, page.status, page.location.as_deref());
            // The other customer reaches nothing of Cora's, whatever the table lets in.
            let hers = path.starts_with("/portal/requests/");
            let let_in = allowed(*caller, *access) && !(hers && *caller == Caller::OtherEndUser);
            if page.status.is_server_error() {
                server_errors += 1;
                wrong.push(format!("{caller:?} {method} {path}: {}", page.status));
            } else if !let_in && got {
                unexpected += 1;
                wrong.push(format!("{caller:?} {method} {path} ({access:?}): {} {:?}", page.status, page.location));
            }
        }
    }
    println!(
        "authorization matrix (pages): {} page routes x {} callers = {calls} calls, {unexpected} unexpected successes, {server_errors} server errors",
        pages.len(),
        callers.len()
    );
    assert!(wrong.is_empty(), "{} unexpected answers:\n{}", wrong.len(), wrong.join("\n"));
}
