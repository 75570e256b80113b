//! `/account`: who the signed-in member is, changing their password, and their personal
//! API tokens (listed, created with the secret shown this once, revoked).
//!
//! Passwords typed into a form that failed are not sent back: the fields come back empty.

use super::view::{parse_id, stamp};
use super::{Chrome, FormErrors, UiActor, UiError, render};
use crate::Shared;
use app::Actor;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::TokenId;
use serde::Deserialize;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/account", get(show))
        .route("/account/password", post(change_password))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

struct TokenRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
}

/// What the page shows besides the frame; each form's state is its own.
#[derive(Default)]
struct PageState {
    password_errors: FormErrors,
    password_changed: bool,
    token_name: String,
    token_errors: FormErrors,
    /// A token just created: (name, secret), shown once.
    new_token: Option<(String, String)>,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    email: String,
    role: String,
    workspace: String,
    tokens: Vec<TokenRow>,
    s: PageState,
}

async fn page(state: &Shared, actor: &Actor, s: PageState) -> Result<Response, UiError> {
    let me = state.app.me(actor).await?;
    let workspace = state.app.workspace(actor).await?.name;
    let tokens = state
        .app
        .list_tokens(actor)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name,
            created: stamp(t.created_at),
            last_used: t.last_used_at.map(stamp).unwrap_or_else(|| "never".into()),
        })
        .collect();
    render(&AccountPage {
        chrome: Chrome::load(state, actor, "account").await?,
        email: me.user.email,
        role: me.role.to_string(),
        workspace,
        tokens,
        s,
    })
}

#[derive(Deserialize)]
struct Notice {
    password: Option<String>,
    revoked: Option<String>,
}

async fn show(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(n): Query<Notice>,
) -> Result<Response, UiError> {
    let s = PageState { password_changed: n.password.is_some(), revoked: n.revoked.is_some(), ..Default::default() };
    page(&state, &actor, s).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

async fn change_password(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<PasswordForm>,
) -> Result<Response, UiError> {
    let result = if form.new_password != form.confirm_password {
        Err(app::Error::invalid("confirm_password", "does not match the new password"))
    } else {
        state.app.change_password(&actor, &form.current_password, &form.new_password).await
    };
    match result {
        Ok(()) => Ok(Redirect::to("/account?password=changed").into_response()),
        Err(e) => {
            let errors = FormErrors::from_app(e, &["current_password", "new_password", "confirm_password"])?;
            page(&state, &actor, PageState { password_errors: errors, ..Default::default() }).await
        }
    }
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
}

/// Creates a token and shows its secret in the answer itself: it is never stored in clear,
/// so there is no page to redirect to that could show it again.
async fn create_token(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    let s = match state.app.create_token(&actor, &form.name).await {
        Ok(t) => PageState { new_token: Some((t.info.name, t.secret)), ..Default::default() },
        Err(e) => {
            let token_errors = FormErrors::from_app(e, &["name"])?;
            PageState { token_errors, token_name: form.name, ..Default::default() }
        }
    };
    page(&state, &actor, s).await
}

async fn revoke_token(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    state.app.revoke_token(&actor, parse_id::<TokenId>(&id, "token")?).await?;
    Ok(Redirect::to("/account?revoked=1").into_response())
}
