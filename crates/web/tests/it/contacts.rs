//! Contacts: create, read, page, change, identities, merge, notes and their conversations.

use crate::harness::TestApi;
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn contacts_are_created_normalised_read_and_changed() {
    let api = TestApi::new().await;
    let c = api
        .post(
            "/api/v1/contacts",
            json!({"name": "Ana Lima", "company": "Lima Ltd", "attributes": {"plan": "pro"},
                   "identities": [{"kind": "email", "value": "Ana@Example.COM"}, {"kind": "phone", "value": "+372 555-12 34"}]}),
        )
        .send()
        .await
        .ok(StatusCode::CREATED);
    let id = c.str("id");
    assert_eq!(
        c.json["identities"],
        json!([{"kind": "email", "value": "ana@example.com"}, {"kind": "phone", "value": "+3725551234"}])
    );
    assert_eq!(c.json["attributes"]["plan"], "pro");

    let got = api.get(&format!("/api/v1/contacts/{id}")).send().await.ok(StatusCode::OK);
    assert_eq!(got.json["name"], "Ana Lima");

    // Absent stays, null clears, attributes replace.
    let p = api
        .patch(&format!("/api/v1/contacts/{id}"), json!({"company": null, "attributes": {"plan": "team"}}))
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(p.json["name"], "Ana Lima");
    assert_eq!(p.json["company"], serde_json::Value::Null);
    assert_eq!(p.json["attributes"], json!({"plan": "team"}));

    let with = api
        .post(&format!("/api/v1/contacts/{id}/identities"), json!({"kind": "telegram", "value": " 12345 "}))
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(with.json["identities"].as_array().unwrap().len(), 3);
    let without = api
        .req(axum::http::Method::DELETE, &format!("/api/v1/contacts/{id}/identities"))
        .json(json!({"kind": "telegram", "value": "12345"}))
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(without.json["identities"].as_array().unwrap().len(), 2);

    // An identity belongs to one contact in a workspace.
    api.post("/api/v1/contacts", json!({"identities": [{"kind": "email", "value": "ana@example.com"}]}))
        .send()
        .await
        .err(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn invalid_identities_are_refused_naming_the_value() {
    let api = TestApi::new().await;
    let r = api
        .post("/api/v1/contacts", json!({"identities": [{"kind": "email", "value": "not-an-address"}]}))
        .send()
        .await;
    let r = r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(r.json["field"].as_str().unwrap().contains("value"), "{}", r.json);
    api.post("/api/v1/contacts", json!({"identities": [{"kind": "phone", "value": "5551234"}]}))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = api.post("/api/v1/contacts", json!({"identities": [{"kind": "fax", "value": "1"}]})).send().await;
    let r = r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.json["field"], "identities[0].kind");
}

#[tokio::test]
async fn contacts_page_with_a_cursor() {
    let api = TestApi::new().await;
    for i in 0..5 {
        api.post("/api/v1/contacts", json!({"name": format!("C{i}")})).send().await.ok(StatusCode::CREATED);
    }
    let first = api.get("/api/v1/contacts?limit=3").send().await.ok(StatusCode::OK);
    assert_eq!(first.items().len(), 3);
    let cursor = first.str("next_cursor");
    let second = api.get(&format!("/api/v1/contacts?limit=3&cursor={cursor}")).send().await.ok(StatusCode::OK);
    assert_eq!(second.items().len(), 2);
    assert!(second.json["next_cursor"].is_null());
    let mut names: Vec<String> =
        first.items().iter().chain(second.items().iter()).map(|c| c["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(names, vec!["C0", "C1", "C2", "C3", "C4"]);
}

#[tokio::test]
async fn merging_moves_identities_conversations_and_notes() {
    let api = TestApi::new().await;
    let (inbox, _) = api.api_inbox("Shop").await;
    let a = api.inbound(&inbox, "m-a", "ana@example.com", "hello from mail").await.ok(StatusCode::CREATED);
    let b =
        api.inbound(&inbox, "m-b", "ana.lima@example.org", "hello from my other address").await.ok(StatusCode::CREATED);
    let keep = a.json["conversation"]["contact_id"].as_str().unwrap().to_string();
    let merge = b.json["conversation"]["contact_id"].as_str().unwrap().to_string();
    assert_ne!(keep, merge);

    let note = api
        .post(&format!("/api/v1/contacts/{merge}/notes"), json!({"body": "out of office, answer in March"}))
        .send()
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(note.json["body"], "out of office, answer in March");

    let merged =
        api.post(&format!("/api/v1/contacts/{keep}/merge"), json!({"merge_id": merge})).send().await.ok(StatusCode::OK);
    assert_eq!(merged.json["identities"].as_array().unwrap().len(), 2);

    // The merged-away id keeps resolving to the survivor.
    let resolved = api.get(&format!("/api/v1/contacts/{merge}")).send().await.ok(StatusCode::OK);
    assert_eq!(resolved.str("id"), keep);

    let convs = api.get(&format!("/api/v1/contacts/{keep}/conversations")).send().await.ok(StatusCode::OK);
    assert_eq!(convs.items().len(), 2);
    let notes = api.get(&format!("/api/v1/contacts/{keep}/notes")).send().await.ok(StatusCode::OK);
    assert_eq!(notes.items().len(), 1);
}
