//! The web UI over real HTTP with a browser's cookies: sign-in with CSRF, the views sidebar with
//! live counts, a view's tickets, a ticket's conversation (public replies and internal notes
//! told apart), three languages, escaping, the CSP header, session expiry and sign-out.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use frontdesk_domain::Role;

use crate::helpers::{TestApp, TestDb, make_user};

/// A browser: keeps cookies, follows no redirects (so each hop is checked), speaks a language.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
    lang: &'static str,
    /// Requests say they came through a TLS-terminating proxy (`X-Forwarded-Proto: https`).
    pub behind_tls: bool,
    /// Requests say they came from this client through a proxy (`X-Forwarded-For`).
    pub forwarded_for: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub csp: Option<String>,
    pub html: String,
    /// The `Set-Cookie` headers as sent.
    pub set_cookies: Vec<String>,
}

impl Browser {
    pub fn new(base: &str, lang: &'static str) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { http, base: base.to_string(), cookies: Vec::new(), lang, behind_tls: false, forwarded_for: None }
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let req = if self.behind_tls { req.header("x-forwarded-proto", "https") } else { req };
        let req = match &self.forwarded_for {
            Some(client) => req.header("x-forwarded-for", client),
            None => req,
        };
        let r = req.header(COOKIE, cookie).header(ACCEPT_LANGUAGE, self.lang).send().await.unwrap();
        let set_cookies: Vec<String> =
            r.headers().get_all(SET_COOKIE).iter().map(|c| c.to_str().unwrap().to_string()).collect();
        for c in r.headers().get_all(SET_COOKIE) {
            let first = c.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = first.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !v.is_empty() {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
        let location = r.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_string());
        let csp = r.headers().get(CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap().to_string());
        Page { status: r.status(), location, csp, html: r.text().await.unwrap(), set_cookies }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// Posts a form as a browser does from the page at `path` (its `Referer`).
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let url = format!("{}{path}", self.base);
        let req = self.http.post(&url).header(reqwest::header::REFERER, &url).form(form);
        self.send(req).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = hidden(&form.html, "_csrf");
        self.post("/login", &[("email", email), ("password", password), ("_csrf", &csrf)]).await
    }
}

/// A hidden input's value.
pub fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[tokio::test]
async fn an_agent_signs_in_and_works_a_view_and_a_ticket_in_three_languages() {
    let app = TestApp::spawn().await;
    make_user(&app.state, "Gabriela Agente", "gabi@example.com", Role::Agent, Some("senha muito boa")).await;
    let view = app
        .post("/api/v2/views", json!({"view": {"title": "Abertos", "all": [{"field": "status", "operator": "less_than", "value": "solved"}]}}))
        .await
        .body["view"]["id"]
        .as_i64()
        .unwrap();
    let t = app
        .ticket(json!({"subject": "<script>alert(1)</script> impressora", "comment": {"body": "Olá, **ajuda**"},
            "requester": {"name": "Hugo Cliente", "email": "hugo@cliente.com"}}))
        .await;
    let id = t["id"].as_i64().unwrap();
    app.put(
        &format!("/api/v2/tickets/{id}"),
        json!({"ticket": {"comment": {"body": "Nota só para a equipe", "public": false}}}),
    )
    .await;

    let mut b = Browser::new(&app.base, "pt-BR,pt;q=0.9");
    // Not signed in: the workspace sends the browser to the sign-in page.
    let p = b.get("/agent").await;
    assert_eq!((p.status, p.location.as_deref()), (StatusCode::SEE_OTHER, Some("/login")));
    // A wrong password, then a form without its token: each a message in Portuguese.
    let p = b.sign_in("gabi@example.com", "errada").await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.html.contains("Esse e-mail e essa senha não correspondem a uma conta."), "{}", p.html);
    let p =
        b.post("/login", &[("email", "gabi@example.com"), ("password", "senha muito boa"), ("_csrf", "forged")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.html.contains("Este formulário tinha expirado"), "{}", p.html);

    let p = b.sign_in("gabi@example.com", "senha muito boa").await;
    assert_eq!((p.status, p.location.as_deref()), (StatusCode::SEE_OTHER, Some("/agent")));
    let p = b.get("/agent").await;
    assert_eq!(p.location.as_deref(), Some(format!("/agent/views/{view}").as_str()));
    let p = b.get(&format!("/agent/views/{view}")).await;
    assert_eq!(p.status, StatusCode::OK);
    let csp = p.csp.expect("a CSP on every page");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(p.html.contains("<html lang=\"pt-BR\">"));
    assert!(p.html.contains("Visualizações"));
    assert!(p.html.contains("1 ticket"), "the live count and the total");
    assert!(
        p.html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; impressora"),
        "user content is escaped: {}",
        p.html
    );
    assert!(!p.html.contains("<script>alert(1)"));

    let p = b.get(&format!("/agent/tickets/{id}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("<strong>ajuda</strong>"), "Markdown rendered, sanitised at save");
    assert!(p.html.contains("class=\"comment internal\""), "the internal note is marked apart");
    assert!(p.html.contains("Nota interna"));
    assert!(p.html.contains("Hugo Cliente"));

    // Japanese from the browser; the user's own locale wins over it.
    let mut ja = Browser::new(&app.base, "ja,en;q=0.5");
    ja.sign_in("gabi@example.com", "senha muito boa").await;
    let p = ja.get(&format!("/agent/views/{view}")).await;
    assert!(p.html.contains("ビュー") && p.html.contains("1 件のチケット"), "{}", p.html);
    app.put(&format!("/api/v2/users/{}", app.admin_id), json!({"user": {"locale": "en-US"}})).await;
    let mut admin_ja = Browser::new(&app.base, "ja");
    make_user(&app.state, "Ivo Admin", "ivo@example.com", Role::Admin, Some("another good one")).await;
    let ivo = app.get("/api/v2/users/search?query=ivo@example.com").await.body["users"][0]["id"].as_i64().unwrap();
    app.put(&format!("/api/v2/users/{ivo}"), json!({"user": {"locale": "en-US"}})).await;
    admin_ja.sign_in("ivo@example.com", "another good one").await;
    let p = admin_ja.get(&format!("/agent/views/{view}")).await;
    assert!(p.html.contains(">Views<") && p.html.contains("1 ticket"), "{}", p.html);

    // The count is live: a new ticket shows on the next page load.
    app.ticket(json!({"subject": "segundo", "comment": {"body": "x"}})).await;
    let p = b.get(&format!("/agent/views/{view}")).await;
    assert!(p.html.contains("2 tickets"));

    // Signing out ends the session: the old cookie no longer opens the workspace.
    let csrf = hidden(&p.html, "_csrf");
    let old = b.cookies.clone();
    let p = b.post("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(p.location.as_deref(), Some("/login"));
    b.cookies = old;
    assert_eq!(b.get("/agent").await.location.as_deref(), Some("/login"));

    // An idle session expires and says so.
    let mut c = Browser::new(&app.base, "en");
    c.sign_in("gabi@example.com", "senha muito boa").await;
    app.clock.advance_secs(9 * 3600);
    let p = c.get("/agent").await;
    assert_eq!(p.location.as_deref(), Some("/login?expired=1"));
    let p = c.get("/login?expired=1").await;
    assert!(p.html.contains("Your session has expired."));

    // End users do not get the agent workspace: they have the portal.
    make_user(&app.state, "Julia Cliente", "julia@cliente.com", Role::EndUser, Some("cliente senha")).await;
    let mut eu = Browser::new(&app.base, "en");
    assert_eq!(eu.sign_in("julia@cliente.com", "cliente senha").await.location.as_deref(), Some("/portal"));
    assert_eq!(eu.get("/agent").await.location.as_deref(), Some("/portal"));
    assert_eq!(eu.get(&format!("/agent/tickets/{id}")).await.location.as_deref(), Some("/portal"));
}

#[tokio::test]
async fn the_first_run_creates_the_first_admin_and_signs_them_in() {
    let db = crate::helpers::TestDb::new().await;
    let (_server, base) = crate::cli::serve(&db, &[]).await;
    let mut b = Browser::new(&base, "ja");
    let p = b.get("/").await;
    assert_eq!(p.location.as_deref(), Some("/setup"), "an empty database starts at the first run");
    assert_eq!(b.get("/login").await.location.as_deref(), Some("/setup"));
    let form = b.get("/setup").await;
    assert!(form.html.contains("最初の管理者を作成してください"), "{}", form.html);
    let csrf = hidden(&form.html, "_csrf");
    // Errors next to their fields, in the browser's language; nothing saved.
    let p =
        b.post("/setup", &[("name", " "), ("email", "not-an-email"), ("password", "short"), ("_csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("名前を入力してください。"));
    assert!(p.html.contains("メールアドレスの形式ではありません。"));
    assert!(p.html.contains("パスワードは 8 文字以上必要です。"));
    let csrf = hidden(&p.html, "_csrf");
    let p = b
        .post(
            "/setup",
            &[("name", "Karin Admin"), ("email", "karin@example.com"), ("password", "good password"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/agent"), "{}", p.html);
    // A new helpdesk starts with the usual queues, titled in the admin's language.
    let p = b.get("/agent").await;
    let first = p.location.expect("the first view");
    let p = b.get(&first).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("Karin Admin"));
    assert!(p.html.contains("自分の未解決チケット") && p.html.contains("未割り当てのチケット"), "{}", p.html);
    // Once there is a user, the first run is gone.
    let mut other = Browser::new(&base, "en");
    assert_eq!(other.get("/setup").await.location.as_deref(), Some("/login"));
    let p =
        other.post("/setup", &[("name", "Mallory"), ("email", "m@example.com"), ("password", "good password")]).await;
    assert_eq!(p.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn submit_as_saves_reply_status_and_assignment_at_once_and_refuses_a_stale_form() {
    let app = TestApp::spawn().await;
    let (agent, _) = make_user(&app.state, "Lia Agente", "lia@example.com", Role::Agent, Some("senha da lia")).await;
    let t = app
        .ticket(json!({"subject": "Fatura duplicada", "comment": {"body": "Cobraram duas vezes"},
        "requester": {"name": "Nina Cliente", "email": "nina@cliente.com"}}))
        .await;
    let id = t["id"].as_i64().unwrap();
    let mut b = Browser::new(&app.base, "pt-BR");
    b.sign_in("lia@example.com", "senha da lia").await;
    let page = b.get(&format!("/agent/tickets/{id}")).await;
    assert!(page.html.contains("Atribuir a mim") && page.html.contains("Enviar como Pendente"), "{}", page.html);
    let csrf = hidden(&page.html, "_csrf");
    let stamp = hidden(&page.html, "version");
    let form = [
        ("_csrf", csrf.as_str()),
        ("version", stamp.as_str()),
        ("public", "true"),
        ("body", "Vamos estornar a cobrança."),
        ("assign_to_me", "1"),
        ("status", "pending"),
    ];
    let p = b.post(&format!("/agent/tickets/{id}"), &form).await;
    assert_eq!(p.location.as_deref(), Some(format!("/agent/tickets/{id}?saved=1").as_str()), "{}", p.html);
    let api = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(api["status"], "pending");
    assert_eq!(api["assignee_id"], agent);
    let audits = app.get(&format!("/api/v2/tickets/{id}/audits")).await.body["audits"].as_array().unwrap().clone();
    assert_eq!(audits.len(), 2, "one update, one audit");
    let comments = app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].clone();
    assert_eq!(comments[1]["plain_body"], "Vamos estornar a cobrança.");
    assert_eq!(comments[1]["public"], true);
    let p = b.get(&format!("/agent/tickets/{id}?saved=1")).await;
    assert!(p.html.contains("Salvo."));
    // The ticket's own status is the default submit (what Ctrl+Enter sends), and only it.
    assert!(p.html.contains("value=\"pending\" class=\"default\">Enviar como Pendente</button>"), "{}", p.html);
    assert_eq!(p.html.matches("class=\"default\"").count(), 1, "{}", p.html);

    // An internal note from a page shown before someone else's change is refused, kept, and
    // the page shows the ticket as it is now.
    let stale = hidden(&p.html, "version");
    let csrf = hidden(&p.html, "_csrf");
    // In the same second: the check is on the commit order, not on the time.
    app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"priority": "high"}})).await;
    let form = [
        ("_csrf", csrf.as_str()),
        ("version", stale.as_str()),
        ("public", "false"),
        ("body", "Nota: cliente VIP"),
        ("status", "open"),
    ];
    let p = b.post(&format!("/agent/tickets/{id}"), &form).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.html.contains("Alguém alterou este ticket enquanto você escrevia."), "{}", p.html);
    assert!(p.html.contains(">Nota: cliente VIP</textarea>"), "the draft is kept");
    assert!(p.html.contains("high"), "the new state is shown");
    let api = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(api["status"], "pending", "nothing saved");
    // Submitting again from the fresh page works, as an internal note.
    let fresh = hidden(&p.html, "version");
    let csrf = hidden(&p.html, "_csrf");
    let form = [
        ("_csrf", csrf.as_str()),
        ("version", fresh.as_str()),
        ("public", "false"),
        ("body", "Nota: cliente VIP"),
        ("status", "open"),
    ];
    let p = b.post(&format!("/agent/tickets/{id}"), &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let comments = app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].clone();
    assert_eq!(comments[2]["public"], false);
    // A form without its token saves nothing.
    let p = b.post(&format!("/agent/tickets/{id}"), &[("body", "forjado"), ("status", "solved")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["status"], "open");
}

#[tokio::test]
async fn a_macro_is_previewed_on_the_ticket_page_then_applied() {
    let app = TestApp::spawn().await;
    make_user(&app.state, "Otto Agente", "otto@example.com", Role::Agent, Some("senha do otto")).await;
    let m = app
        .post(
            "/api/v2/macros",
            json!({"macro": {"title": "Aguardar cliente", "actions": [
            {"field": "status", "value": "pending"}, {"field": "current_tags", "value": "aguardando"},
            {"field": "comment_value", "value": "Olá {{ticket.requester.first_name}}, aguardamos sua resposta."}]}}),
        )
        .await
        .body["macro"]["id"]
        .as_i64()
        .unwrap();
    let t = app.ticket(json!({"subject": "Senha", "comment": {"body": "esqueci"}, "requester": {"name": "Paula Lima", "email": "paula@cliente.com"}})).await;
    let id = t["id"].as_i64().unwrap();
    let mut b = Browser::new(&app.base, "pt-BR");
    b.sign_in("otto@example.com", "senha do otto").await;
    let p = b.get(&format!("/agent/tickets/{id}")).await;
    assert!(p.html.contains(&format!("<option value=\"{m}\"")), "the macro picker lists it");
    let p = b.get(&format!("/agent/tickets/{id}?macro={m}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("O que “Aguardar cliente” faria"), "{}", p.html);
    assert!(p.html.contains("Olá Paula, aguardamos sua resposta."));
    assert!(p.html.contains(">aguardando<"));
    let api = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(api["status"], "new", "the preview saved nothing");
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].as_array().unwrap().len(), 1);
    let csrf = hidden(&p.html, "_csrf");
    let version = hidden(&p.html, "version");
    let mid = m.to_string();
    let p = b
        .post(&format!("/agent/tickets/{id}/macro"), &[("_csrf", &csrf), ("version", &version), ("macro", &mid)])
        .await;
    assert_eq!(p.location.as_deref(), Some(format!("/agent/tickets/{id}?saved=1").as_str()), "{}", p.html);
    let api = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(api["status"], "pending");
    assert_eq!(api["tags"], json!(["aguardando"]));
    let comments = app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].clone();
    assert_eq!(comments[1]["plain_body"], "Olá Paula, aguardamos sua resposta.");
    // The same preview applied again from the old page is refused: the ticket moved on.
    let p = b
        .post(&format!("/agent/tickets/{id}/macro"), &[("_csrf", &csrf), ("version", &version), ("macro", &mid)])
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_customer_submits_a_request_and_sees_only_their_own_and_public_replies() {
    let app = TestApp::spawn().await;
    let (rosa, _) =
        make_user(&app.state, "Rosa Cliente", "rosa@cliente.com", Role::EndUser, Some("senha da rosa")).await;
    make_user(&app.state, "Saulo Cliente", "saulo@cliente.com", Role::EndUser, Some("senha do saulo")).await;
    let mut b = Browser::new(&app.base, "pt-BR");
    b.sign_in("rosa@cliente.com", "senha da rosa").await;
    let p = b.get("/portal").await;
    assert!(p.html.contains("Você ainda não tem solicitações."), "{}", p.html);
    let csrf = hidden(&p.html, "_csrf");
    // A blank subject is refused next to the form, and nothing is saved.
    let p = b.post("/portal/requests", &[("_csrf", &csrf), ("subject", "Nota fiscal"), ("description", " ")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
    let p = b
        .post(
            "/portal/requests",
            &[("_csrf", &csrf), ("subject", "Nota fiscal"), ("description", "Não recebi a nota fiscal.")],
        )
        .await;
    let at = p.location.clone().expect("to the new request");
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    let api = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(api["requester_id"], rosa);
    assert_eq!(api["via"]["channel"], "web");
    app.put(
        &format!("/api/v2/tickets/{id}"),
        json!({"ticket": {"comment": {"body": "Nota interna: cliente antiga", "public": false}}}),
    )
    .await;
    // The agent answers and solves the request.
    app.put(
        &format!("/api/v2/tickets/{id}"),
        json!({"ticket": {"comment": {"body": "Reenviamos a nota."}, "status": "solved"}}),
    )
    .await;
    let p = b.get(&at).await;
    assert!(p.html.contains("Reenviamos a nota.") && p.html.contains("Não recebi a nota fiscal."));
    assert!(!p.html.contains("Nota interna"), "the internal note never reaches the customer");
    let csrf = hidden(&p.html, "_csrf");
    let p = b.post(&at, &[("_csrf", &csrf), ("body", "Recebi, obrigada!")]).await;
    assert_eq!(p.location, Some(format!("{at}?saved=1")));
    let comments = app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].clone();
    assert_eq!(comments[3]["plain_body"], "Recebi, obrigada!");
    assert_eq!(comments[3]["author_id"], rosa);
    // The customer's reply from the portal reopens the solved request, as a mailed reply does.
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["status"], "open");
    // An internal note by an agent changes nothing of the kind.
    app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"status": "pending"}})).await;
    app.put(
        &format!("/api/v2/tickets/{id}"),
        json!({"ticket": {"comment": {"body": "Aguardando a cliente", "public": false}}}),
    )
    .await;
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["status"], "pending");
    let p = b.get("/portal").await;
    assert!(p.html.contains("Nota fiscal"));
    // Another customer sees neither the request nor its page.
    let mut other = Browser::new(&app.base, "pt-BR");
    other.sign_in("saulo@cliente.com", "senha do saulo").await;
    assert!(!other.get("/portal").await.html.contains("Nota fiscal"));
    assert_eq!(other.get(&at).await.status, StatusCode::NOT_FOUND);
    let csrf = hidden(&other.get("/portal").await.html, "_csrf");
    assert_eq!(other.post(&at, &[("_csrf", &csrf), ("body", "intruso")]).await.status, StatusCode::NOT_FOUND);
}

/// The text part of a mail the sink got, and one of its headers.
pub fn mail_text(raw: &str) -> (String, String, Option<String>) {
    let m = mail_parser::MessageParser::default().parse(raw.as_bytes()).expect("a mail");
    let auto = m.header_raw("Auto-Submitted").map(|v| v.trim().to_string());
    (m.subject().unwrap_or_default().to_string(), m.body_text(0).unwrap_or_default().to_string(), auto)
}

/// The first link in a text under `base`.
pub fn link_in(text: &str, base: &str) -> String {
    let at = text.find(base).unwrap_or_else(|| panic!("no link to {base} in {text}"));
    text[at + base.len()..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test]
async fn a_customer_signs_in_by_an_emailed_link_that_works_once() {
    let (relay, sent) = crate::helpers::smtp_sink().await;
    let app = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| c.smtp_relay = Some(relay)).await;
    make_user(&app.state, "Rosa Cliente", "rosa@cliente.com", Role::EndUser, None).await;
    let mut b = Browser::new(&app.base, "pt-BR");
    let form = b.get("/login").await;
    let csrf = hidden(&form.html, "_csrf");
    let ask = [("_csrf", csrf.as_str()), ("email", "rosa@cliente.com"), ("purpose", "sign_in")];
    let p = b.post("/login/link", &ask).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("Se rosa@cliente.com tiver uma conta aqui"), "{}", p.html);
    // An address without an account gets the same answer, and no mail.
    let csrf = hidden(&p.html, "_csrf");
    let p = b
        .post("/login/link", &[("_csrf", csrf.as_str()), ("email", "ninguem@cliente.com"), ("purpose", "sign_in")])
        .await;
    assert!(p.html.contains("Se ninguem@cliente.com tiver uma conta aqui"), "{}", p.html);
    // Not an address: said in the link box, under its address.
    let csrf = hidden(&p.html, "_csrf");
    let p = b.post("/login/link", &[("_csrf", csrf.as_str()), ("email", "rosa"), ("purpose", "sign_in")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let link_box = p.html.split("action=\"/login/link\"").nth(1).unwrap_or("");
    assert!(link_box.contains("id=\"link-error\""), "{}", p.html);
    // A stale form sends nothing.
    let p = b.post("/login/link", &[("_csrf", "0"), ("email", "rosa@cliente.com"), ("purpose", "sign_in")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // The mail is in the language of the page she asked from, says it is automatic, and
    // links to this server.
    let (subject, text, auto) = mail_text(&crate::helpers::nth_mail(&sent, 0).await);
    assert!(subject.starts_with("Seu link de acesso"), "{subject}");
    assert!(text.contains("Olá, Rosa Cliente"), "{text}");
    assert_eq!(auto.as_deref(), Some("auto-generated"));
    let path = link_in(&text, &app.base);
    assert!(path.starts_with("/signin/"), "{path}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sent.lock().unwrap().len(), 1, "no mail for the address without an account");

    // Following it (in a browser with no session) asks for one click, then signs her in.
    let mut fresh = Browser::new(&app.base, "pt-BR");
    let page = fresh.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Entrar como rosa@cliente.com"), "{}", page.html);
    let csrf = hidden(&page.html, "_csrf");
    let p = fresh.post(&path, &[("_csrf", &csrf)]).await;
    assert_eq!(p.location.as_deref(), Some("/portal"), "{}", p.html);
    assert!(fresh.get("/portal").await.html.contains("Você ainda não tem solicitações."));
    // The link works once.
    let mut third = Browser::new(&app.base, "pt-BR");
    let again = third.get(&path).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.html.contains("já foi usado ou expirou"), "{}", again.html);
    let p = third.post(&path, &[("_csrf", &csrf)]).await;
    assert_ne!(p.location.as_deref(), Some("/portal"));

    // A password link by mail sets a password she can then sign in with.
    let csrf = hidden(&b.get("/login").await.html, "_csrf");
    b.post("/login/link", &[("_csrf", csrf.as_str()), ("email", "rosa@cliente.com"), ("purpose", "reset")]).await;
    let (subject, text, _) = mail_text(&crate::helpers::nth_mail(&sent, 1).await);
    assert!(subject.starts_with("Defina sua senha"), "{subject}");
    let path = link_in(&text, &app.base);
    assert!(path.starts_with("/reset/"), "{path}");
    let mut c = Browser::new(&app.base, "pt-BR");
    let csrf = hidden(&c.get(&path).await.html, "_csrf");
    let p =
        c.post(&path, &[("_csrf", &csrf), ("password", "uma senha comprida"), ("confirm", "uma senha comprida")]).await;
    assert_eq!(p.location.as_deref(), Some("/login?reset=1"));
    assert_eq!(c.sign_in("rosa@cliente.com", "uma senha comprida").await.location.as_deref(), Some("/portal"));

    // At most five links an hour reach one address, however often she asks.
    for _ in 0..5 {
        let csrf = hidden(&b.get("/login").await.html, "_csrf");
        b.post("/login/link", &[("_csrf", csrf.as_str()), ("email", "rosa@cliente.com"), ("purpose", "sign_in")]).await;
    }
    for _ in 0..200 {
        let done = app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'email.link' AND state = 'completed'").await;
        if done == 7 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'email.link' AND state = 'completed'").await, 7);
    assert_eq!(sent.lock().unwrap().len(), 5, "two links and three more make five");
}

#[tokio::test]
async fn session_cookies_are_httponly_and_samesite_secure_behind_tls_and_last_a_week_however_busy() {
    // The proxy is this machine: its `X-Forwarded-Proto` is believed.
    let proxy = frontdesk_server::http::forwarded::parse_proxy("127.0.0.0/8").unwrap();
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.trusted_proxies = vec![proxy]).await;
    make_user(&app.state, "Lia Agente", "lia@example.com", Role::Agent, Some("uma senha boa")).await;
    let session_cookie =
        |p: &Page| p.set_cookies.iter().find(|c| c.contains("HttpOnly") && c.contains("Max-Age=604800")).cloned();
    let mut b = Browser::new(&app.base, "en");
    let p = b.sign_in("lia@example.com", "uma senha boa").await;
    let cookie = session_cookie(&p).unwrap_or_else(|| panic!("a session cookie: {:?}", p.set_cookies));
    assert!(cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    // Behind a TLS-terminating proxy the cookie is sent over TLS only.
    let mut tls = Browser::new(&app.base, "en");
    tls.behind_tls = true;
    let p = tls.sign_in("lia@example.com", "uma senha boa").await;
    let cookie = session_cookie(&p).unwrap_or_else(|| panic!("a session cookie: {:?}", p.set_cookies));
    assert!(cookie.contains("; Secure"), "{cookie}");
    // Busy all week (never idle for 8 hours), the session still ends after 7 days.
    // 23 × 7 hours and 6 more make 167 hours: still signed in; two more pass the week (and
    // no wait was long enough to end it for idleness).
    for hours in std::iter::repeat_n(7, 23).chain([6]) {
        app.clock.advance_secs(hours * 3600);
        let p = b.get("/agent").await;
        assert!(!p.location.as_deref().is_some_and(|l| l.starts_with("/login")), "still signed in: {:?}", p.location);
        assert_eq!(p.status, StatusCode::OK);
    }
    app.clock.advance_secs(2 * 3600);
    assert_eq!(b.get("/agent").await.location.as_deref(), Some("/login?expired=1"));

    // A form sent after the session ended: signing in again leads back to its page, never
    // to another site.
    let mut c = Browser::new(&app.base, "en");
    c.sign_in("lia@example.com", "uma senha boa").await;
    let id = app.ticket(json!({"subject": "Late", "comment": {"body": "x"}})).await["id"].as_i64().unwrap();
    let page = format!("/agent/tickets/{id}");
    let csrf = hidden(&c.get(&page).await.html, "_csrf");
    app.clock.advance_secs(9 * 3600);
    let p = c.post(&page, &[("_csrf", &csrf), ("body", "hello"), ("status", "open")]).await;
    assert_eq!(p.location, Some(format!("/login?expired=1&next=%2Fagent%2Ftickets%2F{id}")));
    let form = c.get(p.location.as_deref().unwrap()).await;
    assert!(form.html.contains("name=\"next\""), "{}", form.html);
    let csrf = hidden(&form.html, "_csrf");
    let login = [("email", "lia@example.com"), ("password", "uma senha boa"), ("_csrf", csrf.as_str())];
    let p = c.post("/login", &[login.as_slice(), &[("next", page.as_str())]].concat()).await;
    assert_eq!(p.location.as_deref(), Some(page.as_str()));
    let csrf = hidden(&c.get("/login").await.html, "_csrf");
    let login = [("email", "lia@example.com"), ("password", "uma senha boa"), ("_csrf", csrf.as_str())];
    let p = c.post("/login", &[login.as_slice(), &[("next", "//evil.example/agent")]].concat()).await;
    assert_eq!(p.location.as_deref(), Some("/agent"));

    // A server whose public address is https:// sends its cookies over TLS only, whatever the
    // proxy in front of it says.
    let public =
        TestApp::spawn_with(TestDb::new().await, |c| c.public_url = Some("https://help.example.com".into())).await;
    make_user(&public.state, "Lia Agente", "lia@example.com", Role::Agent, Some("uma senha boa")).await;
    let mut direct = Browser::new(&public.base, "en");
    let form = direct.get("/login").await;
    assert!(form.set_cookies.iter().all(|c| c.contains("; Secure")), "{:?}", form.set_cookies);
    let p = direct.sign_in("lia@example.com", "uma senha boa").await;
    let cookie = session_cookie(&p).unwrap_or_else(|| panic!("a session cookie: {:?}", p.set_cookies));
    assert!(cookie.contains("; Secure"), "{cookie}");
}
