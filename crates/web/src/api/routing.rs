//! Routing: presence (each member sets their own, everyone sees the team's), capacity,
//! the workspace's routing settings, assignment policies of inboxes and teams, and the queue
//! with a conversation's place and wait estimate. Changes to settings, policies and other
//! members' capacity are for admins (enforced by `app`).

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{
    AgentStatusDto, AgentStatusList, CapacityRequest, PolicyDto, PolicyList, PolicyRequest, PresenceRequest, QueueDto,
    QueuePlaceDto, QueueQuery, RoutingSettingsDto, StragglerList,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathId, Query, limit};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::{ConversationId, InboxId, QueueScope, TeamId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_presence))
        .routes(routes!(set_presence))
        .routes(routes!(record_activity))
        .routes(routes!(set_capacity))
        .routes(routes!(get_settings, set_settings))
        .routes(routes!(list_policies))
        .routes(routes!(set_inbox_policy))
        .routes(routes!(set_team_policy))
        .routes(routes!(get_queue))
        .routes(routes!(conversation_queue))
        .routes(routes!(sunset_contacts))
}

/// Every active member with their presence and load.
#[utoipa::path(get, path = "/api/v1/presence", tag = "routing",
    responses((status = 200, description = "Members with presence and load", body = AgentStatusList)))]
async fn list_presence(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<AgentStatusList>> {
    Ok(Json(AgentStatusList::all(s.app.agent_statuses(&actor).await?)))
}

/// Set your presence; going online lets routing assign you conversations.
#[utoipa::path(put, path = "/api/v1/me/presence", tag = "routing", request_body = PresenceRequest,
    responses((status = 200, description = "Your presence and load", body = AgentStatusDto)))]
async fn set_presence(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<PresenceRequest>,
) -> ApiResult<Json<AgentStatusDto>> {
    Ok(Json(s.app.set_presence(&actor, req.presence).await?.into()))
}

/// Say you are at work (the agent UI sends this while you use it), so auto-away waits.
#[utoipa::path(post, path = "/api/v1/me/activity", tag = "routing",
    responses((status = 204, description = "Recorded")))]
async fn record_activity(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    s.app.touch_presence(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a member's capacity, or null for the workspace default (admins).
#[utoipa::path(put, path = "/api/v1/users/{id}/capacity", tag = "routing", params(("id" = String, Path, description = "The user's id")),
    request_body = CapacityRequest, responses((status = 200, description = "Their presence and load", body = AgentStatusDto)))]
async fn set_capacity(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<UserId>,
    JsonBody(req): JsonBody<CapacityRequest>,
) -> ApiResult<Json<AgentStatusDto>> {
    Ok(Json(s.app.set_agent_capacity(&actor, id, req.max_load).await?.into()))
}

/// The workspace's routing settings: channel weights, idle discount, default capacity,
/// auto-away and re-queueing.
#[utoipa::path(get, path = "/api/v1/routing/settings", tag = "routing",
    responses((status = 200, description = "The settings", body = RoutingSettingsDto)))]
async fn get_settings(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<RoutingSettingsDto>> {
    Ok(Json(s.app.routing_settings(&actor).await?.into()))
}

/// Replace the workspace's routing settings (admins); missing keys take their defaults.
#[utoipa::path(put, path = "/api/v1/routing/settings", tag = "routing", request_body = RoutingSettingsDto,
    responses((status = 200, description = "Saved", body = RoutingSettingsDto)))]
async fn set_settings(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<RoutingSettingsDto>,
) -> ApiResult<Json<RoutingSettingsDto>> {
    Ok(Json(s.app.set_routing_settings(&actor, req.into()).await?.into()))
}

/// Every inbox and team with its assignment policy.
#[utoipa::path(get, path = "/api/v1/routing/policies", tag = "routing",
    responses((status = 200, description = "Policies", body = PolicyList)))]
async fn list_policies(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<PolicyList>> {
    Ok(Json(PolicyList::all(s.app.assignment_policies(&actor).await?)))
}

/// Set how an inbox hands out its conversations without a team (admins).
#[utoipa::path(put, path = "/api/v1/inboxes/{id}/assignment", tag = "routing", params(("id" = String, Path, description = "The inbox's id")),
    request_body = PolicyRequest, responses((status = 200, description = "Saved", body = PolicyDto)))]
async fn set_inbox_policy(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<InboxId>,
    JsonBody(req): JsonBody<PolicyRequest>,
) -> ApiResult<Json<PolicyDto>> {
    Ok(Json(s.app.set_assignment_policy(&actor, QueueScope::Inbox(id), req.policy).await?.into()))
}

/// Set how a team hands out its conversations among its members (admins).
#[utoipa::path(put, path = "/api/v1/teams/{id}/assignment", tag = "routing", params(("id" = String, Path, description = "The team's id")),
    request_body = PolicyRequest, responses((status = 200, description = "Saved", body = PolicyDto)))]
async fn set_team_policy(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<TeamId>,
    JsonBody(req): JsonBody<PolicyRequest>,
) -> ApiResult<Json<PolicyDto>> {
    Ok(Json(s.app.set_assignment_policy(&actor, QueueScope::Team(id), req.policy).await?.into()))
}

/// The waiting conversations (open, nobody assigned) in queue order — priority, then
/// arrival — with each queue's size and longest wait and the team's presence and load.
#[utoipa::path(get, path = "/api/v1/queue", tag = "routing", params(QueueQuery),
    responses((status = 200, description = "The queue", body = QueueDto)))]
async fn get_queue(
    State(s): State<Shared>,
    Auth(actor): Auth,
    Query(q): Query<QueueQuery>,
) -> ApiResult<Json<QueueDto>> {
    let only = match (q.team_id, q.inbox_id) {
        (Some(_), Some(_)) => return Err(ApiError::invalid("team_id", "give team_id or inbox_id, not both")),
        (Some(t), None) => Some(QueueScope::Team(t)),
        (None, Some(i)) => Some(QueueScope::Inbox(i)),
        (None, None) => None,
    };
    Ok(Json(s.app.queue_view(&actor, only, limit(q.limit)?).await?.into()))
}

/// A conversation's place in its queue and the estimated wait.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/queue", tag = "routing", params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "Its place", body = QueuePlaceDto)))]
async fn conversation_queue(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
) -> ApiResult<Json<QueuePlaceDto>> {
    Ok(Json(s.app.queue_place(&actor, id).await?.into()))
}

/// The contacts still using a retiring inbox: they wrote to it and have not written on
/// another inbox since (at most `limit`, default 25, up to 100).
#[utoipa::path(get, path = "/api/v1/inboxes/{id}/sunset/contacts", tag = "routing",
    params(("id" = String, Path, description = "The inbox's id"), ("limit" = Option<u32>, Query, description = "How many, 1 to 100")),
    responses((status = 200, description = "The contacts", body = StragglerList)))]
async fn sunset_contacts(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<InboxId>,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<StragglerList>> {
    let (_, list) = s.app.sunset_report(&actor, id, limit(q.limit)?).await?;
    Ok(Json(StragglerList::all(list)))
}

/// Only a page size.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitQuery {
    limit: Option<u32>,
}
