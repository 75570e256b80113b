//! Bad input is a 4xx in the one error shape, naming the field; never a 500, never plain text.

use crate::harness::{Options, TestApi};
use axum::http::{Method, StatusCode};
use chorus_web::WebConfig;
use serde_json::json;

#[tokio::test]
async fn malformed_json_unknown_fields_and_wrong_types() {
    let api = TestApi::new().await;
    let r = api.req(Method::POST, "/api/v1/contacts").raw("{\"name\": ", Some("application/json")).send().await;
    r.err(StatusCode::BAD_REQUEST, "bad_json");
    let r = api
        .post("/api/v1/contacts", json!({"name": "A", "nickname": "B"}))
        .send()
        .await
        .err(StatusCode::BAD_REQUEST, "unknown_field");
    assert_eq!(r.json["field"], "nickname");
    let r =
        api.post("/api/v1/inboxes", json!({"kind": "api", "name": "X", "settings": {"callback_url": 5}})).send().await;
    let r = r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "settings.callback_url");
    assert!(r.json["message"].as_str().unwrap().contains("settings.callback_url"));
    let r =
        api.post("/api/v1/inboxes", json!({"kind": "api", "name": "X", "settings": {"callbackurl": "x"}})).send().await;
    assert_eq!(r.err(StatusCode::BAD_REQUEST, "unknown_field").json["field"], "settings.callbackurl");
    let r = api
        .post("/api/v1/inboxes", json!({"kind": "api", "name": "X", "settings": {"callback_url": "ftp://x"}}))
        .send()
        .await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "settings.callback_url");
    let r =
        api.post("/api/v1/teams", json!({})).send().await.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "name");
    api.req(Method::POST, "/api/v1/teams")
        .raw("{\"name\":\"x\"}", None)
        .send()
        .await
        .err(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    api.req(Method::POST, "/api/v1/teams")
        .raw("{\"name\":\"x\"}", Some("text/plain"))
        .send()
        .await
        .err(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn bad_ids_cursors_limits_and_enum_values() {
    let api = TestApi::new().await;
    let (conv, _) = api.conversation().await;
    let r = api.get("/api/v1/conversations/not-a-uuid").send().await.err(StatusCode::BAD_REQUEST, "invalid_id");
    assert_eq!(r.json["field"], "id");
    api.get("/api/v1/contacts/123/notes").send().await.err(StatusCode::BAD_REQUEST, "invalid_id");
    let r = api
        .get("/api/v1/conversations?cursor=garbage")
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "cursor");
    let r =
        api.get("/api/v1/contacts?limit=1000").send().await.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "limit");
    let r =
        api.get("/api/v1/contacts?limit=many").send().await.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "limit");
    let r = api
        .get("/api/v1/conversations?status=closed")
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "status");
    let r = api
        .get("/api/v1/conversations?assignee=someone")
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "assignee");
    api.get("/api/v1/conversations?colour=red").send().await.err(StatusCode::BAD_REQUEST, "unknown_field");
    let r = api.post(&format!("/api/v1/conversations/{conv}/status"), json!({"status": "closed"})).send().await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "status");
    let r = api.post(&format!("/api/v1/conversations/{conv}/assign"), json!({"user_id": "bob"})).send().await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "user_id");
    let r =
        api.put(&format!("/api/v1/conversations/{conv}/labels"), json!({"labels": ["no spaces allowed"]})).send().await;
    r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.post(&format!("/api/v1/conversations/{conv}/reply"), json!({"text": "  "}))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let missing = uuid::Uuid::now_v7();
    api.get(&format!("/api/v1/conversations/{missing}")).send().await.err(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let api = TestApi::with(Options {
        web: WebConfig { max_body_bytes: 4096, ..WebConfig::default() },
        ..Options::default()
    })
    .await;
    let big = json!({"name": "x".repeat(10_000)});
    api.post("/api/v1/contacts", big).send().await.err(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Under the limit is fine.
    api.post("/api/v1/contacts", json!({"name": "x".repeat(100)})).send().await.ok(StatusCode::CREATED);
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json() {
    let api = TestApi::new().await;
    api.get("/api/v1/nothing-here").send().await.err(StatusCode::NOT_FOUND, "not_found");
    api.get("/robots.txt").anon().send().await.err(StatusCode::NOT_FOUND, "not_found");
    api.delete("/api/v1/workspace").send().await.err(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let ok = api.get("/healthz").anon().send().await.ok(StatusCode::OK);
    assert_eq!(ok.json["status"], "ok");
}

#[tokio::test]
async fn request_ids_are_taken_when_sane_and_made_otherwise() {
    let api = TestApi::new().await;
    let r = api
        .get("/api/v1/nothing")
        .header("x-request-id", "abc-123")
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(r.json["request_id"], "abc-123");
    let r = api
        .get("/api/v1/nothing")
        .header("x-request-id", "evil id\twith spaces")
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
    assert_ne!(r.json["request_id"], "evil id\twith spaces");
    let ok = api.get("/api/v1/me").send().await.ok(StatusCode::OK);
    assert!(ok.headers.get("x-request-id").is_some(), "successes carry the id too");
}
