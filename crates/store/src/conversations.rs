//! Conversations: inserts, the one write of a changed conversation (with its label index),
//! threading lookups and the filtered, keyset-paginated list.

mod queue;
mod sla;

use crate::rows::{json, parse};
use crate::{Dialect, Result, StoreError, Tx, run};
use domain::{
    AssigneeFilter, ContactId, Conversation, ConversationFilter, ConversationId, Cursor, InboxId, Millis, Page, Status,
    TeamId, UserId, WorkspaceId,
};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct ConversationRow {
    workspace_id: Uuid,
    id: Uuid,
    number: i64,
    inbox_id: Uuid,
    contact_id: Uuid,
    subject: Option<String>,
    status: String,
    snoozed_until: Option<i64>,
    priority: String,
    assignee_id: Option<Uuid>,
    team_id: Option<Uuid>,
    labels: Json<serde_json::Value>,
    participants: Json<serde_json::Value>,
    message_count: i64,
    waiting_since: Option<i64>,
    first_response_at: Option<i64>,
    resolved_at: Option<i64>,
    reopen_count: i64,
    last_activity_at: i64,
    preview: Option<String>,
    last_inbound_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<ConversationRow> for Conversation {
    type Error = StoreError;
    fn try_from(r: ConversationRow) -> Result<Self> {
        Ok(Conversation {
            id: ConversationId(r.id),
            workspace_id: WorkspaceId(r.workspace_id),
            number: r.number,
            inbox_id: InboxId(r.inbox_id),
            contact_id: ContactId(r.contact_id),
            subject: r.subject,
            status: parse(&r.status)?,
            snoozed_until: r.snoozed_until,
            priority: parse(&r.priority)?,
            assignee_id: r.assignee_id.map(UserId),
            team_id: r.team_id.map(TeamId),
            labels: json(r.labels.0, "conversation labels")?,
            participants: json(r.participants.0, "conversation participants")?,
            message_count: r.message_count,
            waiting_since: r.waiting_since,
            first_response_at: r.first_response_at,
            resolved_at: r.resolved_at,
            reopen_count: r.reopen_count,
            last_activity_at: r.last_activity_at,
            preview: r.preview,
            last_inbound_at: r.last_inbound_at,
            created_at: r.created_at,
        })
    }
}

const COLS: &str = "SELECT workspace_id, id, number, inbox_id, contact_id, subject, status, snoozed_until, priority, \
     assignee_id, team_id, labels, participants, message_count, waiting_since, first_response_at, resolved_at, \
     reopen_count, last_activity_at, preview, last_inbound_at, created_at FROM conversations";

/// [`Tx::threads_for`]'s statement: `$1` the workspace, `$2` the inbox, `$3` the oldest
/// resolution that still reopens, `$4` the contacts (a list, see `lists`). Each contact's
/// thread is its own seek through the contact's index entries, newest first: a single
/// `contact_id IN (…)` with the inbox and the order had SQLite (without statistics) walk
/// the inbox's or the workspace's whole recent-activity index instead, so every inbound
/// batch read every conversation of the inbox (9 ms of a batch at 20,000 conversations,
/// growing with them). PostgreSQL plans from statistics and takes the first row of each
/// contact's group.
pub(crate) fn threads_sql(dialect: Dialect) -> String {
    let reopens = "inbox_id = $2 AND (status <> 'resolved' OR resolved_at >= $3)";
    match dialect {
        Dialect::Sqlite => format!(
            "{COLS} WHERE rowid IN (SELECT (SELECT rowid FROM conversations \
             WHERE workspace_id = $1 AND contact_id = unhex(j.value) AND {reopens} \
             ORDER BY last_activity_at DESC, id DESC LIMIT 1) FROM json_each($4) AS j)"
        ),
        Dialect::Postgres => format!(
            "SELECT DISTINCT ON (contact_id) * FROM ({COLS} WHERE workspace_id = $1 AND contact_id IN ({}) \
             AND {reopens}) AS t ORDER BY contact_id, last_activity_at DESC, id DESC",
            crate::lists::ids(dialect, 4)
        ),
    }
}

/// The statement of one page of a conversation list and its arguments, in order.
pub(crate) fn list_sql(
    ws: WorkspaceId,
    filter: &ConversationFilter,
    after: Option<Cursor>,
    limit: usize,
) -> (String, Vec<Arg>) {
    let mut sql = format!("{COLS} WHERE workspace_id = $1");
    let mut args = vec![Arg::Id(ws.0)];
    let mut push = |sql: &mut String, cond: &str, arg: Arg| {
        args.push(arg);
        sql.push_str(&cond.replace('?', &format!("${}", args.len())));
    };
    if let Some(s) = filter.status {
        push(&mut sql, " AND status = ?", Arg::Text(s.as_str().into()));
    }
    match filter.assignee {
        AssigneeFilter::Anyone => {}
        AssigneeFilter::Nobody => sql.push_str(" AND assignee_id IS NULL"),
        AssigneeFilter::User(u) => push(&mut sql, " AND assignee_id = ?", Arg::Id(u.0)),
    }
    if let Some(t) = filter.team_id {
        push(&mut sql, " AND team_id = ?", Arg::Id(t.0));
    }
    if let Some(i) = filter.inbox_id {
        push(&mut sql, " AND inbox_id = ?", Arg::Id(i.0));
    }
    if let Some(p) = filter.priority {
        push(&mut sql, " AND priority = ?", Arg::Text(p.as_str().into()));
    }
    if let Some(ct) = filter.contact_id {
        push(&mut sql, " AND contact_id = ?", Arg::Id(ct.0));
    }
    if let Some(l) = &filter.label {
        push(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.workspace_id = conversations.workspace_id \
             AND l.label = ? AND l.conversation_id = conversations.id)",
            Arg::Text(l.clone()),
        );
    }
    if let Some(cur) = after {
        push(&mut sql, " AND (last_activity_at < ?", Arg::Int(cur.key));
        push(&mut sql, " OR (last_activity_at = ?", Arg::Int(cur.key));
        push(&mut sql, " AND id < ?))", Arg::Id(cur.id));
    }
    push(&mut sql, " ORDER BY last_activity_at DESC, id DESC LIMIT ?", Arg::Int(limit as i64 + 1));
    (sql, args)
}

/// A value bound into a query assembled at run time.
pub(crate) enum Arg {
    Id(Uuid),
    Int(i64),
    Text(String),
}

/// Binds `$args` onto `$query` in order (inside one backend's arm of `run!`).
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                $crate::conversations::Arg::Id(v) => q.bind(*v),
                $crate::conversations::Arg::Int(v) => q.bind(*v),
                $crate::conversations::Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }};
}

impl Tx {
    /// Inserts a new conversation (with its labels).
    pub async fn insert_conversation(&mut self, cv: &Conversation) -> Result<()> {
        if !self.hold_conversation(cv) {
            self.write_conversations(std::slice::from_ref(cv), crate::held::Write::Insert).await?;
        }
        self.sync_labels(cv.workspace_id, cv.id, &[], &cv.labels).await
    }

    /// Writes every mutable field of a conversation; `before` is the stored version, so the
    /// label index changes only where labels did.
    pub async fn update_conversation(&mut self, before: &Conversation, cv: &Conversation) -> Result<()> {
        if self.hold_conversation(cv) {
            return self.sync_labels(cv.workspace_id, cv.id, &before.labels, &cv.labels).await;
        }
        let q = "UPDATE conversations SET contact_id = $3, subject = $4, status = $5, snoozed_until = $6, priority = $7, \
                 assignee_id = $8, team_id = $9, labels = $10, participants = $11, message_count = $12, waiting_since = $13, \
                 first_response_at = $14, resolved_at = $15, reopen_count = $16, last_activity_at = $17, \
                 preview = $18, last_inbound_at = $19 \
                 WHERE workspace_id = $1 AND id = $2";
        run!(self, |c| sqlx::query(q)
            .bind(cv.workspace_id.0)
            .bind(cv.id.0)
            .bind(cv.contact_id.0)
            .bind(&cv.subject)
            .bind(cv.status.as_str())
            .bind(cv.snoozed_until)
            .bind(cv.priority.as_str())
            .bind(cv.assignee_id.map(|u| u.0))
            .bind(cv.team_id.map(|t| t.0))
            .bind(Json(&cv.labels))
            .bind(Json(&cv.participants))
            .bind(cv.message_count)
            .bind(cv.waiting_since)
            .bind(cv.first_response_at)
            .bind(cv.resolved_at)
            .bind(cv.reopen_count)
            .bind(cv.last_activity_at)
            .bind(&cv.preview)
            .bind(cv.last_inbound_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        self.sync_labels(cv.workspace_id, cv.id, &before.labels, &cv.labels).await
    }

    async fn sync_labels(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
        before: &[String],
        after: &[String],
    ) -> Result<()> {
        for gone in before.iter().filter(|l| !after.contains(l)) {
            let q = "DELETE FROM conversation_labels WHERE workspace_id = $1 AND label = $2 AND conversation_id = $3";
            run!(self, |c| sqlx::query(q)
                .bind(ws.0)
                .bind(gone)
                .bind(id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        for new in after.iter().filter(|l| !before.contains(l)) {
            let q = "INSERT INTO conversation_labels (workspace_id, label, conversation_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
            run!(self, |c| sqlx::query(q).bind(ws.0).bind(new).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// A conversation of a workspace.
    pub async fn get_conversation(&mut self, ws: WorkspaceId, id: ConversationId) -> Result<Option<Conversation>> {
        let q = format!("{COLS} WHERE workspace_id = $1 AND id = $2");
        let row: Option<ConversationRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(c)
            .await)?;
        row.map(Conversation::try_from).transpose()
    }

    /// A conversation by its number for humans.
    pub async fn get_conversation_by_number(&mut self, ws: WorkspaceId, number: i64) -> Result<Option<Conversation>> {
        let q = format!("{COLS} WHERE workspace_id = $1 AND number = $2");
        let row: Option<ConversationRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(number)
            .fetch_optional(c)
            .await)?;
        row.map(Conversation::try_from).transpose()
    }

    /// The contact's most recent conversation in an inbox that is not resolved, or was
    /// resolved at or after `resolved_since` (a reply then reopens it).
    pub async fn thread_for(
        &mut self,
        ws: WorkspaceId,
        contact: ContactId,
        inbox: InboxId,
        resolved_since: Millis,
    ) -> Result<Option<Conversation>> {
        self.find_thread(ws, contact, inbox, resolved_since, "").await
    }

    /// [`Tx::thread_for`] in a write transaction that will change the conversation: on
    /// PostgreSQL its row is locked until the commit, so two messages of one customer
    /// received at once wait for each other instead of both counting from the same state
    /// (SQLite's single writer already keeps them apart).
    pub async fn thread_for_update(
        &mut self,
        ws: WorkspaceId,
        contact: ContactId,
        inbox: InboxId,
        resolved_since: Millis,
    ) -> Result<Option<Conversation>> {
        let lock = self.lock_clause();
        self.find_thread(ws, contact, inbox, resolved_since, lock).await
    }

    fn lock_clause(&self) -> &'static str {
        match self.dialect() {
            crate::Dialect::Postgres => " FOR UPDATE",
            crate::Dialect::Sqlite => "",
        }
    }

    async fn find_thread(
        &mut self,
        ws: WorkspaceId,
        contact: ContactId,
        inbox: InboxId,
        resolved_since: Millis,
        lock: &str,
    ) -> Result<Option<Conversation>> {
        let q = format!(
            "{COLS} WHERE workspace_id = $1 AND contact_id = $2 AND inbox_id = $3 \
             AND (status <> 'resolved' OR resolved_at >= $4) ORDER BY last_activity_at DESC, id DESC LIMIT 1{lock}"
        );
        let row: Option<ConversationRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(contact.0)
            .bind(inbox.0)
            .bind(resolved_since)
            .fetch_optional(c)
            .await)?;
        row.map(Conversation::try_from).transpose()
    }

    /// [`Tx::thread_for`] for many contacts of one inbox at once (an inbound batch): each
    /// contact's conversation, for the contacts that have one. List each contact once.
    pub async fn threads_for(
        &mut self,
        ws: WorkspaceId,
        contacts: &[ContactId],
        inbox: InboxId,
        resolved_since: Millis,
    ) -> Result<Vec<Conversation>> {
        if contacts.is_empty() {
            return Ok(Vec::new());
        }
        let q = threads_sql(self.dialect());
        let list = crate::lists::ids_json(contacts.iter().map(|c| c.0))?;
        let rows: Vec<ConversationRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(inbox.0)
            .bind(resolved_since)
            .bind(list.as_str())
            .fetch_all(c)
            .await)?;
        let threads = rows.into_iter().map(Conversation::try_from).collect::<Result<Vec<_>>>()?;
        Ok(threads)
    }

    /// One page of conversations matching `filter`, most recently active first.
    pub async fn list_conversations(
        &mut self,
        ws: WorkspaceId,
        filter: &ConversationFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Page<Conversation>> {
        let (sql, args) = list_sql(ws, filter, after, limit);
        let rows: Vec<ConversationRow> =
            run!(self, |c| bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &args).fetch_all(c).await)?;
        let items = crate::rows::collect(rows, Conversation::try_from)?;
        Ok(Page::from_rows(items, limit, |c| Cursor { key: c.last_activity_at, id: c.id.0 }))
    }

    /// Snoozed conversations whose time has come, oldest first (a worker reopens them).
    pub async fn due_snoozed(&mut self, now: Millis, limit: usize) -> Result<Vec<Conversation>> {
        let q = format!("{COLS} WHERE status = $1 AND snoozed_until <= $2 ORDER BY snoozed_until LIMIT $3");
        let rows: Vec<ConversationRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(Status::Snoozed.as_str())
            .bind(now)
            .bind(limit as i64)
            .fetch_all(c)
            .await)?;
        crate::rows::collect(rows, Conversation::try_from)
    }

    /// Records that a member has seen a conversation up to `at`.
    pub async fn mark_seen(&mut self, ws: WorkspaceId, user: UserId, id: ConversationId, at: Millis) -> Result<()> {
        let q = "INSERT INTO conversation_reads (workspace_id, user_id, conversation_id, seen_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, user_id, conversation_id) DO UPDATE SET seen_at = excluded.seen_at";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(user.0)
            .bind(id.0)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// When a member last saw each of `ids` (absent when never).
    pub async fn seen_marks(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        ids: &[ConversationId],
    ) -> Result<Vec<(ConversationId, Millis)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let q = format!(
            "SELECT conversation_id, seen_at FROM conversation_reads WHERE workspace_id = $1 AND user_id = $2 AND conversation_id IN ({})",
            crate::lists::ids(self.dialect(), 3)
        );
        let list = crate::lists::ids_json(ids.iter().map(|id| id.0))?;
        let rows: Vec<(Uuid, i64)> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(user.0)
            .bind(&list)
            .fetch_all(c)
            .await)?;
        Ok(rows.into_iter().map(|(id, at)| (ConversationId(id), at)).collect())
    }
}
