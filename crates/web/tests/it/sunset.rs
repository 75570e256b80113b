//! Retiring an inbox over the API and in the UI: sunset settings on the inbox, the notice
//! sent once per contact, the report of contacts still writing, access and bad input.

use crate::harness::{OWNER_EMAIL, PASSWORD, TestApi};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_sunset_inbox_notifies_once_and_reports_who_still_writes() {
    let api = TestApi::new().await;
    let (inbox, _) = api.api_inbox("Shop SMS").await;
    let sunset = json!({"date": "2027-03-01", "alternatives": [{"kind": "whatsapp", "label": "WhatsApp", "address": "+372 5555 0100"}]});
    let r = api
        .patch(
            &format!("/api/v1/inboxes/{inbox}"),
            json!({"status": "sunset", "settings": {"callback_url": "http://127.0.0.1:9/hook", "sunset": sunset}}),
        )
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(r.json["settings"]["sunset"]["alternatives"][0]["label"], "WhatsApp");

    let first = api.inbound(&inbox, "m-1", "ana@example.com", "Hello").await.ok(StatusCode::CREATED);
    api.inbound(&inbox, "m-2", "ana@example.com", "Hello again").await.ok(StatusCode::CREATED);
    let conv = first.json["conversation"]["id"].as_str().unwrap().to_string();
    let w = app::Workers::new(api.app.clone());
    for _ in 0..3 {
        w.run_once().await.unwrap();
    }
    let msgs = api.get(&format!("/api/v1/conversations/{conv}/messages")).send().await.ok(StatusCode::OK).items();
    let notices: Vec<_> = msgs
        .iter()
        .filter(|m| m["text"].as_str().is_some_and(|t| t.starts_with("Shop SMS is being retired")))
        .collect();
    assert_eq!(notices.len(), 1, "{msgs:?}");

    let report = api.get(&format!("/api/v1/inboxes/{inbox}/sunset/contacts")).send().await.ok(StatusCode::OK).items();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0]["name"], "ana@example.com");
    assert!(report[0]["noticed_at"].is_i64());
    api.get(&format!("/api/v1/inboxes/{inbox}/sunset/contacts?limit=0"))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // The UI page shows the notice's preview and who still writes.
    let cookie = api.session(OWNER_EMAIL).await;
    let page =
        api.get(&format!("/settings/inboxes/{inbox}/sunset")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="sunset-preview""#) && page.contains("WhatsApp: +372 5555 0100"), "{page}");
    assert!(page.contains("ana@example.com"), "{page}");
    let form = [("date", "2027-04-01"), ("alternatives", "email | E-mail | help@example.com"), ("message", "")];
    let r =
        api.req(Method::POST, &format!("/settings/inboxes/{inbox}/sunset")).form(&form).cookie(&cookie).send().await;
    assert_eq!(r.location(), format!("/settings/inboxes/{inbox}/sunset?saved=1"));
    // Ana writes on another inbox: she has moved, and it shows on her page.
    let (other_inbox, _) = api.api_inbox("New app").await;
    let r = api.inbound(&other_inbox, "m-3", "ana@example.com", "Here now").await.ok(StatusCode::CREATED);
    let contact = r.json["conversation"]["contact_id"].as_str().unwrap().to_string();
    assert!(
        api.get(&format!("/api/v1/inboxes/{inbox}/sunset/contacts")).send().await.ok(StatusCode::OK).items().is_empty()
    );
    let page = api.get(&format!("/contacts/{contact}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="preferred-inbox""#) && page.contains("Prefers New app"), "{page}");
    let bad = [("date", "soon"), ("alternatives", "email | E-mail | help@example.com"), ("message", "")];
    let page = api
        .req(Method::POST, &format!("/settings/inboxes/{inbox}/sunset"))
        .form(&bad)
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(page.contains("is not a date"), "{page}");
    let bad = [("date", ""), ("alternatives", "fax | Fax"), ("message", "")];
    let page = api
        .req(Method::POST, &format!("/settings/inboxes/{inbox}/sunset"))
        .form(&bad)
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(page.contains("write kind | label | address"), "{page}");
}

#[tokio::test]
async fn bad_sunset_settings_and_other_workspaces_are_refused() {
    let api = TestApi::new().await;
    let (inbox, _) = api.api_inbox("Shop SMS").await;
    let r = api
        .patch(
            &format!("/api/v1/inboxes/{inbox}"),
            json!({"status": "sunset", "settings": {"sunset": {"alternatives": []}}}),
        )
        .send()
        .await;
    assert_eq!(
        r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"],
        "settings.sunset.alternatives"
    );
    let r =
        api.patch(&format!("/api/v1/inboxes/{inbox}"), json!({"settings": {"sunset": {"date": "March"}}})).send().await;
    assert_eq!(r.err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").json["field"], "settings.sunset.date");
    api.patch(&format!("/api/v1/inboxes/{inbox}"), json!({"settings": {"sunset": {"when": "soon"}}}))
        .send()
        .await
        .err(StatusCode::BAD_REQUEST, "unknown_field");
    api.get("/api/v1/inboxes/x/sunset/contacts").send().await.err(StatusCode::BAD_REQUEST, "invalid_id");
    let (_, kai_token) = api.member("kai@example.com", "agent").await;
    api.patch(&format!("/api/v1/inboxes/{inbox}"), json!({"status": "sunset"}))
        .bearer(&kai_token)
        .send()
        .await
        .err(StatusCode::FORBIDDEN, "forbidden");
    api.app.create_workspace("Other Co", "boss@other.example", "Boss", PASSWORD).await.unwrap();
    let login = api.app.login("boss@other.example", PASSWORD).await.unwrap();
    let other = api.app.create_token(&login.actor, "t").await.unwrap().secret;
    api.get(&format!("/api/v1/inboxes/{inbox}/sunset/contacts"))
        .bearer(&other)
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
}
