//! The event log (outbox). Every change appends here inside its own transaction; live
//! clients and other nodes read it by sequence number.
//!
//! Readers catch up with `seq > last_seen`, which is only safe if sequence numbers become
//! visible in order. SQLite has one writer at a time, so they do. On PostgreSQL two
//! transactions could take seq 7 and 8 and commit 8 first; a reader would then skip 7 for
//! good. Appending therefore takes a transaction-scoped advisory lock, held only from the
//! append to the commit (appends come last in a transaction), so commits that log events
//! happen in sequence order.

use crate::rows::{json, parse};
use crate::{Conn, Db, Dialect, Result, Store, StoreError, Tx, run};
use domain::event::NewEvent;
use domain::{ConversationId, Event, Millis, UserId, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

/// The PostgreSQL channel that carries "the log grew" notifications.
const CHANNEL: &str = "chorus_events";
/// The PostgreSQL channel that carries ephemeral signals (who is viewing or typing), which
/// are never stored.
const EPHEMERAL: &str = "chorus_ephemeral";
const APPEND_LOCK: i64 = 7_260_412;

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    workspace_id: Uuid,
    kind: String,
    conversation_id: Option<Uuid>,
    user_id: Option<Uuid>,
    data: Json<serde_json::Value>,
    created_at: i64,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self> {
        Ok(Event {
            seq: r.seq,
            workspace_id: WorkspaceId(r.workspace_id),
            kind: parse(&r.kind)?,
            conversation_id: r.conversation_id.map(ConversationId),
            user_id: r.user_id.map(UserId),
            data: json(r.data.0, "event data")?,
            created_at: r.created_at,
        })
    }
}

const COLS: &str = "SELECT seq, workspace_id, kind, conversation_id, user_id, data, created_at FROM events";

impl Tx {
    /// Appends events; call it last in a transaction. Returns the highest sequence number.
    pub async fn append_events(&mut self, ws: WorkspaceId, events: &[NewEvent], now: Millis) -> Result<Option<i64>> {
        self.append_event_groups(&[(ws, events)], now).await
    }

    /// Appends the events of several changes, possibly of several workspaces, in one
    /// statement, in the order given (the inbound group commit's batch); call it last in a
    /// transaction. Returns the highest sequence number.
    pub async fn append_event_groups(
        &mut self,
        groups: &[(WorkspaceId, &[NewEvent])],
        now: Millis,
    ) -> Result<Option<i64>> {
        let rows: Vec<(WorkspaceId, &NewEvent)> =
            groups.iter().flat_map(|(ws, events)| events.iter().map(move |e| (*ws, e))).collect();
        if rows.is_empty() {
            return Ok(None);
        }
        if self.dialect() == Dialect::Postgres {
            run!(self, |c| sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(APPEND_LOCK)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        let mut last = None;
        // Six values a row, at most 1,024 rows; SQLite allows 32,766 in one statement.
        for chunk in rows.chunks(1_024) {
            let values = crate::values::Values::new(self.dialect(), chunk.len(), 6);
            let q = format!(
                "INSERT INTO events (workspace_id, kind, conversation_id, user_id, data, created_at) {}",
                values.sql
            );
            macro_rules! bound {
                ($query:expr) => {{
                    let mut query = $query;
                    for (ws, e) in chunk {
                        query = query
                            .bind(ws.0)
                            .bind(e.kind.as_str())
                            .bind(e.conversation_id.map(|c| c.0))
                            .bind(e.user_id.map(|u| u.0))
                            .bind(Json(&e.data))
                            .bind(now);
                    }
                    query
                }};
            }
            if self.holds_rows() {
                self.write_held_rows().await?;
            }
            let seq = match self.inner.connection() {
                // One writer, and `seq` only grows: the rows took the numbers up to the last
                // one in order, so the statement's last row id is the highest. Reading the
                // numbers back row by row would cost a hand-over per row.
                Conn::Sqlite(c) => Some(
                    values
                        .pad(bound!(sqlx::query(sqlx::AssertSqlSafe(q.as_str()))))
                        .execute(c)
                        .await?
                        .last_insert_rowid(),
                ),
                Conn::Postgres(c) => {
                    let q = format!("{q} RETURNING seq");
                    let seqs: Vec<i64> =
                        bound!(sqlx::query_scalar(sqlx::AssertSqlSafe(q.as_str()))).fetch_all(c).await?;
                    seqs.into_iter().max()
                }
            };
            last = seq.or(last);
        }
        Ok(last)
    }

    /// Events after `after`, oldest first: of one workspace, or of all (for the relay).
    pub async fn events_after(&mut self, ws: Option<WorkspaceId>, after: i64, limit: usize) -> Result<Vec<Event>> {
        let rows: Vec<EventRow> = match ws {
            Some(ws) => {
                let q = format!("{COLS} WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");
                run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
                    .bind(ws.0)
                    .bind(after)
                    .bind(limit as i64)
                    .fetch_all(c)
                    .await)?
            }
            None => {
                let q = format!("{COLS} WHERE seq > $1 ORDER BY seq LIMIT $2");
                run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
                    .bind(after)
                    .bind(limit as i64)
                    .fetch_all(c)
                    .await)?
            }
        };
        crate::rows::collect(rows, Event::try_from)
    }

    /// One conversation's events after `after`, oldest first.
    pub async fn conversation_events_after(
        &mut self,
        ws: WorkspaceId,
        conversation: domain::ConversationId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Event>> {
        let q = format!("{COLS} WHERE workspace_id = $1 AND conversation_id = $2 AND seq > $3 ORDER BY seq LIMIT $4");
        let rows: Vec<EventRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(conversation.0)
            .bind(after)
            .bind(limit as i64)
            .fetch_all(c)
            .await)?;
        crate::rows::collect(rows, Event::try_from)
    }

    /// The highest sequence number in the log (0 when empty).
    pub async fn last_event_seq(&mut self) -> Result<i64> {
        let v: Option<i64> = run!(self, |c| sqlx::query_scalar("SELECT MAX(seq) FROM events").fetch_one(c).await)?;
        Ok(v.unwrap_or(0))
    }
}

impl Store {
    /// Tells other nodes the log grew to `seq`. Call it after the commit: a NOTIFY inside a
    /// write transaction would serialise all commits. A no-op on SQLite (one node).
    pub async fn notify_events(&self, seq: i64) -> Result<()> {
        if let Db::Postgres(pool) = &self.db {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(seq.to_string()).execute(pool).await?;
        }
        Ok(())
    }

    /// Passes an ephemeral signal (at most a few hundred bytes of JSON) to other nodes.
    /// A no-op on SQLite.
    pub async fn notify_ephemeral(&self, payload: &str) -> Result<()> {
        if let Db::Postgres(pool) = &self.db {
            sqlx::query("SELECT pg_notify($1, $2)").bind(EPHEMERAL).bind(payload).execute(pool).await?;
        }
        Ok(())
    }

    /// Listens for other nodes' notifications; `None` on SQLite, where there are no others.
    pub async fn listen_events(&self) -> Result<Option<EventListener>> {
        match &self.db {
            Db::Sqlite { .. } => Ok(None),
            Db::Postgres(pool) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen_all([CHANNEL, EPHEMERAL]).await?;
                Ok(Some(EventListener { inner: listener }))
            }
        }
    }
}

/// What another node said.
#[derive(Debug, Clone)]
pub enum Signal {
    /// The event log grew to this sequence number.
    Log(i64),
    /// An ephemeral signal's JSON payload.
    Ephemeral(String),
}

/// A subscription to "the log grew" notifications from other nodes.
pub struct EventListener {
    inner: sqlx::postgres::PgListener,
}

impl EventListener {
    /// Waits for the next notification. Notifications sent while the connection was down
    /// are lost; callers catch up from the log after an error, and on a timer.
    pub async fn recv(&mut self) -> Result<Signal> {
        let n = self.inner.recv().await?;
        if n.channel() == EPHEMERAL {
            Ok(Signal::Ephemeral(n.payload().to_string()))
        } else {
            Ok(Signal::Log(n.payload().parse().unwrap_or(0)))
        }
    }
}
