//! The job runner: workers claim job rows with a lease and run them. A job's effects and its
//! completion commit in one transaction, so a worker killed mid-job leaves nothing behind and
//! the job runs again, once, when its lease expires.

use std::time::Duration;

use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use frontdesk_domain::Role;
use frontdesk_store::AnyConnection;

use crate::app::savepoint;
use frontdesk_store::jobs::{self, Job, NewJob};

use crate::app::tickets::TicketInput;
use crate::app::{Via, in_tx};
use crate::auth::Actor;
use crate::error::{ApiError, Result};
use crate::{AppState, State};

pub const CREATE_MANY: &str = "tickets.create_many";
pub const UPDATE_MANY: &str = "tickets.update_many";
pub const DESTROY_MANY: &str = "tickets.destroy_many";
pub const PURGE: &str = "tickets.purge";
pub const USERS_CREATE_MANY: &str = "users.create_many";
pub const ORGANIZATIONS_CREATE_MANY: &str = "organizations.create_many";
/// A bulk action from the workspace: any number of tickets, in chunks.
pub const BULK_UI: &str = crate::ui::BULK_JOB;
/// Tickets a chunked job changes per transaction.
const CHUNK: usize = 100;

const MAX_ATTEMPTS: i64 = 5;

/// Enqueues a bulk job the API reports as a job status, and wakes a local worker.
pub async fn enqueue_bulk(state: &State, actor: &Actor, kind: &str, payload: Value, total: i64) -> Result<Job> {
    let public_id = format!("V3-{}", hex::encode(rand::thread_rng().r#gen::<[u8; 16]>()));
    let now_ms = state.clock.now_ms();
    let job = NewJob {
        public_id: Some(public_id),
        kind: kind.to_string(),
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

pub fn spawn_workers(state: State, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let host = hex::encode(rand::thread_rng().r#gen::<[u8; 6]>());
    (0..state.config.job_workers)
        .map(|i| {
            let state = state.clone();
            let stop = stop.clone();
            let owner = format!("{host}-{i}");
            tokio::spawn(async move { worker(state, owner, stop).await })
        })
        .collect()
}

async fn worker(state: State, owner: String, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        match run_one(&state, &owner).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "job runner error"),
        }
        tokio::select! {
            _ = state.job_wakeup.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Claims and runs one job; `Ok(false)` when none was ready.
pub async fn run_one(state: &AppState, owner: &str) -> Result<bool> {
    let now_ms = state.clock.now_ms();
    let job =
        in_tx(state, async |tx| Ok(jobs::claim(tx, owner, now_ms, now_ms + state.config.job_lease_ms).await?)).await?;
    let Some(job) = job else { return Ok(false) };
    tracing::debug!(job = job.id, kind = %job.kind, attempt = job.attempts, "running job");
    if let Err(e) = execute(state, &job, owner).await {
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
            if failed && retry.is_none() && job.kind == crate::app::campaigns::SEND_JOB {
                crate::app::campaigns::send_gave_up(tx, &job.payload, &msg, now).await?;
            }
            Ok(())
        })
        .await?;
    }
    Ok(true)
}

async fn job_actor(conn: &mut AnyConnection, job: &Job) -> Result<Actor> {
    let id = job.requested_by.ok_or_else(|| ApiError::Internal("job has no requester".into()))?;
    let user = frontdesk_store::users::get(conn, id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("job requester {id} is gone")))?;
    let role = Role::parse(&user.role)?;
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

/// Runs a job whose effect is outside the database (a webhook call, a mail; or a kept message
/// taken in again, which commits on its own and is safe to repeat), then completes it. A
/// worker killed between the two sends again when the job is re-run, with the same delivery
/// id, so the receiver can tell.
async fn execute_outside(state: &AppState, job: &Job, owner: &str) -> Result<()> {
    let send = async {
        if job.kind == crate::app::rules::WEBHOOK_JOB {
            crate::webhooks::deliver(state, job).await
        } else if job.kind == crate::app::email::REPLY_JOB {
            crate::mail_out::deliver(state, job).await
        } else if job.kind == crate::ui::LINK_JOB {
            crate::mail_out::deliver_link(state, job).await
        } else if job.kind == crate::app::email::KEPT_NOTICE_JOB {
            crate::mail_out::deliver_kept_notice(state, job).await
        } else if job.kind == crate::app::email::RETRY_JOB {
            let payload: Value =
                serde_json::from_str(&job.payload).map_err(|e| ApiError::Internal(format!("bad job payload: {e}")))?;
            crate::app::email::retry_kept(state, &payload).await
        } else {
            crate::mail_out::deliver_notification(state, job).await
        }
    };
    let message = keeping_lease(state, job, owner, send).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if jobs::complete(&mut tx, job.id, owner, &message, None, now).await? {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(())
}

/// Runs `work` (a send to the outside) while keeping the job's lease: it is renewed every third
/// of its length, so a slow relay or webhook receiver never lets another worker take the job
/// over and send it a second time. (A receiver can still dedupe by the Message-ID or the
/// delivery id, which stay the same across retries.)
async fn keeping_lease<T>(
    state: &AppState,
    job: &Job,
    owner: &str,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let every = std::time::Duration::from_millis((state.config.job_lease_ms / 3).max(10) as u64);
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = tokio::time::sleep(every) => {
                let until = state.clock.now_ms() + state.config.job_lease_ms;
                let mut tx = state.db.begin().await?;
                let kept = jobs::renew(&mut tx, job.id, owner, until).await?;
                tx.commit().await?;
                if !kept {
                    tracing::warn!(job = job.id, "the lease of a job being sent was taken over");
                }
            }
        }
    }
}

async fn execute(state: &AppState, job: &Job, owner: &str) -> Result<()> {
    if job.kind == crate::app::rules::WEBHOOK_JOB
        || job.kind == crate::app::rules::NOTIFY_JOB
        || job.kind == crate::app::email::REPLY_JOB
        || job.kind == crate::ui::LINK_JOB
        || job.kind == crate::app::email::KEPT_NOTICE_JOB
        || job.kind == crate::app::email::RETRY_JOB
    {
        return execute_outside(state, job, owner).await;
    }
    if job.kind == BULK_UI {
        return execute_in_chunks(state, job, owner).await;
    }
    if job.kind == crate::app::campaigns::SEND_JOB {
        return send_campaign(state, job, owner).await;
    }
    let payload: Value =
        serde_json::from_str(&job.payload).map_err(|e| ApiError::Internal(format!("bad job payload: {e}")))?;
    let now = state.now();
    let via = Via::api();
    let mut tx = state.db.begin().await?;
    let actor = job_actor(&mut tx, job).await?;
    let mut results = Vec::new();
    match job.kind.as_str() {
        CREATE_MANY => {
            // Checked one by one, inserted together: a bad item is reported and writes nothing.
            let inputs: Vec<Result<TicketInput>> =
                items(&payload, "tickets").map(|(_, item)| TicketInput::parse(object(item)?)).collect();
            let good: Vec<(Actor, TicketInput, i64)> =
                inputs.iter().filter_map(|r| r.as_ref().ok()).map(|i| (actor.clone(), i.clone(), now)).collect();
            let mut saved = crate::app::tickets::create_batch(&mut tx, good, &via).await?.into_iter();
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
        UPDATE_MANY => {
            let changes: Vec<(i64, Value)> = match payload.get("ids").and_then(Value::as_array) {
                Some(ids) => ids.iter().filter_map(Value::as_i64).map(|id| (id, payload["ticket"].clone())).collect(),
                None => items(&payload, "tickets").map(|(_, t)| (t["id"].as_i64().unwrap_or(0), t.clone())).collect(),
            };
            for (id, change) in changes {
                let r = savepoint(&mut tx, async |c| {
                    crate::app::tickets::update(c, &actor, id, TicketInput::parse(object(&change)?)?, &via, now)
                        .await?;
                    Ok(json!({"success": true, "status": "Updated"}))
                })
                .await?;
                results.push(outcome(r, json!({"action": "update", "id": id})));
            }
        }
        DESTROY_MANY | PURGE => {
            for id in payload["ids"].as_array().into_iter().flatten().filter_map(Value::as_i64) {
                let r = savepoint(&mut tx, async |c| {
                    if job.kind == PURGE {
                        frontdesk_store::tickets::get(c, id)
                            .await?
                            .filter(|t| t.deleted_at.is_some())
                            .ok_or(ApiError::NotFound)?;
                        frontdesk_store::tickets::purge(c, id).await?;
                    } else {
                        crate::app::tickets::delete(c, &actor, id, now).await?;
                    }
                    Ok(json!({"success": true, "status": "Deleted"}))
                })
                .await?;
                results.push(outcome(r, json!({"action": "delete", "id": id})));
            }
        }
        USERS_CREATE_MANY => {
            for (index, item) in items(&payload, "users") {
                let r = savepoint(&mut tx, async |c| {
                    let input = crate::app::users::UserInput::parse(object(item)?)?;
                    let u = crate::app::users::create(c, &input, Role::EndUser, now).await?;
                    Ok(json!({"id": u.id, "status": "Created"}))
                })
                .await?;
                results.push(outcome(r, json!({"index": index})));
            }
        }
        ORGANIZATIONS_CREATE_MANY => {
            for (index, item) in items(&payload, "organizations") {
                let r = savepoint(&mut tx, async |c| {
                    let input = crate::app::organizations::OrganizationInput::new(object(item)?);
                    let o = crate::app::organizations::save(c, None, &input, now).await?;
                    Ok(json!({"id": o.id, "status": "Created"}))
                })
                .await?;
                results.push(outcome(r, json!({"index": index})));
            }
        }
        other => return Err(ApiError::Internal(format!("unknown job kind {other}"))),
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
    let payload: Value =
        serde_json::from_str(&job.payload).map_err(|e| ApiError::Internal(format!("bad job payload: {e}")))?;
    let ids: Vec<i64> = payload["ids"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
    let change = payload["ticket"].clone();
    let macro_id = payload["macro_id"].as_i64();
    let mut results: Vec<Value> = job.results.as_deref().and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default();
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
                    crate::app::rules::apply_macro(c, &actor, id, m, now, true).await?;
                }
                let m = object(&change)?;
                if !m.is_empty() {
                    crate::app::tickets::update(c, &actor, id, TicketInput::parse(m)?, &via, now).await?;
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
    let payload: Value =
        serde_json::from_str(&job.payload).map_err(|e| ApiError::Internal(format!("bad job payload: {e}")))?;
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
        let done = crate::app::campaigns::send_chunk(&mut tx, id, &actor, now).await?;
        if done {
            jobs::complete(&mut tx, job.id, owner, &completed_message(now), None, now).await?;
        }
        tx.commit().await?;
        if done {
            return Ok(());
        }
    }
}
