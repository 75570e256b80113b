//! Presence and the queue in the agent UI: the presence switch in the top bar, the quiet
//! activity ping that keeps auto-away off while someone works, and the queue page for leads
//! (who waits and for how long, per queue, and who is online with what load), refreshed
//! live on `queue.updated` and `presence.updated`.

use super::session::is_htmx;
use super::view::span;
use super::{Chrome, UiActor, UiError, render};
use crate::Shared;
use app::Actor;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{Presence, QueueScope};
use serde::Deserialize;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/presence", post(set_presence))
        .route("/presence/ping", post(ping))
        .route("/queue", get(queue))
        .route("/queue/body", get(queue_body))
}

#[derive(Deserialize)]
struct PresenceForm {
    #[serde(default)]
    presence: String,
}

#[derive(Template)]
#[template(path = "presence_switch.html")]
struct PresenceSwitch {
    presence: String,
}

/// Sets the member's presence; htmx gets the switch back, a plain form goes back home.
async fn set_presence(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    headers: HeaderMap,
    Form(form): Form<PresenceForm>,
) -> Result<Response, UiError> {
    let presence: Presence = form.presence.parse().map_err(|e: domain::DomainError| app::Error::from(e))?;
    let status = state.app.set_presence(&actor, presence).await?;
    if is_htmx(&headers) {
        return render(&PresenceSwitch { presence: status.presence.to_string() });
    }
    Ok(Redirect::to("/inbox").into_response())
}

/// Records activity (the page sends it, at most once a minute, while someone uses it).
async fn ping(State(state): State<Shared>, UiActor(actor): UiActor) -> Result<Response, UiError> {
    state.app.touch_presence(&actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One queue's row.
struct QueueRow {
    name: String,
    waiting: usize,
    longest: String,
    agents_online: usize,
}

/// One waiting conversation.
struct WaitingRow {
    id: String,
    number: i64,
    queue: String,
    position: usize,
    priority: String,
    waited: String,
}

/// One member.
struct AgentRow {
    name: String,
    presence: String,
    load: String,
    full: bool,
    open: usize,
}

struct QueueData {
    queues: Vec<QueueRow>,
    waiting: Vec<WaitingRow>,
    agents: Vec<AgentRow>,
    samples: usize,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    data: QueueData,
}

#[derive(Template)]
#[template(path = "queue_body.html")]
struct QueueBody {
    data: QueueData,
}

async fn load(state: &Shared, actor: &Actor) -> Result<QueueData, UiError> {
    let view = state.app.queue_view(actor, None, 100).await?;
    let now = state.app.now();
    let name_of =
        |scope: QueueScope| view.queues.iter().find(|q| q.scope == scope).map(|q| q.name.clone()).unwrap_or_default();
    let waiting = view
        .entries
        .iter()
        .map(|e| WaitingRow {
            id: e.conversation_id.to_string(),
            number: e.number,
            queue: name_of(e.scope),
            position: e.position,
            priority: e.priority.to_string(),
            waited: span(now - e.waiting_since),
        })
        .collect();
    let queues = view
        .queues
        .iter()
        .map(|q| QueueRow {
            name: q.name.clone(),
            waiting: q.waiting,
            longest: q.longest_waiting_since.map(|s| span(now - s)).unwrap_or_else(|| "–".into()),
            agents_online: q.agents_online,
        })
        .collect();
    let mut agents: Vec<AgentRow> = view
        .agents
        .iter()
        .map(|a| AgentRow {
            name: a.name.clone(),
            presence: a.presence.to_string(),
            load: format!("{:.1} / {:.1}", a.load, a.max_load),
            full: a.load >= a.max_load,
            open: a.open_conversations,
        })
        .collect();
    // Online first, then away, then offline; by name within each.
    agents.sort_by_key(|a| match a.presence.as_str() {
        "online" => 0,
        "away" => 1,
        _ => 2,
    });
    Ok(QueueData { queues, waiting, agents, samples: view.samples })
}

async fn queue(State(state): State<Shared>, UiActor(actor): UiActor) -> Result<Response, UiError> {
    let chrome = Chrome::load(&state, &actor, "queue").await?;
    render(&QueuePage { chrome, data: load(&state, &actor).await? })
}

async fn queue_body(State(state): State<Shared>, UiActor(actor): UiActor) -> Result<Response, UiError> {
    render(&QueueBody { data: load(&state, &actor).await? })
}
