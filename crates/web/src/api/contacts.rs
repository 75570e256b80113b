//! Contacts: one customer across channels, with identities, notes, merges and the timeline
//! of their conversations.

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{
    ContactDto, ContactList, ContactNoteDto, ContactNoteList, ConversationList, CreateContactNoteRequest,
    CreateContactRequest, IdentityDto, MergeContactRequest, PageQuery, UpdateContactRequest,
};
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathId, Query, cursor, limit};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ContactId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact))
        .routes(routes!(add_identity, remove_identity))
        .routes(routes!(merge_contact))
        .routes(routes!(contact_conversations))
        .routes(routes!(list_notes, add_note))
}

/// Contacts, newest first.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(PageQuery),
    responses((status = 200, description = "A page of contacts", body = ContactList)))]
async fn list_contacts(
    State(s): State<Shared>,
    Auth(actor): Auth,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<ContactList>> {
    let page = s.app.list_contacts(&actor, cursor(q.cursor.as_deref())?, limit(q.limit)?).await?;
    Ok(Json(ContactList::from_page(page, None)))
}

/// Create a contact.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = CreateContactRequest,
    responses((status = 201, description = "Created", body = ContactDto)))]
async fn create_contact(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<CreateContactRequest>,
) -> ApiResult<(StatusCode, Json<ContactDto>)> {
    let input = app::ContactInput {
        name: req.name,
        company: req.company,
        attributes: req.attributes,
        identities: req.identities.into_iter().map(|i| (i.kind, i.value)).collect(),
    };
    Ok((StatusCode::CREATED, Json(s.app.create_contact(&actor, input).await?.into())))
}

/// One contact. The id of a contact merged away answers with the contact it was merged into.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact", body = ContactDto)))]
async fn get_contact(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ContactId>,
) -> ApiResult<Json<ContactDto>> {
    Ok(Json(s.app.get_contact(&actor, id).await?.into()))
}

/// Change a contact's name, company or attributes.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "The contact's id")),
    request_body = UpdateContactRequest, responses((status = 200, description = "Changed", body = ContactDto)))]
async fn update_contact(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ContactId>,
    JsonBody(req): JsonBody<UpdateContactRequest>,
) -> ApiResult<Json<ContactDto>> {
    let patch = app::ContactPatch { name: req.name, company: req.company, attributes: req.attributes };
    Ok(Json(s.app.update_contact(&actor, id, patch).await?.into()))
}

/// Add a way to reach the contact; it must be free in the workspace.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/identities", tag = "contacts", params(("id" = String, Path, description = "The contact's id")),
    request_body = IdentityDto, responses((status = 200, description = "The contact with the identity", body = ContactDto)))]
async fn add_identity(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ContactId>,
    JsonBody(req): JsonBody<IdentityDto>,
) -> ApiResult<Json<ContactDto>> {
    Ok(Json(s.app.add_identity(&actor, id, req.kind, &req.value).await?.into()))
}

/// Remove a way to reach the contact.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}/identities", tag = "contacts", params(("id" = String, Path, description = "The contact's id")),
    request_body = IdentityDto, responses((status = 200, description = "The contact without the identity", body = ContactDto)))]
async fn remove_identity(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ContactId>,
    JsonBody(req): JsonBody<IdentityDto>,
) -> ApiResult<Json<ContactDto>> {
    Ok(Json(s.app.remove_identity(&actor, id, req.kind, &req.value).await?.into()))
}

/// Merge another contact into this one: its identities, conversations and notes move here,
/// and its id keeps resolving to this contact.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merge", tag = "contacts", params(("id" = String, Path, description = "The contact to keep")),
    request_body = MergeContactRequest, responses((status = 200, description = "The merged contact", body = ContactDto)))]
async fn merge_contact(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ContactId>,
    JsonBody(req): JsonBody<MergeContactRequest>,
) -> ApiResult<Json<ContactDto>> {
    Ok(Json(s.app.merge_contacts(&actor, id, req.merge_id).await?.into()))
}

/// The contact's conversations on every channel, most recent first.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/conversations", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id"), PageQuery),
    responses((status = 200, description = "A page of conversations", body = ConversationList)))]
async fn contact_conversations(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ContactId>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<ConversationList>> {
    let page = s.app.contact_conversations(&actor, id, cursor(q.cursor.as_deref())?, limit(q.limit)?).await?;
    Ok(Json(ConversationList::from_page(page, None)))
}

/// Notes about the contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/notes", tag = "contacts", params(("id" = String, Path, description = "The contact's id")),
    responses((status = 200, description = "Notes", body = ContactNoteList)))]
async fn list_notes(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ContactId>,
) -> ApiResult<Json<ContactNoteList>> {
    Ok(Json(ContactNoteList::all(s.app.list_contact_notes(&actor, id).await?)))
}

/// Write a note about the contact.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/notes", tag = "contacts", params(("id" = String, Path, description = "The contact's id")),
    request_body = CreateContactNoteRequest, responses((status = 201, description = "Written", body = ContactNoteDto)))]
async fn add_note(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ContactId>,
    JsonBody(req): JsonBody<CreateContactNoteRequest>,
) -> ApiResult<(StatusCode, Json<ContactNoteDto>)> {
    Ok((StatusCode::CREATED, Json(s.app.add_contact_note(&actor, id, &req.body).await?.into())))
}
