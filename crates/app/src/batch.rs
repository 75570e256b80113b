//! Group commit for inbound messages on SQLite. SQLite has one writer at a time and a
//! durable commit costs an fsync, so committing each message alone caps ingestion at the
//! disk's fsync rate. Instead one writer task takes every message waiting at that moment
//! (up to [`MAX_BATCH`]), receives each inside its own savepoint of one transaction — a
//! message that fails rolls back alone and its caller gets its own error — and commits
//! once. Callers are answered only after that commit has reached the disk, so "accepted"
//! still means durable; the sync runs beside the next batch (see `store::Tx::commit_unsynced`).
//! A batch is first tried whole with its bookkeeping writes deferred (see [`run`]); a
//! savepoint per message is the fallback when one of them fails.
//! Under light load a batch is a single message; batches grow only when messages queue.

use crate::inbound::{BatchCache, Inbound, InboundOutcome};
use crate::{App, Error, Result};
use domain::event::NewEvent;
use domain::{Event, WorkspaceId};
use std::sync::Weak;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// The most messages committed together.
const MAX_BATCH: usize = 128;

pub(crate) struct Request {
    ws: WorkspaceId,
    input: Inbound,
    reply: oneshot::Sender<Result<InboundOutcome>>,
}

/// Hands a validated message to the writer and waits for its durable outcome.
pub(crate) async fn submit(app: &App, ws: WorkspaceId, input: Inbound) -> Result<InboundOutcome> {
    let sender = app.inner.ingest.get_or_init(|| {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        spawn_writer(std::sync::Arc::downgrade(&app.inner), rx);
        tx
    });
    let (reply, answer) = oneshot::channel();
    sender
        .send(Request { ws, input, reply })
        .await
        .map_err(|_| Error::Internal("the inbound writer stopped".into()))?;
    answer.await.map_err(|_| Error::Internal("the inbound writer dropped a message".into()))?
}

/// Starts the writer on a thread of its own with its own single-threaded runtime. Every
/// statement of a batch is an await; on the shared runtime each of them would wait its turn
/// behind every HTTP connection's task once the runtime is busy — under load a batch of a
/// few dozen statements took tens of milliseconds of such waits, and that, not the work,
/// capped ingestion. On its own thread the writer is woken by the operating system as soon
/// as a statement's answer arrives. It ends when the app (the only sender) is dropped.
fn spawn_writer(inner: Weak<crate::Inner>, rx: mpsc::Receiver<Request>) {
    let started = std::thread::Builder::new().name("chorus-ingest".into()).spawn(move || {
        match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(writer(inner, rx)),
            Err(e) => tracing::error!(error = %e, "could not start the inbound writer's runtime"),
        }
    });
    if let Err(e) = started {
        tracing::error!(error = %e, "could not start the inbound writer's thread");
    }
}

async fn writer(inner: Weak<crate::Inner>, mut rx: mpsc::Receiver<Request>) {
    // Committed batches wait here, in commit order, for their sync; then their events are
    // published and their callers answered. Meanwhile the next batch is written.
    let (committed, mut to_finish) = mpsc::channel::<Committed>(4);
    let finisher = tokio::spawn(async move {
        while let Some(batch) = to_finish.recv().await {
            batch.finish().await;
        }
    });
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let Some(inner) = inner.upgrade() else { break };
        let app = App { inner };
        let requests = std::mem::take(&mut batch);
        match run(&app, requests).await {
            Ok(done) => {
                if let Err(mpsc::error::SendError(done)) = committed.send(done).await {
                    done.finish().await;
                }
            }
            Err((e, waiting)) => {
                for r in waiting {
                    let _ = r.reply.send(Err(Error::Internal(e.clone())));
                }
            }
        }
    }
    drop(committed);
    let _ = finisher.await;
}

/// Receives every request in one transaction and commits it. The batch is first tried
/// whole, without savepoints and with counter and index writes deferred to the commit (see
/// `store::Tx::defer_writes`): a few statements per batch instead of several per message.
/// Only when a message fails is the batch tried again message by message, each inside its
/// own savepoint, so the failure stays that message's alone.
async fn run(app: &App, requests: Vec<Request>) -> Result<Committed, (String, Vec<Request>)> {
    let batch = match receive_all(app, &requests).await {
        Ok(batch) => batch,
        // A lone message's failure is its own: no need to try it again.
        Err(e) if requests.len() == 1 => {
            let outcomes = vec![Err(e)];
            Batch { outcomes, last_seq: None, events: Vec::new(), syncing: store::Syncing::done() }
        }
        Err(_) => return run_one_by_one(app, requests).await,
    };
    let replies = requests.into_iter().map(|r| r.reply).zip(batch.outcomes).collect();
    let committed_at = Instant::now();
    Ok(Committed {
        app: app.clone(),
        syncing: batch.syncing,
        last_seq: batch.last_seq,
        events: Some(batch.events),
        replies,
        committed_at,
    })
}

/// A committed batch on its way to its callers.
struct Committed {
    app: App,
    /// The wait for the commit to reach the disk.
    syncing: store::Syncing,
    last_seq: Option<i64>,
    /// The events logged, with their sequence numbers; `None` when only `last_seq` is known
    /// (the bus then reads them from the log).
    events: Option<Vec<Event>>,
    replies: Vec<(oneshot::Sender<Result<InboundOutcome>>, Result<InboundOutcome>)>,
    committed_at: Instant,
}

impl Committed {
    /// Waits for the sync, then publishes the events and answers each caller. Should the
    /// sync fail, the callers are told so: their messages may not survive a power cut, and
    /// a caller that sends one again gets the same message (the provider's id makes it
    /// one), never a second.
    async fn finish(self) {
        let synced = self.syncing.synced().await;
        let waited = self.committed_at.elapsed().as_micros() as u64;
        self.app.inner.writer_profile.lock().unwrap_or_else(|p| p.into_inner()).sync_us += waited;
        if let Some(seq) = self.last_seq {
            match self.events {
                Some(events) => self.app.published_events(seq, events).await,
                None => self.app.published(seq).await,
            }
        }
        for (reply, outcome) in self.replies {
            let answer = match &synced {
                Ok(()) => outcome,
                Err(e) => Err(Error::Internal(format!("the message was committed but not synced to disk: {e}"))),
            };
            let _ = reply.send(answer);
        }
    }
}

/// What a committed batch produced, one outcome per request in order.
struct Batch {
    outcomes: Vec<Result<InboundOutcome>>,
    last_seq: Option<i64>,
    /// The events logged, with the sequence numbers they took.
    events: Vec<Event>,
    /// The wait for the commit to reach the disk.
    syncing: store::Syncing,
}

/// Where the inbound writer's time went, summed over the batches it committed whole since
/// the app started (on SQLite; PostgreSQL receives each message in a transaction of its
/// own and leaves this empty). Throughput alone hides which part of a batch grew; these
/// show it, per message, in the benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterProfile {
    /// Batches committed whole.
    pub batches: u64,
    /// Messages in them.
    pub messages: u64,
    /// Microseconds taking the write connection and beginning (with any checkpoint the
    /// WAL was due for).
    pub begin_us: u64,
    /// Microseconds looking up the batch's provider ids, senders and their threads.
    pub look_up_us: u64,
    /// Microseconds receiving each message: its own reads and writes, its events built.
    pub receive_us: u64,
    /// Microseconds writing the held rows, the events, the counters and the search index.
    pub write_us: u64,
    /// Microseconds committing: the WAL written (and, with SQLite's own sync, synced).
    pub commit_us: u64,
    /// Microseconds from each commit to its callers being answered: the wait for the WAL's
    /// sync, beside the next batch, so not part of the writer's own time.
    pub sync_us: u64,
}

impl WriterProfile {
    /// Adds a batch of `messages` and the microseconds of its phases, in field order.
    fn add(&mut self, messages: usize, [begin, look_up, receive, write, commit]: [u64; 5]) {
        self.batches += 1;
        self.messages += messages as u64;
        self.begin_us += begin;
        self.look_up_us += look_up;
        self.receive_us += receive;
        self.write_us += write;
        self.commit_us += commit;
    }
}

/// Microseconds since `*mark`, which moves to now.
fn lap(mark: &mut Instant) -> u64 {
    let now = Instant::now();
    let us = now.duration_since(*mark).as_micros() as u64;
    *mark = now;
    us
}

/// Receives every request in one transaction with deferred writes and commits, or fails as
/// a whole (nothing written) on the first error.
async fn receive_all(app: &App, requests: &[Request]) -> Result<Batch> {
    let mut mark = Instant::now();
    let mut tx = app.store_().write().await?;
    let begin = lap(&mut mark);
    tx.defer_writes();
    let now = app.now();
    let mut outcomes = Vec::with_capacity(requests.len());
    let mut events = Vec::with_capacity(requests.len());
    let batch: Vec<_> = requests.iter().map(|r| (r.ws, &r.input)).collect();
    let mut cache = BatchCache::prefetch(&mut tx, &batch, now).await?;
    let look_up = lap(&mut mark);
    for r in requests {
        let (outcome, new_events) = app.receive_in(&mut tx, r.ws, &r.input, &mut cache).await?;
        outcomes.push(Ok(outcome));
        events.push((r.ws, new_events));
    }
    let receive = lap(&mut mark);
    let groups: Vec<_> = events.iter().map(|(ws, e)| (*ws, e.as_slice())).collect();
    let last_seq = tx.append_event_groups(&groups, now).await?;
    tx.flush_deferred().await?;
    let write = lap(&mut mark);
    let syncing = tx.commit_unsynced().await?;
    let phases = [begin, look_up, receive, write, lap(&mut mark)];
    app.inner.writer_profile.lock().unwrap_or_else(|p| p.into_inner()).add(requests.len(), phases);
    Ok(Batch { outcomes, last_seq, events: logged(events, last_seq, now), syncing })
}

/// The events of a batch as the log holds them: appended in one transaction by the only
/// writer, they took consecutive sequence numbers ending at `last_seq`.
fn logged(groups: Vec<(WorkspaceId, Vec<NewEvent>)>, last_seq: Option<i64>, now: domain::Millis) -> Vec<Event> {
    let Some(last) = last_seq else { return Vec::new() };
    let count = groups.iter().map(|(_, e)| e.len() as i64).sum::<i64>();
    let seqs = last - count + 1..=last;
    let events = groups.into_iter().flat_map(|(ws, events)| events.into_iter().map(move |e| (ws, e)));
    seqs.zip(events)
        .map(|(seq, (workspace_id, e))| Event {
            seq,
            workspace_id,
            kind: e.kind,
            conversation_id: e.conversation_id,
            user_id: e.user_id,
            data: e.data,
            created_at: now,
        })
        .collect()
}

/// Receives every request in one transaction, each inside its own savepoint. On a failure
/// of the transaction itself the requests not yet answered are handed back with the cause.
async fn run_one_by_one(app: &App, requests: Vec<Request>) -> Result<Committed, (String, Vec<Request>)> {
    let mut tx = match app.store_().write().await {
        Ok(tx) => tx,
        Err(e) => return Err((e.to_string(), requests)),
    };
    let now = app.now();
    let mut done: Vec<(Request, Result<InboundOutcome>)> = Vec::with_capacity(requests.len());
    let mut last_seq = None;
    let mut pending = requests.into_iter();
    while let Some(r) = pending.next() {
        if let Err(e) = tx.savepoint().await {
            let mut rest: Vec<Request> = done.into_iter().map(|(r, _)| r).collect();
            rest.push(r);
            rest.extend(pending);
            return Err((e.to_string(), rest));
        }
        let outcome = match app.receive_in(&mut tx, r.ws, &r.input, &mut BatchCache::default()).await {
            Ok((outcome, events)) => match tx.append_events(r.ws, &events, now).await {
                Ok(seq) => {
                    last_seq = seq.or(last_seq);
                    tx.release_savepoint().await.map(|_| outcome).map_err(Error::from)
                }
                Err(e) => Err(e.into()),
            },
            Err(e) => Err(e),
        };
        if outcome.is_err()
            && let Err(e) = tx.rollback_to_savepoint().await
        {
            let mut rest: Vec<Request> = done.into_iter().map(|(r, _)| r).collect();
            rest.push(r);
            rest.extend(pending);
            return Err((e.to_string(), rest));
        }
        done.push((r, outcome));
    }
    let syncing = match tx.commit_unsynced().await {
        Ok(syncing) => syncing,
        Err(e) => return Err((e.to_string(), done.into_iter().map(|(r, _)| r).collect())),
    };
    let replies = done.into_iter().map(|(r, outcome)| (r.reply, outcome)).collect();
    Ok(Committed { app: app.clone(), syncing, last_seq, events: None, replies, committed_at: Instant::now() })
}
