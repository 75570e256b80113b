//! `/notifications`: the member's mentions and assignments, newest first, unread ones
//! marked; opening one marks it read. Also the unread badge of the frame, fetched again
//! whenever the live stream announces a new notification.

use super::view::{parse_id, stamp};
use super::{Chrome, UiActor, UiError, render, session::is_htmx};
use crate::Shared;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{ConversationId, Cursor, NotificationId};
use serde::Deserialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Notifications per page.
const PAGE: usize = 50;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/badge", get(badge))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/{id}/read", post(read_one))
}

struct NotificationView {
    id: String,
    conversation_id: String,
    unread: bool,
    /// "Olga mentioned you in" / "Olga assigned you".
    what: String,
    conversation: String,
    at: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct ListPage {
    chrome: Chrome,
    items: Vec<NotificationView>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications_badge.html")]
struct Badge {
    unread: i64,
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
}

async fn list(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(Cursor::decode(c, "cursor").map_err(app::Error::from)?),
        None => None,
    };
    let (page, _) = state.app.list_notifications(&actor, false, cursor, PAGE).await?;
    let names: HashMap<_, _> =
        state.app.list_members(&actor).await?.into_iter().map(|m| (m.user.id, m.user.name)).collect();
    let mut titles: HashMap<ConversationId, String> = HashMap::new();
    let mut items = Vec::with_capacity(page.items.len());
    for n in &page.items {
        if let Entry::Vacant(slot) = titles.entry(n.conversation_id) {
            let title = match state.app.get_conversation(&actor, n.conversation_id).await {
                Ok(c) => format!("#{} {}", c.number, c.subject.unwrap_or_else(|| "(no subject)".into())),
                Err(app::Error::NotFound { .. }) => "a conversation".into(),
                Err(e) => return Err(e.into()),
            };
            slot.insert(title);
        }
        let who = n.actor_id.and_then(|a| names.get(&a).cloned()).unwrap_or_else(|| "Chorus".into());
        let what = match n.kind.as_str() {
            "mention" => format!("{who} mentioned you in"),
            "assignment" => format!("{who} assigned you"),
            other => format!("{who}: {other} in"),
        };
        items.push(NotificationView {
            id: n.id.to_string(),
            conversation_id: n.conversation_id.to_string(),
            unread: n.read_at.is_none(),
            what,
            conversation: titles.get(&n.conversation_id).cloned().unwrap_or_default(),
            at: stamp(n.created_at),
        });
    }
    let chrome = Chrome::load(&state, &actor, "notifications").await?;
    render(&ListPage { chrome, items, next: page.next.map(|c| c.encode()) })
}

/// The frame's badge, exactly as `base.html` draws it, for `hx-swap="outerHTML"`.
async fn badge(State(state): State<Shared>, UiActor(actor): UiActor) -> Result<Response, UiError> {
    let (_, unread) = state.app.list_notifications(&actor, true, None, 1).await?;
    render(&Badge { unread })
}

#[derive(Deserialize)]
struct ReadForm {
    /// The conversation to go on to (a notification link opened with htmx).
    to: Option<String>,
}

/// Marks one notification read. A notification link posts here through htmx and is sent on
/// to its conversation; the plain "Mark read" button comes back to the list.
async fn read_one(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ReadForm>,
) -> Result<Response, UiError> {
    state.app.mark_notification_read(&actor, parse_id::<NotificationId>(&id, "notification")?).await?;
    let to = form.to.as_deref().and_then(|t| t.parse::<ConversationId>().ok());
    match to {
        Some(c) if is_htmx(&headers) => Ok([("hx-redirect", format!("/conversations/{c}"))].into_response()),
        Some(c) => Ok(Redirect::to(&format!("/conversations/{c}")).into_response()),
        None => Ok(Redirect::to("/notifications").into_response()),
    }
}

async fn read_all(State(state): State<Shared>, UiActor(actor): UiActor) -> Result<Response, UiError> {
    state.app.mark_all_notifications_read(&actor).await?;
    Ok(Redirect::to("/notifications").into_response())
}
