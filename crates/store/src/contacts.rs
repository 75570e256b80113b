//! Contacts, their identities and notes, and merging two contacts into one.

mod sunset;

use crate::rows::{collect, json, parse, to_json};
use crate::{Result, StoreError, Tx, run};
use domain::{Contact, ContactId, ContactNote, Cursor, Identity, Millis, NoteId, Page, UserId, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct ContactRow {
    workspace_id: Uuid,
    id: Uuid,
    name: Option<String>,
    company: Option<String>,
    attributes: Json<serde_json::Value>,
    merged_into: Option<Uuid>,
    created_at: i64,
    updated_at: i64,
}

/// A contact with its identities as a JSON array of `[kind, value]` pairs.
#[derive(sqlx::FromRow)]
struct ContactWithIdentities {
    #[sqlx(flatten)]
    contact: ContactRow,
    identities: String,
}

impl ContactRow {
    fn into_contact(self, identities: Vec<Identity>) -> Result<Contact> {
        Ok(Contact {
            id: ContactId(self.id),
            workspace_id: WorkspaceId(self.workspace_id),
            name: self.name,
            company: self.company,
            attributes: json(self.attributes.0, "contact attributes")?,
            identities,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// [`Tx::contacts_by_identities`]'s statement: `$1` the workspace, `$2` the identities as
/// a list of `[kind, value]` pairs (see `lists`). Each pair is a seek of the identity key.
pub(crate) fn identities_sql(dialect: crate::Dialect) -> String {
    format!(
        "SELECT kind, value, contact_id FROM contact_identities WHERE workspace_id = $1 AND (kind, value) IN ({})",
        crate::lists::pairs(dialect, 2)
    )
}

const COLS: &str =
    "SELECT workspace_id, id, name, company, attributes, merged_into, created_at, updated_at FROM contacts";

/// How many merges a lookup follows before deciding the chain is broken.
const MAX_MERGE_HOPS: usize = 16;

impl Tx {
    /// Inserts a contact with its identities; `Conflict { field: "identity" }` when one of
    /// them already belongs to a contact.
    pub async fn insert_contact(&mut self, ct: &Contact) -> Result<()> {
        if self.hold_contact(ct) {
            return Ok(());
        }
        self.write_contacts(std::slice::from_ref(ct)).await?;
        for identity in &ct.identities {
            self.insert_identity(ct.workspace_id, ct.id, identity, ct.created_at).await?;
        }
        Ok(())
    }

    /// Gives a contact another identity; `Conflict { field: "identity" }` when it is taken.
    pub async fn insert_identity(
        &mut self,
        ws: WorkspaceId,
        contact: ContactId,
        i: &Identity,
        now: Millis,
    ) -> Result<()> {
        let row = (ws, contact, i.clone(), now);
        if self.hold_identity(&row) {
            return Ok(());
        }
        self.write_identities(std::slice::from_ref(&row)).await
    }

    /// Removes an identity from a contact; false when the contact did not have it.
    pub async fn delete_identity(&mut self, ws: WorkspaceId, contact: ContactId, i: &Identity) -> Result<bool> {
        let q =
            "DELETE FROM contact_identities WHERE workspace_id = $1 AND kind = $2 AND value = $3 AND contact_id = $4";
        let n = run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(i.kind.as_str())
            .bind(&i.value)
            .bind(contact.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// The contacts that `identities` belong to, each with the identity that found it (one
    /// look-up of a few statements for a whole inbound batch). Identities nobody has are
    /// left out.
    pub async fn contacts_by_identities(
        &mut self,
        ws: WorkspaceId,
        identities: &[Identity],
    ) -> Result<Vec<(Identity, Contact)>> {
        if identities.is_empty() {
            return Ok(Vec::new());
        }
        let q = identities_sql(self.dialect());
        let list: Vec<[&str; 2]> = identities.iter().map(|i| [i.kind.as_str(), i.value.as_str()]).collect();
        let list = crate::lists::json(&list)?;
        let rows: Vec<(String, String, Uuid)> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(list.as_str())
            .fetch_all(c)
            .await)?;
        let owners = collect(rows, |(k, v, id)| Ok((Identity { kind: parse(&k)?, value: v }, ContactId(id))))?;
        let mut ids: Vec<ContactId> = owners.iter().map(|(_, id)| *id).collect();
        ids.sort_unstable_by_key(|id| id.0);
        ids.dedup();
        let contacts: std::collections::HashMap<ContactId, Contact> =
            self.contacts_by_ids(ws, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
        let mut found = Vec::with_capacity(owners.len());
        for (identity, id) in owners {
            let contact = match contacts.get(&id) {
                Some(c) => Some(c.clone()),
                // Merged away (or gone): the one-by-one look-up follows the merge.
                None => self.get_contact(ws, id).await?,
            };
            if let Some(contact) = contact {
                found.push((identity, contact));
            }
        }
        Ok(found)
    }

    /// The contact an identity belongs to.
    pub async fn contact_by_identity(&mut self, ws: WorkspaceId, i: &Identity) -> Result<Option<Contact>> {
        let q = "SELECT contact_id FROM contact_identities WHERE workspace_id = $1 AND kind = $2 AND value = $3";
        let id: Option<Uuid> = run!(self, |c| sqlx::query_scalar(q)
            .bind(ws.0)
            .bind(i.kind.as_str())
            .bind(&i.value)
            .fetch_optional(c)
            .await)?;
        match id {
            Some(id) => self.get_contact(ws, ContactId(id)).await,
            None => Ok(None),
        }
    }

    /// A contact by id. An id merged away resolves to the contact it was merged into.
    pub async fn get_contact(&mut self, ws: WorkspaceId, id: ContactId) -> Result<Option<Contact>> {
        let q = format!("{COLS} WHERE workspace_id = $1 AND id = $2");
        let mut id = id;
        for _ in 0..MAX_MERGE_HOPS {
            let row: Option<ContactRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
                .bind(ws.0)
                .bind(id.0)
                .fetch_optional(c)
                .await)?;
            let Some(row) = row else { return Ok(None) };
            if let Some(next) = row.merged_into {
                id = ContactId(next);
                continue;
            }
            let identities = self.identities_of(ws, id).await?;
            return row.into_contact(identities).map(Some);
        }
        Err(StoreError::Corrupt(format!("contact {id} has a merge chain longer than {MAX_MERGE_HOPS}")))
    }

    async fn identities_of(&mut self, ws: WorkspaceId, id: ContactId) -> Result<Vec<Identity>> {
        let q = "SELECT kind, value FROM contact_identities WHERE workspace_id = $1 AND contact_id = $2 ORDER BY created_at, kind, value";
        let rows: Vec<(String, String)> = run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(id.0).fetch_all(c).await)?;
        collect(rows, |(k, v)| Ok(Identity { kind: parse(&k)?, value: v }))
    }

    /// Writes a contact's name, company, attributes and update time.
    pub async fn update_contact(&mut self, ct: &Contact) -> Result<()> {
        let q = "UPDATE contacts SET name = $3, company = $4, attributes = $5, updated_at = $6 WHERE workspace_id = $1 AND id = $2";
        run!(self, |c| sqlx::query(q)
            .bind(ct.workspace_id.0)
            .bind(ct.id.0)
            .bind(&ct.name)
            .bind(&ct.company)
            .bind(to_json(&ct.attributes))
            .bind(ct.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Contacts of a workspace, newest first, without those merged away.
    pub async fn list_contacts(
        &mut self,
        ws: WorkspaceId,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Page<Contact>> {
        let (key, id) = after.map(|c| (c.key, c.id)).unwrap_or((i64::MAX, Uuid::max()));
        let q = format!(
            "{COLS} WHERE workspace_id = $1 AND merged_into IS NULL AND (created_at, id) < ($2, $3) \
             ORDER BY created_at DESC, id DESC LIMIT $4"
        );
        let rows: Vec<ContactRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(key)
            .bind(id)
            .bind(limit as i64 + 1)
            .fetch_all(c)
            .await)?;
        let mut contacts = Vec::with_capacity(rows.len());
        for row in rows {
            let identities = self.identities_of(ws, ContactId(row.id)).await?;
            contacts.push(row.into_contact(identities)?);
        }
        Ok(Page::from_rows(contacts, limit, |c| Cursor { key: c.created_at, id: c.id.0 }))
    }

    /// Moves everything of `from` to `into` (identities, conversations, notes) and leaves
    /// `from` pointing at `into`, so its id keeps resolving.
    pub async fn merge_contacts(
        &mut self,
        ws: WorkspaceId,
        from: ContactId,
        into: ContactId,
        now: Millis,
    ) -> Result<()> {
        for q in [
            "UPDATE contact_identities SET contact_id = $3 WHERE workspace_id = $1 AND contact_id = $2",
            "UPDATE conversations SET contact_id = $3 WHERE workspace_id = $1 AND contact_id = $2",
            "UPDATE contact_notes SET contact_id = $3 WHERE workspace_id = $1 AND contact_id = $2",
            "UPDATE contacts SET merged_into = $3 WHERE workspace_id = $1 AND merged_into = $2",
        ] {
            run!(self, |c| sqlx::query(q)
                .bind(ws.0)
                .bind(from.0)
                .bind(into.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        let q = "UPDATE contacts SET merged_into = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(from.0)
            .bind(into.0)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Adds a note to a contact.
    pub async fn insert_contact_note(&mut self, ws: WorkspaceId, n: &ContactNote) -> Result<()> {
        let q = "INSERT INTO contact_notes (workspace_id, id, contact_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(n.id.0)
            .bind(n.contact_id.0)
            .bind(n.author_id.map(|a| a.0))
            .bind(&n.body)
            .bind(n.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A contact's notes, oldest first.
    pub async fn list_contact_notes(&mut self, ws: WorkspaceId, contact: ContactId) -> Result<Vec<ContactNote>> {
        let q = "SELECT id, contact_id, author_id, body, created_at FROM contact_notes \
                 WHERE workspace_id = $1 AND contact_id = $2 ORDER BY created_at, id";
        let rows: Vec<(Uuid, Uuid, Option<Uuid>, String, i64)> =
            run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(contact.0).fetch_all(c).await)?;
        Ok(rows
            .into_iter()
            .map(|(id, contact_id, author, body, created_at)| ContactNote {
                id: NoteId(id),
                contact_id: ContactId(contact_id),
                author_id: author.map(UserId),
                body,
                created_at,
            })
            .collect())
    }

    /// Several contacts at once (for lists); ids not found are skipped, merged ids resolve.
    pub async fn contacts_by_ids(&mut self, ws: WorkspaceId, ids: &[ContactId]) -> Result<Vec<Contact>> {
        let mut out: Vec<Contact> = Vec::with_capacity(ids.len());
        if ids.is_empty() {
            return Ok(out);
        }
        // Each contact comes with its identities in one statement, as a JSON array of
        // `[kind, value]` pairs, oldest first.
        let dialect = self.dialect();
        let identities = match dialect {
            crate::Dialect::Sqlite => {
                "SELECT json_group_array(json_array(kind, value) ORDER BY created_at, kind, value) \
                 FROM contact_identities i WHERE i.workspace_id = contacts.workspace_id AND i.contact_id = contacts.id"
            }
            crate::Dialect::Postgres => {
                "SELECT COALESCE(json_agg(json_build_array(kind, value) ORDER BY created_at, kind, value), '[]'::json)::text \
                 FROM contact_identities i WHERE i.workspace_id = contacts.workspace_id AND i.contact_id = contacts.id"
            }
        };
        let q = format!(
            "SELECT workspace_id, id, name, company, attributes, merged_into, created_at, updated_at, ({identities}) AS identities \
             FROM contacts WHERE workspace_id = $1 AND id IN ({})",
            crate::lists::ids(dialect, 2)
        );
        let ids_json = crate::lists::ids_json(ids.iter().map(|id| id.0))?;
        let rows: Vec<ContactWithIdentities> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(ids_json.as_str())
            .fetch_all(c)
            .await)?;
        for ContactWithIdentities { contact: row, identities } in rows {
            if row.merged_into.is_some() {
                // Rare: a list built before a merge. Resolve it one by one.
                if let Some(c) = self.get_contact(ws, ContactId(row.id)).await? {
                    out.push(c);
                }
                continue;
            }
            let pairs: Vec<(String, String)> = serde_json::from_str(&identities)
                .map_err(|e| StoreError::Corrupt(format!("the identities of contact {}: {e}", row.id)))?;
            let mine = collect(pairs, |(k, v)| Ok(Identity { kind: parse(&k)?, value: v }))?;
            out.push(row.into_contact(mine)?);
        }
        Ok(out)
    }
}
