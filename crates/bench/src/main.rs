//! `cargo run --release -p frontdesk-bench [-- --postgres URL] [--tickets N]`
//! `cargo run --release -p frontdesk-bench -- --search [--tickets N] [--postgres URL | --data-dir DIR]`
//! `cargo run --release -p frontdesk-bench -- --rules [--tickets N] [--postgres URL]`
//! `cargo run --release -p frontdesk-bench -- --pages [--tickets N] [--postgres URL | --data-dir DIR]`
//! `cargo run --release -p frontdesk-bench -- --campaign [--customers N] [--postgres URL]`
//! `cargo run --release -p frontdesk-bench -- --email [--messages N] [--job-workers N]` (inbound through SMTP, and
//! the acknowledgements the default trigger mails out through a local SMTP server)
//!
//! Builds and starts a release `frontdesk serve` on a fresh database, drives it over HTTP from
//! this process and prints a Markdown report: create throughput (1 ticket a request, 8
//! concurrent clients), show latency, cursor-list latency at 10,000 and N tickets, create_many
//! throughput, server RSS idle and after load, and database bytes per 10,000 tickets.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

const CLIENTS: usize = 8;

struct Server {
    child: Child,
    base: String,
    auth: (String, String),
    data_dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts a release server. With `keep`, its data dir is that directory, kept between runs:
/// a database already seeded there is used as it is (seeding 1,000,000 tickets takes a while).
fn start(
    bin: &Path,
    database_url: Option<&str>,
    sync: &str,
    seed: Option<usize>,
    keep: Option<&Path>,
) -> anyhow::Result<Server> {
    let data_dir = match keep {
        Some(dir) => dir.to_path_buf(),
        None => std::env::temp_dir().join(format!("frontdesk-bench-{}", std::process::id())),
    };
    let seeded = keep.is_some() && data_dir.join("frontdesk.db").exists();
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    let seed = seed.filter(|_| !seeded);
    let cmd = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.arg("--data-dir").arg(&data_dir).args(args).env("FRONTDESK_LOG", "warn");
        match database_url {
            Some(u) => c.env("DATABASE_URL", u),
            None => c.env_remove("DATABASE_URL"),
        };
        c
    };
    if let Some(n) = seed {
        let t = Instant::now();
        let out = cmd(&["seed", "--tickets", &n.to_string(), "--comments", "3"]).stderr(Stdio::inherit()).output()?;
        if !out.status.success() {
            bail!("seed failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        eprintln!(
            "{} ({:.0} tickets/s)",
            String::from_utf8_lossy(&out.stdout).trim(),
            n as f64 / t.elapsed().as_secs_f64()
        );
    }
    let out =
        cmd(&["admin", "create", "--email", "bench@example.com", "--name", "Bench", "--password", "bench password"])
            .output()?;
    if !out.status.success() && !seeded {
        bail!("admin create failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = cmd(&["token", "create", "--email", "bench@example.com"]).output()?;
    let token = String::from_utf8(out.stdout)?.trim().to_string();
    let port = free_port();
    let child = cmd(&[
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--rate-limit",
        "100000000",
        "--sqlite-synchronous",
        sync,
    ])
    .stdout(Stdio::null())
    .spawn()?;
    Ok(Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        auth: ("bench@example.com/token".into(), token),
        data_dir,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Ctx {
    http: reqwest::Client,
    server: Server,
}

impl Ctx {
    fn req(&self, m: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(m, format!("{}{}", self.server.base, path))
            .basic_auth(&self.server.auth.0, Some(&self.server.auth.1))
    }

    async fn json(&self, m: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut r = self.req(m, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await?;
        let status = resp.status();
        let v: Value = resp.json().await?;
        if !status.is_success() {
            bail!("{path}: {status} {v}");
        }
        Ok(v)
    }
}

fn ticket(i: usize) -> Value {
    json!({"subject": format!("Bench ticket {i}: a impressora não imprime"),
           "comment": {"body": format!("Olá, o pedido {i} não chegou (código palavra{}x). 請求書をお願いします。", i % 1000)},
           "requester": {"name": format!("Customer {}", i % 500), "email": format!("customer{}@example.com", i % 500)},
           "priority": "normal", "tags": ["bench", "billing"]})
}

/// Creates `n` tickets with create_many (100 a call, 2 calls in flight); returns tickets/s.
async fn bulk_create(ctx: &Arc<Ctx>, n: usize, offset: usize) -> anyhow::Result<f64> {
    let start = Instant::now();
    let calls: Vec<usize> = (0..n.div_ceil(100)).collect();
    for chunk in calls.chunks(2) {
        let mut jobs = Vec::new();
        for &c in chunk {
            let batch: Vec<Value> = (c * 100..((c + 1) * 100).min(n)).map(|i| ticket(offset + i)).collect();
            let v =
                ctx.json(reqwest::Method::POST, "/api/v2/tickets/create_many", Some(json!({"tickets": batch}))).await?;
            jobs.push(v["job_status"]["id"].as_str().context("job id")?.to_string());
        }
        for id in jobs {
            loop {
                let v = ctx.json(reqwest::Method::GET, &format!("/api/v2/job_statuses/{id}"), None).await?;
                match v["job_status"]["status"].as_str() {
                    Some("completed") => break,
                    Some("failed") => bail!("job failed: {v}"),
                    _ => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
        }
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// Latency of `count` sequential GETs of `path(i)`, in ms: (p50, p95, p99).
async fn latency(ctx: &Arc<Ctx>, count: usize, path: impl Fn(usize) -> String) -> anyhow::Result<(f64, f64, f64)> {
    let mut samples = Vec::with_capacity(count);
    for i in 0..count {
        let t = Instant::now();
        let r = ctx.req(reqwest::Method::GET, &path(i)).send().await?;
        if !r.status().is_success() {
            bail!("GET {}: {}", path(i), r.status());
        }
        r.bytes().await?;
        samples.push(ms(t.elapsed()));
    }
    samples.sort_by(f64::total_cmp);
    Ok((percentile(&samples, 0.5), percentile(&samples, 0.95), percentile(&samples, 0.99)))
}

/// Cursor-paged list latency: pages of 100 starting at spread-out cursors.
async fn list_latency(ctx: &Arc<Ctx>, total: usize) -> anyhow::Result<(f64, f64, f64)> {
    use base64::Engine;
    latency(ctx, 200, |i| {
        let after = (i * 7919) % total.max(1);
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"id\":{after}}}"));
        format!("/api/v2/tickets.json?page[size]=100&page[after]={cursor}")
    })
    .await
}

fn latency_row(label: &str, (p50, p95, p99): (f64, f64, f64)) {
    println!("| {label} | p50 {p50:.2} ms, p95 **{p95:.2} ms**, p99 {p99:.2} ms |");
}

fn db_bytes(server: &Server) -> u64 {
    ["frontdesk.db", "frontdesk.db-wal"]
        .iter()
        .map(|f| std::fs::metadata(server.data_dir.join(f)).map(|m| m.len()).unwrap_or(0))
        .sum()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let postgres = flag("--postgres");
    let search_mode = args.iter().any(|a| a == "--search");
    let rules_mode = args.iter().any(|a| a == "--rules");
    let pages_mode = args.iter().any(|a| a == "--pages");
    let campaign_mode = args.iter().any(|a| a == "--campaign");
    let email_mode = args.iter().any(|a| a == "--email");
    let messages: usize = flag("--messages").map(|s| s.parse()).transpose()?.unwrap_or(10_000);
    let job_workers: usize = flag("--job-workers").map(|s| s.parse()).transpose()?.unwrap_or(2);
    let customers: usize = flag("--customers").map(|s| s.parse()).transpose()?.unwrap_or(10_000);
    let big: usize = flag("--tickets").map(|s| s.parse()).transpose()?.unwrap_or(100_000);
    let sync = flag("--sqlite-synchronous").unwrap_or_else(|| "NORMAL".into());
    let keep = flag("--data-dir");
    let root = workspace_root();
    eprintln!("building the release server…");
    let status = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["build", "--release", "-q", "-p", "frontdesk-server"])
        .status()?;
    if !status.success() {
        bail!("cargo build failed");
    }
    // Where cargo put it: CARGO_TARGET_DIR when set (relative to the workspace), else target/.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |d| root.join(d));
    let bin = target.join("release/frontdesk");
    if let Some(url) = &postgres {
        // A throwaway database on the given server.
        let name = format!("frontdesk_bench_{}", std::process::id());
        let (base, _) = url.rsplit_once('/').context("postgres URL with a database")?;
        let psql = |sql: &str| Command::new("psql").arg(url).args(["-q", "-c", sql]).status();
        psql(&format!("DROP DATABASE IF EXISTS {name}"))?;
        psql(&format!("CREATE DATABASE {name}"))?;
        let url = format!("{base}/{name}");
        let report = if search_mode {
            search_run(&bin, Some(&url), big, None).await
        } else if pages_mode {
            pages_run(&bin, Some(&url), big, None).await
        } else if campaign_mode {
            campaign_run(&bin, Some(&url), customers).await
        } else if rules_mode {
            rules_run(&bin, Some(&url), big).await
        } else {
            run(&bin, Some(&url), &sync, big).await
        };
        psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        return report;
    }
    if search_mode {
        return search_run(&bin, None, big, keep.as_deref().map(Path::new)).await;
    }
    if rules_mode {
        return rules_run(&bin, None, big).await;
    }
    if pages_mode {
        return pages_run(&bin, None, big, keep.as_deref().map(Path::new)).await;
    }
    if campaign_mode {
        return campaign_run(&bin, None, customers).await;
    }
    if email_mode {
        return email_run(&bin, messages, job_workers).await;
    }
    run(&bin, None, &sync, big).await
}

/// The twelve views of the count benchmark: the queues a support team keeps open.
fn bench_views() -> Vec<Value> {
    let c = |f: &str, o: &str, v: Value| json!({"field": f, "operator": o, "value": v});
    let open = c("status", "less_than", json!("solved"));
    [
        ("New", vec![c("status", "is", json!("new"))], vec![]),
        ("Open", vec![c("status", "is", json!("open"))], vec![]),
        ("Pending", vec![c("status", "is", json!("pending"))], vec![]),
        ("On hold", vec![c("status", "is", json!("hold"))], vec![]),
        ("Unassigned", vec![open.clone(), c("assignee_id", "is", json!(""))], vec![]),
        ("Mine", vec![open.clone(), c("assignee_id", "is", json!("current_user"))], vec![]),
        ("Urgent", vec![open.clone(), c("priority", "is", json!("urgent"))], vec![]),
        ("VIP", vec![open.clone()], vec![c("current_tags", "includes", json!("vip")), c("current_tags", "includes", json!("urgent"))]),
        ("Enterprise", vec![open.clone(), c("plan", "is", json!("enterprise_plus"))], vec![]),
        ("Billing", vec![open.clone(), c("current_tags", "includes", json!("billing fatura 請求"))], vec![]),
        ("Incidents", vec![open.clone(), c("type", "is", json!("incident"))], vec![]),
        ("Solved", vec![c("status", "is", json!("solved"))], vec![]),
    ]
    .into_iter()
    .map(|(title, all, any)| json!({"view": {"title": title, "all": all, "any": any, "output": {"columns": ["nice_id", "subject", "requester", "status"], "sort_by": "updated_at", "sort_order": "desc"}}}))
    .collect()
}

/// Search and views on a seeded database of `n` tickets with 3 comments each.
async fn search_run(bin: &Path, database_url: Option<&str>, n: usize, keep: Option<&Path>) -> anyhow::Result<()> {
    let server = start(bin, database_url, "NORMAL", Some(n), keep)?;
    let pid = server.child.id();
    let ctx = connect(server).await?;
    let mut view_ids = Vec::new();
    for v in bench_views() {
        let r = ctx.json(reqwest::Method::POST, "/api/v2/views", Some(v)).await?;
        view_ids.push(r["view"]["id"].as_i64().context("view id")?.to_string());
    }
    let ids = view_ids.join(",");
    let enc = |q: &str| form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>();
    let customers = (n / 20).max(100);
    // The first count of each view builds its set: measured alone, cold.
    let t = Instant::now();
    ctx.json(reqwest::Method::GET, &format!("/api/v2/views/count_many?ids={ids}"), None).await?;
    let cold_counts = ms(t.elapsed());
    // Then each sample follows a ticket update, so the counts have a change to take in.
    let mut samples = Vec::new();
    for i in 0..100 {
        let id = (i * 7919) % n + 1;
        let status = ["open", "pending", "hold"][i % 3];
        ctx.json(
            reqwest::Method::PUT,
            &format!("/api/v2/tickets/{id}"),
            Some(json!({"ticket": {"status": status, "tags": ["vip"]}})),
        )
        .await?;
        let t = Instant::now();
        let v = ctx.json(reqwest::Method::GET, &format!("/api/v2/views/count_many?ids={ids}"), None).await?;
        samples.push(ms(t.elapsed()));
        if v["view_counts"].as_array().map_or(0, Vec::len) != 12 {
            bail!("count_many: {v}");
        }
    }
    samples.sort_by(f64::total_cmp);
    let counts = (percentile(&samples, 0.5), percentile(&samples, 0.95), percentile(&samples, 0.99));
    let view_page =
        latency(&ctx, 100, |i| format!("/api/v2/views/{}/tickets?page={}&per_page=100", view_ids[i % 12], 1 + i % 5))
            .await?;
    let rare = latency(&ctx, 200, |i| format!("/api/v2/search.json?query=palavra{}x", (i * 37) % 1000)).await?;
    let accents =
        latency(&ctx, 50, |_| format!("/api/v2/search.json?query={}", enc("\"nota fiscal eletronica\" type:ticket")))
            .await?;
    let japanese = latency(&ctx, 50, |_| format!("/api/v2/search.json?query={}", enc("請求書 type:ticket"))).await?;
    let field = latency(&ctx, 200, |i| {
        format!(
            "/api/v2/search.json?query={}",
            enc(&format!("requester:customer{}@example.com status<solved", (i * 13) % customers))
        )
    })
    .await?;
    let custom = latency(&ctx, 200, |i| {
        format!(
            "/api/v2/search.json?query={}",
            enc(&format!("seats>{} renewal_date:2026-12-{:02} type:ticket", 490 - i % 20, 1 + i % 28))
        )
    })
    .await?;
    let custom_broad =
        latency(&ctx, 100, |_| format!("/api/v2/search.json?query={}", enc("plan:\"enterprise plus\" status:open")))
            .await?;
    let broad = latency(&ctx, 100, |_| format!("/api/v2/search.json?query={}", enc("status:new type:ticket"))).await?;
    let users = latency(&ctx, 100, |i| {
        format!(
            "/api/v2/users/search.json?query={}",
            enc(&format!("plan:\"{}\"", ["basic", "pro", "enterprise plus"][i % 3]))
        )
    })
    .await?;
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite (WAL, synchronous=NORMAL)" };
    println!("### Search and views, {backend}, {n} tickets with 3 comments each\n");
    println!("| measure | value |\n|---|---|");
    println!("| 12 view counts in one count_many, first (sets built) | {cold_counts:.0} ms |");
    latency_row("12 view counts in one count_many, each after a ticket update", counts);
    latency_row("a view's tickets, pages 1-5 of 100", view_page);
    latency_row("search, a rare word (1 ticket in 1,000)", rare);
    latency_row("search, \"nota fiscal eletronica\" (accents ignored, 1 in 8)", accents);
    latency_row("search, 請求書 (Japanese substring, about half the tickets)", japanese);
    latency_row("search, requester:<email> status<solved", field);
    latency_row("search, custom fields seats>N renewal_date:<day>", custom);
    latency_row("search, plan:\"enterprise plus\" status:open (1 in 10)", custom_broad);
    latency_row("search, status:new type:ticket (1 in 5, newest first)", broad);
    latency_row("user search, a custom user field (plan:…)", users);
    println!("| server RSS after | {:.1} MiB |", rss_kib(pid) as f64 / 1024.0);
    if database_url.is_none() {
        println!("| database size | {:.0} MiB |", db_bytes(&ctx.server) as f64 / 1048576.0);
    }
    let _ = std::fs::remove_dir_all(&ctx.server.data_dir);
    Ok(())
}

async fn connect(server: Server) -> anyhow::Result<Arc<Ctx>> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let ctx = Arc::new(Ctx { http, server });
    for _ in 0..200 {
        if ctx.http.get(format!("{}/healthz", ctx.server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(ctx)
}

/// Creates `n` tickets (numbered from `from`), one a request from 8 concurrent clients: the
/// rate, and the sorted latencies. Bodies are serialised up front and responses only checked
/// for 201, so the load generator spends as little of the shared CPU as it can.
async fn creates(ctx: &Arc<Ctx>, from: usize, n_create: usize) -> anyhow::Result<(f64, Vec<f64>)> {
    let bodies: Vec<Vec<u8>> =
        (from..from + n_create).map(|i| serde_json::to_vec(&json!({"ticket": ticket(i)})).unwrap()).collect();
    let bodies = Arc::new(bodies);
    let start = Instant::now();
    let mut tasks = Vec::new();

    for c in 0..CLIENTS {
        let ctx = ctx.clone();
        let bodies = bodies.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for i in (c..n_create).step_by(CLIENTS) {
                let t = Instant::now();
                let r = ctx
                    .req(reqwest::Method::POST, "/api/v2/tickets")
                    .header("content-type", "application/json")
                    .body(bodies[i].clone())
                    .send()
                    .await?;
                if r.status() != 201 {
                    bail!("create: {}", r.status());
                }
                r.bytes().await?;
                lat.push(ms(t.elapsed()));
            }
            anyhow::Ok(lat)
        }));
    }

    let mut create_lat = Vec::new();
    for t in tasks {
        create_lat.extend(t.await??);
    }
    let create_rate = n_create as f64 / start.elapsed().as_secs_f64();
    create_lat.sort_by(f64::total_cmp);
    Ok((create_rate, create_lat))
}

async fn run(bin: &Path, database_url: Option<&str>, sync: &str, big: usize) -> anyhow::Result<()> {
    let server = start(bin, database_url, sync, None, None)?;
    let pid = server.child.id();
    let ctx = connect(server).await?;
    let idle_rss = rss_kib(pid);

    // 1. Create: one ticket a request, 8 concurrent clients, 10,000 tickets.
    let n_create = 10_000usize;
    let (create_rate, create_lat) = creates(&ctx, 0, n_create).await?;
    let bytes_10k = db_bytes(&ctx.server);

    // 2. Show latency.
    let show = latency(&ctx, 2000, |i| format!("/api/v2/tickets/{}.json", (i * 37) % n_create + 1)).await?;
    // 3. List at 10,000.
    let list_10k = list_latency(&ctx, n_create).await?;
    // 4. create_many up to `big` tickets.
    let bulk_rate = bulk_create(&ctx, big.saturating_sub(n_create), n_create).await?;
    let list_big = list_latency(&ctx, big).await?;
    let show_big = latency(&ctx, 2000, |i| format!("/api/v2/tickets/{}.json", (i * 7919) % big + 1)).await?;
    // Search at `big` tickets: a rare word (1 in 1,000 tickets), a selective field query, a
    // Japanese substring of one ticket's text, and a broad query matching most tickets.
    let enc = |q: &str| q.replace(' ', "%20").replace(':', "%3A").replace('<', "%3C").replace('@', "%40");
    let rare = latency(&ctx, 200, |i| format!("/api/v2/search.json?query=palavra{}x", (i * 37) % 1000)).await?;
    let field = latency(&ctx, 200, |i| {
        format!(
            "/api/v2/search.json?query={}",
            enc(&format!("requester:customer{}@example.com status<solved", i % 500))
        )
    })
    .await?;
    let japanese =
        latency(&ctx, 100, |_| "/api/v2/search.json?query=%E8%AB%8B%E6%B1%82%E6%9B%B8%E3%82%92".to_string()).await?;
    let broad = latency(&ctx, 50, |_| format!("/api/v2/search.json?query={}", enc("status:new type:ticket"))).await?;
    let loaded_rss = rss_kib(pid);
    let bytes_big = db_bytes(&ctx.server);

    let backend =
        if database_url.is_some() { "PostgreSQL".to_string() } else { format!("SQLite (WAL, synchronous={sync})") };
    println!("### {backend}\n");
    println!("| measure | value |\n|---|---|");
    println!(
        "| ticket create, 1 per request, {CLIENTS} clients | **{create_rate:.0} tickets/s** (p50 {:.2} ms, p95 {:.2} ms) |",
        percentile(&create_lat, 0.5),
        percentile(&create_lat, 0.95)
    );
    latency_row(&format!("ticket show at {n_create} tickets"), show);
    latency_row(&format!("ticket show at {big} tickets"), show_big);
    latency_row(&format!("ticket list, 100 a page, cursor, at {n_create}"), list_10k);
    latency_row(&format!("ticket list, 100 a page, cursor, at {big}"), list_big);
    println!("| create_many (100 a call, 2 calls in flight) | **{bulk_rate:.0} tickets/s** |");
    latency_row(&format!("search, a rare word (100 matches), at {big}"), rare);
    latency_row(&format!("search, requester + status (~180 matches), at {big}"), field);
    latency_row(&format!("search, Japanese substring in every ticket, at {big}"), japanese);
    latency_row(&format!("search, status:new (every ticket; count + sort), at {big}"), broad);
    println!("| server RSS idle | **{:.1} MiB** |", idle_rss as f64 / 1024.0);
    println!("| server RSS after load | {:.1} MiB |", loaded_rss as f64 / 1024.0);
    if database_url.is_none() {
        println!(
            "| database bytes per 10,000 tickets (1 comment, 2 tags each) | {:.1} MiB (at {big}: {:.1} MiB per 10,000) |",
            bytes_10k as f64 / 1048576.0,
            bytes_big as f64 / 1048576.0 / (big as f64 / 10_000.0)
        );
    }
    let _ = std::fs::remove_dir_all(&ctx.server.data_dir);
    Ok(())
}

/// Fifty triggers of the kinds a support team keeps: most test something the bench's tickets
/// do not have (a tag, a priority, an update rather than a create); `firing` of them match
/// every new ticket (each adds a tag).
fn bench_triggers(firing: usize) -> Vec<Value> {
    let c = |f: &str, o: &str, v: &str| json!({"field": f, "operator": o, "value": v});
    (0..50)
        .map(|i| {
            let (all, actions) = if i < firing {
                (
                    vec![c("update_type", "is", "Create"), c("current_tags", "includes", "billing")],
                    vec![json!({"field": "current_tags", "value": format!("triaged_{i}")})],
                )
            } else if i % 3 == 0 {
                (
                    vec![c("update_type", "is", "Change"), c("status", "value", "solved")],
                    vec![json!({"field": "current_tags", "value": format!("solved_{i}")})],
                )
            } else if i % 3 == 1 {
                (
                    vec![c("update_type", "is", "Create"), c("current_tags", "includes", &format!("vip_{i}"))],
                    vec![json!({"field": "priority", "value": "high"})],
                )
            } else {
                (
                    vec![c("priority", "is", "urgent"), c("comment_includes_word", "includes", "cancelar cancel")],
                    vec![json!({"field": "current_tags", "value": format!("churn_{i}")})],
                )
            };
            json!({"trigger": {"title": format!("Bench trigger {i}"), "all": all, "actions": actions}})
        })
        .collect()
}

/// Automations a team keeps, each with a time condition and an action that ends its match.
fn bench_automations() -> Vec<Value> {
    let c = |f: &str, o: &str, v: &str| json!({"field": f, "operator": o, "value": v});
    let a = |f: &str, v: &str| json!({"field": f, "value": v});
    [
        ("Solve pending after 4 days", vec![c("PENDING", "greater_than", "96")], vec![a("status", "solved")]),
        (
            "Nudge stale new tickets",
            vec![c("NEW", "greater_than", "24"), c("priority", "is_not", "high")],
            vec![a("priority", "high"), a("current_tags", "stale_new")],
        ),
        (
            "Tag month-old open tickets",
            vec![
                c("updated_at", "greater_than", "720"),
                c("status", "less_than", "solved"),
                c("current_tags", "not_includes", "stale"),
            ],
            vec![a("current_tags", "stale")],
        ),
        ("Close solved after 10 days", vec![c("SOLVED", "greater_than", "240")], vec![a("status", "closed")]),
        (
            "Due within a day",
            vec![c("until_due_date", "less_than", "24"), c("priority", "less_than", "urgent")],
            vec![a("priority", "urgent")],
        ),
    ]
    .into_iter()
    .map(|(title, all, actions)| json!({"automation": {"title": title, "all": all, "actions": actions}}))
    .collect()
}

/// Business rules: ticket create throughput with 50 active triggers against none, on a
/// database seeded with `n` tickets; then automation passes over those tickets.
async fn rules_run(bin: &Path, database_url: Option<&str>, n: usize) -> anyhow::Result<()> {
    let server = start(bin, database_url, "NORMAL", Some(n), None)?;
    let ctx = connect(server).await?;
    let mut rows = Vec::new();
    let (plain, plain_lat) = creates(&ctx, 0, 10_000).await?;
    rows.push(format!(
        "| ticket create, no triggers | **{plain:.0} tickets/s** (p50 {:.2} ms, p95 {:.2} ms) |",
        percentile(&plain_lat, 0.5),
        percentile(&plain_lat, 0.95)
    ));
    let mut ids = Vec::new();
    for (round, firing) in [(1, 0usize), (2, 1), (3, 2)] {
        for id in ids.drain(..) {
            ctx.req(reqwest::Method::DELETE, &format!("/api/v2/triggers/{id}")).send().await?.error_for_status()?;
        }
        for t in bench_triggers(firing) {
            let r = ctx.json(reqwest::Method::POST, "/api/v2/triggers", Some(t)).await?;
            ids.push(r["trigger"]["id"].as_i64().context("trigger id")?);
        }
        let (rate, lat) = creates(&ctx, round * 10_000, 10_000).await?;
        rows.push(format!(
            "| ticket create, 50 active triggers, {firing} firing on each ticket | **{rate:.0} tickets/s** ({:+.0}% against none; p50 {:.2} ms, p95 {:.2} ms) |",
            (rate / plain - 1.0) * 100.0,
            percentile(&lat, 0.5),
            percentile(&lat, 0.95)
        ));
    }
    for id in ids.drain(..) {
        ctx.req(reqwest::Method::DELETE, &format!("/api/v2/triggers/{id}")).send().await?.error_for_status()?;
    }
    for a in bench_automations() {
        ctx.json(reqwest::Method::POST, "/api/v2/automations", Some(a)).await?;
    }
    let t = Instant::now();
    let first = ctx.json(reqwest::Method::POST, "/api/v2/automations/run", None).await?;
    let first_ms = ms(t.elapsed());
    let run = &first["automation_run"];
    rows.push(format!(
        "| automation pass, first (5 automations; {} matches, {} tickets acted on) | **{first_ms:.0} ms** ({:.0} tickets acted on per second) |",
        run["matched"],
        run["acted"],
        run["acted"].as_f64().unwrap_or(0.0) / (first_ms / 1000.0)
    ));
    let mut samples = Vec::new();
    let mut acted = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let r = ctx.json(reqwest::Method::POST, "/api/v2/automations/run", None).await?;
        samples.push(ms(t.elapsed()));
        acted += r["automation_run"]["acted"].as_i64().unwrap_or(0);
    }
    samples.sort_by(f64::total_cmp);
    rows.push(format!(
        "| automation pass, steady (every ticket checked, {acted} acted on in 20 passes) | p50 {:.0} ms, p95 **{:.0} ms** |",
        percentile(&samples, 0.5),
        percentile(&samples, 0.95)
    ));
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite (WAL, synchronous=NORMAL)" };
    println!("### Business rules, {backend}, {n} tickets seeded\n");
    println!("| measure | value |\n|---|---|");
    for r in rows {
        println!("{r}");
    }
    Ok(())
}

/// A browser session's cookie: signs in through the sign-in form as a browser does.
async fn web_session(ctx: &Ctx) -> anyhow::Result<String> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let form = http.get(format!("{}/login", ctx.server.base)).send().await?;
    let cookie_of = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .and_then(|v| v.split(';').next())
            .map(str::to_string)
    };
    let form_cookie = cookie_of(&form, "fd_form").context("the sign-in form's cookie")?;
    let html = form.text().await?;
    let at = html.find("name=\"_csrf\" value=\"").context("the sign-in form's token")? + 20;
    let csrf = &html[at..at + 64];
    let signed = http
        .post(format!("{}/login", ctx.server.base))
        .header("cookie", form_cookie)
        .form(&[("email", "bench@example.com"), ("password", "bench password"), ("_csrf", csrf)])
        .send()
        .await?;
    cookie_of(&signed, "fd_session").context("a session cookie after signing in")
}

/// Server time of the agent workspace's pages at `n` tickets: the ticket page of a ticket with
/// 200 comments, a view's page of 100 rows; and what the workspace weighs.
async fn pages_run(bin: &Path, database_url: Option<&str>, n: usize, keep: Option<&Path>) -> anyhow::Result<()> {
    let server = start(bin, database_url, "NORMAL", Some(n), keep)?;
    let pid = server.child.id();
    let ctx = connect(server).await?;
    let cookie = web_session(&ctx).await?;
    let made = ctx.json(reqwest::Method::POST, "/api/v2/tickets", Some(json!({"ticket": ticket(0)}))).await?;
    let long = made["ticket"]["id"].as_i64().context("ticket id")?;
    for i in 1..200 {
        let body = format!(
            "Reply {i}: **olá** — the printer on floor {i} still shows _paper jam_; see [the manual](https://example.com/m/{i}).\n\n- step one\n- step two"
        );
        ctx.json(
            reqwest::Method::PUT,
            &format!("/api/v2/tickets/{long}"),
            Some(json!({"ticket": {"comment": {"body": body, "public": i % 3 != 0}}})),
        )
        .await?;
    }
    let view = ctx
        .json(
            reqwest::Method::POST,
            "/api/v2/views",
            Some(json!({"view": {"title": "All open", "all": [{"field": "status", "operator": "less_than", "value": "solved"}],
                "output": {"columns": ["subject", "requester", "assignee", "group", "status", "priority", "updated"], "sort_by": "updated_at", "sort_order": "desc"}}})),
        )
        .await?["view"]["id"]
        .as_i64()
        .context("view id")?;
    let get = |path: String| {
        let ctx = ctx.clone();
        let cookie = cookie.clone();
        async move {
            let t = Instant::now();
            let r = ctx.http.get(format!("{}{path}", ctx.server.base)).header("cookie", cookie).send().await?;
            let status = r.status();
            let bytes = r.bytes().await?;
            if !status.is_success() {
                bail!("{path}: {status}");
            }
            Ok::<_, anyhow::Error>((ms(t.elapsed()), bytes.len()))
        }
    };
    let sample = async |count: usize, path: &dyn Fn(usize) -> String| -> anyhow::Result<((f64, f64, f64), usize)> {
        let mut times = Vec::new();
        let mut size = 0;
        get(path(0)).await?; // warm
        for i in 0..count {
            let (t, b) = get(path(i)).await?;
            times.push(t);
            size = size.max(b);
        }
        times.sort_by(f64::total_cmp);
        Ok(((percentile(&times, 0.5), percentile(&times, 0.95), percentile(&times, 0.99)), size))
    };
    let (ticket_page, ticket_bytes) = sample(200, &|_| format!("/agent/tickets/{long}")).await?;
    let (view_page, view_bytes) =
        sample(200, &|i| format!("/agent/views/{view}?per_page=100&page={}", 1 + i % 5)).await?;
    let middle = (n / 200).max(1);
    let (deep_page, _) = sample(50, &|i| format!("/agent/views/{view}?per_page=100&page={}", middle + i)).await?;
    let (_, css) = get("/assets/app.css".into()).await?;
    let (_, js) = get("/assets/app.js".into()).await?;
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite (WAL, synchronous=NORMAL)" };
    println!("### Agent workspace pages, {backend}, {n} tickets\n");
    println!("| measure | value |\n|---|---|");
    latency_row("ticket page, 200 comments", ticket_page);
    latency_row("view page, 100 rows (pages 1-5)", view_page);
    latency_row(&format!("view page, 100 rows (pages {middle}-{}, mid-list)", middle + 49), deep_page);
    println!("| view page HTML, 100 rows | {:.1} KB |", view_bytes as f64 / 1000.0);
    println!("| ticket page HTML, 200 comments | {:.1} KB |", ticket_bytes as f64 / 1000.0);
    println!("| stylesheet + script | {:.1} KB |", (css + js) as f64 / 1000.0);
    println!(
        "| workspace weight (view page + stylesheet + script, uncompressed, no fonts) | {:.1} KB |",
        (view_bytes + css + js) as f64 / 1000.0
    );
    println!("| server RSS after | {:.1} MiB |", rss_kib(pid) as f64 / 1024.0);
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&ctx.server.data_dir);
    }
    Ok(())
}

/// A campaign to `customers` customers with 10 active triggers (two of them acting on every
/// campaign ticket): the time from the request to the last ticket.
async fn campaign_run(bin: &Path, database_url: Option<&str>, customers: usize) -> anyhow::Result<()> {
    let data_dir = std::env::temp_dir().join(format!("frontdesk-bench-campaign-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let mut seed = Command::new(bin);
    seed.arg("--data-dir").arg(&data_dir).env("FRONTDESK_LOG", "warn");
    match database_url {
        Some(u) => seed.env("DATABASE_URL", u),
        None => seed.env_remove("DATABASE_URL"),
    };
    let t = Instant::now();
    let out = seed
        .args(["seed", "--tickets", "2000", "--comments", "1", "--customers", &customers.to_string()])
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!("seed failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    eprintln!("{} ({:.0} s)", String::from_utf8_lossy(&out.stdout).trim(), t.elapsed().as_secs_f64());
    let server = start(bin, database_url, "NORMAL", None, Some(&data_dir))?;
    let pid = server.child.id();
    let ctx = connect(server).await?;
    let c = |f: &str, o: &str, v: Value| json!({"field": f, "operator": o, "value": v});
    let create = c("update_type", "is", json!("Create"));
    let mut triggers = vec![
        (
            "Campaign workflow",
            vec![create.clone(), c("current_tags", "includes", json!("campaign_bench"))],
            "proactive",
        ),
        (
            "Renewals to the renewal team",
            vec![create.clone(), c("current_tags", "includes", json!("renewal"))],
            "renewal_team",
        ),
    ];
    for word in ["refund", "outage", "invoice", "password", "cancel", "urgent", "legal", "press"] {
        triggers.push((
            "Not for campaigns",
            vec![create.clone(), c("comment_includes_word", "includes", json!(word))],
            "never",
        ));
    }
    for (title, all, tag) in triggers {
        let body =
            json!({"trigger": {"title": title, "all": all, "actions": [{"field": "current_tags", "value": tag}]}});
        ctx.json(reqwest::Method::POST, "/api/v2/triggers", Some(body)).await?;
    }
    let campaign = json!({"campaign": {"name": "Bench", "audience": {"query": "role:end-user"},
        "ticket": {"subject": "Sua renovação, {{user.first_name}}", "comment": {"body": "Olá {{user.name}}, seu plano {{user.plan}} renova em breve."},
                   "priority": "normal", "tags": ["renewal"]}}});
    let t = Instant::now();
    let made = ctx.json(reqwest::Method::POST, "/api/v2/campaigns", Some(campaign)).await?;
    let accepted = ms(t.elapsed());
    let id = made["campaign"]["id"].as_i64().context("campaign id")?;
    let last = loop {
        let c = ctx.json(reqwest::Method::GET, &format!("/api/v2/campaigns/{id}"), None).await?["campaign"].take();
        if c["state"] == "completed" || c["state"] == "failed" {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let total = t.elapsed().as_secs_f64();
    let created = last["created"].as_i64().unwrap_or(0);
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite (WAL, synchronous=NORMAL)" };
    println!("### Campaign, {backend}, {customers} customers, 10 active triggers\n");
    println!("| measure | value |\n|---|---|");
    println!("| request accepted (recipients fixed, view made, job queued) | {accepted:.0} ms |");
    println!("| end to end, request to last ticket | **{total:.1} s** |");
    println!("| tickets created / skipped / failed | {created} / {} / {} |", last["skipped"], last["failed"]);
    println!("| rate | {:.0} tickets/s |", created as f64 / total);
    println!("| server RSS after | {:.1} MiB |", rss_kib(pid) as f64 / 1024.0);
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}

/// `messages` messages through the built-in SMTP receiver from 32 concurrent connections: nine
/// in ten new requests from 1,000 customers, one in ten a reply naming the customer's earlier
/// message.
async fn email_run(bin: &Path, messages: usize, job_workers: usize) -> anyhow::Result<()> {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
    let data_dir = std::env::temp_dir().join(format!("frontdesk-bench-email-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let smtp_port = free_port();
    // Outbound: the default acknowledgement trigger mails every new ticket's customer through
    // a relay that is a sink here, which notes when each message arrived.
    let (relay, arrivals) = smtp_sink().await?;
    let server = start_with(
        bin,
        &data_dir,
        &[
            "--smtp-bind",
            &format!("127.0.0.1:{smtp_port}"),
            "--smtp-relay",
            &relay,
            "--automation-interval",
            "0",
            "--job-workers",
            &job_workers.to_string(),
        ],
    )?;
    let pid = server.child.id();
    let ctx = connect(server).await?;
    ctx.json(
        reqwest::Method::POST,
        "/api/v2/recipient_addresses",
        Some(json!({"recipient_address": {"email": "help@acme.test", "name": "Support"}})),
    )
    .await?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp_port)
        .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(32))
        .build();
    let raw = |i: usize| -> Vec<u8> {
        let customer = i % 1000;
        // A reply names the same customer's message of 1,000 messages before.
        let reply = i % 10 == 9 && i >= 1000;
        let refs = if reply { format!("In-Reply-To: <m{}@bench.test>\r\n", i - 1000) } else { String::new() };
        format!(
            "From: Cliente {customer} <c{customer}@bench.test>\r\nTo: help@acme.test\r\nSubject: Pedido {i} n\u{e3}o chegou\r\nMessage-ID: <m{i}@bench.test>\r\n{refs}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nOl\u{e1}, o pedido {i} n\u{e3}o chegou. Podem verificar?\r\n\r\nEm ter., 24 de nov. de 2026, Suporte escreveu:\r\n> Ol\u{e1}\r\n"
        )
        .into_bytes()
    };
    let envelope = lettre::address::Envelope::new(Some("c0@bench.test".parse()?), vec!["help@acme.test".parse()?])?;
    let t = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let transport = transport.clone();
        let next = next.clone();
        let envelope = envelope.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= messages {
                    return Ok::<_, anyhow::Error>(());
                }
                transport.send_raw(&envelope, &raw(i)).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let secs = t.elapsed().as_secs_f64();
    let log = ctx.json(reqwest::Method::GET, "/api/v2/search/count.json?query=type%3Aticket", None).await?;
    println!("### Inbound email through SMTP, SQLite (WAL, synchronous=NORMAL), {messages} messages\n");
    println!("| measure | value |\n|---|---|");
    println!(
        "| messages taken in (each answered 250 once its ticket or comment is committed) | **{:.0} messages/s** ({secs:.1} s) |",
        messages as f64 / secs
    );
    println!("| tickets made (the rest threaded as replies) | {} |", log["count"]);
    println!("| server RSS after | {:.1} MiB |", rss_kib(pid) as f64 / 1024.0);
    // Outbound: wait until the acknowledgements stop arriving (3 s without one).
    loop {
        let before = arrivals.lock().unwrap().len();
        tokio::time::sleep(Duration::from_secs(3)).await;
        if arrivals.lock().unwrap().len() == before {
            break;
        }
    }
    let times = arrivals.lock().unwrap().clone();
    if let (Some(first), Some(last)) = (times.first(), times.last()) {
        let span = last.duration_since(t).as_secs_f64();
        println!(
            "| acknowledgements mailed to a local SMTP server (default trigger, {job_workers} job workers, one connection per mail) | {} in {span:.1} s from the first inbound message: **{:.0} mails/s** (first after {:.2} s) |",
            times.len(),
            times.len() as f64 / span,
            first.duration_since(t).as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}

/// A minimal SMTP server that takes every message and notes when each arrived.
async fn smtp_sink() -> anyhow::Result<(String, Arc<std::sync::Mutex<Vec<Instant>>>)> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("smtp://{}", listener.local_addr()?);
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                let mut line = String::new();
                let _ = w.write_all(b"220 sink\r\n").await;
                let mut in_data = false;
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let reply: &[u8] = if in_data {
                        if line != ".\r\n" {
                            continue;
                        }
                        in_data = false;
                        seen.lock().unwrap().push(Instant::now());
                        b"250 queued\r\n"
                    } else {
                        match line.trim().to_ascii_uppercase().as_str() {
                            v if v.starts_with("EHLO") => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go\r\n"
                            }
                            "QUIT" => {
                                let _ = w.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        }
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok((url, arrivals))
}

/// A release server on a fresh SQLite data dir with extra `serve` flags.
fn start_with(bin: &Path, data_dir: &Path, extra: &[&str]) -> anyhow::Result<Server> {
    let cmd = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.arg("--data-dir").arg(data_dir).args(args).env("FRONTDESK_LOG", "warn").env_remove("DATABASE_URL");
        c
    };
    let out =
        cmd(&["admin", "create", "--email", "bench@example.com", "--name", "Bench", "--password", "bench password"])
            .output()?;
    if !out.status.success() {
        bail!("admin create failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = cmd(&["token", "create", "--email", "bench@example.com"]).output()?;
    let token = String::from_utf8(out.stdout)?.trim().to_string();
    let port = free_port();
    let mut args = vec!["serve", "--bind"];
    let bind = format!("127.0.0.1:{port}");
    args.push(&bind);
    args.extend(["--rate-limit", "100000000"]);
    args.extend(extra);
    let child = cmd(&args).stdout(Stdio::null()).spawn()?;
    Ok(Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        auth: ("bench@example.com/token".into(), token),
        data_dir: data_dir.to_path_buf(),
    })
}
