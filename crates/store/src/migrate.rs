//! Migrations, one list per dialect, embedded in the binary and applied at start. Both lists
//! carry the same versions (a test checks it), so a schema change is always made twice.

use crate::{Dialect, Result, Store, Tx, run};

/// (version, description, SQL) for SQLite.
pub const MIGRATIONS_SQLITE: &[(i64, &str, &str)] = &[
    (1, "core", include_str!("../migrations/sqlite/0001_core.sql")),
    (2, "inbox ui", include_str!("../migrations/sqlite/0002_inbox_ui.sql")),
    (3, "email", include_str!("../migrations/sqlite/0003_email.sql")),
    (4, "contact index", include_str!("../migrations/sqlite/0004_contact_index.sql")),
    (5, "search words", include_str!("../migrations/sqlite/0005_search_words.sql")),
    (6, "routing", include_str!("../migrations/sqlite/0006_routing.sql")),
    (7, "sla", include_str!("../migrations/sqlite/0007_sla.sql")),
    (8, "rules", include_str!("../migrations/sqlite/0008_rules.sql")),
    (9, "search terms", include_str!("../migrations/sqlite/0009_search_terms.sql")),
    (10, "small files", include_str!("../migrations/sqlite/0010_small_files.sql")),
    (11, "widget", include_str!("../migrations/sqlite/0011_widget.sql")),
    (12, "partial_indexes", include_str!("../migrations/sqlite/0012_partial_indexes.sql")),
];

/// (version, description, SQL) for PostgreSQL.
pub const MIGRATIONS_POSTGRES: &[(i64, &str, &str)] = &[
    (1, "core", include_str!("../migrations/postgres/0001_core.sql")),
    (2, "inbox ui", include_str!("../migrations/postgres/0002_inbox_ui.sql")),
    (3, "email", include_str!("../migrations/postgres/0003_email.sql")),
    (4, "contact index", include_str!("../migrations/postgres/0004_contact_index.sql")),
    (5, "search words", include_str!("../migrations/postgres/0005_search_words.sql")),
    (6, "routing", include_str!("../migrations/postgres/0006_routing.sql")),
    (7, "sla", include_str!("../migrations/postgres/0007_sla.sql")),
    (8, "rules", include_str!("../migrations/postgres/0008_rules.sql")),
    (9, "search terms", include_str!("../migrations/postgres/0009_search_terms.sql")),
    (10, "small files", include_str!("../migrations/postgres/0010_small_files.sql")),
    (11, "widget", include_str!("../migrations/postgres/0011_widget.sql")),
    (12, "partial_indexes", include_str!("../migrations/postgres/0012_partial_indexes.sql")),
];

const CREATE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Serialises migrations of nodes starting at once (PostgreSQL; SQLite writes one at a time).
const MIGRATION_LOCK: i64 = 7_260_411;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Tx {
    /// Takes the migration lock until this transaction ends (PostgreSQL only).
    async fn lock_migrations(&mut self) -> Result<()> {
        if self.dialect() == Dialect::Postgres {
            run!(self, |c| sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    async fn execute_script(&mut self, sql: &'static str) -> Result<()> {
        run!(self, |c| sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}

/// Applies what is missing, each migration in its own transaction; returns the versions applied.
pub(crate) async fn run(store: &Store) -> Result<Vec<i64>> {
    let migrations = match store.dialect() {
        Dialect::Sqlite => MIGRATIONS_SQLITE,
        Dialect::Postgres => MIGRATIONS_POSTGRES,
    };
    let mut tx = store.write().await?;
    tx.lock_migrations().await?;
    tx.execute_script(CREATE).await?;
    tx.commit().await?;
    let mut applied = Vec::new();
    for (version, description, sql) in migrations {
        let mut tx = store.write().await?;
        tx.lock_migrations().await?;
        let q = "SELECT version FROM schema_migrations WHERE version = $1";
        let done: Option<i64> = run!(tx, |c| sqlx::query_scalar(q).bind(version).fetch_optional(c).await)?;
        if done.is_none() {
            tx.execute_script(sql).await?;
            let q = "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)";
            run!(tx, |c| sqlx::query(q)
                .bind(version)
                .bind(description)
                .bind(now_ms())
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            applied.push(*version);
        }
        tx.commit().await?;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_have_the_same_versions() {
        let v = |m: &[(i64, &str, &str)]| m.iter().map(|(v, d, _)| (*v, d.to_string())).collect::<Vec<_>>();
        assert_eq!(v(MIGRATIONS_SQLITE), v(MIGRATIONS_POSTGRES));
        let versions: Vec<i64> = MIGRATIONS_SQLITE.iter().map(|m| m.0).collect();
        let mut sorted = versions.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(versions, sorted, "versions must be strictly increasing");
    }

    #[test]
    fn every_migration_file_is_embedded() {
        for (dialect, list) in [("sqlite", MIGRATIONS_SQLITE), ("postgres", MIGRATIONS_POSTGRES)] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dialect);
            let mut files: Vec<i64> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().split('_').next().unwrap().parse().unwrap())
                .collect();
            files.sort();
            let listed: Vec<i64> = list.iter().map(|m| m.0).collect();
            assert_eq!(files, listed, "{dialect}: a file in {} is not in the list (or the reverse)", dir.display());
        }
    }
}
