//! Contacts: one customer with every identity, their notes, their conversations on every
//! channel, and merging two records of the same person.

use crate::{Actor, App, Error, Result};
use domain::contact::validate_attributes;
use domain::event::NewEvent;
use domain::{
    Contact, ContactId, ContactNote, Conversation, ConversationFilter, Cursor, EventKind, Identity, IdentityKind,
    NoteId, Page, WorkspaceId,
};
use serde_json::{Map, Value, json};
use store::{SearchKind, Tx};

/// A new contact.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    /// Their name.
    pub name: Option<String>,
    /// Their company.
    pub company: Option<String>,
    /// Custom attributes.
    pub attributes: Map<String, Value>,
    /// Ways to reach them, normalised on the way in.
    pub identities: Vec<(IdentityKind, String)>,
}

/// Changes to a contact; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    /// A new name, or none.
    pub name: Option<Option<String>>,
    /// A new company, or none.
    pub company: Option<Option<String>>,
    /// New attributes, replacing the old ones.
    pub attributes: Option<Map<String, Value>>,
}

fn optional_text(v: Option<String>, field: &str) -> Result<Option<String>> {
    match v.map(|s| s.trim().to_string()) {
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if s.chars().count() > 200 => Err(Error::invalid(field, "must be at most 200 characters")),
        other => Ok(other),
    }
}

/// What a contact is found by in search: name, company and every identity.
fn search_body(c: &Contact) -> String {
    let mut parts: Vec<&str> = Vec::new();
    parts.extend(c.name.as_deref());
    parts.extend(c.company.as_deref());
    parts.extend(c.identities.iter().map(|i| i.value.as_str()));
    parts.join(" ")
}

pub(crate) async fn index_contact(tx: &mut Tx, c: &Contact) -> Result<()> {
    Ok(tx.index_document(c.workspace_id, SearchKind::Contact, c.id.0, None, &search_body(c)).await?)
}

pub(crate) fn contact_event(kind: EventKind, c: &Contact) -> NewEvent {
    NewEvent { kind, conversation_id: None, user_id: None, data: json!({ "contact_id": c.id }) }
}

impl App {
    pub(crate) async fn load_contact(&self, tx: &mut Tx, ws: WorkspaceId, id: ContactId) -> Result<Contact> {
        tx.get_contact(ws, id).await?.ok_or(Error::NotFound { what: "contact" })
    }

    /// Creates a contact; an identity that already belongs to someone is a conflict.
    pub async fn create_contact(&self, actor: &Actor, input: ContactInput) -> Result<Contact> {
        validate_attributes(&input.attributes)?;
        let mut identities = Vec::with_capacity(input.identities.len());
        for (i, (kind, value)) in input.identities.iter().enumerate() {
            let id = Identity::parse(*kind, value).map_err(|e| e.in_field(format!("identities[{i}].value")))?;
            if !identities.contains(&id) {
                identities.push(id);
            }
        }
        let now = self.now();
        let contact = Contact {
            id: ContactId::new(),
            workspace_id: actor.workspace_id,
            name: optional_text(input.name, "name")?,
            company: optional_text(input.company, "company")?,
            attributes: input.attributes,
            identities,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store_().write().await?;
        tx.insert_contact(&contact).await.map_err(|e| match e {
            store::StoreError::Conflict { .. } => Error::Conflict {
                field: "identities",
                message: "one of these identities already belongs to another contact".into(),
            },
            other => other.into(),
        })?;
        index_contact(&mut tx, &contact).await?;
        self.commit(tx, actor.workspace_id, vec![contact_event(EventKind::ContactCreated, &contact)]).await?;
        Ok(contact)
    }

    /// A contact; an id merged away resolves to the contact it was merged into.
    pub async fn get_contact(&self, actor: &Actor, id: ContactId) -> Result<Contact> {
        let mut tx = self.store_().read().await?;
        self.load_contact(&mut tx, actor.workspace_id, id).await
    }

    /// Several contacts at once, for lists (missing ids are skipped).
    pub async fn contacts_by_ids(&self, actor: &Actor, ids: &[ContactId]) -> Result<Vec<Contact>> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        let mut tx = self.store_().read().await?;
        Ok(tx.contacts_by_ids(actor.workspace_id, &ids).await?)
    }

    /// Contacts, newest first.
    pub async fn list_contacts(&self, actor: &Actor, cursor: Option<Cursor>, limit: usize) -> Result<Page<Contact>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.list_contacts(actor.workspace_id, cursor, limit).await?)
    }

    /// Changes a contact's name, company or attributes.
    pub async fn update_contact(&self, actor: &Actor, id: ContactId, patch: ContactPatch) -> Result<Contact> {
        let mut tx = self.store_().write().await?;
        let mut contact = self.load_contact(&mut tx, actor.workspace_id, id).await?;
        if let Some(name) = patch.name {
            contact.name = optional_text(name, "name")?;
        }
        if let Some(company) = patch.company {
            contact.company = optional_text(company, "company")?;
        }
        if let Some(attributes) = patch.attributes {
            validate_attributes(&attributes)?;
            contact.attributes = attributes;
        }
        contact.updated_at = self.now();
        tx.update_contact(&contact).await?;
        index_contact(&mut tx, &contact).await?;
        self.commit(tx, actor.workspace_id, vec![contact_event(EventKind::ContactUpdated, &contact)]).await?;
        Ok(contact)
    }

    /// Sets one custom attribute to a text value, or removes it with `None`, leaving the
    /// others as they are. Read and written in one transaction, so two teammates editing
    /// different attributes at once both keep their change. A bad key or value is reported
    /// on the field `key`.
    pub async fn set_contact_attribute(
        &self,
        actor: &Actor,
        id: ContactId,
        key: &str,
        value: Option<&str>,
    ) -> Result<Contact> {
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::invalid("key", "give the attribute a name, like plan"));
        }
        let mut tx = self.store_().write().await?;
        let mut contact = self.load_contact(&mut tx, actor.workspace_id, id).await?;
        match value {
            Some(v) => contact.attributes.insert(key.to_string(), Value::String(v.trim().to_string())),
            None => contact.attributes.remove(key),
        };
        validate_attributes(&contact.attributes).map_err(|e| match e {
            domain::DomainError::Invalid { message, .. } => Error::invalid("key", message),
        })?;
        contact.updated_at = self.now();
        tx.update_contact(&contact).await?;
        index_contact(&mut tx, &contact).await?;
        self.commit(tx, actor.workspace_id, vec![contact_event(EventKind::ContactUpdated, &contact)]).await?;
        Ok(contact)
    }

    /// Gives a contact another way to reach them.
    pub async fn add_identity(&self, actor: &Actor, id: ContactId, kind: IdentityKind, value: &str) -> Result<Contact> {
        let identity = Identity::parse(kind, value)?;
        let mut tx = self.store_().write().await?;
        let mut contact = self.load_contact(&mut tx, actor.workspace_id, id).await?;
        if contact.identities.contains(&identity) {
            return Ok(contact);
        }
        tx.insert_identity(actor.workspace_id, contact.id, &identity, self.now()).await.map_err(|e| match e {
            store::StoreError::Conflict { .. } => Error::Conflict {
                field: "value",
                message: format!(
                    "{} {} already belongs to another contact; merge the two instead",
                    kind, identity.value
                ),
            },
            other => other.into(),
        })?;
        contact.identities.push(identity);
        index_contact(&mut tx, &contact).await?;
        self.commit(tx, actor.workspace_id, vec![contact_event(EventKind::ContactUpdated, &contact)]).await?;
        Ok(contact)
    }

    /// Removes one of a contact's identities.
    pub async fn remove_identity(
        &self,
        actor: &Actor,
        id: ContactId,
        kind: IdentityKind,
        value: &str,
    ) -> Result<Contact> {
        let identity = Identity::parse(kind, value)?;
        let mut tx = self.store_().write().await?;
        let mut contact = self.load_contact(&mut tx, actor.workspace_id, id).await?;
        if !tx.delete_identity(actor.workspace_id, contact.id, &identity).await? {
            return Err(Error::NotFound { what: "identity" });
        }
        contact.identities.retain(|i| i != &identity);
        index_contact(&mut tx, &contact).await?;
        self.commit(tx, actor.workspace_id, vec![contact_event(EventKind::ContactUpdated, &contact)]).await?;
        Ok(contact)
    }

    /// Merges `merge` into `keep`: identities, conversations and notes move to `keep`,
    /// attributes `keep` lacks are copied, and `merge`'s id resolves to `keep` from now on.
    pub async fn merge_contacts(&self, actor: &Actor, keep: ContactId, merge: ContactId) -> Result<Contact> {
        let ws = actor.workspace_id;
        let mut tx = self.store_().write().await?;
        let mut kept = self.load_contact(&mut tx, ws, keep).await?;
        let merged = self.load_contact(&mut tx, ws, merge).await?;
        if kept.id == merged.id {
            return Err(Error::invalid("merge_id", "a contact cannot be merged into itself (or was merged already)"));
        }
        let moved = tx
            .list_conversations(
                ws,
                &ConversationFilter { contact_id: Some(merged.id), ..Default::default() },
                None,
                10_000,
            )
            .await?;
        kept.absorb_attributes(&merged);
        kept.identities.extend(merged.identities.iter().cloned());
        kept.updated_at = self.now();
        tx.merge_contacts(ws, merged.id, kept.id, kept.updated_at).await?;
        tx.update_contact(&kept).await?;
        tx.unindex_document(ws, merged.id.0).await?;
        index_contact(&mut tx, &kept).await?;
        let mut events = vec![NewEvent {
            kind: EventKind::ContactMerged,
            conversation_id: None,
            user_id: None,
            data: json!({ "contact_id": kept.id, "merged_id": merged.id }),
        }];
        let line = format!("{} was merged into {}", merged.display_name(), kept.display_name());
        for conv in moved.items {
            let mut after = conv.clone();
            after.contact_id = kept.id;
            events.extend(self.record_activity(&mut tx, actor, &conv, &mut after, &line).await?);
        }
        self.commit(tx, ws, events).await?;
        Ok(kept)
    }

    /// A contact's conversations on every channel, most recent first.
    pub async fn contact_conversations(
        &self,
        actor: &Actor,
        id: ContactId,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Page<Conversation>> {
        let mut tx = self.store_().read().await?;
        let contact = self.load_contact(&mut tx, actor.workspace_id, id).await?;
        let filter = ConversationFilter { contact_id: Some(contact.id), ..Default::default() };
        Ok(tx.list_conversations(actor.workspace_id, &filter, cursor, limit).await?)
    }

    /// Adds a note about a contact.
    pub async fn add_contact_note(&self, actor: &Actor, id: ContactId, body: &str) -> Result<ContactNote> {
        domain::message::validate_text(body, false).map_err(|e| e.in_field("body"))?;
        let mut tx = self.store_().write().await?;
        let contact = self.load_contact(&mut tx, actor.workspace_id, id).await?;
        let note = ContactNote {
            id: NoteId::new(),
            contact_id: contact.id,
            author_id: Some(actor.user_id),
            body: body.trim().to_string(),
            created_at: self.now(),
        };
        tx.insert_contact_note(actor.workspace_id, &note).await?;
        self.commit(tx, actor.workspace_id, vec![contact_event(EventKind::ContactUpdated, &contact)]).await?;
        Ok(note)
    }

    /// A contact's notes, oldest first.
    pub async fn list_contact_notes(&self, actor: &Actor, id: ContactId) -> Result<Vec<ContactNote>> {
        let mut tx = self.store_().read().await?;
        let contact = self.load_contact(&mut tx, actor.workspace_id, id).await?;
        Ok(tx.list_contact_notes(actor.workspace_id, contact.id).await?)
    }
}
