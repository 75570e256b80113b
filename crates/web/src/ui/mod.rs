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
mod conversation_actions;
mod forms;
mod inbox;
mod login;
mod notifications;
mod routing;
mod search;
mod session;
mod settings;
mod view;

pub use forms::FormErrors;
pub use session::{UiActor, safe_next};

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
    /// The label catalogue, for the sidebar: (name, colour).
    pub labels: Vec<(String, String)>,
    /// The member's presence (`online`, `away`, `offline`), for the switcher.
    pub presence: String,
}

impl Chrome {
    /// Loads the frame for `actor` on a page of `section`.
    pub async fn load(state: &Shared, actor: &Actor, section: &'static str) -> Result<Chrome, UiError> {
        let me = state.app.me(actor).await?;
        let (_, unread) = state.app.list_notifications(actor, true, None, 1).await?;
        let inboxes = state.app.list_inboxes(actor).await?;
        let teams = state.app.list_teams(actor).await?;
        let labels = state.app.list_labels(actor).await?;
        let presence = state.app.my_presence(actor).await?.to_string();
        Ok(Chrome {
            presence,
            name: me.user.name,
            is_admin: actor.role.can_administer(),
            unread,
            section,
            inboxes: inboxes.into_iter().map(|i| (i.id.to_string(), i.name, i.kind.to_string())).collect(),
            teams: teams.into_iter().map(|t| (t.id.to_string(), t.name)).collect(),
            labels: labels.into_iter().map(|l| (l.name, l.color)).collect(),
        })
    }

    /// The cache-busting URL of an asset, for templates.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// A failure while building a page or running an action. A page load gets a whole error
/// page; an htmx request gets a short notice swapped into the page's `#flash` area, so the
/// page stays usable. Either way the request id is shown, to match the server's log.
#[derive(Debug, Clone)]
pub struct UiError {
    status: StatusCode,
    message: String,
}

impl UiError {
    /// A failure with a message for people.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        UiError { status, message: message.into() }
    }
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
        UiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. It has been logged.")
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        // Rendered by `error_responses`, which knows the request (htmx or not, its id).
        let mut res = self.status.into_response();
        res.extensions_mut().insert(self);
        res
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: Option<&'a str>,
    css: String,
}

/// A complete, self-standing error page (it needs no signed-in member).
pub fn error_page(status: StatusCode, message: &str, request_id: Option<&str>) -> Html<String> {
    let page = ErrorPage {
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error"),
        message,
        request_id,
        css: assets::url("app.css"),
    };
    Html(page.render().unwrap_or_else(|_| format!("<!doctype html><title>Error</title><p>{}</p>", status.as_u16())))
}

#[derive(Template)]
#[template(
    source = r#"<p class="flash bad" role="alert">{{ message }}{% if let Some(id) = request_id %} <span class="muted">(request {{ id }})</span>{% endif %}</p>"#,
    ext = "html"
)]
struct ErrorNotice<'a> {
    message: &'a str,
    request_id: Option<&'a str>,
}

/// Renders every [`UiError`] for the request that caused it: a page for a page load; for
/// htmx, a notice aimed at `#flash` (the page keeps what was typed).
async fn error_responses(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let htmx = session::is_htmx(req.headers());
    let request_id = req.extensions().get::<crate::middleware::RequestId>().map(|r| r.0.clone());
    let mut res = next.run(req).await;
    let Some(err) = res.extensions_mut().remove::<UiError>() else { return res };
    if htmx {
        let notice = ErrorNotice { message: &err.message, request_id: request_id.as_deref() };
        let body = notice.render().unwrap_or_else(|_| err.message.clone());
        let headers = [("hx-retarget", "#flash"), ("hx-reswap", "innerHTML")];
        return (err.status, headers, Html(body)).into_response();
    }
    (err.status, error_page(err.status, &err.message, request_id.as_deref())).into_response()
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
        .route("/favicon.ico", get(|| async { axum::response::Redirect::permanent(&assets::url("icon.svg")) }))
        .merge(login::routes())
        .merge(inbox::routes())
        .merge(conversation::routes())
        .merge(contacts::routes())
        .merge(search::routes())
        .merge(settings::routes())
        .merge(account::routes())
        .merge(notifications::routes())
        .merge(routing::routes())
        .layer(axum::middleware::from_fn(session::same_origin))
        .layer(axum::middleware::from_fn(error_responses))
}
