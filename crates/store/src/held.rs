//! Rows a deferring transaction holds back: new contacts and their identities, new and
//! changed conversations, and new messages, written in one multi-row statement per table.
//!
//! The inbound group commit receives up to 128 messages in one SQLite transaction, and each
//! new customer's message inserts a contact, an identity, a conversation and a message: four
//! round trips to the connection's thread per message. Held, they are four per batch. Unlike
//! the counters and index documents of `deferred`, held rows are never missing from a read:
//! [`run!`](crate::run) writes them before any other statement of the transaction runs, so
//! holding them changes when they are written, never what a statement sees. A failure (a
//! provider message id stored twice, say) surfaces at that write instead of at the insert,
//! which is why only the inbound batch defers: it retries message by message on any error.

use crate::rows::to_json;
use crate::{Result, StoreError, Tx, run_now};
use domain::{Contact, ContactId, Conversation, ConversationId, Identity, Message, Millis, WorkspaceId};
use sqlx::types::Json;
use std::collections::HashMap;

/// Rows per multi-row statement, a power of two so that a full one needs no padding (see
/// `values`): the widest table here (conversations) binds 22 values a row, and SQLite
/// allows 32,766 in one statement.
const ROWS_PER_STATEMENT: usize = 256;

/// An identity to insert: the workspace, its contact, the identity and when it was added.
pub(crate) type NewIdentity = (WorkspaceId, ContactId, Identity, Millis);

/// What a deferring transaction holds.
#[derive(Default)]
pub(crate) struct Held {
    contacts: Vec<Contact>,
    identities: Vec<NewIdentity>,
    /// New conversations and the latest state of changed ones, each once, in the order
    /// they were first written.
    conversations: Vec<Conversation>,
    conversation_slots: HashMap<ConversationId, usize>,
    messages: Vec<Message>,
}

impl Held {
    fn is_empty(&self) -> bool {
        self.contacts.is_empty()
            && self.identities.is_empty()
            && self.conversations.is_empty()
            && self.messages.is_empty()
    }

    fn conversation(&mut self, cv: &Conversation) {
        match self.conversation_slots.get(&cv.id) {
            Some(&slot) => self.conversations[slot] = cv.clone(),
            None => {
                self.conversation_slots.insert(cv.id, self.conversations.len());
                self.conversations.push(cv.clone());
            }
        }
    }
}

impl Tx {
    /// Whether rows are held that the next statement must see written first.
    pub(crate) fn holds_rows(&self) -> bool {
        self.deferred.as_ref().is_some_and(|d| !d.held.is_empty())
    }

    fn held(&mut self) -> Option<&mut Held> {
        self.deferred.as_mut().map(|d| &mut d.held)
    }

    /// Holds a new contact (with its identities) when deferring; false when the caller must
    /// write it now.
    pub(crate) fn hold_contact(&mut self, ct: &Contact) -> bool {
        let Some(held) = self.held() else { return false };
        held.identities.extend(ct.identities.iter().map(|i| (ct.workspace_id, ct.id, i.clone(), ct.created_at)));
        held.contacts.push(ct.clone());
        true
    }

    /// Holds a new identity when deferring; false when the caller must write it now.
    pub(crate) fn hold_identity(&mut self, row: &NewIdentity) -> bool {
        let Some(held) = self.held() else { return false };
        held.identities.push(row.clone());
        true
    }

    /// Holds a new or changed conversation when deferring (written as an upsert of every
    /// field); false when the caller must write it now.
    pub(crate) fn hold_conversation(&mut self, cv: &Conversation) -> bool {
        let Some(held) = self.held() else { return false };
        held.conversation(cv);
        true
    }

    /// Holds a new message when deferring; false when the caller must write it now.
    pub(crate) fn hold_message(&mut self, m: &Message) -> bool {
        let Some(held) = self.held() else { return false };
        held.messages.push(m.clone());
        true
    }

    /// Writes every held row, contacts first, then identities, conversations and messages.
    pub(crate) async fn write_held_rows(&mut self) -> Result<()> {
        let Some(held) = self.held().map(std::mem::take) else { return Ok(()) };
        for chunk in held.contacts.chunks(ROWS_PER_STATEMENT) {
            self.write_contacts(chunk).await?;
        }
        for chunk in held.identities.chunks(ROWS_PER_STATEMENT) {
            self.write_identities(chunk).await?;
        }
        for chunk in held.conversations.chunks(ROWS_PER_STATEMENT) {
            self.write_conversations(chunk, Write::Upsert).await?;
        }
        for chunk in held.messages.chunks(ROWS_PER_STATEMENT) {
            self.write_messages(chunk).await?;
        }
        Ok(())
    }

    /// Inserts contacts (not their identities).
    pub(crate) async fn write_contacts(&mut self, rows: &[Contact]) -> Result<()> {
        let values = crate::values::Values::new(self.dialect(), rows.len(), 8);
        let q = format!(
            "INSERT INTO contacts (workspace_id, id, name, company, attributes, merged_into, created_at, updated_at) \
             {}",
            values.sql
        );
        run_now!(self, |c| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(q.as_str()));
            for ct in rows {
                query = query
                    .bind(ct.workspace_id.0)
                    .bind(ct.id.0)
                    .bind(&ct.name)
                    .bind(&ct.company)
                    .bind(to_json(&ct.attributes))
                    .bind(None::<uuid::Uuid>)
                    .bind(ct.created_at)
                    .bind(ct.updated_at);
            }
            values.pad(query).execute(c).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Inserts identities; `Conflict { field: "identity" }` when one is taken.
    pub(crate) async fn write_identities(&mut self, rows: &[NewIdentity]) -> Result<()> {
        let values = crate::values::Values::new(self.dialect(), rows.len(), 5);
        let q = format!(
            "INSERT INTO contact_identities (workspace_id, kind, value, contact_id, created_at) {}",
            values.sql
        );
        run_now!(self, |c| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(q.as_str()));
            for (ws, contact, i, at) in rows {
                query = query.bind(ws.0).bind(i.kind.as_str()).bind(i.value.as_str()).bind(contact.0).bind(*at);
            }
            values.pad(query).execute(c).await.map(|r| r.rows_affected())
        })
        .map_err(StoreError::unique("identity"))?;
        Ok(())
    }

    /// Inserts conversations, or (`Write::Upsert`) writes every mutable field of those that
    /// exist. Their label index is the caller's.
    pub(crate) async fn write_conversations(&mut self, rows: &[Conversation], how: Write) -> Result<()> {
        let values = crate::values::Values::new(self.dialect(), rows.len(), 22);
        let upsert = match how {
            Write::Insert => "",
            Write::Upsert => {
                " ON CONFLICT (workspace_id, id) DO UPDATE SET contact_id = excluded.contact_id, \
                 subject = excluded.subject, status = excluded.status, snoozed_until = excluded.snoozed_until, \
                 priority = excluded.priority, assignee_id = excluded.assignee_id, team_id = excluded.team_id, \
                 labels = excluded.labels, participants = excluded.participants, \
                 message_count = excluded.message_count, waiting_since = excluded.waiting_since, \
                 first_response_at = excluded.first_response_at, resolved_at = excluded.resolved_at, \
                 reopen_count = excluded.reopen_count, last_activity_at = excluded.last_activity_at, \
                 preview = excluded.preview, last_inbound_at = excluded.last_inbound_at"
            }
        };
        let q = format!(
            "INSERT INTO conversations (workspace_id, id, number, inbox_id, contact_id, subject, status, snoozed_until, \
             priority, assignee_id, team_id, labels, participants, message_count, waiting_since, first_response_at, \
             resolved_at, reopen_count, last_activity_at, created_at, preview, last_inbound_at) {}{upsert}",
            values.sql
        );
        run_now!(self, |c| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(q.as_str()));
            for cv in rows {
                query = query
                    .bind(cv.workspace_id.0)
                    .bind(cv.id.0)
                    .bind(cv.number)
                    .bind(cv.inbox_id.0)
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
                    .bind(cv.created_at)
                    .bind(&cv.preview)
                    .bind(cv.last_inbound_at);
            }
            values.pad(query).execute(c).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Inserts messages (not their attachments); `Conflict { field: "provider_message_id" }`
    /// when one's provider id is stored already in its inbox.
    pub(crate) async fn write_messages(&mut self, rows: &[Message]) -> Result<()> {
        let values = crate::values::Values::new(self.dialect(), rows.len(), 15);
        let q = format!(
            "INSERT INTO messages (workspace_id, id, conversation_id, inbox_id, direction, kind, author_kind, author_id, \
             text, html, provider_message_id, delivery_status, delivery_error, meta, created_at) {}",
            values.sql
        );
        let metas = rows
            .iter()
            .map(|m| match m.meta.is_empty() {
                true => Ok(None),
                false => serde_json::to_string(&m.meta).map(Some).map_err(|e| StoreError::Corrupt(e.to_string())),
            })
            .collect::<Result<Vec<_>>>()?;
        run_now!(self, |c| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(q.as_str()));
            for (m, meta) in rows.iter().zip(&metas) {
                let (author_kind, author_id) = crate::messages::author_parts(&m.author);
                query = query
                    .bind(m.workspace_id.0)
                    .bind(m.id.0)
                    .bind(m.conversation_id.0)
                    .bind(m.inbox_id.0)
                    .bind(m.direction.as_str())
                    .bind(m.kind.as_str())
                    .bind(author_kind)
                    .bind(author_id)
                    .bind(m.text.as_str())
                    .bind(m.html.as_deref())
                    .bind(m.provider_message_id.as_deref())
                    .bind(m.delivery_status.map(|s| s.as_str()))
                    .bind(m.delivery_error.as_deref())
                    .bind(meta.as_deref())
                    .bind(m.created_at);
            }
            values.pad(query).execute(c).await.map(|r| r.rows_affected())
        })
        .map_err(StoreError::unique("provider_message_id"))?;
        Ok(())
    }
}

/// How [`Tx::write_conversations`] treats a row that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// It is an error (a new conversation's id or number is taken).
    Insert,
    /// Its mutable fields are overwritten.
    Upsert,
}
