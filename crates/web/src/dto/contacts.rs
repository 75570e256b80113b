//! Shapes for contacts, their identities and notes.

use super::list_dto;
use domain::{ContactId, IdentityKind, Millis, NoteId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// One way to reach a contact.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityDto {
    /// What kind of address it is.
    #[schema(schema_with = super::identity_kind_schema)]
    pub kind: IdentityKind,
    /// The address (normalised in responses: e-mail lower-cased, phone in E.164).
    #[schema(example = "ana@example.com")]
    pub value: String,
}

impl From<domain::Identity> for IdentityDto {
    fn from(i: domain::Identity) -> Self {
        IdentityDto { kind: i.kind, value: i.value }
    }
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: ContactId,
    /// Their name.
    pub name: Option<String>,
    /// Their company.
    pub company: Option<String>,
    /// Custom attributes.
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Every way to reach them.
    pub identities: Vec<IdentityDto>,
    /// When they were created (epoch ms).
    pub created_at: Millis,
    /// When they last changed (epoch ms).
    pub updated_at: Millis,
}

impl From<domain::Contact> for ContactDto {
    fn from(c: domain::Contact) -> Self {
        ContactDto {
            id: c.id,
            name: c.name,
            company: c.company,
            attributes: c.attributes,
            identities: c.identities.into_iter().map(IdentityDto::from).collect(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

list_dto!(
    /// A page of contacts.
    ContactList of ContactDto
);

/// Create a contact.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContactRequest {
    /// Their name.
    #[serde(default)]
    pub name: Option<String>,
    /// Their company.
    #[serde(default)]
    pub company: Option<String>,
    /// Custom attributes.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Ways to reach them; each must be free in the workspace.
    #[serde(default)]
    pub identities: Vec<IdentityDto>,
}

/// Change a contact: absent fields stay, `null` clears, `attributes` replaces all attributes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContactRequest {
    /// Their name.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// Their company.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    /// Custom attributes.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
}

/// Merge another contact into this one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeContactRequest {
    /// The contact to merge away; its id keeps resolving to this one.
    #[schema(value_type = String, format = Uuid)]
    pub merge_id: ContactId,
}

/// A note about a contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactNoteDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: NoteId,
    /// The contact.
    #[schema(value_type = String, format = Uuid)]
    pub contact_id: ContactId,
    /// Who wrote it.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub author_id: Option<UserId>,
    /// What it says.
    pub body: String,
    /// When it was written (epoch ms).
    pub created_at: Millis,
}

impl From<domain::ContactNote> for ContactNoteDto {
    fn from(n: domain::ContactNote) -> Self {
        ContactNoteDto {
            id: n.id,
            contact_id: n.contact_id,
            author_id: n.author_id,
            body: n.body,
            created_at: n.created_at,
        }
    }
}

list_dto!(
    /// Notes about a contact.
    ContactNoteList of ContactNoteDto
);

/// Write a note about a contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContactNoteRequest {
    /// What it says.
    pub body: String,
}
