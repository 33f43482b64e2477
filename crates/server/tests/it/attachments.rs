//! Files over the API: uploads (one token for several files), a comment taking them, their
//! sniffed type, the content URL served as a download that never runs, redaction, and who
//! may see what.

use reqwest::StatusCode;
use serde_json::{Value, json};

use frontdesk_domain::Role;

use crate::helpers::{TestApp, into_resp};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// POST /api/v2/uploads with raw bytes, as zenpy and node-zendesk send them.
async fn upload(app: &TestApp, query: &str, declared: &str, bytes: &[u8]) -> crate::helpers::Resp {
    let r = app
        .http
        .post(app.url(&format!("/api/v2/uploads.json?{query}")))
        .basic_auth(format!("{}/token", app.admin_email), Some(&app.token))
        .header("content-type", declared)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    into_resp(r).await
}

#[tokio::test]
async fn files_are_uploaded_taken_by_a_comment_and_served_as_downloads() {
    let app = TestApp::spawn().await;
    // Two files under one token; each type comes from the bytes, not from what was declared.
    let r = upload(&app, "filename=relat%C3%B3rio.pdf", "application/binary", PDF).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.body["upload"]["token"].as_str().unwrap().to_string();
    assert_eq!(r.body["upload"]["attachment"]["file_name"], "relatório.pdf");
    assert_eq!(r.body["upload"]["attachment"]["content_type"], "application/pdf");
    let page = b"<html><script>alert(document.cookie)</script></html>";
    let r = upload(&app, &format!("filename=../../page.html&token={token}"), "image/png", page).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["upload"]["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["upload"]["attachment"]["file_name"], "page.html", "no path in a name");
    assert_eq!(r.body["upload"]["attachment"]["content_type"], "text/html", "what the bytes are, not what was said");

    // Bad uploads are refused in the API's format.
    let r = upload(&app, "", "application/pdf", PDF).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["details"]["filename"][0]["description"].as_str().unwrap().contains("?filename="));
    let r = upload(&app, "filename=empty.txt", "text/plain", b"").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = upload(&app, "filename=x.txt&token=nope", "text/plain", b"x").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // A ticket whose first comment takes the upload.
    let r = app
        .post(
            "/api/v2/tickets",
            json!({"ticket": {"subject": "Relatório", "comment": {"body": "Segue", "uploads": [token]}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["ticket"]["id"].as_i64().unwrap();
    let event = &r.body["audit"]["events"].as_array().unwrap().iter().find(|e| e["type"] == "Comment").unwrap().clone();
    assert_eq!(event["attachments"].as_array().unwrap().len(), 2, "{event}");
    // The token is used up: a second comment cannot take the same files; nothing is saved.
    let r = app
        .put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"comment": {"body": "again", "uploads": [token]}}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["details"]["comment.uploads"][0]["description"].as_str().unwrap().contains("upload token"));
    let comments = app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].clone();
    assert_eq!(comments.as_array().unwrap().len(), 1, "the refused comment was not saved");
    let files = comments[0]["attachments"].as_array().unwrap().clone();
    assert_eq!(files.len(), 2);

    // The content URL serves the bytes to whoever holds it, as a download that cannot run.
    let pdf_url = files[0]["content_url"].as_str().unwrap();
    assert!(pdf_url.starts_with(&app.base), "{pdf_url}");
    let got = reqwest::get(pdf_url).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert!(got.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(got.bytes().await.unwrap().as_ref(), PDF);
    let html_url = files[1]["content_url"].as_str().unwrap();
    let got = reqwest::get(html_url).await.unwrap();
    assert_eq!(got.headers()["content-type"], "application/octet-stream", "a page is never served as one");
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    assert!(got.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    let guessed = format!("{}/attachments/token/{}/", app.base, "0".repeat(32));
    assert_eq!(reqwest::get(&guessed).await.unwrap().status(), 404);

    // The attachment by id: staff see it; a customer who is not on the ticket does not.
    let att = files[0]["id"].as_i64().unwrap();
    let shown = app.get(&format!("/api/v2/attachments/{att}")).await;
    assert_eq!(shown.body["attachment"]["size"], PDF.len());
    let (_, customer_token) = app.user("Outro Cliente", "outro@cliente.com", Role::EndUser).await;
    let r = app
        .req_as("outro@cliente.com", &customer_token, reqwest::Method::GET, &format!("/api/v2/attachments/{att}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Redaction removes the bytes and keeps the record.
    let cid = comments[0]["id"].as_i64().unwrap();
    let r = app.put(&format!("/api/v2/tickets/{id}/comments/{cid}/attachments/{att}/redact"), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["attachment"]["deleted"], true);
    assert_eq!(r.body["attachment"]["file_name"], "redacted.txt");
    assert_eq!(reqwest::get(pdf_url).await.unwrap().status(), 404);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = {att}")).await, 0);

    // An upload no comment took can be deleted; then it cannot be used.
    let r = upload(&app, "filename=a.txt", "text/plain", b"hello").await;
    let token: Value = r.body["upload"]["token"].clone();
    let r = app.delete(&format!("/api/v2/uploads/{}", token.as_str().unwrap())).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"comment": {"body": "x", "uploads": [token]}}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_large_file_is_stored_and_sent_a_chunk_at_a_time_byte_for_byte() {
    let app = TestApp::spawn().await;
    // 3.5 MiB of bytes that are not all alike, so a chunk out of place would show.
    let size = 3 * 1024 * 1024 + 512 * 1024;
    let bytes: Vec<u8> = (0..size).map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let r = upload(&app, "filename=dump.bin", "application/octet-stream", &bytes).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let a = &r.body["upload"]["attachment"];
    assert_eq!(a["size"], size as i64);
    let id = a["id"].as_i64().unwrap();
    let rows = format!("SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = {id}");
    assert_eq!(app.count(&rows).await, 4, "three whole chunks of 1 MiB and a half one");
    let got = reqwest::get(a["content_url"].as_str().unwrap()).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.content_length(), Some(size as u64));
    let back = got.bytes().await.unwrap();
    assert!(back.as_ref() == bytes.as_slice(), "the same bytes, in order");
}
