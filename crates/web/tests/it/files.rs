//! Attachments: upload, download as a non-sniffable attachment, size limit, and use in replies.

use crate::harness::{Options, TestApi};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn upload_download_and_attach_to_a_reply() {
    let api = TestApi::new().await;
    let up = api
        .req(Method::POST, "/api/v1/attachments?filename=r%C3%A9sum%C3%A9%20v2.pdf")
        .raw(&b"%PDF-1.4 fake"[..], Some("application/pdf"))
        .send()
        .await;
    let up = up.ok(StatusCode::CREATED);
    assert_eq!(up.json["filename"], "résumé v2.pdf");
    assert_eq!(up.json["content_type"], "application/pdf");
    assert_eq!(up.json["size"], 13);
    let id = up.str("id");

    let down = api.get(&format!("/api/v1/attachments/{id}")).send().await.ok(StatusCode::OK);
    assert_eq!(down.bytes, b"%PDF-1.4 fake");
    assert_eq!(down.headers["content-type"], "application/pdf");
    assert_eq!(down.headers["x-content-type-options"], "nosniff");
    let disposition = down.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("UTF-8''r%C3%A9sum%C3%A9%20v2.pdf"),
        "{disposition}"
    );

    let (conv, _) = api.conversation().await;
    let reply = api
        .post(&format!("/api/v1/conversations/{conv}/reply"), json!({"text": "Here it is", "attachment_ids": [id]}))
        .send()
        .await
        .ok(StatusCode::CREATED);
    assert_eq!(reply.json["attachments"][0]["id"], id.as_str());

    api.req(Method::POST, "/api/v1/attachments")
        .raw("x", Some("text/plain"))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.req(Method::POST, "/api/v1/attachments?filename=a")
        .raw("x", Some("not a type"))
        .send()
        .await
        .err(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn uploads_over_the_attachment_limit_are_413() {
    let api = TestApi::with(Options { attachment_max_bytes: 2048, ..Options::default() }).await;
    api.req(Method::POST, "/api/v1/attachments?filename=big.bin")
        .raw(vec![7u8; 4096], Some("application/octet-stream"))
        .send()
        .await
        .err(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    api.req(Method::POST, "/api/v1/attachments?filename=ok.bin")
        .raw(vec![7u8; 1024], None)
        .send()
        .await
        .ok(StatusCode::CREATED);
}

#[tokio::test]
async fn uploads_may_exceed_the_json_limit_up_to_the_attachment_limit() {
    let api = TestApi::with(Options {
        web: chorus_web::WebConfig { max_body_bytes: 1024, ..Default::default() },
        attachment_max_bytes: 64 * 1024,
    })
    .await;
    api.req(Method::POST, "/api/v1/attachments?filename=mid.bin")
        .raw(vec![1u8; 32 * 1024], None)
        .send()
        .await
        .ok(StatusCode::CREATED);
}
