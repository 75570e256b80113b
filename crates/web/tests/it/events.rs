//! Live events over SSE: a reply made through the API reaches a subscribed client, and a
//! client reconnecting with `Last-Event-ID` (or `?after=`) gets what it missed, once.

use crate::harness::TestApi;
use axum::body::Body;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, Clone)]
struct SseEvent {
    id: i64,
    name: String,
    data: Value,
}

/// Reads the stream until `done` holds for the events read so far (fails after 10 s).
async fn read_until(body: &mut Body, events: &mut Vec<SseEvent>, done: impl Fn(&[SseEvent]) -> bool) {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(events) {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .unwrap_or_else(|_| panic!("timed out; events so far: {events:?}"))
            .expect("stream ended")
            .expect("stream failed");
        if let Some(data) = frame.data_ref() {
            text.push_str(std::str::from_utf8(data).unwrap());
        }
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let (mut id, mut name, mut data) = (None, String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().parse::<i64>().unwrap());
                } else if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if let Some(id) = id {
                events.push(SseEvent { id, name, data: serde_json::from_str(&data).unwrap() });
            }
        }
    }
}

fn has_message(events: &[SseEvent], message_id: &str) -> bool {
    events.iter().any(|e| e.name == "message.created" && e.data["data"]["message_id"] == message_id)
}

async fn reply(api: &TestApi, conv: &str, text: &str) -> String {
    api.post(&format!("/api/v1/conversations/{conv}/reply"), json!({"text": text}))
        .send()
        .await
        .ok(StatusCode::CREATED)
        .str("id")
}

#[tokio::test]
async fn a_reply_reaches_a_subscribed_client() {
    let api = TestApi::new().await;
    let (conv, _) = api.conversation().await;
    let res = api.get("/api/v1/events").open().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut body = res.into_body();

    let message = reply(&api, &conv, "On its way!").await;
    let mut events = Vec::new();
    read_until(&mut body, &mut events, |evs| has_message(evs, &message)).await;
    let e = events.iter().find(|e| e.name == "message.created").unwrap();
    assert_eq!(e.data["kind"], "message.created");
    assert_eq!(e.data["seq"], e.id);
    assert_eq!(e.data["conversation_id"], conv.as_str());
    assert!(e.data["created_at"].as_i64().unwrap() > 0);
    let seqs: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order, once: {seqs:?}");
}

#[tokio::test]
async fn reconnecting_with_last_event_id_resumes_without_loss_or_duplicates() {
    let api = TestApi::new().await;
    let (conv, _) = api.conversation().await;

    let mut first = api.get("/api/v1/events").open().await.into_body();
    let m1 = reply(&api, &conv, "first").await;
    let mut seen = Vec::new();
    read_until(&mut first, &mut seen, |evs| has_message(evs, &m1)).await;
    drop(first);
    let last = seen.last().unwrap().id;

    // Missed while disconnected.
    let m2 = reply(&api, &conv, "second").await;
    let n3 = api
        .post(&format!("/api/v1/conversations/{conv}/notes"), json!({"text": "internal"}))
        .send()
        .await
        .ok(StatusCode::CREATED)
        .str("id");

    let mut again = api.get("/api/v1/events").header("last-event-id", &last.to_string()).open().await.into_body();
    let mut resumed = Vec::new();
    read_until(&mut again, &mut resumed, |evs| has_message(evs, &m2) && has_message(evs, &n3)).await;
    // And live again after the catch-up.
    let m4 = reply(&api, &conv, "fourth").await;
    read_until(&mut again, &mut resumed, |evs| has_message(evs, &m4)).await;

    let seqs: Vec<i64> = resumed.iter().map(|e| e.id).collect();
    assert!(seqs.iter().all(|s| *s > last), "nothing already seen is sent again: {seqs:?} after {last}");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order, no duplicates: {seqs:?}");
    assert!(!has_message(&resumed, &m1));

    // The query parameter works the same for clients that cannot set headers.
    let mut by_query = api.get(&format!("/api/v1/events?after={last}")).open().await.into_body();
    let mut replay = Vec::new();
    read_until(&mut by_query, &mut replay, |evs| has_message(evs, &m4)).await;
    let replay_seqs: Vec<i64> = replay.iter().map(|e| e.id).collect();
    assert_eq!(replay_seqs, seqs, "the same events, in the same order");
}

#[tokio::test]
async fn events_need_auth_and_stay_in_their_workspace() {
    let api = TestApi::new().await;
    api.get("/api/v1/events").anon().send().await.err(StatusCode::UNAUTHORIZED, "unauthenticated");

    let (conv, _) = api.conversation().await;
    api.app.create_workspace("Other Co", "boss@other.example", "Boss", crate::harness::PASSWORD).await.unwrap();
    let login = api.app.login("boss@other.example", crate::harness::PASSWORD).await.unwrap();
    let other = api.app.create_token(&login.actor, "t").await.unwrap().secret;

    // From the start of the log: only the other workspace's own events (it has none yet), then
    // its own contact once created; workspace A's reply never shows.
    let mut theirs = api.get("/api/v1/events?after=0").bearer(&other).open().await.into_body();
    reply(&api, &conv, "private to A").await;
    let contact = api
        .post("/api/v1/contacts", json!({"name": "B's"}))
        .bearer(&other)
        .send()
        .await
        .ok(StatusCode::CREATED)
        .str("id");
    let mut events = Vec::new();
    read_until(&mut theirs, &mut events, |evs| evs.iter().any(|e| e.data["data"].to_string().contains(&contact))).await;
    assert!(events.iter().all(|e| e.data["conversation_id"] != conv.as_str()), "{events:?}");
}
