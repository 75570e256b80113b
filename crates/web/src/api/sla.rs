//! SLA policies (reading for everyone, changes for admins, enforced by `app`) and a
//! conversation's SLA clocks.

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{ConversationSlaDto, CreateSlaPolicyRequest, SlaPolicyDto, SlaPolicyList, UpdateSlaPolicyRequest};
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathId};
use app::SlaPolicyInput;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::{ConversationId, SlaPolicyId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(get_policy, update_policy, delete_policy))
        .routes(routes!(conversation_sla))
}

/// The SLA policies; the first read makes the default "Standard" policy.
#[utoipa::path(get, path = "/api/v1/sla/policies", tag = "sla",
    responses((status = 200, description = "Policies", body = SlaPolicyList)))]
async fn list_policies(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<SlaPolicyList>> {
    Ok(Json(SlaPolicyList::all(s.app.sla_policies(&actor).await?)))
}

/// Create an SLA policy (admins).
#[utoipa::path(post, path = "/api/v1/sla/policies", tag = "sla", request_body = CreateSlaPolicyRequest,
    responses((status = 201, description = "Created", body = SlaPolicyDto)))]
async fn create_policy(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<CreateSlaPolicyRequest>,
) -> ApiResult<(StatusCode, Json<SlaPolicyDto>)> {
    let input = SlaPolicyInput { name: req.name, targets: req.targets, calendar: req.calendar, warn_at: req.warn_at };
    Ok((StatusCode::CREATED, Json(s.app.create_sla_policy(&actor, input, req.default).await?.into())))
}

/// One SLA policy.
#[utoipa::path(get, path = "/api/v1/sla/policies/{id}", tag = "sla", params(("id" = String, Path, description = "The policy's id")),
    responses((status = 200, description = "The policy", body = SlaPolicyDto)))]
async fn get_policy(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<SlaPolicyId>,
) -> ApiResult<Json<SlaPolicyDto>> {
    Ok(Json(s.app.sla_policy(&actor, id).await?.into()))
}

/// Change an SLA policy, or make it the default (admins).
#[utoipa::path(patch, path = "/api/v1/sla/policies/{id}", tag = "sla", params(("id" = String, Path, description = "The policy's id")),
    request_body = UpdateSlaPolicyRequest, responses((status = 200, description = "Changed", body = SlaPolicyDto)))]
async fn update_policy(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<SlaPolicyId>,
    JsonBody(req): JsonBody<UpdateSlaPolicyRequest>,
) -> ApiResult<Json<SlaPolicyDto>> {
    let input =
        SlaPolicyInput { name: String::new(), targets: req.targets, calendar: req.calendar, warn_at: req.warn_at };
    Ok(Json(s.app.update_sla_policy(&actor, id, req.name, input, req.default).await?.into()))
}

/// Delete an SLA policy other than the default (admins).
#[utoipa::path(delete, path = "/api/v1/sla/policies/{id}", tag = "sla", params(("id" = String, Path, description = "The policy's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_policy(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<SlaPolicyId>,
) -> ApiResult<StatusCode> {
    s.app.delete_sla_policy(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A conversation's SLA clocks: first response, next response and resolution, each with its
/// state and time left (business time; paused while pending on the customer).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/sla", tag = "sla", params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The clocks", body = ConversationSlaDto)))]
async fn conversation_sla(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<ConversationId>,
) -> ApiResult<Json<ConversationSlaDto>> {
    Ok(Json(s.app.conversation_sla(&actor, id).await?.into()))
}
