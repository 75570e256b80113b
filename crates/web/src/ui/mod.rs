//! The agent UI: server-rendered pages (askama templates, htmx for partial updates, live
//! changes over the same SSE stream as the API). Like the API handlers, pages only call
//! `app`; they never touch storage.
//!
//! Conventions: a page is a full document extending `base.html` and carries a [`Chrome`];
//! an htmx request gets only the fragment it asked for. Forms that fail validation are
//! answered 200 with the form again, the error beside the field and the input kept, so
//! htmx swaps it in.

mod account;
mod assets;
mod contacts;
mod conversation;
mod inbox;
mod login;
mod notifications;
mod search;
mod session;
mod settings;

pub use session::safe_next;

use crate::Shared;
use app::Actor;
use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// Everything the frame around every page needs: who is signed in, where they can go.
pub struct Chrome {
    /// The member's name.
    pub name: String,
    /// Whether settings are shown.
    pub is_admin: bool,
    /// Unread notifications, for the badge.
    pub unread: i64,
    /// The section the page belongs to (`inbox`, `contacts`, `search`, `settings`, ...).
    pub section: &'static str,
    /// Inboxes, for the sidebar: (id, name, kind).
    pub inboxes: Vec<(String, String, String)>,
    /// Teams, for the sidebar: (id, name).
    pub teams: Vec<(String, String)>,
}

impl Chrome {
    /// Loads the frame for `actor` on a page of `section`.
    pub async fn load(state: &Shared, actor: &Actor, section: &'static str) -> Result<Chrome, UiError> {
        let me = state.app.me(actor).await?;
        let (_, unread) = state.app.list_notifications(actor, true, None, 1).await?;
        let inboxes = state.app.list_inboxes(actor).await?;
        let teams = state.app.list_teams(actor).await?;
        Ok(Chrome {
            name: me.user.name,
            is_admin: actor.role.can_administer(),
            unread,
            section,
            inboxes: inboxes.into_iter().map(|i| (i.id.to_string(), i.name, i.kind.to_string())).collect(),
            teams: teams.into_iter().map(|t| (t.id.to_string(), t.name)).collect(),
        })
    }

    /// The cache-busting URL of an asset, for templates.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// A failure while building a page, shown as a page with its code and a way back.
#[derive(Debug)]
pub struct UiError {
    status: StatusCode,
    message: String,
}

impl From<app::Error> for UiError {
    fn from(e: app::Error) -> Self {
        let (status, message) = match &e {
            app::Error::NotFound { what } => {
                (StatusCode::NOT_FOUND, format!("This {what} does not exist, or is not in your workspace."))
            }
            app::Error::Forbidden(m) => (StatusCode::FORBIDDEN, format!("{m}.")),
            app::Error::Invalid { .. } | app::Error::Conflict { .. } | app::Error::TooLarge { .. } => {
                (StatusCode::BAD_REQUEST, e.to_string())
            }
            app::Error::Unauthenticated | app::Error::BadCredentials => {
                (StatusCode::UNAUTHORIZED, "Sign in first.".into())
            }
            app::Error::Internal(cause) => {
                tracing::error!(cause = %cause, "internal error while building a page");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. It has been logged.".into())
            }
        };
        UiError { status, message }
    }
}

impl From<askama::Error> for UiError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "a template failed to render");
        UiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "Something went wrong on our side. It has been logged.".into(),
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        (self.status, error_page(self.status, &self.message, None)).into_response()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    detail: Option<&'a str>,
    css: String,
}

/// A complete, self-standing error page (it needs no signed-in member).
pub fn error_page(status: StatusCode, message: &str, detail: Option<&str>) -> Html<String> {
    let page = ErrorPage {
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error"),
        message,
        detail,
        css: assets::url("app.css"),
    };
    Html(page.render().unwrap_or_else(|_| format!("<!doctype html><title>Error</title><p>{}</p>", status.as_u16())))
}

/// Renders a template into a response.
pub fn render(t: &impl Template) -> Result<Response, UiError> {
    Ok(Html(t.render()?).into_response())
}

/// The UI's routes. Mounted at `/` beside `/api/v1`.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/assets/{name}", get(assets::serve))
        .route("/", get(|| async { axum::response::Redirect::to("/inbox") }))
        .merge(login::routes())
        .merge(inbox::routes())
        .merge(conversation::routes())
        .merge(contacts::routes())
        .merge(search::routes())
        .merge(settings::routes())
        .merge(account::routes())
        .merge(notifications::routes())
        .layer(axum::middleware::from_fn(session::same_origin))
}
