//! The workspace, its members and its teams. Reading is open to every member; changes are
//! for admins and owners (enforced by `app`).

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{
    CreateMemberRequest, CreateTeamRequest, MemberDto, MemberList, TeamDto, TeamList, UpdateMemberRequest,
    UpdateTeamRequest, UpdateWorkspaceRequest, WorkspaceDto,
};
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathId};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::{TeamId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(get_workspace, update_workspace))
        .routes(routes!(list_members, create_member))
        .routes(routes!(get_member, update_member))
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, update_team, delete_team))
}

/// Your workspace.
#[utoipa::path(get, path = "/api/v1/workspace", tag = "workspace", responses((status = 200, description = "The workspace", body = WorkspaceDto)))]
async fn get_workspace(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<WorkspaceDto>> {
    Ok(Json(s.app.workspace(&actor).await?.into()))
}

/// Rename your workspace (admins).
#[utoipa::path(patch, path = "/api/v1/workspace", tag = "workspace", request_body = UpdateWorkspaceRequest,
    responses((status = 200, description = "Renamed", body = WorkspaceDto)))]
async fn update_workspace(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<UpdateWorkspaceRequest>,
) -> ApiResult<Json<WorkspaceDto>> {
    Ok(Json(s.app.rename_workspace(&actor, &req.name).await?.into()))
}

/// The workspace's members.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, description = "Members", body = MemberList)))]
async fn list_members(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<MemberList>> {
    Ok(Json(MemberList::all(s.app.list_members(&actor).await?)))
}

/// Add a member (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateMemberRequest,
    responses((status = 201, description = "Added", body = MemberDto)))]
async fn create_member(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<CreateMemberRequest>,
) -> ApiResult<(StatusCode, Json<MemberDto>)> {
    let input = app::MemberInput { email: req.email, name: req.name, password: req.password, role: req.role };
    Ok((StatusCode::CREATED, Json(s.app.create_member(&actor, input).await?.into())))
}

/// One member.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "The member", body = MemberDto)))]
async fn get_member(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<UserId>,
) -> ApiResult<Json<MemberDto>> {
    Ok(Json(s.app.get_member(&actor, id).await?.into()))
}

/// Change a member's role, or deactivate them (admins).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "The user's id")),
    request_body = UpdateMemberRequest, responses((status = 200, description = "Changed", body = MemberDto)))]
async fn update_member(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<UserId>,
    JsonBody(req): JsonBody<UpdateMemberRequest>,
) -> ApiResult<Json<MemberDto>> {
    Ok(Json(s.app.update_member(&actor, id, req.role, req.active).await?.into()))
}

/// The workspace's teams.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", responses((status = 200, description = "Teams", body = TeamList)))]
async fn list_teams(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<TeamList>> {
    Ok(Json(TeamList::all(s.app.list_teams(&actor).await?)))
}

/// Create a team (admins).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = CreateTeamRequest,
    responses((status = 201, description = "Created", body = TeamDto)))]
async fn create_team(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<CreateTeamRequest>,
) -> ApiResult<(StatusCode, Json<TeamDto>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_team(&actor, &req.name, req.member_ids).await?.into())))
}

/// One team.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = String, Path, description = "The team's id")),
    responses((status = 200, description = "The team", body = TeamDto)))]
async fn get_team(State(s): State<Shared>, Auth(actor): Auth, PathId(id): PathId<TeamId>) -> ApiResult<Json<TeamDto>> {
    Ok(Json(s.app.get_team(&actor, id).await?.into()))
}

/// Rename a team or replace its members (admins).
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = String, Path, description = "The team's id")),
    request_body = UpdateTeamRequest, responses((status = 200, description = "Changed", body = TeamDto)))]
async fn update_team(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<TeamId>,
    JsonBody(req): JsonBody<UpdateTeamRequest>,
) -> ApiResult<Json<TeamDto>> {
    Ok(Json(s.app.update_team(&actor, id, req.name, req.member_ids).await?.into()))
}

/// Delete a team (admins).
#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = String, Path, description = "The team's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_team(State(s): State<Shared>, Auth(actor): Auth, PathId(id): PathId<TeamId>) -> ApiResult<StatusCode> {
    s.app.delete_team(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
