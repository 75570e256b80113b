//! The API channel's inbound endpoint: token or signed posts, and one message per provider
//! message id even when the same post arrives twice at once.

use crate::harness::TestApi;
use axum::http::StatusCode;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn body(provider_id: &str) -> Vec<u8> {
    json!({"provider_message_id": provider_id, "from": {"kind": "email", "value": "Ana@Example.com"}, "name": "Ana",
           "subject": "Parcel", "text": "Where is my parcel?", "html": "<p>Where is my <b>parcel</b>?<script>x()</script></p>"})
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn signed_post_is_accepted_and_bad_signatures_refused() {
    let api = TestApi::new().await;
    let (inbox, secret) = api.api_inbox("Shop").await;
    let url = format!("/api/v1/inboxes/{inbox}/messages");
    let b = body("p-1");

    let r = api
        .post(&url, json!({}))
        .anon()
        .raw(b.clone(), Some("application/json"))
        .header("x-chorus-signature", &sign(&secret, &b))
        .send()
        .await;
    let r = r.ok(StatusCode::CREATED);
    assert_eq!(r.json["duplicate"], false);
    assert_eq!(r.json["message"]["direction"], "inbound");
    assert_eq!(r.json["message"]["provider_message_id"], "p-1");
    assert!(!r.json["message"]["html"].as_str().unwrap().contains("script"), "html is sanitised");
    assert_eq!(r.json["conversation"]["subject"], "Parcel");

    let wrong = sign("not the secret", &b);
    api.req(axum::http::Method::POST, &url)
        .anon()
        .raw(b.clone(), Some("application/json"))
        .header("x-chorus-signature", &wrong)
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "unauthenticated");
    api.req(axum::http::Method::POST, &url)
        .anon()
        .raw(b.clone(), Some("application/json"))
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "unauthenticated");
    api.req(axum::http::Method::POST, &url)
        .anon()
        .raw(b.clone(), Some("application/json"))
        .header("x-chorus-signature", "sha256=zz")
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "unauthenticated");
    // A signature over another body does not carry over.
    let other = body("p-2");
    api.req(axum::http::Method::POST, &url)
        .anon()
        .raw(other, Some("application/json"))
        .header("x-chorus-signature", &sign(&secret, &b))
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "unauthenticated");
    // An unknown inbox looks the same as a bad signature.
    let nowhere = format!("/api/v1/inboxes/{}/messages", uuid::Uuid::now_v7());
    api.req(axum::http::Method::POST, &nowhere)
        .anon()
        .raw(b.clone(), Some("application/json"))
        .header("x-chorus-signature", &sign(&secret, &b))
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn the_same_provider_message_id_twice_is_one_message() {
    let api = TestApi::new().await;
    let (inbox, _) = api.api_inbox("Shop").await;
    let first = api.inbound(&inbox, "dup-1", "ana@example.com", "hello").await.ok(StatusCode::CREATED);
    let again = api.inbound(&inbox, "dup-1", "ana@example.com", "hello").await.ok(StatusCode::OK);
    assert_eq!(again.json["duplicate"], true);
    assert_eq!(again.json["message"]["id"], first.json["message"]["id"]);
    let conv = first.json["conversation"]["id"].as_str().unwrap();
    let msgs = api.get(&format!("/api/v1/conversations/{conv}/messages")).send().await.ok(StatusCode::OK);
    assert_eq!(msgs.items().len(), 1);
}

#[tokio::test]
async fn concurrent_duplicates_store_one_message() {
    let api = TestApi::new().await;
    let (inbox, secret) = api.api_inbox("Shop").await;
    let url = format!("/api/v1/inboxes/{inbox}/messages");
    let b = body("race-1");
    let sig = sign(&secret, &b);
    let signed = || {
        api.req(axum::http::Method::POST, &url)
            .anon()
            .raw(b.clone(), Some("application/json"))
            .header("x-chorus-signature", &sig)
            .send()
    };
    let (a, c, d) =
        tokio::join!(signed(), signed(), api.inbound(&inbox, "race-1", "ana@example.com", "Where is my parcel?"));
    let all = [a, c, d];
    let created = all.iter().filter(|r| r.status == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{all:?}");
    assert!(all.iter().all(|r| r.status == StatusCode::CREATED || r.status == StatusCode::OK), "{all:?}");
    let id = &all[0].json["message"]["id"];
    assert!(all.iter().all(|r| &r.json["message"]["id"] == id));
    let conv = all[0].json["conversation"]["id"].as_str().unwrap();
    let msgs = api.get(&format!("/api/v1/conversations/{conv}/messages")).send().await.ok(StatusCode::OK);
    assert_eq!(msgs.items().len(), 1);
}

#[tokio::test]
async fn inbound_checks_its_input() {
    let api = TestApi::new().await;
    let (inbox, _) = api.api_inbox("Shop").await;
    let url = format!("/api/v1/inboxes/{inbox}/messages");
    let r = api
        .post(&url, json!({"provider_message_id": "x", "from": {"kind": "email", "value": "nope"}, "text": "hi"}))
        .send()
        .await;
    let r = r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "from.value");
    let r = api.post(&url, json!({"from": {"kind": "email", "value": "a@example.com"}, "text": "hi"})).send().await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "provider_message_id");
    let email = api
        .post(
            "/api/v1/inboxes",
            json!({"kind": "email", "name": "Mail", "settings": {"email": {"addresses": ["mail@acme.test"]}}}),
        )
        .send()
        .await
        .ok(StatusCode::CREATED)
        .str("id");
    api.inbound(&email, "x", "a@example.com", "hi").await.err(StatusCode::CONFLICT, "conflict");
}
