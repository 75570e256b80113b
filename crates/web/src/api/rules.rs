//! Automation rules: the ordered list (everyone reads, admins change — enforced by `app`).

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{RuleDto, RuleList, RuleRequest};
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathId};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::RuleId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(list_rules, create_rule)).routes(routes!(get_rule, update_rule, delete_rule))
}

/// The rules, in the order they run.
#[utoipa::path(get, path = "/api/v1/rules", tag = "rules", responses((status = 200, description = "Rules", body = RuleList)))]
async fn list_rules(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<RuleList>> {
    Ok(Json(RuleList::all(s.app.list_rules(&actor).await?)))
}

/// Add a rule (admins).
#[utoipa::path(post, path = "/api/v1/rules", tag = "rules", request_body = RuleRequest,
    responses((status = 201, description = "Created", body = RuleDto)))]
async fn create_rule(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<RuleRequest>,
) -> ApiResult<(StatusCode, Json<RuleDto>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_rule(&actor, req.into()).await?.into())))
}

/// One rule.
#[utoipa::path(get, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = String, Path, description = "The rule's id")),
    responses((status = 200, description = "The rule", body = RuleDto)))]
async fn get_rule(State(s): State<Shared>, Auth(actor): Auth, PathId(id): PathId<RuleId>) -> ApiResult<Json<RuleDto>> {
    Ok(Json(s.app.get_rule(&actor, id).await?.into()))
}

/// Replace a rule (admins).
#[utoipa::path(put, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = String, Path, description = "The rule's id")),
    request_body = RuleRequest, responses((status = 200, description = "Replaced", body = RuleDto)))]
async fn update_rule(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<RuleId>,
    JsonBody(req): JsonBody<RuleRequest>,
) -> ApiResult<Json<RuleDto>> {
    Ok(Json(s.app.update_rule(&actor, id, req.into()).await?.into()))
}

/// Delete a rule (admins).
#[utoipa::path(delete, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = String, Path, description = "The rule's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_rule(State(s): State<Shared>, Auth(actor): Auth, PathId(id): PathId<RuleId>) -> ApiResult<StatusCode> {
    s.app.delete_rule(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
