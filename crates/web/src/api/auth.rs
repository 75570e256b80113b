//! Signing in and out, your own account, and your personal API tokens.

use crate::Shared;
use crate::auth::{Auth, ClientIp, clear_session_cookie, session_cookie, session_token};
use crate::dto::{
    ChangePasswordRequest, CreateTokenRequest, LoginRequest, LoginResponse, MemberDto, NewTokenDto, TokenDto, TokenList,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathId};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use domain::TokenId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// Sign in. Sets the `chorus_session` cookie (HttpOnly, SameSite=Lax). Attempts are limited
/// per client address and per e-mail address.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses((status = 200, description = "Signed in; the session cookie is set", body = LoginResponse)))]
async fn login(
    State(s): State<Shared>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let mut keys = vec![format!("email:{}", req.email.trim().to_lowercase())];
    // Without a known address (no connection info) every client would share one key.
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
    }
    s.login_limiter.attempt(&keys).map_err(|wait| ApiError::rate_limited(wait.as_secs().max(1)))?;
    let login = s.app.login(&req.email, &req.password).await?;
    let member = s.app.me(&login.actor).await?;
    let max_age_secs = (login.expires_at - s.app.now()) / 1000;
    let cookie = session_cookie(&login.token, max_age_secs, s.config.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Json(LoginResponse { member: member.into(), expires_at: login.expires_at })))
}

/// Sign out: ends the session of the cookie sent, and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(()),
    responses((status = 204, description = "Signed out")))]
async fn logout(State(s): State<Shared>, headers: HeaderMap) -> ApiResult<impl IntoResponse> {
    if let Some(token) = session_token(&headers) {
        s.app.logout(token).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_session_cookie(s.config.secure_cookies))]))
}

/// Who you are in this workspace.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, description = "You", body = MemberDto)))]
async fn me(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<MemberDto>> {
    Ok(Json(s.app.me(&actor).await?.into()))
}

/// Change your password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 204, description = "Changed")))]
async fn change_password(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    s.app.change_password(&actor, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your API tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth", responses((status = 200, description = "Your tokens", body = TokenList)))]
async fn list_tokens(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<TokenList>> {
    Ok(Json(TokenList::all(s.app.list_tokens(&actor).await?)))
}

/// Create an API token. Its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", request_body = CreateTokenRequest,
    responses((status = 201, description = "Created", body = NewTokenDto)))]
async fn create_token(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<NewTokenDto>)> {
    let new = s.app.create_token(&actor, &req.name).await?;
    Ok((StatusCode::CREATED, Json(NewTokenDto { token: TokenDto::from(new.info), secret: new.secret })))
}

/// Revoke one of your API tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth", params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked")))]
async fn revoke_token(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<TokenId>,
) -> ApiResult<StatusCode> {
    s.app.revoke_token(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
