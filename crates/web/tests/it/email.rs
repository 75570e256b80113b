//! The e-mail channel over HTTP: the raw MIME endpoint (token or signature, idempotent on
//! Message-ID, malformed mail kept), e-mail inbox settings through the API (passwords never
//! shown), and how a mail reads in the conversation page.

use crate::harness::{OWNER_EMAIL, TestApi};
use axum::http::{Method, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

async fn email_inbox(api: &TestApi) -> (String, String) {
    let r = api
        .post(
            "/api/v1/inboxes",
            json!({"kind": "email", "name": "Support mail", "settings": {"email": {
                "addresses": ["support@acme.test"], "from_name": "Acme",
                "smtp": {"host": "smtp.acme.test", "port": 587, "security": "starttls", "username": "u", "password": "hunter2"}
            }}}),
        )
        .send()
        .await
        .ok(StatusCode::CREATED);
    (r.str("id"), r.str("secret"))
}

const MAIL: &str = "From: Ana Lima <ana@example.com>\r\nTo: support@acme.test\r\nCc: Bob <bob@example.com>\r\n\
Subject: Parcel\r\nMessage-ID: <mime-1@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nWhere is my parcel?\r\n\r\nOn Sun, Bob wrote:\r\n> old stuff\r\n";

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[tokio::test]
async fn raw_mime_is_received_once_and_kept_even_when_broken() {
    let api = TestApi::new().await;
    let (inbox, secret) = email_inbox(&api).await;
    let uri = format!("/api/v1/inboxes/{inbox}/mime");
    let r = api.req(Method::POST, &uri).raw(MAIL, Some("message/rfc822")).send().await.ok(StatusCode::CREATED);
    let conv = r.json["conversation"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["conversation"]["subject"], "Parcel");
    // The same Message-ID again: the first message, nothing new.
    let again = api.req(Method::POST, &uri).raw(MAIL, Some("message/rfc822")).send().await.ok(StatusCode::OK);
    assert_eq!(again.json["message"]["id"], r.json["message"]["id"]);
    // Signed instead of a token.
    let other = MAIL.replace("mime-1@", "mime-2@");
    api.req(Method::POST, &uri)
        .raw(other.clone(), Some("message/rfc822"))
        .anon()
        .header("x-chorus-signature", &sign(&secret, other.as_bytes()))
        .send()
        .await
        .ok(StatusCode::CREATED);
    api.req(Method::POST, &uri)
        .raw(other.replace("mime-2@", "mime-3@"), Some("message/rfc822"))
        .anon()
        .header("x-chorus-signature", &sign("wrong", b"x"))
        .send()
        .await
        .err(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Broken MIME, no From: kept, with its problems.
    let broken = "Subject: broken\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhalf a mail";
    let b = api.req(Method::POST, &uri).raw(broken, Some("message/rfc822")).send().await.ok(StatusCode::CREATED);
    assert_ne!(b.json["conversation"]["id"], conv.as_str(), "answers nothing: a new conversation");
    // Wrong type, wrong inbox kind, empty body: 4xx naming what is wrong.
    api.req(Method::POST, &uri)
        .raw(MAIL, Some("application/json"))
        .send()
        .await
        .err(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    api.req(Method::POST, &uri)
        .raw("", Some("message/rfc822"))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (api_inbox, _) = api.api_inbox("Shop").await;
    api.req(Method::POST, &format!("/api/v1/inboxes/{api_inbox}/mime"))
        .raw(MAIL, Some("message/rfc822"))
        .send()
        .await
        .err(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn passwords_are_never_shown_and_kept_when_left_out() {
    let api = TestApi::new().await;
    let (inbox, _) = email_inbox(&api).await;
    let r = api.get(&format!("/api/v1/inboxes/{inbox}")).send().await.ok(StatusCode::OK);
    let smtp = &r.json["settings"]["email"]["smtp"];
    assert_eq!((smtp["host"].as_str(), smtp["password"].is_null()), (Some("smtp.acme.test"), true), "{}", r.json);
    assert!(!r.text().contains("hunter2"));
    let mut settings = r.json["settings"].clone();
    settings["email"]["from_name"] = json!("Acme Support");
    api.patch(&format!("/api/v1/inboxes/{inbox}"), json!({"settings": settings})).send().await.ok(StatusCode::OK);
    let stored = api.app.get_inbox(&api.owner, inbox.parse().unwrap()).await.unwrap();
    let email = stored.settings.email.unwrap();
    assert_eq!(email.smtp.unwrap().password.as_deref(), Some("hunter2"), "left out: kept");
    assert_eq!(email.from_name.as_deref(), Some("Acme Support"));
    // An address in use by another inbox is a conflict naming the field.
    let r = api
        .post(
            "/api/v1/inboxes",
            json!({"kind": "email", "name": "Twin", "settings": {"email": {"addresses": ["support@acme.test"]}}}),
        )
        .send()
        .await
        .err(StatusCode::CONFLICT, "conflict");
    assert!(r.json["message"].as_str().unwrap().contains("settings.email.addresses"), "{}", r.json);
    api.post("/api/v1/inboxes", json!({"kind": "email", "name": "None", "settings": {}}))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn a_mail_reads_well_in_the_conversation_page() {
    let api = TestApi::new().await;
    let (inbox, _) = email_inbox(&api).await;
    let r = api
        .req(Method::POST, &format!("/api/v1/inboxes/{inbox}/mime"))
        .raw(MAIL, Some("message/rfc822"))
        .send()
        .await
        .ok(StatusCode::CREATED);
    let conv = r.json["conversation"]["id"].as_str().unwrap().to_string();
    let cookie = api.session(OWNER_EMAIL).await;
    let page = api.get(&format!("/conversations/{conv}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains("Where is my parcel?"));
    assert!(page.contains(r#"<details class="quoted"><summary>Show quoted text</summary>"#), "quoted history folds");
    assert!(page.contains("Cc Bob &#60;bob@example.com&#62;"), "{page}");
    assert!(page.contains(r#"id="reply-all""#), "others were on the mail: reply all is offered");
    assert!(page.contains("message.eml"), "the original can be downloaded");
    // Replying to all copies Bob.
    api.req(Method::POST, &format!("/conversations/{conv}/send"))
        .form(&[("mode", "reply"), ("text", "On its way"), ("reply_all", "on")])
        .cookie(&cookie)
        .htmx(&format!("/conversations/{conv}"))
        .send()
        .await
        .ok(StatusCode::OK);
    let msgs = api.get(&format!("/api/v1/conversations/{conv}/messages")).send().await.ok(StatusCode::OK);
    let last = msgs.items().last().unwrap().clone();
    assert_eq!(last["text"], "On its way");
}

#[tokio::test]
async fn html_mail_is_shown_in_a_frame_that_blocks_remote_images_until_asked() {
    let api = TestApi::new().await;
    let (inbox, _) = email_inbox(&api).await;
    let mail = "From: ana@example.com\r\nTo: support@acme.test\r\nMessage-ID: <html-1@example.com>\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>team</b><img src=\"http://198.51.100.7/track.png\"><script>alert(1)</script></p>";
    let r = api
        .req(Method::POST, &format!("/api/v1/inboxes/{inbox}/mime"))
        .raw(mail, Some("message/rfc822"))
        .send()
        .await
        .ok(StatusCode::CREATED);
    let (conv, msg) = (r.json["conversation"]["id"].as_str().unwrap(), r.json["message"]["id"].as_str().unwrap());
    let cookie = api.session(OWNER_EMAIL).await;
    let page = api.get(&format!("/conversations/{conv}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(&format!(r#"src="/messages/{msg}/html""#)), "{page}");
    assert!(!page.contains("198.51.100.7"), "the page itself never names the remote image");
    let doc = api.get(&format!("/messages/{msg}/html")).cookie(&cookie).send().await.ok(StatusCode::OK);
    let csp = doc.headers["content-security-policy"].to_str().unwrap().to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("img-src 'self' data:") && csp.contains("sandbox"),
        "{csp}"
    );
    assert!(doc.text().contains("<b>team</b>") && !doc.text().contains("<script"), "sanitised HTML");
    let loaded =
        api.get(&format!("/messages/{msg}/html?images=remote")).cookie(&cookie).send().await.ok(StatusCode::OK);
    assert!(loaded.headers["content-security-policy"].to_str().unwrap().contains("img-src * data:"));
    // Another workspace's or a made-up message id: not found.
    api.get(&format!("/messages/{}/html", uuid::Uuid::now_v7())).cookie(&cookie).send().await.ok(StatusCode::NOT_FOUND);
}
