//! The job runner's part that calls out: which sender each job that calls out goes to. The
//! claiming, leasing and running are `app::jobs`.

use frontdesk_domain::JobKind;
use frontdesk_store::jobs::Job;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{ApiError, Result};
use crate::{AppState, State};

pub use crate::app::jobs::enqueue_bulk;

/// Starts the job workers, which send through [`send_outside`].
pub fn spawn_workers(state: State, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    crate::app::jobs::spawn_workers(state, stop, send_outside)
}

/// Claims and runs ready jobs once (see `app::jobs::run_one`); `Ok(false)` when none was ready.
pub async fn run_one(state: &AppState, owner: &str) -> Result<bool> {
    crate::app::jobs::run_one(state, owner, send_outside).await
}

fn send_outside<'a>(state: &'a AppState, job: &'a Job) -> futures_util::future::BoxFuture<'a, Result<String>> {
    Box::pin(async move {
        tracing::debug!(job = job.id, kind = %job.kind, attempt = job.attempts, "running job");
        match job.kind {
            JobKind::Webhook => crate::webhooks::deliver(state, job).await,
            JobKind::Reply => crate::mail_out::deliver(state, job).await,
            JobKind::Link => crate::mail_out::deliver_link(state, job).await,
            JobKind::KeptNotice => crate::mail_out::deliver_kept_notice(state, job).await,
            JobKind::MailRetry => crate::app::email::retry_kept(state, &job.payload()?).await,
            JobKind::Notification => crate::mail_out::deliver_notification(state, job).await,
            other => Err(ApiError::Internal(format!("{other} is not a job that calls out"))),
        }
    })
}
