//! Conversations: the filtered list, one conversation and its messages, and what agents do
//! to it (reply, note, assign, team, status, labels, priority, participants).

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{
    AssignRequest, ConversationDto, ConversationList, ConversationListQuery, MessageDto, MessageList, NoteRequest,
    PageQuery, ReplyRequest, SetLabelsRequest, SetParticipantsRequest, SetPriorityRequest, SetStatusRequest,
    SetTeamRequest,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathId, Query, cursor, limit};
use app::Actor;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::{AssigneeFilter, ConversationFilter, ConversationId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation))
        .routes(routes!(list_messages))
        .routes(routes!(reply))
        .routes(routes!(add_note))
        .routes(routes!(assign))
        .routes(routes!(set_team))
        .routes(routes!(set_status))
        .routes(routes!(set_labels))
        .routes(routes!(set_priority))
        .routes(routes!(set_participants))
        .routes(routes!(assistant_answers))
}

/// What the widget's waiting-room assistant learned in a conversation.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AssistantAnswers {
    /// `asking`, `done` or `handed_over`; null when the assistant never spoke here.
    pub stage: Option<String>,
    /// The customer's answers in the order asked: `[{"key", "answer"}]`.
    pub answers: Vec<AssistantAnswer>,
}

/// One answer the assistant recorded.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AssistantAnswer {
    /// The question's key (`name`, `email`, `order`, ...).
    pub key: String,
    /// What the customer answered.
    pub answer: String,
}

/// What the chat widget's assistant collected while the customer waited.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/assistant", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The assistant's answers", body = AssistantAnswers)))]
async fn assistant_answers(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
) -> ApiResult<Json<AssistantAnswers>> {
    let session = s.app.assistant_answers(&actor, id).await?;
    Ok(Json(AssistantAnswers {
        stage: session.as_ref().map(|s| s.stage.to_string()),
        answers: session
            .map(|s| s.answers.into_iter().map(|(key, answer)| AssistantAnswer { key, answer }).collect())
            .unwrap_or_default(),
    }))
}

/// Reads `assignee=me|none|anyone|<user id>`.
fn assignee_filter(raw: Option<&str>, actor: &Actor) -> Result<AssigneeFilter, ApiError> {
    match raw.map(str::trim) {
        None | Some("") | Some("anyone") => Ok(AssigneeFilter::Anyone),
        Some("me") => Ok(AssigneeFilter::User(actor.user_id)),
        Some("none") => Ok(AssigneeFilter::Nobody),
        Some(other) => other
            .parse::<UserId>()
            .map(AssigneeFilter::User)
            .map_err(|_| ApiError::invalid("assignee", format!("{other:?} is not me, none, anyone or a user id"))),
    }
}

/// Conversations, most recent activity first, filtered.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ConversationListQuery),
    responses((status = 200, description = "A page of conversations; `total` when a counter covers the filter", body = ConversationList)))]
async fn list_conversations(
    State(s): State<Shared>,
    Auth(actor): Auth,
    Query(q): Query<ConversationListQuery>,
) -> ApiResult<Json<ConversationList>> {
    let label = match q.label.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) => Some(domain::conversation::normalise_label(l).map_err(|e| e.in_field("label"))?),
        None => None,
    };
    let filter = ConversationFilter {
        status: q.status,
        assignee: assignee_filter(q.assignee.as_deref(), &actor)?,
        team_id: q.team_id,
        inbox_id: q.inbox_id,
        label,
        priority: q.priority,
        contact_id: None,
    };
    let query = app::ConversationQuery { filter, cursor: cursor(q.cursor.as_deref())?, limit: limit(q.limit)? };
    let list = s.app.list_conversations(&actor, query).await?;
    let slas = s.app.conversations_sla(&actor, &list.page.items).await?;
    let mut out = ConversationList::from_page(list.page, list.total);
    for c in &mut out.items {
        c.sla = slas.get(&c.id).and_then(crate::dto::urgent_clock);
    }
    Ok(Json(out))
}

/// One conversation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation", body = ConversationDto)))]
async fn get_conversation(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
) -> ApiResult<Json<ConversationDto>> {
    let c = s.app.get_conversation(&actor, id).await?;
    let sla = s.app.conversation_sla(&actor, id).await?;
    let mut dto = ConversationDto::from(c);
    dto.sla = crate::dto::urgent_clock(&sla);
    Ok(Json(dto))
}

/// The conversation's messages, notes and activity lines, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id"), PageQuery),
    responses((status = 200, description = "A page of messages", body = MessageList)))]
async fn list_messages(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<MessageList>> {
    let page = s.app.list_messages(&actor, id, cursor(q.cursor.as_deref())?, limit(q.limit)?).await?;
    Ok(Json(MessageList::from_page(page, None)))
}

/// Reply to the customer; the reply is queued and delivered on the conversation's channel.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/reply", tag = "conversations", params(("id" = String, Path, description = "The conversation's id")),
    request_body = ReplyRequest, responses((status = 201, description = "Queued", body = MessageDto)))]
async fn reply(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
    JsonBody(req): JsonBody<ReplyRequest>,
) -> ApiResult<(StatusCode, Json<MessageDto>)> {
    let input =
        app::ReplyInput { text: req.text, html: req.html, attachments: req.attachment_ids, reply_all: req.reply_all };
    Ok((StatusCode::CREATED, Json(s.app.reply(&actor, id, input).await?.into())))
}

/// Write an internal note; mentioned teammates are notified.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/notes", tag = "conversations", params(("id" = String, Path, description = "The conversation's id")),
    request_body = NoteRequest, responses((status = 201, description = "Written", body = MessageDto)))]
async fn add_note(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
    JsonBody(req): JsonBody<NoteRequest>,
) -> ApiResult<(StatusCode, Json<MessageDto>)> {
    Ok((StatusCode::CREATED, Json(s.app.add_note(&actor, id, &req.text).await?.into())))
}

/// Assign to an agent, or unassign with `{"user_id": null}`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/assign", tag = "conversations", params(("id" = String, Path, description = "The conversation's id")),
    request_body = AssignRequest, responses((status = 200, description = "Changed", body = ConversationDto)))]
async fn assign(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
    JsonBody(req): JsonBody<AssignRequest>,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.app.assign(&actor, id, req.user_id).await?.into()))
}

/// Give to a team, or to none with `{"team_id": null}`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/team", tag = "conversations", params(("id" = String, Path, description = "The conversation's id")),
    request_body = SetTeamRequest, responses((status = 200, description = "Changed", body = ConversationDto)))]
async fn set_team(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
    JsonBody(req): JsonBody<SetTeamRequest>,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.app.set_team(&actor, id, req.team_id).await?.into()))
}

/// Change the status; snoozing needs `snoozed_until`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/status", tag = "conversations", params(("id" = String, Path, description = "The conversation's id")),
    request_body = SetStatusRequest, responses((status = 200, description = "Changed", body = ConversationDto)))]
async fn set_status(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
    JsonBody(req): JsonBody<SetStatusRequest>,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.app.set_status(&actor, id, req.status, req.snoozed_until).await?.into()))
}

/// Replace the labels.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/labels", tag = "conversations", params(("id" = String, Path, description = "The conversation's id")),
    request_body = SetLabelsRequest, responses((status = 200, description = "Changed", body = ConversationDto)))]
async fn set_labels(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
    JsonBody(req): JsonBody<SetLabelsRequest>,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.app.set_labels(&actor, id, req.labels).await?.into()))
}

/// Change the priority.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/priority", tag = "conversations", params(("id" = String, Path, description = "The conversation's id")),
    request_body = SetPriorityRequest, responses((status = 200, description = "Changed", body = ConversationDto)))]
async fn set_priority(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
    JsonBody(req): JsonBody<SetPriorityRequest>,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.app.set_priority(&actor, id, req.priority).await?.into()))
}

/// Replace the teammates following the conversation.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/participants", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    request_body = SetParticipantsRequest, responses((status = 200, description = "Changed", body = ConversationDto)))]
async fn set_participants(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
    JsonBody(req): JsonBody<SetParticipantsRequest>,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.app.set_participants(&actor, id, req.user_ids).await?.into()))
}
