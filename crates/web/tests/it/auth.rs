//! Signing in and out, sessions, passwords, API tokens and the login rate limit.

use crate::harness::{OWNER_EMAIL, Options, PASSWORD, TestApi};
use axum::http::StatusCode;
use chorus_web::WebConfig;
use serde_json::json;

/// The `name=value` of the session cookie a login answer sets.
pub(crate) fn session_cookie(resp: &crate::harness::Resp) -> String {
    let set = resp.headers.get("set-cookie").and_then(|v| v.to_str().ok()).expect("set-cookie").to_string();
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn login_sets_a_session_cookie_that_signs_requests_in_until_logout() {
    let api = TestApi::new().await;
    let r = api
        .post("/api/v1/auth/login", json!({"email": "Owner@Example.com", "password": PASSWORD}))
        .anon()
        .send()
        .await
        .ok(StatusCode::OK);
    let set = r.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(set.starts_with("chorus_session="), "{set}");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"), "{set}");
    assert!(!set.contains("Secure"), "not secure unless configured: {set}");
    assert_eq!(r.json["member"]["email"], OWNER_EMAIL);
    assert_eq!(r.json["member"]["role"], "owner");
    assert!(r.json["expires_at"].as_i64().unwrap() > 0);
    let cookie = session_cookie(&r);

    let me = api.get("/api/v1/me").cookie(&cookie).send().await.ok(StatusCode::OK);
    assert_eq!(me.json["email"], OWNER_EMAIL);
    assert_eq!(me.json["handle"], "owner");

    let out = api
        .req(axum::http::Method::POST, "/api/v1/auth/logout")
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::NO_CONTENT);
    assert!(out.headers.get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
    api.get("/api/v1/me").cookie(&cookie).send().await.err(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let api = TestApi::with(Options {
        web: WebConfig { secure_cookies: true, ..WebConfig::default() },
        ..Options::default()
    })
    .await;
    let r = api
        .post("/api/v1/auth/login", json!({"email": OWNER_EMAIL, "password": PASSWORD}))
        .anon()
        .send()
        .await
        .ok(StatusCode::OK);
    assert!(r.headers.get("set-cookie").unwrap().to_str().unwrap().contains("; Secure"));
}

#[tokio::test]
async fn wrong_password_and_missing_or_bad_credentials_are_401() {
    let api = TestApi::new().await;
    let r = api.post("/api/v1/auth/login", json!({"email": OWNER_EMAIL, "password": "nope"})).anon().send().await;
    r.err(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let r = api.get("/api/v1/me").anon().send().await.err(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(r.json["hint"].as_str().is_some());
    api.get("/api/v1/me").bearer("not-a-token").send().await.err(StatusCode::UNAUTHORIZED, "unauthenticated");
    api.get("/api/v1/me")
        .anon()
        .header("authorization", "Basic abc")
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "unauthenticated");
    api.get("/api/v1/conversations")
        .cookie("chorus_session=forged")
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn login_is_rate_limited_per_email() {
    let api = TestApi::with(Options {
        web: WebConfig { login_attempts_per_minute: 3, ..WebConfig::default() },
        ..Options::default()
    })
    .await;
    for _ in 0..3 {
        api.post("/api/v1/auth/login", json!({"email": OWNER_EMAIL, "password": "wrong"}))
            .anon()
            .send()
            .await
            .err(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    // Even the right password waits now: guessing must not be cheaper than waiting.
    let r = api.post("/api/v1/auth/login", json!({"email": OWNER_EMAIL, "password": PASSWORD})).anon().send().await;
    let r = r.err(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = r.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Another address is not affected.
    api.post("/api/v1/auth/login", json!({"email": "someone@example.com", "password": "x"}))
        .anon()
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "invalid_credentials");
}

#[tokio::test]
async fn password_change_needs_the_current_password() {
    let api = TestApi::new().await;
    let r = api
        .post("/api/v1/me/password", json!({"current_password": "wrong", "new_password": "a brand new secret"}))
        .send()
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.status);
    api.post("/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": "a brand new secret"}))
        .send()
        .await
        .ok(StatusCode::NO_CONTENT);
    api.post("/api/v1/auth/login", json!({"email": OWNER_EMAIL, "password": PASSWORD}))
        .anon()
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "invalid_credentials");
    api.post("/api/v1/auth/login", json!({"email": OWNER_EMAIL, "password": "a brand new secret"}))
        .anon()
        .send()
        .await
        .ok(StatusCode::OK);
}

#[tokio::test]
async fn api_tokens_are_shown_once_listed_and_revoked() {
    let api = TestApi::new().await;
    let created = api.post("/api/v1/me/tokens", json!({"name": "billing sync"})).send().await.ok(StatusCode::CREATED);
    let secret = created.str("secret");
    let id = created.json["token"]["id"].as_str().unwrap().to_string();
    assert_eq!(created.json["token"]["name"], "billing sync");

    api.get("/api/v1/me").bearer(&secret).send().await.ok(StatusCode::OK);
    let list = api.get("/api/v1/me/tokens").send().await.ok(StatusCode::OK);
    let mine = list.items().into_iter().find(|t| t["id"] == id.as_str()).expect("listed");
    assert!(mine.get("secret").is_none(), "secrets are never listed");
    assert!(!list.bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));

    api.delete(&format!("/api/v1/me/tokens/{id}")).send().await.ok(StatusCode::NO_CONTENT);
    api.get("/api/v1/me").bearer(&secret).send().await.err(StatusCode::UNAUTHORIZED, "unauthenticated");
}
