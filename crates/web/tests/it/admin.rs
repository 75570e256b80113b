//! The workspace, members, teams and inboxes, and what agents may not do.

use crate::harness::TestApi;
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn workspace_can_be_read_and_renamed() {
    let api = TestApi::new().await;
    let ws = api.get("/api/v1/workspace").send().await.ok(StatusCode::OK);
    assert_eq!(ws.json["name"], "Acme Support");
    let ws = api.patch("/api/v1/workspace", json!({"name": "Acme Help"})).send().await.ok(StatusCode::OK);
    assert_eq!(ws.json["name"], "Acme Help");
    api.patch("/api/v1/workspace", json!({"name": "  "}))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn members_are_added_listed_changed_and_deactivated() {
    let api = TestApi::new().await;
    let m = api
        .post(
            "/api/v1/users",
            json!({"email": "Kai@Example.com", "name": "Kai", "password": "long enough pw", "role": "agent"}),
        )
        .send()
        .await
        .ok(StatusCode::CREATED);
    let id = m.str("id");
    assert_eq!(m.json["email"], "kai@example.com");
    assert_eq!(m.json["role"], "agent");
    assert_eq!(m.json["active"], true);

    // Kai signs in; what the server remembers of a session or membership between calls
    // must follow every change below at once.
    let login = json!({"email": "kai@example.com", "password": "long enough pw"});
    let r = api.post("/api/v1/auth/login", login).anon().send().await.ok(StatusCode::OK);
    let kai = crate::auth::session_cookie(&r);
    let me = api.get("/api/v1/me").cookie(&kai).send().await.ok(StatusCode::OK);
    assert_eq!(me.json["role"], "agent");

    let list = api.get("/api/v1/users").send().await.ok(StatusCode::OK);
    assert_eq!(list.items().len(), 2);
    api.get(&format!("/api/v1/users/{id}")).send().await.ok(StatusCode::OK);

    let m = api.patch(&format!("/api/v1/users/{id}"), json!({"role": "admin"})).send().await.ok(StatusCode::OK);
    assert_eq!(m.json["role"], "admin");
    let me = api.get("/api/v1/me").cookie(&kai).send().await.ok(StatusCode::OK);
    assert_eq!(me.json["role"], "admin", "a role change applies to the next call");
    let m = api.patch(&format!("/api/v1/users/{id}"), json!({"active": false})).send().await.ok(StatusCode::OK);
    assert_eq!(m.json["active"], false);
    api.get("/api/v1/me").cookie(&kai).send().await.err(StatusCode::UNAUTHORIZED, "unauthenticated");

    api.post(
        "/api/v1/users",
        json!({"email": "kai@example.com", "name": "Kai 2", "password": "long enough pw", "role": "agent"}),
    )
    .send()
    .await
    .err(StatusCode::CONFLICT, "conflict");
    api.post("/api/v1/users", json!({"email": "nope", "name": "X", "password": "long enough pw", "role": "agent"}))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = api
        .post(
            "/api/v1/users",
            json!({"email": "x@example.com", "name": "X", "password": "long enough pw", "role": "boss"}),
        )
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "role");
}

#[tokio::test]
async fn teams_have_a_full_lifecycle() {
    let api = TestApi::new().await;
    let (kai, _) = api.member("kai@example.com", "agent").await;
    let t =
        api.post("/api/v1/teams", json!({"name": "Billing", "member_ids": [kai]})).send().await.ok(StatusCode::CREATED);
    let id = t.str("id");
    assert_eq!(t.json["member_ids"], json!([kai]));
    assert_eq!(api.get("/api/v1/teams").send().await.ok(StatusCode::OK).items().len(), 1);
    api.get(&format!("/api/v1/teams/{id}")).send().await.ok(StatusCode::OK);
    let t = api
        .patch(&format!("/api/v1/teams/{id}"), json!({"name": "Payments", "member_ids": []}))
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(t.json["name"], "Payments");
    assert_eq!(t.json["member_ids"], json!([]));
    api.post("/api/v1/teams", json!({"name": "Payments"})).send().await.err(StatusCode::CONFLICT, "conflict");
    api.delete(&format!("/api/v1/teams/{id}")).send().await.ok(StatusCode::NO_CONTENT);
    api.get(&format!("/api/v1/teams/{id}")).send().await.err(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn inboxes_show_their_secret_to_admins_only() {
    let api = TestApi::new().await;
    let created = api
        .post(
            "/api/v1/inboxes",
            json!({"kind": "api", "name": "Shop", "settings": {"callback_url": "https://shop.example.com/hook"}}),
        )
        .send()
        .await
        .ok(StatusCode::CREATED);
    let id = created.str("id");
    assert!(created.str("secret").len() >= 16);
    assert_eq!(created.json["status"], "active");
    assert_eq!(created.json["settings"]["callback_url"], "https://shop.example.com/hook");
    assert!(created.json["settings"]["reopen_window_minutes"].as_i64().is_some());

    let patched = api
        .patch(
            &format!("/api/v1/inboxes/{id}"),
            json!({"name": "Shop API", "status": "sunset", "settings": {"reopen_window_minutes": 0}}),
        )
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(patched.json["name"], "Shop API");
    assert_eq!(patched.json["status"], "sunset");
    assert_eq!(patched.json["settings"]["reopen_window_minutes"], 0);

    let (_, agent) = api.member("kai@example.com", "agent").await;
    let seen = api.get(&format!("/api/v1/inboxes/{id}")).bearer(&agent).send().await.ok(StatusCode::OK);
    assert!(seen.json.get("secret").is_none());
    let listed = api.get("/api/v1/inboxes").bearer(&agent).send().await.ok(StatusCode::OK);
    assert!(listed.items()[0].get("secret").is_none());
    assert!(api.get("/api/v1/inboxes").send().await.ok(StatusCode::OK).items()[0].get("secret").is_some());
}

#[tokio::test]
async fn agents_cannot_administer() {
    let api = TestApi::new().await;
    let (_, agent) = api.member("kai@example.com", "agent").await;
    let r = api.post("/api/v1/inboxes", json!({"kind": "api", "name": "Mine"})).bearer(&agent).send().await;
    r.err(StatusCode::FORBIDDEN, "forbidden");
    api.post("/api/v1/teams", json!({"name": "Mine"}))
        .bearer(&agent)
        .send()
        .await
        .err(StatusCode::FORBIDDEN, "forbidden");
    api.post(
        "/api/v1/users",
        json!({"email": "x@example.com", "name": "X", "password": "long enough pw", "role": "admin"}),
    )
    .bearer(&agent)
    .send()
    .await
    .err(StatusCode::FORBIDDEN, "forbidden");
    api.patch("/api/v1/workspace", json!({"name": "Mine"}))
        .bearer(&agent)
        .send()
        .await
        .err(StatusCode::FORBIDDEN, "forbidden");
    // Reading is fine.
    api.get("/api/v1/users").bearer(&agent).send().await.ok(StatusCode::OK);
    api.get("/api/v1/teams").bearer(&agent).send().await.ok(StatusCode::OK);
}
