//! Jobs: workers claim job rows with a lease and run them. A job's effects and its completion
//! commit in one transaction, so a worker killed mid-job leaves nothing behind and the job
//! runs again, once, when its lease expires. What a job that calls out (a mail, a webhook)
//! sends is the binary's: it hands its [`SendOutside`] to the workers.

use std::time::Duration;

use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use frontdesk_domain::jobs::Runs;
use frontdesk_domain::{JobKind, Role};
use frontdesk_store::AnyConnection;

use frontdesk_store::jobs::{self, Job, NewJob};

use super::tickets::TicketInput;
use super::{Via, in_tx, savepoint};
use crate::auth::Actor;
use crate::error::{ApiError, Result};
use crate::{AppState, State};

/// Tickets a chunked job changes per transaction.
const CHUNK: usize = 100;

const MAX_ATTEMPTS: i64 = 5;

/// Enqueues a bulk job the API reports as a job status, and wakes a local worker.
pub async fn enqueue_bulk(state: &AppState, actor: &Actor, kind: JobKind, payload: Value, total: i64) -> Result<Job> {
    let public_id = format!("V3-{}", hex::encode(rand::thread_rng().r#gen::<[u8; 16]>()));
    let now_ms = state.clock.now_ms();
    let job = NewJob {
        public_id: Some(public_id),
        kind,
        payload: payload.to_string(),
        max_attempts: MAX_ATTEMPTS,
        run_at_ms: now_ms,
        total: Some(total),
        requested_by: Some(actor.id()),
        unique_key: None,
    };
    let job = in_tx(state, async |tx| {
        let id = jobs::enqueue(tx, &job, now_ms / 1000)
            .await?
            .ok_or_else(|| ApiError::Internal("job not enqueued".into()))?;
        jobs::get(tx, id).await?.ok_or(ApiError::NotFound)
    })
    .await?;
    state.job_wakeup.notify_one();
    Ok(job)
}

/// Sends one job that calls out (a mail, a webhook): what happened, in words for the job's
/// message.
pub type SendOutside = for<'a> fn(&'a AppState, &'a Job) -> futures_util::future::BoxFuture<'a, Result<String>>;

pub fn spawn_workers(state: State, stop: watch::Receiver<bool>, send: SendOutside) -> Vec<JoinHandle<()>> {
    let host = hex::encode(rand::thread_rng().r#gen::<[u8; 6]>());
    (0..state.config.job_workers)
        .map(|i| {
            let state = state.clone();
            let stop = stop.clone();
            let owner = format!("{host}-{i}");
            tokio::spawn(async move { worker(state, owner, stop, send).await })
        })
        .collect()
}

async fn worker(state: State, owner: String, mut stop: watch::Receiver<bool>, send: SendOutside) {
    loop {
        if *stop.borrow() {
            return;
        }
        // After work, a short pause lets the next jobs gather into one batch (one claim and one
        // completion for many mails, instead of a write each that the ticket writer waits for);
        // when idle, a longer one, unless woken.
        let pause = match run_one(&state, &owner, send).await {
            Ok(true) => GATHER,
            Ok(false) => IDLE,
            Err(e) => {
                tracing::warn!(error = %e, "job runner error");
                IDLE
            }
        };
        tokio::select! {
            _ = state.job_wakeup.notified() => {}
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
    }
}

/// How long a worker waits after a run for more jobs to gather, and when idle.
const GATHER: Duration = Duration::from_millis(100);
const IDLE: Duration = Duration::from_millis(500);

/// Jobs that call out, claimed and completed together.
const OUTSIDE_BATCH: i64 = 100;
/// Sends of one batch under way at once.
const OUTSIDE_AT_ONCE: usize = 8;

/// Claims and runs ready jobs: a batch of those that call out (mails, webhooks) when there are
/// any, else the next job of any kind; `Ok(false)` when none was ready.
pub async fn run_one(state: &AppState, owner: &str, send: SendOutside) -> Result<bool> {
    let now_ms = state.clock.now_ms();
    let until = now_ms + state.config.job_lease_ms;
    let outside: Vec<JobKind> = JobKind::ALL.iter().copied().filter(|k| k.runs() == Runs::Outside).collect();
    let batch =
        in_tx(state, async |tx| Ok(jobs::claim_many(tx, owner, &outside, now_ms, until, OUTSIDE_BATCH).await?)).await?;
    if !batch.is_empty() {
        run_outside(state, &batch, owner, send).await?;
        return Ok(true);
    }
    let job = in_tx(state, async |tx| Ok(jobs::claim(tx, owner, now_ms, until).await?)).await?;
    let Some(job) = job else { return Ok(false) };
    tracing::debug!(job = job.id, kind = %job.kind, attempt = job.attempts, "running job");
    if let Err(e) = execute(state, &job, owner, send).await {
        failed(state, &job, owner, e).await?;
    }
    Ok(true)
}

/// Records a failed attempt: retried after a backoff with jitter, or failed for good after
/// the last attempt (a campaign's send then ends `failed` too).
async fn failed(state: &AppState, job: &Job, owner: &str, e: ApiError) -> Result<()> {
    let retry = (job.attempts < job.max_attempts).then(|| {
        let backoff = 1000i64 << job.attempts.clamp(0, 10);
        let jitter = rand::thread_rng().gen_range(0..=backoff / 2);
        state.clock.now_ms() + backoff + jitter
    });
    let msg = e.to_string();
    tracing::warn!(job = job.id, kind = %job.kind, error = %msg, retry = retry.is_some(), "job failed");
    let now = state.now();
    in_tx(state, async |tx| {
        let failed = jobs::fail(tx, job.id, owner, &msg, retry, now).await?;
        if failed && retry.is_none() && job.kind == JobKind::CampaignSend {
            crate::campaigns::send_gave_up(tx, &job.payload()?, &msg, now).await?;
        }
        Ok(())
    })
    .await
}

async fn job_actor(conn: &mut AnyConnection, job: &Job) -> Result<Actor> {
    let id = job.requested_by.ok_or_else(|| ApiError::Internal("job has no requester".into()))?;
    let user = frontdesk_store::users::get(conn, id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("job requester {id} is gone")))?;
    let role = user.role;
    Ok(Actor { user, role })
}

fn completed_message(now: i64) -> String {
    let ts = jiff::Timestamp::from_second(now).unwrap_or_default();
    format!("Completed at {}", ts.strftime("%Y-%m-%d %H:%M:%S +0000"))
}

/// The result entry of one item: `ok` on success, the error and its details otherwise.
fn outcome(result: Result<Value>, base: Value) -> Value {
    let mut entry = base;
    match result {
        Ok(extra) => {
            if let (Some(m), Value::Object(x)) = (entry.as_object_mut(), extra) {
                m.extend(x);
            }
        }
        Err(e) => {
            let body = e.body();
            // The same problems as translation keys, for the pages that show a job's failures.
            let reasons: Vec<Value> = match &e {
                ApiError::Invalid(errors) => errors
                    .iter()
                    .filter_map(|f| f.message.as_ref())
                    .map(|r| {
                        let args: serde_json::Map<String, Value> =
                            r.args.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
                        json!({"key": r.key, "args": args})
                    })
                    .collect(),
                _ => Vec::new(),
            };
            if let Some(m) = entry.as_object_mut() {
                if !reasons.is_empty() {
                    m.insert("reasons".into(), Value::Array(reasons));
                }
                m.insert("success".into(), json!(false));
                m.insert("status".into(), json!("Failed"));
                m.insert("error".into(), body.get("error").cloned().unwrap_or(Value::Null));
                m.insert(
                    "details".into(),
                    body.get("details").or(body.get("description")).cloned().unwrap_or(Value::Null),
                );
            }
        }
    }
    entry
}

fn items<'a>(payload: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    payload[key].as_array().into_iter().flatten().enumerate()
}

fn object(item: &Value) -> Result<&serde_json::Map<String, Value>> {
    item.as_object().ok_or_else(|| ApiError::BadRequest("not an object".into()))
}

/// Runs jobs whose effect is outside the database (a webhook call, a mail; or a kept message
/// taken in again, which commits on its own and is safe to repeat): the sends go out together,
/// a few at a time, while one lease keeper holds them all; then the ones that went are
/// completed in one statement and each one that did not is retried on its own. A worker killed
/// between a send and its completion sends again when the job is re-run, with the same
/// Message-ID or delivery id, so the receiver can tell.
async fn run_outside(state: &AppState, batch: &[Job], owner: &str, send: SendOutside) -> Result<()> {
    use futures_util::StreamExt;
    let ids: Vec<i64> = batch.iter().map(|j| j.id).collect();
    type Sending<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = (&'a Job, Result<String>)> + Send + 'a>>;
    let each: Vec<Sending<'_>> =
        batch.iter().map(|job| Box::pin(async move { (job, send(state, job).await) }) as Sending<'_>).collect();
    let sends = futures_util::stream::iter(each).buffer_unordered(OUTSIDE_AT_ONCE).collect::<Vec<_>>();
    let outcomes = keeping_leases(state, &ids, owner, sends).await?;
    let mut done = Vec::with_capacity(outcomes.len());
    for (job, outcome) in outcomes {
        match outcome {
            Ok(message) => done.push((job.id, message)),
            Err(e) => failed(state, job, owner, e).await?,
        }
    }
    let now = state.now();
    in_tx(state, async |tx| Ok(jobs::complete_many(tx, owner, &done, now).await?)).await?;
    Ok(())
}

/// Runs `work` (sends to the outside) while keeping the jobs' leases: they are renewed every
/// third of their length, so a slow relay or webhook receiver never lets another worker take a
/// job over and send it a second time.
async fn keeping_leases<T>(
    state: &AppState,
    ids: &[i64],
    owner: &str,
    work: impl std::future::Future<Output = T>,
) -> Result<T> {
    let every = std::time::Duration::from_millis((state.config.job_lease_ms / 3).max(10) as u64);
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return Ok(out),
            _ = tokio::time::sleep(every) => {
                let until = state.clock.now_ms() + state.config.job_lease_ms;
                let kept = in_tx(state, async |tx| Ok(jobs::renew_many(tx, ids, owner, until).await?)).await?;
                if kept < ids.len() as u64 {
                    tracing::warn!(jobs = ?ids, "the lease of a job being sent was taken over");
                }
            }
        }
    }
}

async fn execute(state: &AppState, job: &Job, owner: &str, send: SendOutside) -> Result<()> {
    match (job.kind.runs(), job.kind) {
        (Runs::Outside, _) => return run_outside(state, std::slice::from_ref(job), owner, send).await,
        (Runs::InChunks, JobKind::CampaignSend) => return send_campaign(state, job, owner).await,
        (Runs::InChunks, _) => return execute_in_chunks(state, job, owner).await,
        (Runs::InOneTransaction, _) => {}
    }
    let payload = job.payload()?;
    let now = state.now();
    let via = Via::api();
    let mut tx = state.db.begin().await?;
    let actor = job_actor(&mut tx, job).await?;
    let mut results = Vec::new();
    match job.kind {
        JobKind::CreateTickets => {
            // Checked one by one, inserted together: a bad item is reported and writes nothing.
            let inputs: Vec<Result<TicketInput>> =
                items(&payload, "tickets").map(|(_, item)| TicketInput::parse(object(item)?)).collect();
            let good: Vec<(Actor, TicketInput, i64)> =
                inputs.iter().filter_map(|r| r.as_ref().ok()).map(|i| (actor.clone(), i.clone(), now)).collect();
            let mut saved = crate::tickets::create_batch(&mut tx, good, &via).await?.into_iter();
            for (index, input) in inputs.into_iter().enumerate() {
                let r = match input {
                    Ok(_) => saved
                        .next()
                        .unwrap_or_else(|| Err(ApiError::Internal("lost batch item".into())))
                        .map(|s| json!({"id": s.ticket.id})),
                    Err(e) => Err(e),
                };
                results.push(outcome(r, json!({"index": index})));
            }
        }
        JobKind::UpdateTickets => {
            let changes: Vec<(i64, Value)> = match payload.get("ids").and_then(Value::as_array) {
                Some(ids) => ids.iter().filter_map(Value::as_i64).map(|id| (id, payload["ticket"].clone())).collect(),
                None => items(&payload, "tickets").map(|(_, t)| (t["id"].as_i64().unwrap_or(0), t.clone())).collect(),
            };
            for (id, change) in changes {
                let r = savepoint(&mut tx, async |c| {
                    crate::tickets::update_in(c, &actor, id, TicketInput::parse(object(&change)?)?, &via, now).await?;
                    Ok(json!({"success": true, "status": "Updated"}))
                })
                .await?;
                results.push(outcome(r, json!({"action": "update", "id": id})));
            }
        }
        JobKind::DestroyTickets | JobKind::PurgeTickets => {
            for id in payload["ids"].as_array().into_iter().flatten().filter_map(Value::as_i64) {
                let r = savepoint(&mut tx, async |c| {
                    if job.kind == JobKind::PurgeTickets {
                        frontdesk_store::tickets::get(c, id)
                            .await?
                            .filter(|t| t.deleted_at.is_some())
                            .ok_or(ApiError::NotFound)?;
                        frontdesk_store::tickets::purge(c, id).await?;
                    } else {
                        crate::tickets::delete_in(c, &actor, id, now).await?;
                    }
                    Ok(json!({"success": true, "status": "Deleted"}))
                })
                .await?;
                results.push(outcome(r, json!({"action": "delete", "id": id})));
            }
        }
        JobKind::CreateUsers => {
            for (index, item) in items(&payload, "users") {
                let r = savepoint(&mut tx, async |c| {
                    let input = crate::users::UserInput::parse(object(item)?)?;
                    let u = crate::users::create_in(c, &input, Role::EndUser, now).await?;
                    Ok(json!({"id": u.id, "status": "Created"}))
                })
                .await?;
                results.push(outcome(r, json!({"index": index})));
            }
        }
        JobKind::CreateOrganizations => {
            for (index, item) in items(&payload, "organizations") {
                let r = savepoint(&mut tx, async |c| {
                    let input = crate::organizations::OrganizationInput::new(object(item)?);
                    let o = crate::organizations::save_in(c, None, &input, now).await?;
                    Ok(json!({"id": o.id, "status": "Created"}))
                })
                .await?;
                results.push(outcome(r, json!({"index": index})));
            }
        }
        other => return Err(ApiError::Internal(format!("{other} is not a job of one transaction"))),
    }
    let results = Value::Array(results).to_string();
    if !jobs::complete(&mut tx, job.id, owner, &completed_message(now), Some(&results), now).await? {
        // Our lease was taken over: let the new owner's run be the one that counts.
        tx.rollback().await?;
        return Ok(());
    }
    tx.commit().await?;
    Ok(())
}

/// Hands a long job back between chunks when the server is stopping: what is done stays done,
/// and the next server to start (or another one running) goes on from there.
async fn give_back(state: &AppState, job: &Job, owner: &str) -> Result<()> {
    let (now_ms, now) = (state.clock.now_ms(), state.now());
    in_tx(state, async |tx| Ok(jobs::release(tx, job.id, owner, now_ms, now).await?)).await?;
    tracing::info!(job = job.id, kind = %job.kind, "stopping: the job is given back between chunks");
    Ok(())
}

/// A workspace bulk action over any number of tickets: a chunk per transaction, each commit
/// carrying the chunk's changes, the job's progress and a renewed lease together. A worker
/// that dies mid-way leaves whole chunks behind, and the next run goes on from the progress.
async fn execute_in_chunks(state: &AppState, job: &Job, owner: &str) -> Result<()> {
    let payload = job.payload()?;
    let ids: Vec<i64> = payload["ids"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
    let change = payload["ticket"].clone();
    let macro_id = payload["macro_id"].as_i64();
    let mut results = job.results()?;
    let mut done = job.progress.unwrap_or(0).max(0) as usize;
    let via = Via::web();
    while done < ids.len() {
        if state.is_stopping() {
            return give_back(state, job, owner).await;
        }
        let now = state.now();
        let mut tx = state.db.begin().await?;
        let actor = job_actor(&mut tx, job).await?;
        let now_ms = state.clock.now_ms();
        if !jobs::renew(&mut tx, job.id, owner, now_ms + state.config.job_lease_ms).await? {
            return Ok(()); // another worker has it now
        }
        let chunk = &ids[done..(done + CHUNK).min(ids.len())];
        for &id in chunk {
            let r = savepoint(&mut tx, async |c| {
                if let Some(m) = macro_id {
                    crate::rules::apply_macro_in(c, &actor, id, m, now, true).await?;
                }
                let m = object(&change)?;
                if !m.is_empty() {
                    crate::tickets::update_in(c, &actor, id, TicketInput::parse(m)?, &via, now).await?;
                }
                Ok(json!({"success": true, "status": "Updated"}))
            })
            .await?;
            // Only failures are kept: a job over 100,000 tickets keeps its results small.
            let entry = outcome(r, json!({"action": "update", "id": id}));
            if entry["success"] == json!(false) {
                results.push(entry);
            }
        }
        done += chunk.len();
        let message = format!("{done} of {}", ids.len());
        jobs::set_progress(&mut tx, job.id, done as i64, &message, &Value::Array(results.clone()).to_string(), now)
            .await?;
        tx.commit().await?;
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let results = Value::Array(results).to_string();
    if jobs::complete(&mut tx, job.id, owner, &completed_message(now), Some(&results), now).await? {
        tx.commit().await?;
    }
    Ok(())
}

/// Sends a campaign a chunk per transaction (its tickets, their recipients settled, the lease
/// renewed), until it is done or paused. A worker that dies leaves whole chunks behind; the
/// next one to take the job goes on from the recipients still pending.
async fn send_campaign(state: &AppState, job: &Job, owner: &str) -> Result<()> {
    let payload = job.payload()?;
    let id =
        payload["campaign_id"].as_i64().ok_or_else(|| ApiError::Internal("campaign job without campaign".into()))?;
    loop {
        if state.is_stopping() {
            return give_back(state, job, owner).await;
        }
        let now = state.now();
        let mut tx = state.db.begin().await?;
        let actor = job_actor(&mut tx, job).await?;
        if !jobs::renew(&mut tx, job.id, owner, state.clock.now_ms() + state.config.job_lease_ms).await? {
            return Ok(()); // another worker has it now
        }
        let done = crate::campaigns::send_chunk(&mut tx, id, &actor, now).await?;
        if done {
            jobs::complete(&mut tx, job.id, owner, &completed_message(now), None, now).await?;
        }
        tx.commit().await?;
        if done {
            return Ok(());
        }
    }
}
