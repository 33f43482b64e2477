//! Group commit for ticket creates: concurrent `POST /tickets` requests are gathered into one
//! write transaction and inserted with a few multi-row statements. On SQLite, whose single
//! writer makes every transaction wait its turn, this is what lets creates scale with load; a
//! create that fails its checks is answered on its own and never affects its neighbours.

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::auth::Actor;
use crate::error::{ApiError, Result};
use crate::tickets::{Saved, TicketInput};
use crate::{AppState, State};
use crate::{Via, in_tx};

/// Most creates in one transaction.
const MAX_BATCH: usize = 64;

/// Takes every create already waiting, up to a full batch.
fn drain(rx: &mut mpsc::Receiver<Request>, batch: &mut Vec<Request>) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(r) => batch.push(r),
            Err(_) => break,
        }
    }
}

struct Request {
    actor: Actor,
    input: TicketInput,
    via: Via,
    now: i64,
    reply: oneshot::Sender<Result<Saved>>,
}

pub struct CreateBatcher {
    tx: mpsc::Sender<Request>,
    rx: std::sync::Mutex<Option<mpsc::Receiver<Request>>>,
}

impl Default for CreateBatcher {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(1024);
        Self { tx, rx: std::sync::Mutex::new(Some(rx)) }
    }
}

impl CreateBatcher {
    /// Creates a ticket through the batch writer.
    pub async fn create(&self, actor: Actor, input: TicketInput, via: Via, now: i64) -> Result<Saved> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { actor, input, via, now, reply })
            .await
            .map_err(|_| ApiError::Internal("the ticket writer has stopped".into()))?;
        answer.await.map_err(|_| ApiError::Internal("the ticket writer dropped a request".into()))?
    }
}

/// Starts the writer task; it stops when `stop` turns true (after in-flight requests finish).
pub fn spawn(state: State, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    let rx = state.ticket_writer.rx.lock().expect("batcher lock").take();
    tokio::spawn(async move {
        let Some(mut rx) = rx else { return };
        loop {
            let first = tokio::select! {
                r = rx.recv() => match r { Some(r) => r, None => return },
                _ = stop.changed() => return,
            };
            let mut batch = vec![first];
            drain(&mut rx, &mut batch);
            let (size, started) = (batch.len(), std::time::Instant::now());
            run(&state, batch).await;
            tracing::debug!(size, micros = started.elapsed().as_micros() as u64, "ticket batch written");
        }
    })
}

async fn run(state: &AppState, batch: Vec<Request>) {
    // Requests are grouped by channel, as `create_batch` takes one `via`.
    let via = batch[0].via.clone();
    if batch.len() == 1 || batch.iter().any(|r| r.via.channel != via.channel) {
        for r in batch {
            let out =
                in_tx(state, async |tx| crate::tickets::create_in(tx, &r.actor, r.input.clone(), &r.via, r.now).await)
                    .await;
            let _ = r.reply.send(out);
        }
        return;
    }
    let items: Vec<(Actor, TicketInput, i64)> =
        batch.iter().map(|r| (r.actor.clone(), r.input.clone(), r.now)).collect();
    match in_tx(state, async |tx| crate::tickets::create_batch(tx, items, &via).await).await {
        Ok(results) => {
            for (r, out) in batch.into_iter().zip(results) {
                let _ = r.reply.send(out);
            }
        }
        // The transaction itself failed: retry each create on its own, so one cannot sink another.
        Err(_) => {
            for r in batch {
                let out = in_tx(state, async |tx| {
                    crate::tickets::create_in(tx, &r.actor, r.input.clone(), &r.via, r.now).await
                })
                .await;
                let _ = r.reply.send(out);
            }
        }
    }
}
