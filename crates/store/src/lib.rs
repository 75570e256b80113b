//! Chorus's persistence: one [`Store`] over SQLite (the embedded default) and PostgreSQL.
//!
//! All SQL lives here. Model code is written once against [`Tx`]: the `run!` macro expands
//! a query for both backends, so both dialects share the statement text (`$1` placeholders
//! work on both) and only full-text search, job claims and event ordering differ, in their
//! own functions. This crate knows nothing of HTTP and has no rules about content: the use
//! cases in `app` decide what is written, this crate only writes it consistently.
#![deny(missing_docs)]

mod blobs;
mod checkpoint;
mod contacts;
mod conversations;
mod counters;
mod deferred;
mod error;
mod events;
mod held;
mod inboxes;
mod jobs;
mod labels;
mod lists;
mod messages;
mod migrate;
mod notifications;
mod rows;
mod search;
mod teams;
mod terms;
#[cfg(feature = "testing")]
pub mod testing;
mod users;
mod values;
mod wal_sync;
mod widget;
mod workspaces;

pub use blobs::{Blobs, hex};
pub use error::StoreError;
pub use events::{EventListener, Signal};
pub use migrate::{MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE};
pub use notifications::unread_key;
pub use search::{SearchHit, SearchKind};
pub use users::{SessionRecord, TokenRecord};
pub use wal_sync::Syncing;
pub use widget::VisitorRecord;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A result from the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which SQL dialect a store speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Embedded SQLite (one node).
    Sqlite,
    /// PostgreSQL (one or many nodes).
    Postgres,
}

#[derive(Clone)]
enum Db {
    /// SQLite: `write` is the one connection every write transaction uses; `read` has the
    /// rest (see [`Store::open`]).
    Sqlite {
        read: SqlitePool,
        write: Arc<tokio::sync::Mutex<Writer>>,
    },
    Postgres(PgPool),
}

/// SQLite's write connection, taken in turn (the mutex is fair: first come, first served).
/// It is not pooled: a pool returns a connection only after a task spawned at its release
/// has pinged it, a round trip to its thread during which the next writer waits.
struct Writer {
    conn: sqlx::SqliteConnection,
    /// A transaction was begun and neither committed nor rolled back (its `Tx` was
    /// dropped): the next writer rolls it back first.
    open: bool,
    /// [`Store::close`] was called: no more writes.
    closed: bool,
    /// Checkpoints the WAL beside the writer (the write connection never does).
    checkpoints: Arc<checkpoint::Checkpoints>,
    /// Words this connection knows `search_terms` holds.
    terms: terms::KnownTerms,
    /// With `Durability::Full`, the WAL that commits sync after letting the connection go.
    wal: Option<Arc<wal_sync::WalSync>>,
}

impl Writer {
    /// Rolls back a transaction whose `Tx` was dropped without a commit or rollback. The
    /// rollback's own error is not reported: the transaction may have ended after all (a
    /// commit whose caller went away), and a connection that is truly broken fails the
    /// next statement with its own error.
    async fn end_abandoned(&mut self) {
        if self.open {
            let _ = self.end("ROLLBACK").await;
        }
    }

    /// Commits the open transaction; returns the wait for it to reach the disk.
    async fn commit(&mut self) -> Result<Syncing> {
        self.end("COMMIT").await?;
        Ok(self.wal.as_ref().map_or_else(Syncing::done, |wal| wal.committed()))
    }

    /// Ends the open transaction with `COMMIT` or `ROLLBACK`.
    async fn end(&mut self, statement: &'static str) -> Result<()> {
        self.checkpoints.ending();
        sqlx::raw_sql(statement).execute(&mut self.conn).await?;
        self.open = false;
        self.terms.ended(statement == "COMMIT");
        if statement == "COMMIT" {
            self.checkpoints.committed().await;
        }
        Ok(())
    }
}

/// The database: open it once, share it (cloning is cheap), and do all work in a [`Tx`].
#[derive(Clone)]
pub struct Store {
    db: Db,
    url: String,
    /// Bumped after every commit that changed who may do what (see [`Store::access_version`]).
    access: Arc<AtomicU64>,
}

/// How SQLite commits reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync on every commit: a committed message survives a power cut.
    Full,
    /// fsync at checkpoints: survives a crash of Chorus, may lose the last commits on power loss.
    Normal,
}

impl Store {
    /// Opens `url`: `postgres://…` for PostgreSQL, otherwise a SQLite file path or
    /// `sqlite://path`. The SQLite file and its directory are created when missing.
    pub async fn open(url: &str, durability: Durability) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            return Ok(Store { db: Db::Postgres(pool), url: url.to_string(), access: Arc::default() });
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(format!("creating {}: {e}", dir.display())))?;
        }
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durability {
                Durability::Full => SqliteSynchronous::Full,
                Durability::Normal => SqliteSynchronous::Normal,
            })
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(false)
            // 2 MB of page cache per reader (at most seven): the hot pages of the lists and
            // the index fit (a first page of a million conversations reads a few dozen
            // pages), and the process stays small; the OS page cache holds the rest of the
            // file, a read away. The write connection has more (below). Page caches fill
            // and stay full: in a server over a million conversations they were nearly all
            // of its heap, so together they are bounded at 7 × 2 + 16 = 30 MB.
            .pragma("cache_size", "-2000")
            .pragma("temp_store", "memory");
        // SQLite lets one transaction write at a time, so writers queue for one connection
        // here (in order, and woken at once) rather than for the database's lock, whose
        // busy handler sleeps between tries. That connection also keeps its page
        // cache: SQLite empties a connection's cache when another connection has written
        // since its last transaction, so a writer that took any pooled connection re-read
        // from the file every page it touched (a sixth of the SQLite threads' time, in a
        // profile of ingestion). Readers keep the other connections.
        // The write connection leaves checkpoints to a connection of their own (see
        // `checkpoint`). Its page cache, 16 MB, holds the pages an inbound batch touches
        // across some fifteen indexes and the search index; it fills as it writes. Batches
        // bind many rows in statements of many sizes, so it keeps more of them prepared.
        //
        // With `Durability::Full` it commits without syncing, and each commit syncs the WAL
        // after letting the connection go (see `wal_sync`).
        let wopts = opts
            .clone()
            .synchronous(SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", "0")
            .pragma("cache_size", "-16000")
            .statement_cache_capacity(512);
        let conn = sqlx::ConnectOptions::connect(&wopts).await?;
        let wal = (durability == Durability::Full).then(|| wal_sync::WalSync::new(path));
        let checkpoints = checkpoint::Checkpoints::start(sqlx::ConnectOptions::connect(&opts).await?);
        let write = Arc::new(tokio::sync::Mutex::new(Writer {
            conn,
            open: false,
            closed: false,
            checkpoints,
            terms: Default::default(),
            wal,
        }));
        let read = SqlitePoolOptions::new()
            .max_connections(7)
            .min_connections(1)
            // A SQLite connection is a file handle in this process: it cannot drop out
            // from under the pool, and the ping before each acquire would cost a round
            // trip to the connection's thread on every request.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Store { db: Db::Sqlite { read, write }, url: path.to_string(), access: Arc::default() })
    }

    /// The dialect this store speaks.
    pub fn dialect(&self) -> Dialect {
        match self.db {
            Db::Sqlite { .. } => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A number that grows whenever a commit of this process changes who may do what:
    /// API tokens revoked, sessions ended, memberships changed, passwords set, inboxes
    /// changed. A reader that notes it before reading those rows may trust what it read for
    /// as long as the number stays the same. Only on SQLite, where this process is the only
    /// writer; `None` on PostgreSQL, where other nodes write too and nothing may be trusted
    /// past its read.
    pub fn access_version(&self) -> Option<u64> {
        match self.db {
            Db::Sqlite { .. } => Some(self.access.load(Ordering::Acquire)),
            Db::Postgres(_) => None,
        }
    }

    /// Applies the migrations this binary carries that the database has not seen yet.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        migrate::run(self).await
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so it waits for the
    /// write lock up front instead of failing with SQLITE_BUSY halfway through.
    pub async fn write(&self) -> Result<Tx> {
        let inner = match &self.db {
            Db::Sqlite { write, .. } => {
                let mut writer = write.clone().lock_owned().await;
                if writer.closed {
                    return Err(StoreError::Unsupported("the store is closed"));
                }
                writer.end_abandoned().await;
                if writer.checkpoints.due_for_restart()
                    && let Err(e) = writer.checkpoints.run().await
                {
                    tracing::warn!(error = %e, "a checkpoint before a write failed; the write goes on");
                }
                // Marked open first: if this future is dropped halfway, the next writer
                // still ends whatever was begun.
                writer.open = true;
                sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut writer.conn).await?;
                writer.checkpoints.began();
                TxInner::SqliteWrite(writer)
            }
            Db::Postgres(p) => TxInner::Postgres(p.begin().await?),
        };
        Ok(Tx { inner, deferred: None, access: self.access.clone(), access_changed: false })
    }

    /// Starts a read transaction: one consistent snapshot for several queries.
    pub async fn read(&self) -> Result<Tx> {
        let inner = match &self.db {
            Db::Sqlite { read, .. } => TxInner::Sqlite(read.begin().await?),
            Db::Postgres(p) => TxInner::Postgres(p.begin_with("BEGIN READ ONLY").await?),
        };
        Ok(Tx { inner, deferred: None, access: self.access.clone(), access_changed: false })
    }

    /// Reads without a transaction: each statement sees the latest commit, and nothing is
    /// begun or committed around them. One statement, or several that need not agree with
    /// each other, cost one round trip each instead of three for the first; use
    /// [`Store::read`] when several reads must see one snapshot. Read only through it: a
    /// write would commit at once, statement by statement.
    pub async fn query(&self) -> Result<Tx> {
        let inner = match &self.db {
            Db::Sqlite { read, .. } => TxInner::SqliteConn(read.acquire().await?),
            Db::Postgres(p) => TxInner::PostgresConn(p.acquire().await?),
        };
        Ok(Tx { inner, deferred: None, access: self.access.clone(), access_changed: false })
    }

    /// Writes a consistent copy of a SQLite database to `dest` while it is in use.
    pub async fn backup_to(&self, dest: &Path) -> Result<()> {
        let Db::Sqlite { read: pool, .. } = &self.db else {
            return Err(StoreError::Unsupported("backup works on SQLite; use pg_dump for PostgreSQL"));
        };
        if dest.exists() {
            return Err(StoreError::Io(format!("{} already exists; choose a new file", dest.display())));
        }
        let dest = dest.to_str().ok_or(StoreError::Unsupported("the backup path must be valid UTF-8"))?;
        sqlx::query("VACUUM INTO $1").bind(dest).execute(pool).await?;
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { read, write } => {
                // The connection itself closes when the last clone of the store is dropped.
                let mut writer = write.lock().await;
                writer.end_abandoned().await;
                writer.closed = true;
                read.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Whether [`Store::close`] has been called: nothing can be read or written any more.
    pub fn is_closed(&self) -> bool {
        match &self.db {
            Db::Sqlite { read, .. } => read.is_closed(),
            Db::Postgres(p) => p.is_closed(),
        }
    }

    /// Where a SQLite store lives, or the PostgreSQL URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

enum TxInner {
    /// A write transaction on SQLite's write connection.
    SqliteWrite(tokio::sync::OwnedMutexGuard<Writer>),
    /// A read transaction on SQLite ([`Store::read`]).
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    /// A pooled connection in autocommit mode ([`Store::query`]).
    SqliteConn(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    /// A pooled connection in autocommit mode ([`Store::query`]).
    PostgresConn(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

/// The connection a [`Tx`] runs its statements on.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

impl TxInner {
    pub(crate) fn connection(&mut self) -> Conn<'_> {
        match self {
            TxInner::SqliteWrite(w) => Conn::Sqlite(&mut w.conn),
            TxInner::Sqlite(t) => Conn::Sqlite(t),
            TxInner::SqliteConn(c) => Conn::Sqlite(c),
            TxInner::Postgres(t) => Conn::Postgres(t),
            TxInner::PostgresConn(c) => Conn::Postgres(c),
        }
    }
}

/// A transaction. Dropping it without [`Tx::commit`] rolls it back.
pub struct Tx {
    inner: TxInner,
    /// Counter bumps and index writes put off until the commit (see [`Tx::defer_writes`]).
    deferred: Option<deferred::Deferred>,
    /// The store's access version, bumped when this transaction commits a change of access.
    access: Arc<AtomicU64>,
    access_changed: bool,
}

impl Tx {
    /// Makes the transaction's writes durable and visible.
    pub async fn commit(self) -> Result<()> {
        self.commit_unsynced().await?.synced().await
    }

    /// Makes the transaction's writes visible and lets the next write transaction begin,
    /// returning the wait for them to reach the disk: until [`Syncing::synced`] has
    /// returned, the commit must not be reported as durable. On SQLite with
    /// `Durability::Full` the wait is a sync of the WAL, shared with the commits around it;
    /// elsewhere the commit was as durable as it gets when this returned.
    pub async fn commit_unsynced(mut self) -> Result<Syncing> {
        self.flush_deferred().await?;
        let syncing = match self.inner {
            // The write connection is let go at the end of this arm, before the sync.
            TxInner::SqliteWrite(mut w) => w.commit().await?,
            TxInner::Sqlite(t) => t.commit().await.map(|_| Syncing::done())?,
            TxInner::Postgres(t) => t.commit().await.map(|_| Syncing::done())?,
            TxInner::SqliteConn(_) | TxInner::PostgresConn(_) => Syncing::done(),
        };
        // After the commit: a reader that saw the old rows noted the old version.
        if self.access_changed {
            self.access.fetch_add(1, Ordering::AcqRel);
        }
        Ok(syncing)
    }

    /// Notes that this transaction changes who may do what (see [`Store::access_version`]).
    pub(crate) fn access_changes(&mut self) {
        self.access_changed = true;
    }

    /// Undoes the transaction's writes.
    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::SqliteWrite(mut w) => w.end("ROLLBACK").await?,
            TxInner::Sqlite(t) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
            TxInner::SqliteConn(_) | TxInner::PostgresConn(_) => {}
        }
        Ok(())
    }

    /// Marks a point this transaction can roll back to without losing what came before.
    pub async fn savepoint(&mut self) -> Result<()> {
        run!(self, |c| sqlx::query("SAVEPOINT item").execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Keeps what was done since the savepoint.
    pub async fn release_savepoint(&mut self) -> Result<()> {
        run!(self, |c| sqlx::query("RELEASE SAVEPOINT item").execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Undoes what was done since the savepoint, keeping the rest of the transaction.
    pub async fn rollback_to_savepoint(&mut self) -> Result<()> {
        run!(self, |c| sqlx::query("ROLLBACK TO SAVEPOINT item").execute(c).await.map(|r| r.rows_affected()))?;
        if let Some(known) = self.known_terms_mut() {
            known.forget_pending();
        }
        self.release_savepoint().await
    }

    /// The words the SQLite write connection knows `search_terms` holds; `None` on any
    /// other connection.
    fn known_terms(&self) -> Option<&terms::KnownTerms> {
        match &self.inner {
            TxInner::SqliteWrite(w) => Some(&w.terms),
            _ => None,
        }
    }

    fn known_terms_mut(&mut self) -> Option<&mut terms::KnownTerms> {
        match &mut self.inner {
            TxInner::SqliteWrite(w) => Some(&mut w.terms),
            _ => None,
        }
    }

    fn dialect(&self) -> Dialect {
        match self.inner {
            TxInner::SqliteWrite(_) | TxInner::Sqlite(_) | TxInner::SqliteConn(_) => Dialect::Sqlite,
            TxInner::Postgres(_) | TxInner::PostgresConn(_) => Dialect::Postgres,
        }
    }
}

/// Runs `$body` with `$c` bound to the transaction's connection, once per backend: the same
/// statement text and binds compile for both, and `query_as::<_, Row>` infers the database.
/// Rows a deferring transaction holds back (see `held`) are written first, so every
/// statement — a read above all — sees everything the transaction wrote before it.
macro_rules! run {
    ($tx:expr, |$c:ident| $body:expr) => {{
        if $tx.holds_rows() {
            $tx.write_held_rows().await?;
        }
        $crate::run_now!($tx, |$c| $body)
    }};
}
pub(crate) use run;

/// [`run!`] without writing held rows first: for the statements that write them.
macro_rules! run_now {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx.inner.connection() {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Postgres($c) => $body,
        }
    };
}
pub(crate) use run_now;
