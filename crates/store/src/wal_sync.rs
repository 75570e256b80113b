//! Durable SQLite commits that do not hold the write connection while the disk syncs.
//!
//! With `synchronous = FULL`, SQLite syncs the WAL inside `COMMIT`, so the next writer
//! waits for the disk as well as for the work. Here the write connection commits with
//! `synchronous = NORMAL` (nothing synced at commit; the WAL is still synced before every
//! checkpoint and its header whenever it starts again), and the committing task syncs the
//! WAL file itself after it has let the connection go. A commit is reported durable only
//! once a sync that began after it has finished, which is what `FULL` promises; meanwhile
//! the next transaction runs. Commits that wait together share one sync (group commit).
//!
//! What changes is the order, not the promise: another connection can read a commit's
//! rows in the fraction of a millisecond before they reach the disk, and a power cut in
//! that moment takes back rows someone may have seen. Nothing is acknowledged to a caller
//! before its sync.

use crate::{Result, StoreError};
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The WAL file of one database and how far it is known to be on disk.
pub(crate) struct WalSync {
    /// `<database>-wal`.
    path: PathBuf,
    /// The WAL file, opened at the first sync, with its inode: should SQLite ever delete
    /// and create the file again, a handle on the old one would sync nothing.
    file: std::sync::Mutex<Option<(File, u64)>>,
    /// Commits made so far; each commit takes the next number once its `COMMIT` returned.
    committed: AtomicU64,
    /// Every commit numbered up to this one is on disk.
    synced: AtomicU64,
    /// Held by the task that is syncing; the others wait for it and then usually find their
    /// commit covered.
    syncing: tokio::sync::Mutex<()>,
}

/// The wait for one commit to reach the disk (see [`crate::Tx::commit_unsynced`]).
#[must_use = "a commit is durable only once `synced` has returned"]
pub struct Syncing(Option<(Arc<WalSync>, u64)>);

impl Syncing {
    /// A commit that was durable when it returned (PostgreSQL, or SQLite with
    /// `Durability::Normal`, which promises no more).
    pub fn done() -> Syncing {
        Syncing(None)
    }

    /// Returns once the commit is on disk.
    pub async fn synced(self) -> Result<()> {
        match self.0 {
            Some((wal, commit)) => wal.through(commit).await,
            None => Ok(()),
        }
    }
}

impl WalSync {
    /// The WAL beside the database file at `database`.
    pub(crate) fn new(database: &str) -> Arc<WalSync> {
        Arc::new(WalSync {
            path: PathBuf::from(format!("{database}-wal")),
            file: std::sync::Mutex::new(None),
            committed: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            syncing: tokio::sync::Mutex::new(()),
        })
    }

    /// Numbers a commit whose `COMMIT` has just returned, on the write connection (so in
    /// commit order), and returns the wait for it to reach the disk.
    pub(crate) fn committed(self: &Arc<WalSync>) -> Syncing {
        let commit = self.committed.fetch_add(1, Ordering::AcqRel) + 1;
        Syncing(Some((self.clone(), commit)))
    }

    /// Commits made, and how many of them are known to be on disk (for tests).
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.committed.load(Ordering::Acquire), self.synced.load(Ordering::Acquire))
    }

    /// Returns once commit number `commit` is on disk, syncing the WAL unless a sync that
    /// began after that commit has already finished.
    async fn through(self: &Arc<WalSync>, commit: u64) -> Result<()> {
        if self.synced.load(Ordering::Acquire) >= commit {
            return Ok(());
        }
        let _turn = self.syncing.lock().await;
        if self.synced.load(Ordering::Acquire) >= commit {
            return Ok(());
        }
        // Every commit numbered up to here has written its frames: the sync covers them.
        let covered = self.committed.load(Ordering::Acquire);
        let wal = self.clone();
        tokio::task::spawn_blocking(move || wal.sync_file())
            .await
            .map_err(|e| StoreError::Io(format!("syncing the WAL: {e}")))?
            .map_err(|e| StoreError::Io(format!("syncing {}: {e}", self.path.display())))?;
        self.synced.fetch_max(covered, Ordering::AcqRel);
        Ok(())
    }

    /// `fdatasync` on the WAL file, opening it (again) when needed.
    fn sync_file(&self) -> std::io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let inode = inode(&std::fs::metadata(&self.path)?);
        if file.as_ref().is_none_or(|(_, known)| *known != inode) {
            // Write access: some systems sync only files opened for writing. Nothing is
            // written through this handle.
            let handle = std::fs::OpenOptions::new().read(true).write(true).open(&self.path)?;
            *file = Some((handle, inode));
        }
        match file.as_ref() {
            Some((handle, _)) => handle.sync_data(),
            None => Ok(()),
        }
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

/// Elsewhere the file is opened once; SQLite keeps its WAL for as long as it is open.
#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}
