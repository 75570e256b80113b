//! Another workspace's ids answer 404 — never its data — for reads and writes alike.

use crate::harness::{PASSWORD, TestApi};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn another_workspaces_ids_are_not_found() {
    let api = TestApi::new().await;
    // Workspace A (the harness's): one of everything.
    let (conv, inbox) = api.conversation().await;
    let contact = api.get(&format!("/api/v1/conversations/{conv}")).send().await.ok(StatusCode::OK).str("contact_id");
    let team = api.post("/api/v1/teams", json!({"name": "Billing"})).send().await.ok(StatusCode::CREATED).str("id");
    let file = api
        .req(Method::POST, "/api/v1/attachments?filename=a.txt")
        .raw("hello", Some("text/plain"))
        .send()
        .await
        .ok(StatusCode::CREATED)
        .str("id");
    let (kai, kai_token) = api.member("kai@example.com", "agent").await;
    api.post(&format!("/api/v1/conversations/{conv}/notes"), json!({"text": "@kai look"}))
        .send()
        .await
        .ok(StatusCode::CREATED);
    let notification =
        api.get("/api/v1/notifications").bearer(&kai_token).send().await.ok(StatusCode::OK).items()[0]["id"]
            .as_str()
            .unwrap()
            .to_string();

    // Workspace B: its own owner, who is an admin there.
    api.app.create_workspace("Other Co", "boss@other.example", "Boss", PASSWORD).await.unwrap();
    let login = api.app.login("boss@other.example", PASSWORD).await.unwrap();
    let other = api.app.create_token(&login.actor, "t").await.unwrap().secret;

    let not_found = [
        api.get(&format!("/api/v1/conversations/{conv}")),
        api.get(&format!("/api/v1/conversations/{conv}/messages")),
        api.post(&format!("/api/v1/conversations/{conv}/reply"), json!({"text": "hi"})),
        api.post(&format!("/api/v1/conversations/{conv}/notes"), json!({"text": "hi"})),
        api.post(&format!("/api/v1/conversations/{conv}/assign"), json!({"user_id": null})),
        api.post(&format!("/api/v1/conversations/{conv}/status"), json!({"status": "resolved"})),
        api.put(&format!("/api/v1/conversations/{conv}/labels"), json!({"labels": ["x"]})),
        api.post(&format!("/api/v1/conversations/{conv}/priority"), json!({"priority": "high"})),
        api.get(&format!("/api/v1/contacts/{contact}")),
        api.patch(&format!("/api/v1/contacts/{contact}"), json!({"name": "Mine"})),
        api.get(&format!("/api/v1/contacts/{contact}/conversations")),
        api.get(&format!("/api/v1/contacts/{contact}/notes")),
        api.post(&format!("/api/v1/contacts/{contact}/notes"), json!({"body": "x"})),
        api.get(&format!("/api/v1/inboxes/{inbox}")),
        api.patch(&format!("/api/v1/inboxes/{inbox}"), json!({"name": "Mine"})),
        api.post(
            &format!("/api/v1/inboxes/{inbox}/messages"),
            json!({"provider_message_id": "z", "from": {"kind": "email", "value": "a@b.co"}, "text": "x"}),
        ),
        api.get(&format!("/api/v1/teams/{team}")),
        api.delete(&format!("/api/v1/teams/{team}")),
        api.get(&format!("/api/v1/attachments/{file}")),
        api.get(&format!("/api/v1/users/{kai}")),
        api.patch(&format!("/api/v1/users/{kai}"), json!({"active": false})),
        api.req(Method::POST, &format!("/api/v1/notifications/{notification}/read")),
    ];
    for req in not_found {
        let r = req.bearer(&other).send().await;
        let r = r.err(StatusCode::NOT_FOUND, "not_found");
        let body = String::from_utf8_lossy(&r.bytes);
        assert!(!body.contains("parcel") && !body.contains("Billing"), "leaks data: {body}");
    }
    // A merge across workspaces finds nothing either.
    let theirs = api
        .post("/api/v1/contacts", json!({"name": "Theirs"}))
        .bearer(&other)
        .send()
        .await
        .ok(StatusCode::CREATED)
        .str("id");
    api.post(&format!("/api/v1/contacts/{theirs}/merge"), json!({"merge_id": contact}))
        .bearer(&other)
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
    // Lists show only their own.
    assert!(api.get("/api/v1/conversations").bearer(&other).send().await.ok(StatusCode::OK).items().is_empty());
    assert_eq!(api.get("/api/v1/contacts").bearer(&other).send().await.ok(StatusCode::OK).items().len(), 1);
    assert!(api.get("/api/v1/search?q=parcel").bearer(&other).send().await.ok(StatusCode::OK).items().is_empty());
    // And A's data is untouched.
    assert_eq!(
        api.get(&format!("/api/v1/conversations/{conv}/messages")).send().await.ok(StatusCode::OK).items().len(),
        2
    );
}
