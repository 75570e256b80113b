//! Fresh databases for tests: a temporary SQLite file, or — when `CHORUS_TEST_PG_URL` is
//! set — a new PostgreSQL database created through that URL. Every test gets its own, so
//! tests run in parallel without sharing state.

use crate::{Durability, Result, Store, StoreError};

/// A migrated store that lives as long as this value (the SQLite file is removed on drop).
pub struct TestStore {
    /// The store.
    pub store: Store,
    /// The temporary directory (SQLite file, attachments).
    pub dir: tempfile::TempDir,
}

/// The PostgreSQL URL tests should use, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("CHORUS_TEST_PG_URL").ok().filter(|u| !u.trim().is_empty())
}

/// Creates a fresh database: PostgreSQL when `CHORUS_TEST_PG_URL` is set, else SQLite.
pub async fn fresh() -> Result<TestStore> {
    fresh_with(Durability::Normal).await
}

/// [`fresh`], with SQLite's commits as durable as `durability` says.
pub async fn fresh_with(durability: Durability) -> Result<TestStore> {
    let dir = tempfile::tempdir().map_err(|e| StoreError::Io(e.to_string()))?;
    let store = match postgres_url() {
        Some(url) => Store::open(&fresh_postgres(&url).await?, durability).await?,
        None => Store::open(&dir.path().join("chorus.db").to_string_lossy(), durability).await?,
    };
    store.migrate().await?;
    Ok(TestStore { store, dir })
}

/// Creates a new, empty PostgreSQL database next to the one `admin_url` names and returns
/// its URL.
pub async fn fresh_postgres(admin_url: &str) -> Result<String> {
    use sqlx::Connection;
    let name = format!("chorus_t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
    conn.close().await?;
    let base = match admin_url.rfind('/') {
        Some(i) if admin_url[..i].contains('@') || admin_url[..i].matches('/').count() >= 2 => &admin_url[..i],
        _ => admin_url,
    };
    let query = admin_url.find('?').map(|i| &admin_url[i..]).unwrap_or("");
    Ok(format!("{base}/{name}{query}"))
}

/// How SQLite plans the look-ups an inbound batch makes for several senders at once, each
/// as `(name, plan)` with the plan's lines joined by `; ` (EXPLAIN QUERY PLAN's detail
/// column). Without statistics SQLite picks indexes by their shape alone, and a plan that
/// walks a whole index reads every row of a workspace on every batch: tests check these
/// plans so such a regression is caught at once, not at a million conversations. `None`
/// on PostgreSQL, which plans from statistics.
pub async fn inbound_lookup_plans(store: &Store) -> Result<Option<Vec<(&'static str, String)>>> {
    // Each with how many parameters it takes; they are bound as NULL, which plans alike.
    let statements = [
        ("threads_for", crate::conversations::threads_sql(crate::Dialect::Sqlite), 4),
        ("contacts_by_identities", crate::contacts::identities_sql(crate::Dialect::Sqlite), 2),
    ];
    let crate::Db::Sqlite { read, .. } = &store.db else { return Ok(None) };
    let mut plans = Vec::new();
    for (name, sql, params) in statements {
        plans.push((name, plan(read, &sql, params).await?));
    }
    Ok(Some(plans))
}

/// How SQLite plans the first page of a conversation list with `filter` (see
/// [`inbound_lookup_plans`]); `None` on PostgreSQL.
pub async fn list_plan(store: &Store, filter: &domain::ConversationFilter) -> Result<Option<String>> {
    let crate::Db::Sqlite { read, .. } = &store.db else { return Ok(None) };
    let (sql, args) = crate::conversations::list_sql(domain::WorkspaceId(uuid::Uuid::nil()), filter, None, 25);
    Ok(Some(plan(read, &sql, args.len()).await?))
}

/// EXPLAIN QUERY PLAN's detail lines for `sql`, joined by `; `, its `params` bound as NULL.
async fn plan(read: &sqlx::SqlitePool, sql: &str, params: usize) -> Result<String> {
    let explain = format!("EXPLAIN QUERY PLAN {sql}");
    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(explain.as_str()));
    for _ in 0..params {
        query = query.bind(Option::<i64>::None);
    }
    let rows = query.fetch_all(read).await?;
    Ok(rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; "))
}

/// WAL frames after which a SQLite writer waits for the WAL to start again (see the
/// `checkpoint` module).
pub const WAL_RESTART_FRAMES: i64 = crate::checkpoint::RESTART_FRAMES;

/// On SQLite with `Durability::Full`: how many commits the write connection has made and
/// how many of them are known to be on disk (see the `wal_sync` module); `None` elsewhere.
pub async fn wal_commits(store: &Store) -> Option<(u64, u64)> {
    match &store.db {
        crate::Db::Sqlite { write, .. } => write.lock().await.wal.as_ref().map(|wal| wal.counts()),
        crate::Db::Postgres(_) => None,
    }
}

/// Commits one write transaction that adds `bytes` of random data to a table of its own,
/// through the store's write path: for tests of how the WAL grows. SQLite only (`false` on
/// PostgreSQL, where nothing is written).
pub async fn write_filler(store: &Store, bytes: usize) -> Result<bool> {
    if store.dialect() == crate::Dialect::Postgres {
        return Ok(false);
    }
    let mut tx = store.write().await?;
    crate::run!(tx, |c| sqlx::query("CREATE TABLE IF NOT EXISTS test_filler (data BLOB NOT NULL)")
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    crate::run!(tx, |c| sqlx::query("INSERT INTO test_filler (data) VALUES (randomblob($1))")
        .bind(bytes as i64)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(true)
}
