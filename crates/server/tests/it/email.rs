//! Inbound email through the mail gateway (the real `frontdesk mailgate` process) and the HTTP
//! endpoint it calls: the team's corpus of real-world messages under `tests/fixtures/email`
//! (Gmail, Outlook in Latin-1, Japanese in ISO-2022-JP and Shift_JIS, an auto-reply, a bounce,
//! a stranger's forged reply), threading with its recorded reasons, and duplicates.

use std::io::Write;
use std::process::Stdio;

use serde_json::{Value, json};

use crate::helpers::TestApp;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/email/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn deliver(app: &TestApp, raw: Vec<u8>, to: &str) -> Value {
    let r = app
        .http
        .post(app.url(&format!("/api/v2/inbound_email?to={to}")))
        .basic_auth(format!("{}/token", app.admin_email), Some(&app.token))
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["inbound_email"].clone()
}

async fn comments(app: &TestApp, id: i64) -> Vec<Value> {
    app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].as_array().unwrap().clone()
}

#[tokio::test]
async fn mail_is_threaded_or_made_a_ticket_and_each_decision_says_why() {
    let app = TestApp::spawn().await;
    let group =
        app.post("/api/v2/groups", json!({"group": {"name": "Suporte"}})).await.body["group"]["id"].as_i64().unwrap();
    let r = app
        .post(
            "/api/v2/recipient_addresses",
            json!({"recipient_address": {"email": "help@acme.test", "name": "Suporte ACME", "group_id": group}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["recipient_address"]["default"], true, "the first address is the default");
    let r = app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "HELP@acme.test"}})).await;
    assert_eq!(r.status, 422);
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "vendas@acme.test"}})).await;

    // A new message from Gmail: a ticket, routed to the address's group.
    let o = deliver(&app, fixture("gmail_new.eml"), "help@acme.test").await;
    assert_eq!(
        (o["outcome"].as_str(), o["reason"].as_str()),
        (Some("created"), Some("new ticket: no reference to an existing ticket"))
    );
    let id = o["ticket_id"].as_i64().unwrap();
    let t = app.get(&format!("/api/v2/tickets/{id}?include=users")).await.body;
    let joao = t["ticket"]["requester_id"].as_i64().unwrap();
    assert_eq!(t["ticket"]["subject"], "Impressora não imprime");
    assert_eq!(t["ticket"]["group_id"], group);
    assert_eq!(t["ticket"]["recipient"], "help@acme.test");
    assert_eq!(t["ticket"]["via"]["channel"], "email");
    assert_eq!(t["ticket"]["via"]["source"]["from"]["address"], "joao@cliente.com.br");
    let requester = &t["users"].as_array().unwrap().iter().find(|u| u["id"] == t["ticket"]["requester_id"]).unwrap();
    assert_eq!(requester["name"], "João Silva");
    let first = &comments(&app, id).await[0];
    let html = first["html_body"].as_str().unwrap();
    assert!(html.contains("<b>impressora</b>") && !html.contains("<script"), "sanitised: {html}");
    let audits = app.get(&format!("/api/v2/tickets/{id}/audits")).await.body;
    assert!(
        audits.to_string().contains("new ticket: no reference to an existing ticket"),
        "the decision is in the audit"
    );

    // The same message through a second address: still one ticket.
    let o = deliver(&app, fixture("gmail_new.eml"), "vendas@acme.test").await;
    assert_eq!(o["outcome"], "ignored");
    assert_eq!(o["ticket_id"], id);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);

    // The customer's reply threads by References, without the quoted history.
    let o = deliver(&app, fixture("gmail_reply.eml"), "help@acme.test").await;
    assert_eq!(
        (o["outcome"].as_str(), o["reason"].as_str(), o["ticket_id"].as_i64()),
        (Some("threaded"), Some("threaded by References"), Some(id))
    );
    let list = comments(&app, id).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["body"], "Reiniciei e continua igual.");
    assert_eq!(list[1]["author_id"], t["ticket"]["requester_id"]);

    // A stranger naming the ticket (subject and a forged In-Reply-To) gets a ticket of their own.
    let o = deliver(&app, fixture("stranger_subject.eml"), "help@acme.test").await;
    assert_eq!(o["outcome"], "created");
    assert_eq!(o["reason"], format!("new ticket: the sender is not a participant of #{id}"));
    assert_ne!(o["ticket_id"], id);
    assert_eq!(comments(&app, id).await.len(), 2, "nothing of the stranger's on João's ticket");

    // Charsets: Latin-1 (Outlook), ISO-2022-JP, Shift_JIS and Windows-1252.
    let o = deliver(&app, fixture("outlook_latin1.eml"), "help@acme.test").await;
    let t = app.get(&format!("/api/v2/tickets/{}", o["ticket_id"])).await.body;
    assert_eq!(t["ticket"]["subject"], "Fatura não chegou");
    assert!(t["ticket"]["description"].as_str().unwrap().contains("a fatura de novembro não chegou"));
    // Outlook's reply names no message id, only the conversation (Thread-Index).
    let maria = o["ticket_id"].as_i64().unwrap();
    let o = deliver(&app, fixture("outlook_reply_thread_index.eml"), "help@acme.test").await;
    assert_eq!(
        (o["reason"].as_str(), o["ticket_id"].as_i64()),
        (Some("threaded by Outlook's Thread-Index"), Some(maria))
    );
    assert_eq!(comments(&app, maria).await[1]["body"], "Ainda aguardo a fatura.");
    let o = deliver(&app, fixture("japanese_iso2022jp.eml"), "help@acme.test").await;
    let t = app.get(&format!("/api/v2/tickets/{}", o["ticket_id"])).await.body;
    assert_eq!(t["ticket"]["subject"], "請求書について");
    assert!(t["ticket"]["description"].as_str().unwrap().contains("請求書を送ってください。"), "{t}");
    let o = deliver(&app, fixture("japanese_shiftjis.eml"), "help@acme.test").await;
    let t = app.get(&format!("/api/v2/tickets/{}", o["ticket_id"])).await.body;
    assert_eq!(t["ticket"]["subject"], "パスワード");
    // Windows-1252, Latin-1's superset: curly quotes, a dash and the euro sign are its own.
    let o = deliver(&app, fixture("outlook_windows1252.eml"), "help@acme.test").await;
    let t = app.get(&format!("/api/v2/tickets/{}", o["ticket_id"])).await.body;
    assert_eq!(t["ticket"]["subject"], "Cobrança – “urgente”");
    assert!(t["ticket"]["description"].as_str().unwrap().contains("veio em dobro: € 49,90 duas vezes"), "{t}");
    let jose = app.get(&format!("/api/v2/users/{}", t["ticket"]["requester_id"])).await.body;
    assert_eq!(jose["user"]["name"], "José Araújo");
    // A charset nobody knows, or none at all on 8-bit text: the message is still taken in,
    // its text read as well as can be (never a crash, never lost).
    for charset in ["; charset=x-klingon", ""] {
        let raw = format!(
            "From: ana@example.com\r\nTo: help@acme.test\r\nSubject: Charset {charset:?}\r\nMessage-ID: <cs{}@example.com>\r\n\
             Content-Type: text/plain{charset}\r\n\r\n",
            charset.len()
        );
        // Latin-1 bytes that are no UTF-8.
        let raw = [raw.as_bytes(), b"Ol\xe1, preciso de ajuda.\r\n"].concat();
        let o = deliver(&app, raw, "help@acme.test").await;
        assert_eq!(o["outcome"], "created", "{o}");
        let t = app.get(&format!("/api/v2/tickets/{}", o["ticket_id"])).await.body;
        assert!(t["ticket"]["description"].as_str().unwrap().contains("preciso de ajuda"), "{t}");
    }

    // Noise makes no ticket, and says why.
    let o = deliver(&app, fixture("auto_reply.eml"), "help@acme.test").await;
    assert_eq!(
        (o["outcome"].as_str(), o["reason"].as_str()),
        (Some("ignored"), Some("ignored: Auto-Submitted: auto-replied"))
    );
    let o = deliver(&app, fixture("bounce.eml"), "help@acme.test").await;
    assert_eq!(o["outcome"], "ignored", "{o}");
    assert_eq!(o["reason"], "ignored: a hard bounce for joao@cliente.com.br (marked undeliverable)");
    let ids = app.get(&format!("/api/v2/users/{joao}/identities")).await.body;
    assert_eq!(ids["identities"][0]["deliverable_state"], "undeliverable", "{ids}");
    // Bytes that are no message are kept for an admin, with the reason.
    let o = deliver(&app, b"\x00\x01\x02 not mail at all".to_vec(), "help@acme.test").await;
    assert_eq!(o["outcome"], "rejected", "{o}");
    let log = app.get("/api/v2/inbound_emails").await.body;
    let last = &log["inbound_emails"][0];
    assert_eq!(last["outcome"], "rejected");
    let raw = app
        .http
        .get(app.url(&format!("/api/v2/inbound_emails/{}/raw", last["id"])))
        .basic_auth(format!("{}/token", app.admin_email), Some(&app.token))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.headers()["x-content-type-options"], "nosniff");
    assert_eq!(raw.bytes().await.unwrap().as_ref(), b"\x00\x01\x02 not mail at all");
}

#[tokio::test]
async fn the_mail_gateway_hands_a_piped_message_to_the_server() {
    let app = TestApp::spawn().await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test"}})).await;
    let gate = |url: &str, token: &str| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk"));
        c.args(["mailgate", "--url", url, "--email", &app.admin_email, "--token", token, "--to", "help@acme.test"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    let run = |mut c: std::process::Command| async move {
        tokio::task::spawn_blocking(move || {
            let mut child = c.spawn().unwrap();
            child.stdin.take().unwrap().write_all(&fixture("outlook_latin1.eml")).unwrap();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap()
    };
    let out = run(gate(&app.base, &app.token)).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"outcome\":\"created\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets WHERE via_channel = 'email'").await, 1);
    // A wrong token: refused for good (77); no server: try again later (75).
    let out = run(gate(&app.base, "wrong")).await;
    assert_eq!(out.status.code(), Some(77));
    let out = run(gate("http://127.0.0.1:9", &app.token)).await;
    assert_eq!(out.status.code(), Some(75));
}

#[tokio::test]
async fn a_real_smtp_client_delivers_to_the_built_in_receiver() {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

    let app = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| {
        c.smtp_bind = Some("127.0.0.1:0".into());
        c.smtp_max_size = 64 * 1024;
    })
    .await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test"}})).await;
    let smtp = app.smtp.expect("the receiver is on");
    let client =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.ip().to_string()).port(smtp.port()).build();
    let message = lettre::Message::builder()
        .from("Carla Cliente <carla@cliente.com.br>".parse().unwrap())
        .to("help@acme.test".parse().unwrap())
        .subject("Pedido 123 não chegou")
        .body("Olá, o pedido 123 não chegou.\n.\nUma linha com um ponto acima.".to_string())
        .unwrap();
    let sent = client.send(message).await.expect("accepted");
    assert!(sent.is_positive());
    let found = app.get("/api/v2/search.json?query=pedido%20type%3Aticket").await.body;
    let t = &found["results"][0];
    assert_eq!(t["subject"], "Pedido 123 não chegou");
    assert_eq!(t["via"]["channel"], "email");
    assert!(t["description"].as_str().unwrap().contains("\n.\n"), "dot-stuffing undone: {t}");

    // A recipient that is not a support address is refused at RCPT; an oversize message at DATA.
    let stranger = lettre::Message::builder()
        .from("carla@cliente.com.br".parse().unwrap())
        .to("someone@elsewhere.test".parse().unwrap())
        .subject("x")
        .body("x".to_string())
        .unwrap();
    let refused = client.send(stranger).await.expect_err("not our address");
    assert!(refused.is_permanent(), "{refused}");
    let huge = lettre::Message::builder()
        .from("carla@cliente.com.br".parse().unwrap())
        .to("help@acme.test".parse().unwrap())
        .subject("huge")
        .body("x".repeat(100 * 1024))
        .unwrap();
    let refused = client.send(huge).await.expect_err("too large");
    assert!(refused.is_permanent(), "{refused}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
}

#[tokio::test]
async fn a_public_reply_is_mailed_so_that_the_answer_threads_back() {
    let (relay, sent) = crate::helpers::smtp_sink().await;
    let app = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| c.smtp_relay = Some(relay)).await;
    app.post(
        "/api/v2/recipient_addresses",
        json!({"recipient_address": {"email": "help@acme.test", "name": "Suporte ACME"}}),
    )
    .await;
    let o = deliver(&app, fixture("gmail_new.eml"), "help@acme.test").await;
    let id = o["ticket_id"].as_i64().unwrap();
    // The customer reads Portuguese: the mail's own words are in it.
    let requester = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["requester_id"].as_i64().unwrap();
    app.put(&format!("/api/v2/users/{requester}"), json!({"user": {"locale": "pt-BR"}})).await;
    // A CC gets a copy; a follower does not.
    let (rita, _) = app.user("Rita Copiada", "rita@cliente.com.br", frontdesk_domain::Role::EndUser).await;
    let (fred, _) = app.user("Fred Follower", "fred@acme.test", frontdesk_domain::Role::Agent).await;
    let r = app
        .put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"email_cc_ids": [rita], "follower_ids": [fred]}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // An internal note is not mailed; a public reply is, once.
    app.put(
        &format!("/api/v2/tickets/{id}"),
        json!({"ticket": {"comment": {"body": "só para a equipe", "public": false}}}),
    )
    .await;
    app.put(
        &format!("/api/v2/tickets/{id}"),
        json!({"ticket": {"comment": {"body": "Pode **reiniciar** a impressora?"}}}),
    )
    .await;
    let mut mail = String::new();
    for _ in 0..200 {
        if let Some(m) = sent.lock().unwrap().first() {
            mail = m.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(!mail.is_empty(), "a mail was sent");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sent.lock().unwrap().len(), 1, "one mail: the note is not mailed");
    let header = |name: &str| {
        mail.lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
            .map(|l| l[name.len() + 1..].trim().to_string())
    };
    assert!(header("To").unwrap().contains("joao@cliente.com.br"), "{mail}");
    assert!(header("From").unwrap().contains("help@acme.test"), "{mail}");
    let copied = header("Cc").unwrap_or_default();
    assert!(copied.contains("rita@cliente.com.br") && !copied.contains("fred@"), "{mail}");
    assert_eq!(header("In-Reply-To").as_deref(), Some("<CAgmail-first-0001@mail.gmail.com>"), "{mail}");
    let ours = header("Message-ID").unwrap();
    assert!(ours.starts_with(&format!("<t{id}.")), "{ours}");
    let parsed = mail_parser::MessageParser::default().parse(mail.as_bytes()).unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    assert!(text.contains("Pode reiniciar"), "{text}");
    assert!(
        text.contains(&format!("Responda a esta mensagem para acrescentar algo à sua solicitação #{id}")),
        "{text}"
    );
    assert!(text.contains(&format!("{}/portal/requests/{id}", app.base)), "{text}");
    assert!(parsed.body_html(0).unwrap().contains("<strong>reiniciar</strong>"), "{mail}");

    // The customer answers our mail from another client that only keeps In-Reply-To.
    let answer = format!(
        "From: joao@cliente.com.br\r\nTo: help@acme.test\r\nSubject: Re: ajuda\r\nMessage-ID: <answer-1@cliente.com.br>\r\nIn-Reply-To: {ours}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nReiniciei, funcionou!\r\n"
    );
    let o = deliver(&app, answer.into_bytes(), "help@acme.test").await;
    assert_eq!(
        (o["outcome"].as_str(), o["reason"].as_str(), o["ticket_id"].as_i64()),
        (Some("threaded"), Some("threaded by our reply token"), Some(id))
    );
    // A guessed id with a wrong token threads nowhere.
    let forged = format!(
        "From: joao@cliente.com.br\r\nTo: help@acme.test\r\nSubject: hi\r\nMessage-ID: <forged-1@x>\r\nIn-Reply-To: <t{id}.0000.c1@frontdesk.mail>\r\n\r\nhello\r\n"
    );
    let o = deliver(&app, forged.into_bytes(), "help@acme.test").await;
    assert_eq!(o["outcome"], "created");

    // A subject that tries to add a header adds none.
    app.put(
        &format!("/api/v2/tickets/{id}"),
        json!({"ticket": {"subject": "Oi\r\nBcc: evil@attacker.test", "comment": {"body": "again"}}}),
    )
    .await;
    for _ in 0..200 {
        if sent.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let second = sent.lock().unwrap()[1].clone();
    assert!(!second.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{second}");
}

#[tokio::test]
async fn hostile_mail_is_contained_and_recorded() {
    let app = TestApp::spawn().await;
    // 10,000 MIME parts: taken in, one ticket, no stall.
    let mut raw = String::from(
        "From: many@parts.test\r\nTo: help@acme.test\r\nSubject: Many parts\r\nMessage-ID: <parts@parts.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"P\"\r\n\r\n",
    );
    for i in 0..10_000 {
        raw.push_str(&format!("--P\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"));
    }
    raw.push_str("--P--\r\n");
    let started = std::time::Instant::now();
    let o = deliver(&app, raw.into_bytes(), "help@acme.test").await;
    assert_eq!(o["outcome"], "created", "{o}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // A name that tries to carry a header (an encoded CR LF) stays one line of a name.
    let evil = "From: =?UTF-8?B?RXZpbA0KQmNjOiB4QGF0dGFja2VyLnRlc3Q=?= <evil@x.test>\r\nTo: help@acme.test\r\nSubject: hi\r\nMessage-ID: <evil@x.test>\r\n\r\nhello\r\n";
    let o = deliver(&app, evil.as_bytes().to_vec(), "help@acme.test").await;
    assert_eq!(o["outcome"], "created", "{o}");
    let t = app.get(&format!("/api/v2/tickets/{}?include=users", o["ticket_id"])).await.body;
    let name = t["users"].as_array().unwrap().iter().find(|u| u["email"] == "evil@x.test").unwrap()["name"].clone();
    assert_eq!(name, "Evil  Bcc: x@attacker.test", "one line");
    // A message over the API's body limit is refused before it is read.
    let huge = vec![b'x'; 11 * 1024 * 1024];
    let r = app
        .http
        .post(app.url("/api/v2/inbound_email"))
        .basic_auth(format!("{}/token", app.admin_email), Some(&app.token))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let still = app.get("/api/v2/inbound_emails").await.body;
    assert_eq!(still["inbound_emails"].as_array().unwrap().len(), 2, "the server goes on");
}

#[tokio::test]
async fn attachments_and_inline_images_are_stored_and_archives_are_never_unpacked() {
    let app = TestApp::spawn().await;
    let o = deliver(&app, fixture("apple_mail_attachments.eml"), "help@acme.test").await;
    assert_eq!(o["outcome"], "created", "{o}");
    let id = o["ticket_id"].as_i64().unwrap();
    let comments = app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].clone();
    let files = comments[0]["attachments"].as_array().unwrap().clone();
    let by_name =
        |n: &str| files.iter().find(|f| f["file_name"] == n).unwrap_or_else(|| panic!("{n} in {files:?}")).clone();
    let image = by_name("etiqueta.png");
    assert_eq!(image["inline"], true);
    assert_eq!(image["content_type"], "image/png");
    // The inline image shows where the mail put it: the body points at its content URL.
    let token = image["content_url"]
        .as_str()
        .unwrap()
        .split("/attachments/token/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let html = comments[0]["html_body"].as_str().unwrap();
    assert!(html.contains(&format!("/attachments/token/{token}/")), "{html}");
    assert!(!html.contains("cid:"), "{html}");
    let pdf = by_name("nota fiscal nº 42.pdf");
    assert_eq!(pdf["content_type"], "application/pdf");
    assert_eq!(pdf["inline"], false);
    // 20 MB of zeros in a 20 KB zip: kept as the 20 KB that came, never expanded.
    let zip = by_name("backup.zip");
    assert_eq!(zip["content_type"], "application/zip");
    assert!(zip["size"].as_i64().unwrap() < 64 * 1024, "{zip}");
    let bytes = reqwest::get(zip["content_url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, zip["size"].as_i64().unwrap());

    // A forwarded message arrives as an attachment of its own, with the forwarding text.
    let o = deliver(&app, fixture("forwarded.eml"), "help@acme.test").await;
    assert_eq!(o["outcome"], "created", "{o}");
    let id = o["ticket_id"].as_i64().unwrap();
    let comments = app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].clone();
    assert!(comments[0]["plain_body"].as_str().unwrap().contains("fui cobrado duas vezes"));
    let files = comments[0]["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0]["file_name"], "aviso do banco.eml");
}

#[tokio::test]
async fn the_receiver_offers_starttls_and_outbound_mail_uses_tls_and_authentication() {
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

    let db = crate::helpers::TestDb::new().await;
    let dir = std::env::temp_dir().join(format!("frontdesk-tls-{}", std::process::id()));
    let (ca_file, cert, key, ca_pem) = crate::helpers::private_ca(&dir.join("receiver"));
    let receiver = TestApp::spawn_with(db, |c| {
        c.smtp_bind = Some("127.0.0.1:0".into());
        c.smtp_tls_cert = Some(cert.clone());
        c.smtp_tls_key = Some(key.clone());
    })
    .await;
    receiver.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test"}})).await;
    let smtp = receiver.smtp.unwrap();

    // A client that insists on TLS, trusting the private CA, delivers over STARTTLS.
    let params = TlsParameters::builder("127.0.0.1".into())
        .add_root_certificate(Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .build_rustls()
        .unwrap();
    let client = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port())
        .tls(Tls::Required(params))
        .build();
    let message = lettre::Message::builder()
        .from("carla@cliente.com.br".parse().unwrap())
        .to("help@acme.test".parse().unwrap())
        .subject("Por TLS")
        .body("Chegou cifrado.".to_string())
        .unwrap();
    let reply = client.send(message).await.expect("delivered over STARTTLS");
    assert!(reply.is_positive());
    // A client that does not trust the certificate cannot start TLS, and nothing is taken in.
    let strict = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port())
        .tls(Tls::Required(TlsParameters::new_rustls("127.0.0.1".into()).unwrap()))
        .build();
    let message = lettre::Message::builder()
        .from("carla@cliente.com.br".parse().unwrap())
        .to("help@acme.test".parse().unwrap())
        .subject("Sem confiança")
        .body("x".to_string())
        .unwrap();
    assert!(strict.send(message).await.is_err());
    assert_eq!(receiver.count("SELECT COUNT(*) FROM tickets WHERE via_channel = 'email'").await, 1);

    // Another server mails its public replies through the receiver as its relay: STARTTLS
    // required, the private CA trusted by configuration.
    let sender = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| {
        c.smtp_relay = Some(format!("smtp://127.0.0.1:{}?tls=required", smtp.port()));
        c.smtp_relay_ca = Some(ca_file.clone());
    })
    .await;
    sender.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@partner.test"}})).await;
    let t = sender
        .post(
            "/api/v2/tickets",
            json!({"ticket": {"subject": "Pedido", "comment": {"body": "Oi"},
                "requester": {"name": "Suporte Parceiro", "email": "help@acme.test"}}}),
        )
        .await;
    let id = t.body["ticket"]["id"].as_i64().unwrap();
    sender.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"comment": {"body": "Resposta cifrada"}}})).await;
    let mut arrived = 0;
    for _ in 0..200 {
        arrived = receiver.count("SELECT COUNT(*) FROM tickets WHERE via_channel = 'email'").await;
        if arrived == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(arrived, 2, "the reply crossed over TLS into the receiver");

    // With credentials in the relay URL, the relay is authenticated (AUTH PLAIN).
    let (relay, sent) = crate::helpers::smtp_sink().await;
    let authed = relay.replacen("smtp://", "smtp://frontdesk:s%3Acret@", 1);
    let app = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| c.smtp_relay = Some(authed)).await;
    let t = app
        .post(
            "/api/v2/tickets",
            json!({"ticket": {"subject": "Pedido", "comment": {"body": "Oi"},
                "requester": {"name": "Rosa", "email": "rosa@cliente.com"}}}),
        )
        .await;
    let id = t.body["ticket"]["id"].as_i64().unwrap();
    app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"comment": {"body": "Resposta"}}})).await;
    let mail = crate::helpers::nth_mail(&sent, 0).await;
    let auth = mail.lines().next().unwrap().strip_prefix("X-Sink-Auth: ").expect("authenticated").to_string();
    use base64::Engine;
    let plain = base64::engine::general_purpose::STANDARD.decode(auth).unwrap();
    assert_eq!(plain, b"\0frontdesk\0s:cret");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn default_triggers_acknowledge_requests_and_tell_agents_in_each_readers_language() {
    use frontdesk_domain::Role;
    let (relay, sent) = crate::helpers::smtp_sink().await;
    let app = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| c.smtp_relay = Some(relay)).await;
    // The helpdesk's first-run defaults, made in its admin's language (Portuguese).
    app.first_run_defaults(frontdesk_domain::Locale::PtBr).await;
    let triggers = app.get("/api/v2/triggers").await.body["triggers"].clone();
    let titles: Vec<&str> = triggers.as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Avisar o solicitante de uma nova solicitação", "Avisar o responsável de uma atribuição"]);
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test", "name": "ACME"}}))
        .await;
    let (customer, _) = app.user("Hana Tanaka", "hana@example.jp", Role::EndUser).await;
    app.put(&format!("/api/v2/users/{customer}"), json!({"user": {"locale": "ja"}})).await;

    // Mail from the customer: a ticket, and an acknowledgement that threads and says it is
    // automatic, with the trigger's (Portuguese) text and the footer in her language.
    let first = "From: hana@example.jp\r\nTo: help@acme.test\r\nSubject: Login & <2FA>\r\nMessage-ID: <hana-1@example.jp>\r\n\r\nI cannot log in.\r\n";
    let o = deliver(&app, first.as_bytes().to_vec(), "help@acme.test").await;
    let id = o["ticket_id"].as_i64().unwrap();
    let ack = crate::helpers::nth_mail(&sent, 0).await;
    let m = mail_parser::MessageParser::default().parse(ack.as_bytes()).unwrap();
    // A subject is text: the ticket's own, as it was written (no HTML escapes).
    assert_eq!(m.subject().unwrap(), format!("[#{id}] Recebemos sua solicitação: Login & <2FA>"));
    assert_eq!(m.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));
    assert_eq!(m.header_raw("X-Loop").map(str::trim), Some("frontdesk"));
    // Our own acknowledgement, bounced back to the support address by a careless forwarder,
    // makes no ticket.
    let echo = deliver(&app, ack.clone().into_bytes(), "help@acme.test").await;
    assert_eq!(echo["outcome"], "ignored", "{echo}");
    assert_eq!(m.in_reply_to().as_text(), Some("hana-1@example.jp"));
    let text = m.body_text(0).unwrap().to_string();
    assert!(text.contains("recebemos sua solicitação \"Login & <2FA>\""), "{text}");
    // The history tab names the notification by that subject, escaped once for the page.
    crate::helpers::make_user(&app.state, "Lia Agente", "lia@acme.test", Role::Agent, Some("a long password")).await;
    let mut b = crate::ui::Browser::new(&app.base, "pt-BR");
    b.sign_in("lia@acme.test", "a long password").await;
    let history = b.get(&format!("/agent/tickets/{id}/history")).await.html;
    assert!(history.contains("Recebemos sua solicitação: Login &amp; &lt;2FA&gt;"), "{history}");
    assert!(text.contains(&format!("リクエスト #{id} に追記できます")), "{text}");
    assert!(text.contains(&format!("{}/portal/requests/{id}", app.base)), "{text}");
    // Her answer to the acknowledgement threads by its reply token.
    let ours = m.message_id().unwrap().to_string();
    assert!(ours.starts_with(&format!("t{id}.")), "{ours}");
    let answer = format!(
        "From: hana@example.jp\r\nTo: help@acme.test\r\nSubject: Re: Login\r\nMessage-ID: <hana-2@example.jp>\r\nIn-Reply-To: <{ours}>\r\n\r\nAlso my password.\r\n"
    );
    let o = deliver(&app, answer.into_bytes(), "help@acme.test").await;
    assert_eq!(o["ticket_id"], id, "{o}");
    assert!(o["reason"].as_str().unwrap().contains("our reply token"), "{o}");

    // Assigning the ticket tells the agent, by mail, with a link to the agent's page.
    let (agent, _) = app.user("Bruno Agente", "bruno@acme.test", Role::Agent).await;
    app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"assignee_id": agent}})).await;
    let told = crate::helpers::nth_mail(&sent, 1).await;
    let m = mail_parser::MessageParser::default().parse(told.as_bytes()).unwrap();
    assert_eq!(m.to().unwrap().first().unwrap().address(), Some("bruno@acme.test"));
    assert!(m.subject().unwrap().contains("Atribuído a você: Login"), "{:?}", m.subject());
    assert!(m.body_text(0).unwrap().contains(&format!("{}/agent/tickets/{id}", app.base)));

    // However many requests one address sends in an hour, it gets at most ten automatic mails.
    for n in 0..12 {
        let raw = format!(
            "From: hana@example.jp\r\nTo: help@acme.test\r\nSubject: Again {n}\r\nMessage-ID: <again-{n}@example.jp>\r\n\r\nHello\r\n"
        );
        deliver(&app, raw.into_bytes(), "help@acme.test").await;
    }
    for _ in 0..400 {
        let done = app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'notification' AND state = 'completed'").await;
        if done == 14 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let acks = sent.lock().unwrap().iter().filter(|m| m.contains("hana@example.jp")).count();
    assert_eq!(acks, 10, "the first acknowledgement and nine more");
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_log WHERE address = 'hana@example.jp'").await, 10);
}

/// Checks a DKIM signature (relaxed/relaxed, ed25519-sha256, RFC 6376 and 8463) the way a
/// receiving server would, written here apart from the signer: the tags it must have, the body
/// hash, then the signature over the signed headers.
fn verify_dkim(raw: &str, key: &ed25519_dalek::VerifyingKey) -> std::collections::HashMap<String, String> {
    use base64::Engine;
    use sha2::Digest;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (head, body) = raw.split_once("\r\n\r\n").expect("headers and a body");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        match headers.last_mut() {
            Some((_, v)) if line.starts_with([' ', '\t']) => {
                v.push_str("\r\n");
                v.push_str(line);
            }
            _ => {
                let (n, v) = line.split_once(':').expect("a header");
                headers.push((n.to_string(), v.to_string()));
            }
        }
    }
    let relaxed = |v: &str| v.replace("\r\n", "").split_whitespace().collect::<Vec<_>>().join(" ");
    let (_, signature) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("DKIM-Signature")).expect("signed");
    let tags: std::collections::HashMap<String, String> = relaxed(signature)
        .split(';')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.replace(' ', "")))
        .collect();
    assert_eq!((tags["a"].as_str(), tags["c"].as_str()), ("ed25519-sha256", "relaxed/relaxed"), "{tags:?}");
    // The body: trailing white space off each line, runs of it made one space, no empty
    // lines at the end (and the SMTP dot-stuffing undone).
    let mut lines: Vec<String> = body
        .split("\r\n")
        .map(|l| l.strip_prefix('.').filter(|_| l.starts_with("..")).unwrap_or(l))
        .map(|l| l.split([' ', '\t']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "))
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let canonical_body = if lines.is_empty() { String::new() } else { lines.join("\r\n") + "\r\n" };
    assert_eq!(tags["bh"], b64.encode(sha2::Sha256::digest(canonical_body.as_bytes())), "the body hash");
    // The signed headers, each `name:value` relaxed, then the signature's own header without
    // its b= value.
    let mut data = String::new();
    for name in tags["h"].split(':') {
        // A name listed but absent signs its absence: it adds nothing here.
        if let Some((_, v)) = headers.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            data.push_str(&format!("{}:{}\r\n", name.to_ascii_lowercase(), relaxed(v)));
        }
    }
    let unsigned: Vec<String> = signature
        .split(';')
        .map(|t| if t.trim_start().starts_with("b=") { " b=".to_string() } else { t.to_string() })
        .collect();
    data.push_str(&format!("dkim-signature:{}", relaxed(&unsigned.join(";"))));
    let sig = b64.decode(&tags["b"]).expect("base64 signature");
    let sig = ed25519_dalek::Signature::from_slice(&sig).expect("an Ed25519 signature");
    key.verify_strict(&sha2::Sha256::digest(data.as_bytes()), &sig).expect("the DKIM signature verifies");
    tags
}

#[tokio::test]
async fn outgoing_mail_is_dkim_signed_so_that_a_receiver_can_verify_it() {
    use base64::Engine;
    let seed: [u8; 32] = rand::random();
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
    // The key as `openssl genpkey -algorithm ed25519` writes it (PKCS#8 PEM).
    let der = [hex::decode("302e020100300506032b657004220420").unwrap(), seed.to_vec()].concat();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    );
    let dir = std::env::temp_dir().join(format!("fd-dkim-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dkim.pem");
    std::fs::write(&path, pem).unwrap();
    let key = frontdesk_server::mail_out::load_dkim(&path, "fd2026", None).unwrap();
    // A file that is no key stops the server at start with the reason.
    std::fs::write(dir.join("bad.pem"), "hello").unwrap();
    let e = frontdesk_server::mail_out::load_dkim(&dir.join("bad.pem"), "fd2026", None).unwrap_err();
    assert!(e.to_string().contains("not PEM or base64") || e.to_string().contains("not a DKIM key"), "{e}");

    let (relay, sent) = crate::helpers::smtp_sink().await;
    let app = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| {
        c.smtp_relay = Some(relay);
        c.dkim = Some(key);
    })
    .await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test", "name": "ACME"}}))
        .await;
    let o = deliver(&app, fixture("gmail_new.eml"), "help@acme.test").await;
    let id = o["ticket_id"].as_i64().unwrap();
    let body = "Olá!  Pode **reiniciar** a impressora?\n\n.linha com ponto\n\n\n";
    app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"comment": {"body": body}}})).await;
    let mail = crate::helpers::nth_mail(&sent, 0).await;
    let tags = verify_dkim(&mail, &signing.verifying_key());
    assert_eq!((tags["d"].as_str(), tags["s"].as_str()), ("acme.test", "fd2026"));
    let signed = tags["h"].to_ascii_lowercase();
    for h in ["from", "to", "subject", "message-id", "in-reply-to", "references", "mime-version"] {
        assert!(signed.split(':').any(|x| x == h), "{h} is signed: {tags:?}");
    }
    // A changed body no longer verifies: the check above is a real one.
    let tampered = mail.replacen("reiniciar", "desligar", 1);
    assert!(std::panic::catch_unwind(|| verify_dkim(&tampered, &signing.verifying_key())).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_struggling_smtp_server_gets_the_reply_again_later_and_it_is_sent_once() {
    let (relay, sent) = crate::helpers::smtp_sink_failing(2).await;
    let app = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| c.smtp_relay = Some(relay)).await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test", "name": "ACME"}}))
        .await;
    let o = deliver(&app, fixture("gmail_new.eml"), "help@acme.test").await;
    let id = o["ticket_id"].as_i64().unwrap();
    app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"comment": {"body": "Pode reiniciar?"}}})).await;
    let failures = "SELECT COUNT(*) FROM jobs WHERE kind = 'email.reply' AND attempts >= 1 AND state <> 'completed'";
    let mut waited = 0;
    while app.count(failures).await == 0 && waited < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        waited += 1;
    }
    assert!(sent.lock().unwrap().is_empty(), "the first try was refused");
    // Backoff is on the server's clock: move it past each retry's time.
    for _ in 0..40 {
        if !sent.lock().unwrap().is_empty() {
            break;
        }
        app.clock.advance_secs(120);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mail = crate::helpers::nth_mail(&sent, 0).await;
    assert!(mail.contains("Pode reiniciar?"), "{mail}");
    // The job completes in its own commit just after the relay took the mail.
    let completed = "SELECT COUNT(*) FROM jobs WHERE kind = 'email.reply' AND state = 'completed'";
    for _ in 0..200 {
        if app.count(completed).await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let done = "SELECT COUNT(*) FROM jobs WHERE kind = 'email.reply' AND state = 'completed' AND attempts = 3";
    assert_eq!(app.count(done).await, 1, "two refusals, then sent");
    app.clock.advance_secs(3600);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sent.lock().unwrap().len(), 1, "sent once");
}

#[tokio::test]
async fn mail_that_cannot_become_a_ticket_is_kept_tried_again_and_the_admins_are_told() {
    let (relay, sent) = crate::helpers::smtp_sink().await;
    let app = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| c.smtp_relay = Some(relay)).await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test", "name": "ACME"}}))
        .await;
    crate::helpers::refuse_tickets(&app, None).await;
    let o = deliver(&app, fixture("gmail_new.eml"), "help@acme.test").await;
    assert_eq!(o["outcome"], "failed", "{o}");
    assert!(o["reason"].as_str().unwrap().contains("kept, to be tried again"), "{o}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);

    // Visible to an admin, with why, and the message itself is kept.
    let list = app.get("/api/v2/inbound_emails").await.body["inbound_emails"].as_array().unwrap().clone();
    let kept = list.iter().find(|m| m["outcome"] == "failed").unwrap_or_else(|| panic!("{list:?}"));
    let raw = app.get(&format!("/api/v2/inbound_emails/{}/raw", kept["id"])).await;
    assert_eq!(raw.status, 200);

    // Every admin is told by mail, with the sender and the reason.
    let notice = crate::helpers::nth_mail(&sent, 0).await;
    assert!(notice.contains("could not become a ticket"), "{notice}");
    assert!(notice.contains(kept["from"].as_str().unwrap()), "{notice}");
    assert!(notice.contains("Auto-Submitted: auto-generated"), "{notice}");
    // A second message kept within the hour is kept the same way, without a second notice.
    let mut other = fixture("gmail_new.eml");
    let text = String::from_utf8_lossy(&other).replacen("Message-ID: <", "Message-ID: <second-", 1);
    other = text.into_bytes();
    assert_eq!(deliver(&app, other, "help@acme.test").await["outcome"], "failed");
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE outcome = 'failed'").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'email.kept_notice'").await, 1, "one notice an hour");

    // Once the store takes tickets again, the retry makes the ticket: one, and the record says so.
    crate::helpers::allow_tickets(&app).await;
    let made = "SELECT COUNT(*) FROM tickets";
    let failed = "SELECT COUNT(*) FROM inbound_messages WHERE outcome = 'failed'";
    for _ in 0..100 {
        if app.count(failed).await == 0 {
            break;
        }
        app.clock.advance_secs(120);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(failed).await, 0, "both kept messages were taken in");
    let list = app.get("/api/v2/inbound_emails").await.body["inbound_emails"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    let first = list.iter().find(|m| m["message_id"].as_str().unwrap_or("").starts_with("CAgmail-first-0001")).unwrap();
    assert_eq!(first["outcome"], "created", "{list:?}");
    assert!(first["ticket_id"].is_i64(), "{list:?}");

    // The same message offered again is the same message: no new ticket.
    let before = app.count(made).await;
    let again = deliver(&app, fixture("gmail_new.eml"), "help@acme.test").await;
    assert_eq!(again["ticket_id"], first["ticket_id"], "{again}");
    assert_eq!(app.count(made).await, before);
}
