//! Live events over server-sent events, resumable without loss: the stream subscribes to
//! the bus first, then replays the event log after the client's last seen sequence number,
//! then forwards live events newer than the last one sent. A client that falls behind the
//! bus is caught up from the log again, so it never misses an event nor sees one twice.

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{EventDto, EventsQuery};
use crate::error::ApiResult;
use crate::extract::Query;
use app::{Actor, App};
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
/// last event received; without either, only new events are sent.
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
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(q.after);
    let state = match resume {
        Some(last) => Live { app: s.app.clone(), actor, rx, last, backlog: VecDeque::new(), catching_up: true },
        None => Live { app: s.app.clone(), actor, rx, last: 0, backlog: VecDeque::new(), catching_up: false },
    };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        let event = st.next().await?;
        Some((Ok(to_sse(&event)), st))
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

/// One client's position in the event stream.
struct Live {
    app: App,
    actor: Actor,
    rx: Receiver<Arc<Event>>,
    /// The last sequence number sent (or the client had). Zero with no resume point: only
    /// live events, each newer than the previous.
    last: i64,
    backlog: VecDeque<Event>,
    catching_up: bool,
}

impl Live {
    /// The next event to send, or `None` when the stream should end.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                if event.seq > self.last {
                    self.last = event.seq;
                    return Some(event);
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
            match self.rx.recv().await {
                Ok(event) if event.seq > self.last && app::event_visible(&event, &self.actor) => {
                    self.last = event.seq;
                    return Some(Event::clone(&event));
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
