//! The rules API: the ordered list, create / read / replace / delete, access rules and bad
//! input.

use crate::harness::{PASSWORD, TestApi};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn rules_are_listed_in_order_and_changed_by_admins() {
    let api = TestApi::new().await;
    let (_, kai_token) = api.member("kai@example.com", "agent").await;
    let body = json!({
        "name": "Refunds are urgent",
        "trigger": "conversation_created",
        "conditions": [{"type": "text_matches", "pattern": "*refund*"}],
        "actions": [{"type": "set_priority", "priority": "urgent"}, {"type": "add_label", "label": "Refund"}]
    });
    api.post("/api/v1/rules", body.clone()).bearer(&kai_token).send().await.err(StatusCode::FORBIDDEN, "forbidden");
    let r = api.post("/api/v1/rules", body.clone()).send().await.ok(StatusCode::CREATED);
    let id = r.str("id");
    assert_eq!((r.json["enabled"].as_bool(), r.json["position"].as_i64()), (Some(true), Some(0)));
    assert_eq!(r.json["actions"][1], json!({"type": "add_label", "label": "refund"}), "labels normalised");
    let second = api
        .post(
            "/api/v1/rules",
            json!({"name": "Later", "trigger": "message_received", "actions": [{"type": "resolve"}]}),
        )
        .send()
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(second.json["position"], 1);
    let list = api.get("/api/v1/rules").bearer(&kai_token).send().await.ok(StatusCode::OK).items();
    assert_eq!(
        list.iter().map(|r| r["name"].as_str().unwrap()).collect::<Vec<_>>(),
        vec!["Refunds are urgent", "Later"]
    );

    let mut moved = body.clone();
    moved["position"] = json!(5);
    moved["enabled"] = json!(false);
    let r = api.put(&format!("/api/v1/rules/{id}"), moved).send().await.ok(StatusCode::OK);
    assert_eq!((r.json["position"].as_i64(), r.json["enabled"].as_bool()), (Some(5), Some(false)));
    let list = api.get("/api/v1/rules").send().await.ok(StatusCode::OK).items();
    assert_eq!(list[0]["name"], "Later");
    api.get(&format!("/api/v1/rules/{id}")).send().await.ok(StatusCode::OK);
    api.delete(&format!("/api/v1/rules/{id}")).bearer(&kai_token).send().await.err(StatusCode::FORBIDDEN, "forbidden");
    api.delete(&format!("/api/v1/rules/{id}")).send().await.ok(StatusCode::NO_CONTENT);
    api.get(&format!("/api/v1/rules/{id}")).send().await.err(StatusCode::NOT_FOUND, "not_found");
    api.get("/api/v1/rules/x").send().await.err(StatusCode::BAD_REQUEST, "invalid_id");

    let other_id = second.str("id");
    api.app.create_workspace("Other Co", "boss@other.example", "Boss", PASSWORD).await.unwrap();
    let login = api.app.login("boss@other.example", PASSWORD).await.unwrap();
    let other = api.app.create_token(&login.actor, "t").await.unwrap().secret;
    api.get(&format!("/api/v1/rules/{other_id}")).bearer(&other).send().await.err(StatusCode::NOT_FOUND, "not_found");
    api.put(&format!("/api/v1/rules/{other_id}"), body)
        .bearer(&other)
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
    api.delete(&format!("/api/v1/rules/{other_id}"))
        .bearer(&other)
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn bad_rules_are_refused_naming_the_field() {
    let api = TestApi::new().await;
    let base = |actions: serde_json::Value| json!({"name": "R", "trigger": "message_received", "actions": actions});
    for (body, field) in [
        (base(json!([])), "actions"),
        (json!({"name": " ", "trigger": "message_received", "actions": [{"type": "resolve"}]}), "name"),
        (base(json!([{"type": "snooze", "minutes": 0}])), "actions[0].minutes"),
        (base(json!([{"type": "call_webhook", "url": "ftp://x"}])), "actions[0].url"),
        (base(json!([{"type": "assign_agent", "user_id": uuid::Uuid::now_v7()}])), "actions[0].user_id"),
        (base(json!([{"type": "assign_team", "team_id": uuid::Uuid::now_v7()}])), "actions[0].team_id"),
    ] {
        let r = api.post("/api/v1/rules", body.clone()).send().await;
        assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], field, "{body}");
    }
    let r = api
        .post("/api/v1/rules", json!({"name": "R", "trigger": "sometimes", "actions": [{"type": "resolve"}]}))
        .send()
        .await;
    assert!(r.status.is_client_error());
    let r = api.post("/api/v1/rules", base(json!([{"type": "explode"}]))).send().await;
    assert!(r.status.is_client_error());
    api.post(
        "/api/v1/rules",
        json!({"name": "R", "trigger": "message_received", "actions": [{"type": "resolve"}], "when": 1}),
    )
    .send()
    .await
    .err(StatusCode::BAD_REQUEST, "unknown_field");
}
