//! Live events over server-sent events, resumable without loss: the stream subscribes to
//! the bus first, then replays the event log after the client's last seen sequence number,
//! then forwards live events newer than the last one sent. A client that falls behind the
//! bus is caught up from the log again, so it never misses an event nor sees one twice.
//! Presence signals (a teammate viewing or typing in a conversation) ride along as
//! `presence` events without an id: they are never stored, and resuming skips them.

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{EventDto, EventsQuery, PresenceDto};
use crate::error::ApiResult;
use crate::extract::Query;
use app::{Actor, App, Ephemeral};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use domain::Event;
use futures_util::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Events read from the log per query while catching up.
const BACKFILL_BATCH: usize = 500;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(events))
}

/// The live event stream. Each event has `id: <seq>`, `event: <kind>` and a JSON `data`
/// ([`EventDto`]). Reconnect with `Last-Event-ID` (or `?after=<seq>`) to resume after the
/// last event received; without either, only new events are sent. Teammates' presence
/// comes as `event: presence` without an id, its data `{conversation_id, user_id, name,
/// activity}` with `activity` `viewing` or `typing`.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The last sequence number received")),
    responses((status = 200, description = "A stream of server-sent events whose data is an EventDto", content_type = "text/event-stream", body = EventDto)))]
async fn events(
    State(s): State<Shared>,
    Auth(actor): Auth,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    // Subscribe before reading the log, so nothing committed in between is missed.
    let rx = s.app.bus().subscribe();
    let presence = s.app.bus().subscribe_ephemeral();
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(q.after);
    let state = match resume {
        Some(last) => Live::new(s.app.clone(), actor, rx, presence, last, true),
        None => Live::new(s.app.clone(), actor, rx, presence, 0, false),
    };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        let sse = match st.next().await? {
            Item::Event(event) => to_sse(&event),
            Item::Presence(p) => presence_sse(&p),
        };
        Some((Ok(sse), st))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn to_sse(event: &Event) -> SseEvent {
    let dto = EventDto::from(event);
    let sse = SseEvent::default().id(event.seq.to_string()).event(event.kind.as_str());
    match serde_json::to_string(&dto) {
        Ok(json) => sse.data(json),
        // A JSON value always serialises; keep the stream going if that ever changes.
        Err(_) => sse.data("{}"),
    }
}

fn presence_sse(p: &Ephemeral) -> SseEvent {
    let dto = PresenceDto {
        conversation_id: p.conversation_id,
        user_id: p.user_id,
        name: p.name.clone(),
        activity: p.activity.clone(),
    };
    SseEvent::default().event("presence").data(serde_json::to_string(&dto).unwrap_or_else(|_| "{}".into()))
}

/// What the stream sends next.
enum Item {
    Event(Event),
    Presence(Arc<Ephemeral>),
}

/// One client's position in the event stream.
struct Live {
    app: App,
    actor: Actor,
    rx: Receiver<Arc<Event>>,
    presence: Receiver<Arc<Ephemeral>>,
    /// The last sequence number sent (or the client had). Zero with no resume point: only
    /// live events, each newer than the previous.
    last: i64,
    backlog: VecDeque<Event>,
    catching_up: bool,
}

impl Live {
    fn new(
        app: App,
        actor: Actor,
        rx: Receiver<Arc<Event>>,
        presence: Receiver<Arc<Ephemeral>>,
        last: i64,
        catching_up: bool,
    ) -> Self {
        Live { app, actor, rx, presence, last, backlog: VecDeque::new(), catching_up }
    }

    /// The next thing to send, or `None` when the stream should end.
    async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                if event.seq > self.last {
                    self.last = event.seq;
                    return Some(Item::Event(event));
                }
                continue;
            }
            if self.catching_up {
                match self.app.events_since(&self.actor, self.last, BACKFILL_BATCH).await {
                    Ok(events) if events.is_empty() => self.catching_up = false,
                    Ok(events) => self.backlog.extend(events),
                    Err(e) => {
                        // The client reconnects with Last-Event-ID and resumes where it was.
                        tracing::warn!(error = %e, "event stream ends: reading the event log failed");
                        return None;
                    }
                }
                continue;
            }
            let received = tokio::select! {
                r = self.rx.recv() => r,
                p = self.presence.recv() => {
                    match p {
                        Ok(p) if p.workspace_id == self.actor.workspace_id && p.user_id != self.actor.user_id => {
                            return Some(Item::Presence(p));
                        }
                        // Missed presence signals are stale by now; nothing to catch up.
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            };
            match received {
                Ok(event) if event.seq > self.last && app::event_visible(&event, &self.actor) => {
                    self.last = event.seq;
                    return Some(Item::Event(Event::clone(&event)));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) if self.last > 0 => {
                    tracing::debug!(missed, "event stream fell behind; catching up from the log");
                    self.catching_up = true;
                }
                // Nothing sent yet and no resume point: there is no position to catch up
                // from, and replaying the whole log is not what the client asked for.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
