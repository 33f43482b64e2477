//! The surface's own checks: every route has a policy entry and an OpenAPI description, the
//! proxy chain is read from the right, every string a page template names exists. (Kept in this
//! binary so the API and pages crates build no unit-test binaries of their own.)

use std::net::IpAddr;

use axum::http::Method;
use frontdesk_server::http::forwarded::{client_of, parse_proxy};
use frontdesk_server::http::policy::{Access::*, access, entries};
use serde_json::Value;

#[test]
fn the_client_is_the_first_untrusted_address_from_the_right() {
    let proxies = vec![parse_proxy("10.0.0.0/8").unwrap(), parse_proxy("192.0.2.1").unwrap()];
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert_eq!(client_of("203.0.113.5", &proxies), Some(ip("203.0.113.5")));
    assert_eq!(client_of("1.1.1.1, 203.0.113.5, 10.1.2.3", &proxies), Some(ip("203.0.113.5")));
    assert_eq!(client_of("garbage, 203.0.113.5", &proxies), Some(ip("203.0.113.5")));
    assert_eq!(client_of("10.0.0.1", &proxies), None);
    assert_eq!(client_of("", &proxies), None);
    assert!(parse_proxy("not-an-address").is_err());
}

#[test]
fn every_operation_is_described_enough_to_be_called() {
    let doc = frontdesk_server::http::openapi::json();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let named = path.matches('{').count();
            let params = op["parameters"].as_array().map_or(0, Vec::len);
            assert_eq!(params, named, "{method} {path}: every path parameter is described");
            for p in op["parameters"].as_array().into_iter().flatten() {
                assert!(p["schema"]["type"].is_string(), "{method} {path}: {p}");
            }
            let refusal = &op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(refusal, "#/components/schemas/Error", "{method} {path}");
            if method == "post" || method == "put" {
                assert!(op["requestBody"]["content"].is_object(), "{method} {path}: its body is described");
            }
            for answer in op["responses"].as_object().unwrap().values() {
                assert_ne!(answer.get("links"), Some(&Value::Null), "{method} {path}");
            }
        }
    }
    assert_eq!(operations, frontdesk_server::http::endpoints().len());
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], serde_json::json!(["error"]), "{error}");
    // The main records' bodies are described field by field.
    let body = &doc["paths"]["/api/v2/tickets/{id}"]["put"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["properties"]["ticket"]["$ref"], "#/components/schemas/TicketInput", "{body}");
    let body = &doc["paths"]["/api/v2/tickets"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["properties"]["ticket"]["allOf"][1]["required"], serde_json::json!(["comment"]), "{body}");
    let ticket = &doc["components"]["schemas"]["TicketInput"]["properties"];
    assert!(ticket["priority"].is_object() && ticket["type"].is_object() && ticket["comment"].is_object(), "{ticket}");
    let roles = &doc["components"]["schemas"]["RoleName"]["enum"];
    assert_eq!(roles, &serde_json::json!(["end-user", "agent", "admin"]));
    // A create links to its record, so calls can be chained.
    let link = &doc["paths"]["/api/v2/tickets"]["post"]["responses"]["201"]["links"]["GET ticket"];
    assert_eq!(link["operationId"], "GET /api/v2/tickets/{id}");
    assert_eq!(link["parameters"]["id"], "$response.body#/ticket/id");
}

#[test]
fn every_route_has_an_entry_and_no_entry_is_dead() {
    let routes = frontdesk_server::http::endpoints();
    let missing: Vec<String> = routes
        .iter()
        .filter(|e| access(&e.method, e.path).is_none())
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(missing.is_empty(), "routes without a policy entry: {missing:?}");
    // Each exact entry names a route that exists (a renamed route leaves no stale entry).
    for (methods, p, _) in entries().iter().filter(|(_, p, _)| !p.ends_with('*')) {
        for m in methods.split(' ').filter(|m| *m != "*") {
            assert!(
                routes.iter().any(|e| e.method.as_str() == m && e.path == *p),
                "the policy names {m} {p}, which is no route"
            );
        }
    }
}

#[test]
fn the_table_reads_as_intended() {
    let get = Method::GET;
    assert_eq!(access(&get, "/api/v2/openapi"), Some(Public));
    assert_eq!(access(&get, "/api/v2/tickets/{id}"), Some(SignedIn));
    assert_eq!(access(&get, "/api/v2/tickets/{id}/tags"), Some(Staff));
    assert_eq!(access(&Method::PUT, "/api/v2/users/{id}/identities/{iid}/verify"), Some(Admin));
    assert_eq!(access(&Method::POST, "/api/v2/triggers"), Some(Admin));
    assert_eq!(access(&get, "/api/v2/triggers"), Some(Staff));
    assert_eq!(access(&Method::POST, "/api/v2/campaigns"), Some(Campaigns));
    assert_eq!(access(&get, "/elsewhere"), None);
}

#[test]
fn every_string_a_template_names_exists() {
    for (name, source) in frontdesk_server::ui::TEMPLATES {
        for part in source.split("t(\"").skip(1) {
            // `t("status-" ~ x)` names a family: one of its members must exist.
            let key = part.split('"').next().unwrap_or("");
            assert!(frontdesk_server::i18n::english_has(key), "{name} uses {key:?}, which en-US.ftl lacks");
        }
    }
}
