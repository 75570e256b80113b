//! SQLite checkpoints off the write path.
//!
//! In WAL mode a commit appends pages to the `-wal` file, and a checkpoint copies them back
//! into the database file and syncs it. Left to SQLite, the commit that takes the WAL past
//! 1,000 pages runs the checkpoint itself, so every few batches one writer waits for the
//! copy and two syncs: in a profile of ingestion those commits were an eighth of all commits
//! and two thirds of the time spent committing. Here the write connection never
//! checkpoints (`wal_autocheckpoint = 0`); after each commit it wakes a task that runs a
//! `PASSIVE` checkpoint on a connection of its own, beside the next batch.
//!
//! That checkpoint waits for the next batch's `BEGIN` to finish first. A transaction's
//! begin takes a read mark of the WAL index, and a checkpoint takes the same marks
//! exclusively, one after another, to see how far it may copy. When the two meet, the begin
//! tries again, and after five tries it sleeps between them; with the checkpointer's thread
//! descheduled while it holds a mark (two cores, four busy threads), a begin slept for most
//! of a millisecond, a sixth of an inbound batch's time. Once the writer has begun, its own
//! mark is taken and the checkpoint, which copies only what was committed before it, runs
//! beside the batch's work. When no write begins within [`IDLE`], it runs anyway.
//!
//! A passive checkpoint copies what was committed when it started and never blocks the
//! writer, but the WAL starts again from its beginning only when a write transaction begins
//! with every frame copied — and a busy writer begins its next batch right after its commit,
//! before the checkpoint has caught up. So once the WAL holds more than [`RESTART_FRAMES`],
//! the writer waits (holding the write connection, so nothing new is appended) for one
//! checkpoint that copies the last frames, then begins: SQLite rewinds the WAL. That wait
//! covers a batch or two of frames and a sync of the database file, some milliseconds, so
//! it comes rarely: once every sixteen thousand pages.

use crate::Result;
use sqlx::SqliteConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, Notify, mpsc};

/// WAL frames (pages) after which the writer waits for a checkpoint to finish before it
/// begins, so that the WAL starts again from its beginning: 64 MB with 4 KB pages. With a
/// quarter of that, an inbound batch of 25 messages wrote some 240 pages, and the waits
/// were half of the time the writer spent beginning.
pub(crate) const RESTART_FRAMES: i64 = 16384;

/// How long a checkpoint asked for by a commit waits for the writer's next transaction to
/// begin before it runs anyway.
const IDLE: Duration = Duration::from_millis(2);

/// The checkpointing connection and what its last checkpoint found.
pub(crate) struct Checkpoints {
    conn: Mutex<SqliteConnection>,
    /// Frames in the WAL when the last checkpoint ran.
    wal_frames: AtomicI64,
    /// Wakes the background task; holds at most one wake-up, since one checkpoint copies
    /// everything committed before it started.
    wake: mpsc::Sender<()>,
    /// The write connection is inside a transaction it has begun (see [`Checkpoints::began`]).
    writing: AtomicBool,
    /// Tells a waiting checkpoint that the writer has begun.
    begun: Notify,
}

impl Checkpoints {
    /// Starts the background task on `conn`. It ends, and the connection closes, when the
    /// returned handle is dropped.
    pub(crate) fn start(conn: SqliteConnection) -> Arc<Checkpoints> {
        let (wake, mut woken) = mpsc::channel(1);
        let checkpoints = Arc::new(Checkpoints {
            conn: Mutex::new(conn),
            wal_frames: AtomicI64::new(0),
            wake,
            writing: AtomicBool::new(false),
            begun: Notify::new(),
        });
        let weak = Arc::downgrade(&checkpoints);
        tokio::spawn(async move {
            while woken.recv().await.is_some() {
                let Some(checkpoints) = weak.upgrade() else { return };
                checkpoints.after_next_begin().await;
                if let Err(e) = checkpoints.run().await {
                    tracing::warn!(error = %e, "a background checkpoint failed; the next commit tries again");
                }
            }
        });
        checkpoints
    }

    /// Asks for a checkpoint after a commit (at most one waits; one copies all there is).
    /// Runs it here when the background task is gone (the runtime that started it has shut
    /// down), so the WAL never grows unchecked.
    pub(crate) async fn committed(&self) {
        if let Err(mpsc::error::TrySendError::Closed(())) = self.wake.try_send(())
            && let Err(e) = self.run().await
        {
            tracing::warn!(error = %e, "a checkpoint after a commit failed; the next commit tries again");
        }
    }

    /// The write connection has begun a transaction: a waiting checkpoint may run.
    pub(crate) fn began(&self) {
        self.writing.store(true, Ordering::Release);
        self.begun.notify_waiters();
    }

    /// The write connection is about to end its transaction.
    pub(crate) fn ending(&self) {
        self.writing.store(false, Ordering::Release);
    }

    /// Returns once the writer is inside a transaction, or after [`IDLE`] without one.
    async fn after_next_begin(&self) {
        let begun = self.begun.notified();
        tokio::pin!(begun);
        // Registered before the flag is read, so a begin in between is not missed.
        begun.as_mut().enable();
        if !self.writing.load(Ordering::Acquire) {
            let _ = tokio::time::timeout(IDLE, begun).await;
        }
    }

    /// Whether the WAL has grown past [`RESTART_FRAMES`] since it last started again.
    pub(crate) fn due_for_restart(&self) -> bool {
        self.wal_frames.load(Ordering::Relaxed) >= RESTART_FRAMES
    }

    /// Runs one passive checkpoint, after any that is running, and notes how many frames
    /// the WAL held.
    pub(crate) async fn run(&self) -> Result<()> {
        let mut conn = self.conn.lock().await;
        // Whether it was blocked, frames in the WAL, frames copied into the database.
        let (_busy, wal_frames, _copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut *conn).await?;
        self.wal_frames.store(wal_frames, Ordering::Relaxed);
        Ok(())
    }
}
