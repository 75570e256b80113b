//! Conversations: the filtered list, messages, and every change an agent makes; notes with
//! mentions and the notifications they cause; search.

use crate::harness::TestApi;
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn conversation_is_listed_read_and_replied_to() {
    let api = TestApi::new().await;
    let (conv, inbox) = api.conversation().await;

    let list = api.get("/api/v1/conversations?status=open").send().await.ok(StatusCode::OK);
    assert_eq!(list.items().len(), 1);
    assert_eq!(list.json["total"], 1);
    let c = api.get(&format!("/api/v1/conversations/{conv}")).send().await.ok(StatusCode::OK);
    assert_eq!(c.json["status"], "open");
    assert_eq!(c.json["inbox_id"], inbox.as_str());
    assert!(c.json["number"].as_i64().unwrap() >= 1);

    let reply = api
        .post(&format!("/api/v1/conversations/{conv}/reply"), json!({"text": "Sorry! Sending a new one today."}))
        .send()
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(reply.json["direction"], "outbound");
    assert_eq!(reply.json["kind"], "message");
    assert_eq!(reply.json["delivery_status"], "queued");
    assert_eq!(reply.json["author"]["type"], "agent");
    assert_eq!(reply.json["author"]["id"], api.owner.user_id.to_string());

    let msgs = api.get(&format!("/api/v1/conversations/{conv}/messages")).send().await.ok(StatusCode::OK);
    let items = msgs.items();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["direction"], "inbound", "oldest first");
    assert_eq!(items[0]["author"]["type"], "contact");
    assert_eq!(items[1]["id"], reply.json["id"]);

    let page = api.get(&format!("/api/v1/conversations/{conv}/messages?limit=1")).send().await.ok(StatusCode::OK);
    assert_eq!(page.items().len(), 1);
    let next = page.str("next_cursor");
    let rest = api
        .get(&format!("/api/v1/conversations/{conv}/messages?limit=1&cursor={next}"))
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(rest.items()[0]["id"], reply.json["id"]);
}

#[tokio::test]
async fn agents_change_assignee_team_status_labels_priority_and_participants() {
    let api = TestApi::new().await;
    let (conv, inbox) = api.conversation().await;
    let (kai, _) = api.member("kai@example.com", "agent").await;
    let team = api.post("/api/v1/teams", json!({"name": "Billing"})).send().await.ok(StatusCode::CREATED).str("id");
    let url = |what: &str| format!("/api/v1/conversations/{conv}/{what}");

    assert_eq!(api.get("/api/v1/conversations?assignee=none").send().await.ok(StatusCode::OK).items().len(), 1);
    let c = api.post(&url("assign"), json!({"user_id": api.owner.user_id.to_string()})).send().await.ok(StatusCode::OK);
    assert_eq!(c.json["assignee_id"], api.owner.user_id.to_string());
    assert_eq!(api.get("/api/v1/conversations?assignee=me").send().await.ok(StatusCode::OK).items().len(), 1);
    assert_eq!(api.get("/api/v1/conversations?assignee=none").send().await.ok(StatusCode::OK).items().len(), 0);
    assert_eq!(
        api.get(&format!("/api/v1/conversations?assignee={kai}")).send().await.ok(StatusCode::OK).items().len(),
        0
    );
    let c = api.post(&url("assign"), json!({"user_id": null})).send().await.ok(StatusCode::OK);
    assert!(c.json["assignee_id"].is_null());

    let c = api.post(&url("team"), json!({"team_id": team})).send().await.ok(StatusCode::OK);
    assert_eq!(c.json["team_id"], team.as_str());
    assert_eq!(
        api.get(&format!("/api/v1/conversations?team_id={team}")).send().await.ok(StatusCode::OK).items().len(),
        1
    );

    let c = api.put(&url("labels"), json!({"labels": ["VIP", "billing"]})).send().await.ok(StatusCode::OK);
    assert_eq!(c.json["labels"], json!(["billing", "vip"]));
    assert_eq!(api.get("/api/v1/conversations?label=vip").send().await.ok(StatusCode::OK).items().len(), 1);
    assert_eq!(api.get("/api/v1/conversations?label=other").send().await.ok(StatusCode::OK).items().len(), 0);

    let c = api.post(&url("priority"), json!({"priority": "urgent"})).send().await.ok(StatusCode::OK);
    assert_eq!(c.json["priority"], "urgent");
    assert_eq!(api.get("/api/v1/conversations?priority=urgent").send().await.ok(StatusCode::OK).items().len(), 1);
    assert_eq!(
        api.get(&format!("/api/v1/conversations?inbox_id={inbox}")).send().await.ok(StatusCode::OK).items().len(),
        1
    );

    let c = api.put(&url("participants"), json!({"user_ids": [kai]})).send().await.ok(StatusCode::OK);
    assert_eq!(c.json["participant_ids"], json!([kai]));

    let later = api.app.now() + 3_600_000;
    let c =
        api.post(&url("status"), json!({"status": "snoozed", "snoozed_until": later})).send().await.ok(StatusCode::OK);
    assert_eq!(c.json["status"], "snoozed");
    assert_eq!(c.json["snoozed_until"], later);
    let c = api.post(&url("status"), json!({"status": "resolved"})).send().await.ok(StatusCode::OK);
    assert_eq!(c.json["status"], "resolved");
    assert!(c.json["resolved_at"].as_i64().is_some());
    assert_eq!(api.get("/api/v1/conversations?status=open").send().await.ok(StatusCode::OK).items().len(), 0);
    let r = api
        .post(&url("status"), json!({"status": "snoozed"}))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "snoozed_until");
}

#[tokio::test]
async fn mentions_notify_and_notifications_are_read() {
    let api = TestApi::new().await;
    let (conv, _) = api.conversation().await;
    let (_, kai) = api.member("kai@example.com", "agent").await;

    let note = api
        .post(&format!("/api/v1/conversations/{conv}/notes"), json!({"text": "@kai can you check the tracking?"}))
        .send()
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(note.json["kind"], "note");

    let list = api.get("/api/v1/notifications").bearer(&kai).send().await.ok(StatusCode::OK);
    assert_eq!(list.json["unread_count"], 1);
    let n = &list.items()[0];
    assert_eq!(n["kind"], "mention");
    assert_eq!(n["conversation_id"], conv.as_str());
    let id = n["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.get("/api/v1/notifications?unread=true").bearer(&kai).send().await.ok(StatusCode::OK).items().len(),
        1
    );

    api.req(axum::http::Method::POST, &format!("/api/v1/notifications/{id}/read"))
        .bearer(&kai)
        .send()
        .await
        .ok(StatusCode::NO_CONTENT);
    let list = api.get("/api/v1/notifications?unread=true").bearer(&kai).send().await.ok(StatusCode::OK);
    assert_eq!(list.items().len(), 0);
    assert_eq!(list.json["unread_count"], 0);

    api.post(&format!("/api/v1/conversations/{conv}/notes"), json!({"text": "@kai and another"}))
        .send()
        .await
        .ok(StatusCode::CREATED);
    api.req(axum::http::Method::POST, "/api/v1/notifications/read-all")
        .bearer(&kai)
        .send()
        .await
        .ok(StatusCode::NO_CONTENT);
    assert_eq!(api.get("/api/v1/notifications").bearer(&kai).send().await.ok(StatusCode::OK).json["unread_count"], 0);
    // The owner was not mentioned.
    assert_eq!(api.get("/api/v1/notifications").send().await.ok(StatusCode::OK).items().len(), 0);
}

#[tokio::test]
async fn search_finds_messages_with_highlighted_snippets() {
    let api = TestApi::new().await;
    let (inbox, _) = api.api_inbox("Shop").await;
    api.inbound(&inbox, "s-1", "ana@example.com", "The zeppelin arrived broken").await.ok(StatusCode::CREATED);
    let hits = api.get("/api/v1/search?q=zeppelin").send().await.ok(StatusCode::OK);
    let items = hits.items();
    let hit =
        items.iter().find(|h| h["kind"] == "message").unwrap_or_else(|| panic!("no message hit in {}", hits.json));
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"), "{hit}");
    assert!(hit["conversation_id"].as_str().is_some());
    assert!(api.get("/api/v1/search?q=submarine").send().await.ok(StatusCode::OK).items().is_empty());
    api.get("/api/v1/search?q=").send().await.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}
