//! The routing API: presence, capacity, routing settings, assignment policies and the queue,
//! with the access rules (agents cannot administer, other workspaces' ids are not found)
//! and bad input.

use crate::harness::{PASSWORD, TestApi};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn presence_is_set_by_each_member_and_seen_by_the_team() {
    let api = TestApi::new().await;
    let (kai, kai_token) = api.member("kai@example.com", "agent").await;
    let me = api.put("/api/v1/me/presence", json!({"presence": "online"})).bearer(&kai_token).send().await;
    let me = me.ok(StatusCode::OK);
    assert_eq!(
        (me.str("user_id"), me.str("presence"), me.str("chosen")),
        (kai.clone(), "online".into(), "online".into())
    );
    assert_eq!(me.json["max_load"], 5.0);
    api.req(axum::http::Method::POST, "/api/v1/me/activity").bearer(&kai_token).send().await.ok(StatusCode::NO_CONTENT);

    let all = api.get("/api/v1/presence").bearer(&kai_token).send().await.ok(StatusCode::OK).items();
    assert_eq!(all.len(), 2);
    let kai_row = all.iter().find(|a| a["user_id"] == kai.as_str()).unwrap();
    assert_eq!(kai_row["presence"], "online");
    let owner_row = all.iter().find(|a| a["user_id"] != kai.as_str()).unwrap();
    assert_eq!((owner_row["presence"].as_str(), owner_row["last_activity_at"].is_null()), (Some("offline"), true));

    api.put("/api/v1/me/presence", json!({"presence": "busy"}))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.put("/api/v1/me/presence", json!({"presence": "online", "mood": "good"}))
        .send()
        .await
        .err(StatusCode::BAD_REQUEST, "unknown_field");
    api.put("/api/v1/me/presence", json!({})).send().await.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.put("/api/v1/me/presence", json!({"presence": "online"}))
        .anon()
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn capacity_and_settings_are_for_admins_and_checked_by_field() {
    let api = TestApi::new().await;
    let (kai, kai_token) = api.member("kai@example.com", "agent").await;
    let r = api.put(&format!("/api/v1/users/{kai}/capacity"), json!({"max_load": 2.5})).send().await.ok(StatusCode::OK);
    assert_eq!((r.json["max_load"].as_f64(), r.json["own_max_load"].as_f64()), (Some(2.5), Some(2.5)));
    let r =
        api.put(&format!("/api/v1/users/{kai}/capacity"), json!({"max_load": null})).send().await.ok(StatusCode::OK);
    assert!(r.json["own_max_load"].is_null());
    let r = api.put(&format!("/api/v1/users/{kai}/capacity"), json!({"max_load": -1})).send().await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "max_load");
    api.put(&format!("/api/v1/users/{kai}/capacity"), json!({"max_load": 3}))
        .bearer(&kai_token)
        .send()
        .await
        .err(StatusCode::FORBIDDEN, "forbidden");
    api.put("/api/v1/users/nope/capacity", json!({"max_load": 3}))
        .send()
        .await
        .err(StatusCode::BAD_REQUEST, "invalid_id");

    let s = api.get("/api/v1/routing/settings").bearer(&kai_token).send().await.ok(StatusCode::OK);
    assert_eq!(s.json["capacity"]["weights"]["widget"], 1.0);
    assert_eq!(s.json["capacity"]["weights"]["email"], 0.2);
    assert_eq!((s.json["auto_away_minutes"].as_i64(), s.json["requeue_after_minutes"].as_i64()), (Some(15), Some(30)));
    let body = json!({"capacity": {"weights": {"email": 0.25}, "idle_after_minutes": 20}, "auto_away_minutes": null, "requeue_after_minutes": 10});
    let s = api.put("/api/v1/routing/settings", body.clone()).send().await.ok(StatusCode::OK);
    assert_eq!(
        (s.json["capacity"]["weights"]["email"].as_f64(), s.json["capacity"]["weights"]["voice"].as_f64()),
        (Some(0.25), Some(1.0))
    );
    assert!(s.json["auto_away_minutes"].is_null());
    let s = api.get("/api/v1/routing/settings").send().await.ok(StatusCode::OK);
    assert_eq!(s.json["requeue_after_minutes"], 10);
    api.put("/api/v1/routing/settings", body).bearer(&kai_token).send().await.err(StatusCode::FORBIDDEN, "forbidden");
    let r = api.put("/api/v1/routing/settings", json!({"capacity": {"weights": {"email": 11}}})).send().await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "capacity.weights.email");
    let r = api.put("/api/v1/routing/settings", json!({"capacity": {"idle_factor": 2}})).send().await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "capacity.idle_factor");
    api.put("/api/v1/routing/settings", json!({"capacity": {"weights": {"fax": 1}}}))
        .send()
        .await
        .err(StatusCode::BAD_REQUEST, "unknown_field");
}

#[tokio::test]
async fn policies_assign_new_conversations_and_the_queue_shows_the_rest() {
    let api = TestApi::new().await;
    let (inbox, _) = api.api_inbox("Shop API").await;
    let team = api.post("/api/v1/teams", json!({"name": "Billing"})).send().await.ok(StatusCode::CREATED).str("id");
    let (_, kai_token) = api.member("kai@example.com", "agent").await;

    let list = api.get("/api/v1/routing/policies").send().await.ok(StatusCode::OK).items();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|p| p["policy"] == "manual"));
    let p = api.put(&format!("/api/v1/inboxes/{inbox}/assignment"), json!({"policy": "balanced"})).send().await;
    let p = p.ok(StatusCode::OK);
    assert_eq!((p.json["queue"]["scope"].as_str(), p.json["policy"].as_str()), (Some("inbox"), Some("balanced")));
    let p = api.put(&format!("/api/v1/teams/{team}/assignment"), json!({"policy": "round_robin"})).send().await;
    assert_eq!(p.ok(StatusCode::OK).json["queue"]["id"], team.as_str());
    api.put(&format!("/api/v1/inboxes/{inbox}/assignment"), json!({"policy": "random"}))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.put(&format!("/api/v1/inboxes/{inbox}/assignment"), json!({"policy": "manual"}))
        .bearer(&kai_token)
        .send()
        .await
        .err(StatusCode::FORBIDDEN, "forbidden");

    // Nobody online: the conversation waits, first in its queue, with no estimate.
    let r = api.inbound(&inbox, "m-1", "ana@example.com", "Hello?").await.ok(StatusCode::CREATED);
    let conv = r.json["conversation"]["id"].as_str().unwrap().to_string();
    let place =
        api.get(&format!("/api/v1/conversations/{conv}/queue")).bearer(&kai_token).send().await.ok(StatusCode::OK);
    assert_eq!((place.json["waiting"].as_bool(), place.json["position"].as_i64()), (Some(true), Some(1)));
    assert_eq!((place.json["ahead"].as_i64(), place.json["samples"].as_i64()), (Some(0), Some(0)));
    assert!(place.json["estimate"].is_null());
    assert_eq!(place.json["queue"]["scope"], "inbox");

    let q = api.get("/api/v1/queue").bearer(&kai_token).send().await.ok(StatusCode::OK);
    assert_eq!(q.json["items"][0]["conversation_id"], conv.as_str());
    assert_eq!(q.json["items"][0]["position"], 1);
    assert_eq!(q.json["queues"][0]["name"], "Shop API");
    assert_eq!(q.json["queues"][0]["waiting"], 1);
    assert_eq!(q.json["agents"].as_array().unwrap().len(), 2);
    let q = api.get(&format!("/api/v1/queue?team_id={team}")).send().await.ok(StatusCode::OK);
    assert_eq!((q.json["items"].as_array().unwrap().len(), q.json["queues"][0]["waiting"].as_i64()), (0, Some(0)));
    api.get(&format!("/api/v1/queue?team_id={team}&inbox_id={inbox}"))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.get("/api/v1/queue?limit=0").send().await.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = api.get("/api/v1/queue?inbox_id=x").send().await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "inbox_id");
    api.get("/api/v1/queue?sort=x").send().await.err(StatusCode::BAD_REQUEST, "unknown_field");

    // Kai comes online: the routing job gives them the waiting conversation.
    api.put("/api/v1/me/presence", json!({"presence": "online"})).bearer(&kai_token).send().await.ok(StatusCode::OK);
    app::Workers::new(api.app.clone()).run_once().await.unwrap();
    let c = api.get(&format!("/api/v1/conversations/{conv}")).send().await.ok(StatusCode::OK);
    assert!(c.json["assignee_id"].is_string(), "{}", c.json);
    let place = api.get(&format!("/api/v1/conversations/{conv}/queue")).send().await.ok(StatusCode::OK);
    assert_eq!((place.json["waiting"].as_bool(), place.json["position"].is_null()), (Some(false), true));
}

#[tokio::test]
async fn another_workspaces_queues_and_members_are_not_found() {
    let api = TestApi::new().await;
    let (conv, inbox) = api.conversation().await;
    let team = api.post("/api/v1/teams", json!({"name": "Billing"})).send().await.ok(StatusCode::CREATED).str("id");
    let (kai, _) = api.member("kai@example.com", "agent").await;
    api.app.create_workspace("Other Co", "boss@other.example", "Boss", PASSWORD).await.unwrap();
    let login = api.app.login("boss@other.example", PASSWORD).await.unwrap();
    let other = api.app.create_token(&login.actor, "t").await.unwrap().secret;
    for r in [
        api.put(&format!("/api/v1/inboxes/{inbox}/assignment"), json!({"policy": "balanced"})),
        api.put(&format!("/api/v1/teams/{team}/assignment"), json!({"policy": "balanced"})),
        api.put(&format!("/api/v1/users/{kai}/capacity"), json!({"max_load": 3})),
        api.get(&format!("/api/v1/conversations/{conv}/queue")),
        api.get(&format!("/api/v1/queue?inbox_id={inbox}")),
        api.get(&format!("/api/v1/queue?team_id={team}")),
    ] {
        r.bearer(&other).send().await.err(StatusCode::NOT_FOUND, "not_found");
    }
    let theirs = api.get("/api/v1/presence").bearer(&other).send().await.ok(StatusCode::OK).items();
    assert_eq!(theirs.len(), 1, "only their own members");
}
