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
    let dir = tempfile::tempdir().map_err(|e| StoreError::Io(e.to_string()))?;
    let store = match postgres_url() {
        Some(url) => Store::open(&fresh_postgres(&url).await?, Durability::Normal).await?,
        None => Store::open(&dir.path().join("chorus.db").to_string_lossy(), Durability::Normal).await?,
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
