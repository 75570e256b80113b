//! The SLA API: policies (default, create, change, delete) with access rules and bad input,
//! and a conversation's clocks in its own endpoint and in conversation responses.

use crate::harness::{PASSWORD, TestApi};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_default_policy_applies_and_clocks_show_in_conversations() {
    let api = TestApi::new().await;
    let (conv, _) = api.conversation().await;
    let list = api.get("/api/v1/sla/policies").send().await.ok(StatusCode::OK).items();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0]["name"].as_str(), list[0]["default"].as_bool()), (Some("Standard"), Some(true)));
    assert_eq!(list[0]["calendar"], json!({"kind": "always"}));
    assert_eq!(list[0]["warn_at"], 0.75);
    let widget = list[0]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["channel"] == "widget" && t["priority"].is_null())
        .unwrap()
        .clone();
    assert_eq!(widget["first_response_minutes"], 2);

    let sla = api.get(&format!("/api/v1/conversations/{conv}/sla")).send().await.ok(StatusCode::OK);
    let clocks = sla.json["clocks"].as_array().unwrap();
    assert_eq!(clocks[0]["kind"], "first_response");
    assert_eq!(clocks[0]["state"], "running");
    assert_eq!(clocks[0]["target_ms"], 15 * 60_000);
    assert!(clocks[0]["due_at"].is_i64());
    let c = api.get(&format!("/api/v1/conversations/{conv}")).send().await.ok(StatusCode::OK);
    assert_eq!(c.json["sla"]["kind"], "first_response", "{}", c.json);
    let rows = api.get("/api/v1/conversations").send().await.ok(StatusCode::OK).items();
    assert_eq!(rows[0]["sla"]["state"], "running");
    api.get("/api/v1/conversations/nope/sla").send().await.err(StatusCode::BAD_REQUEST, "invalid_id");

    // The agent UI shows the time left in the list and on the conversation.
    let cookie = api.session(crate::harness::OWNER_EMAIL).await;
    let list = api.get("/inbox?view=all").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(list.contains(r#"data-sla="running""#) && list.contains("First response in 1"), "{list}");
    let page = api.get(&format!("/conversations/{conv}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="sla-badge""#), "{page}");
}

#[tokio::test]
async fn policies_are_changed_by_admins_with_checked_input() {
    let api = TestApi::new().await;
    let (_, kai_token) = api.member("kai@example.com", "agent").await;
    let body = json!({
        "name": "Business hours",
        "targets": [{"channel": "email", "first_response_minutes": 120}],
        "calendar": {"kind": "weekly", "time_zone": "Europe/Tallinn", "week": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]}, "holidays": ["2026-12-24"]},
        "warn_at": 0.5
    });
    api.post("/api/v1/sla/policies", body.clone())
        .bearer(&kai_token)
        .send()
        .await
        .err(StatusCode::FORBIDDEN, "forbidden");
    let p = api.post("/api/v1/sla/policies", body).send().await.ok(StatusCode::CREATED);
    let id = p.str("id");
    assert_eq!(
        (p.json["default"].as_bool(), p.json["calendar"]["time_zone"].as_str()),
        (Some(false), Some("Europe/Tallinn"))
    );
    let p = api
        .patch(&format!("/api/v1/sla/policies/{id}"), json!({"default": true, "warn_at": 0.8}))
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(
        (p.json["default"].as_bool(), p.json["warn_at"].as_f64(), p.json["name"].as_str()),
        (Some(true), Some(0.8), Some("Business hours"))
    );
    api.get(&format!("/api/v1/sla/policies/{id}")).bearer(&kai_token).send().await.ok(StatusCode::OK);
    api.delete(&format!("/api/v1/sla/policies/{id}")).send().await.err(StatusCode::CONFLICT, "conflict");

    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "X", "warn_at": 1.5}), "warn_at"),
        (
            json!({"name": "X", "targets": [{"channel": "email", "resolution_minutes": -1}]}),
            "targets[0].resolution_minutes",
        ),
        (
            json!({"name": "X", "calendar": {"kind": "weekly", "time_zone": "Nowhere/Land", "week": {"mon": ["09:00-17:00"]}}}),
            "calendar.time_zone",
        ),
    ] {
        let r = api.post("/api/v1/sla/policies", body).send().await;
        assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], field);
    }
    let r = api.post("/api/v1/sla/policies", json!({"name": "X", "targets": [{"channel": "fax"}]})).send().await;
    assert!(r.status.is_client_error(), "{}", r.status);
    api.post("/api/v1/sla/policies", json!({"name": "X", "colour": "red"}))
        .send()
        .await
        .err(StatusCode::BAD_REQUEST, "unknown_field");

    let standard = api
        .get("/api/v1/sla/policies")
        .send()
        .await
        .ok(StatusCode::OK)
        .items()
        .into_iter()
        .find(|p| p["name"] == "Standard")
        .unwrap();
    let sid = standard["id"].as_str().unwrap();
    api.patch(&format!("/api/v1/sla/policies/{sid}"), json!({"default": true})).send().await.ok(StatusCode::OK);
    api.delete(&format!("/api/v1/sla/policies/{id}"))
        .bearer(&kai_token)
        .send()
        .await
        .err(StatusCode::FORBIDDEN, "forbidden");
    api.delete(&format!("/api/v1/sla/policies/{id}")).send().await.ok(StatusCode::NO_CONTENT);
    api.get(&format!("/api/v1/sla/policies/{id}")).send().await.err(StatusCode::NOT_FOUND, "not_found");

    // An inbox can follow its own policy; an unknown one is refused.
    let (inbox, _) = api.api_inbox("VIP line").await;
    let r = api
        .patch(&format!("/api/v1/inboxes/{inbox}"), json!({"settings": {"sla_policy_id": uuid::Uuid::now_v7()}}))
        .send()
        .await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "settings.sla_policy_id");
    let r = api.patch(&format!("/api/v1/inboxes/{inbox}"), json!({"settings": {"sla_policy_id": sid}})).send().await;
    assert_eq!(r.ok(StatusCode::OK).json["settings"]["sla_policy_id"], sid);

    // Another workspace sees none of it.
    api.app.create_workspace("Other Co", "boss@other.example", "Boss", PASSWORD).await.unwrap();
    let login = api.app.login("boss@other.example", PASSWORD).await.unwrap();
    let other = api.app.create_token(&login.actor, "t").await.unwrap().secret;
    api.get(&format!("/api/v1/sla/policies/{sid}")).bearer(&other).send().await.err(StatusCode::NOT_FOUND, "not_found");
    api.patch(&format!("/api/v1/sla/policies/{sid}"), json!({"warn_at": 0.5}))
        .bearer(&other)
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
    api.delete(&format!("/api/v1/sla/policies/{sid}"))
        .bearer(&other)
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
    let (conv, _) = api.conversation().await;
    api.get(&format!("/api/v1/conversations/{conv}/sla"))
        .bearer(&other)
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
}
