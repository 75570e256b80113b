//! Inboxes (admins manage them; every member may read them, without the secret), the API
//! channel's inbound endpoint, and the e-mail channel's raw MIME endpoint for providers that
//! forward inbound mail by webhook; integrations call both with a token or a signed body.

use crate::Shared;
use crate::auth::{Auth, MaybeAuth};
use crate::dto::{CreateInboxRequest, InboundRequest, InboundResponse, InboxDto, InboxList, UpdateInboxRequest};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{JsonBody, PathId, body_rejection, parse_json, require_json};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use domain::{ChannelKind, Identity, InboxId};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The header carrying the signature of an inbound post.
pub const SIGNATURE_HEADER: &str = "x-chorus-signature";

pub(crate) fn routes(upload_limit: usize) -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_inboxes, create_inbox))
        .routes(routes!(get_inbox, update_inbox))
        .routes(routes!(post_inbound))
        // A forwarded mail is as large as the files it carries.
        .merge(OpenApiRouter::new().routes(routes!(post_mime)).layer(DefaultBodyLimit::max(upload_limit)))
}

/// The workspace's inboxes.
#[utoipa::path(get, path = "/api/v1/inboxes", tag = "inboxes", responses((status = 200, description = "Inboxes", body = InboxList)))]
async fn list_inboxes(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<Json<InboxList>> {
    let inboxes = s.app.list_inboxes(&actor).await?;
    let items: Vec<InboxDto> = inboxes.into_iter().map(|i| InboxDto::for_viewer(i, &actor)).collect();
    Ok(Json(InboxList::all(items)))
}

/// Create an inbox (admins).
#[utoipa::path(post, path = "/api/v1/inboxes", tag = "inboxes", request_body = CreateInboxRequest,
    responses((status = 201, description = "Created", body = InboxDto)))]
async fn create_inbox(
    State(s): State<Shared>,
    Auth(actor): Auth,
    JsonBody(req): JsonBody<CreateInboxRequest>,
) -> ApiResult<(StatusCode, Json<InboxDto>)> {
    let input = app::InboxInput { kind: req.kind, name: req.name, settings: req.settings.into() };
    let inbox = s.app.create_inbox(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(InboxDto::for_viewer(inbox, &actor))))
}

/// One inbox.
#[utoipa::path(get, path = "/api/v1/inboxes/{id}", tag = "inboxes", params(("id" = String, Path, description = "The inbox's id")),
    responses((status = 200, description = "The inbox", body = InboxDto)))]
async fn get_inbox(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<InboxId>,
) -> ApiResult<Json<InboxDto>> {
    Ok(Json(InboxDto::for_viewer(s.app.get_inbox(&actor, id).await?, &actor)))
}

/// Rename an inbox, replace its settings or change its status (admins).
#[utoipa::path(patch, path = "/api/v1/inboxes/{id}", tag = "inboxes", params(("id" = String, Path, description = "The inbox's id")),
    request_body = UpdateInboxRequest, responses((status = 200, description = "Changed", body = InboxDto)))]
async fn update_inbox(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<InboxId>,
    JsonBody(req): JsonBody<UpdateInboxRequest>,
) -> ApiResult<Json<InboxDto>> {
    let patch = app::InboxPatch { name: req.name, settings: req.settings.map(Into::into), status: req.status };
    Ok(Json(InboxDto::for_viewer(s.app.update_inbox(&actor, id, patch).await?, &actor)))
}

/// Post a customer message to an API inbox. Authenticate with a token or session of the
/// inbox's workspace, or sign the raw body: `X-Chorus-Signature: sha256=<hex HMAC-SHA256 of
/// the body keyed with the inbox secret>`. Posting a provider message id again answers 200
/// with the message stored the first time.
#[utoipa::path(post, path = "/api/v1/inboxes/{id}/messages", tag = "inboxes",
    params(("id" = String, Path, description = "The inbox's id"),
           ("X-Chorus-Signature" = Option<String>, Header, description = "`sha256=<hex>`, required without a token or session")),
    request_body = InboundRequest, security((), ("bearer" = []), ("session" = [])),
    responses((status = 201, description = "Stored", body = InboundResponse),
              (status = 200, description = "Already stored under this provider message id", body = InboundResponse)))]
async fn post_inbound(
    State(s): State<Shared>,
    MaybeAuth(actor): MaybeAuth,
    PathId(id): PathId<InboxId>,
    req: Request,
) -> ApiResult<(StatusCode, Json<InboundResponse>)> {
    let headers = req.headers().clone();
    require_json(&headers)?;
    let body = Bytes::from_request(req, &s).await.map_err(body_rejection)?;
    let inbox = authorised_inbox(&s, actor, id, &headers, &body).await?;
    if inbox.kind != ChannelKind::Api {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("inbox {id} is a {} inbox; only API inboxes take posted messages", inbox.kind),
        )
        .with_field("id"));
    }
    let req: InboundRequest = parse_json(&body)?;
    let from = Identity::parse(req.from.kind, &req.from.value).map_err(|e| e.in_field("from.value"))?;
    let inbound = app::Inbound {
        inbox_id: inbox.id,
        provider_message_id: Some(req.provider_message_id),
        from,
        name: req.name,
        subject: req.subject,
        text: req.text,
        html: req.html,
        attachments: req.attachment_ids,
        routing: Default::default(),
    };
    let outcome = s.app.receive_inbound(inbox.workspace_id, inbound).await?;
    let status = if outcome.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(outcome.into())))
}

/// Post one inbound mail as raw MIME (RFC 5322 bytes, `Content-Type: message/rfc822`) to an
/// e-mail inbox, as providers that forward inbound mail by webhook do. Authenticate like
/// `POST /inboxes/{id}/messages`. The mail is kept even when it is malformed (its problems
/// are recorded beside it); posting the same Message-ID again answers 200 with the message
/// stored the first time.
#[utoipa::path(post, path = "/api/v1/inboxes/{id}/mime", tag = "inboxes",
    params(("id" = String, Path, description = "The inbox's id"),
           ("X-Chorus-Signature" = Option<String>, Header, description = "`sha256=<hex>`, required without a token or session")),
    request_body(content = Vec<u8>, content_type = "message/rfc822", description = "The mail as received"),
    security((), ("bearer" = []), ("session" = [])),
    responses((status = 201, description = "Stored", body = InboundResponse),
              (status = 200, description = "Already stored under this Message-ID", body = InboundResponse)))]
async fn post_mime(
    State(s): State<Shared>,
    MaybeAuth(actor): MaybeAuth,
    PathId(id): PathId<InboxId>,
    req: Request,
) -> ApiResult<(StatusCode, Json<InboundResponse>)> {
    let headers = req.headers().clone();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(essence.as_str(), "message/rfc822" | "application/octet-stream" | "text/plain") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("the body must be the raw mail, sent as message/rfc822, not {content_type:?}"),
        ));
    }
    let body = Bytes::from_request(req, &s).await.map_err(body_rejection)?;
    let inbox = authorised_inbox(&s, actor, id, &headers, &body).await?;
    if inbox.kind != ChannelKind::Email {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("inbox {id} is a {} inbox; only e-mail inboxes take raw mail", inbox.kind),
        )
        .with_field("id"));
    }
    if body.is_empty() {
        return Err(ApiError::invalid("body", "is empty; send the mail's bytes"));
    }
    let mail = channels::email::codec::parse(&body);
    let outcome = s.app.receive_email(&inbox, mail).await?;
    let status = if outcome.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(outcome.into())))
}

/// The inbox a channel post is for: the caller's (token or session), or, for a signed
/// post, the one whose secret signed the body.
async fn authorised_inbox(
    s: &Shared,
    actor: Option<app::Actor>,
    id: InboxId,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<domain::Inbox, ApiError> {
    match actor {
        Some(actor) => Ok(s.app.get_inbox(&actor, id).await?),
        None => {
            let signature = signature(headers)?;
            // An unknown inbox answers like a bad signature, so ids cannot be probed.
            let inbox = s.app.inbox_for_signed_post(id).await.map_err(|e| match e {
                app::Error::NotFound { .. } => bad_signature(),
                other => other.into(),
            })?;
            verify(&inbox.secret, body, &signature)?;
            Ok(inbox)
        }
    }
}

fn bad_signature() -> ApiError {
    ApiError::unauthenticated("the signature does not match this inbox and body").with_hint(
        "send `X-Chorus-Signature: sha256=<hex HMAC-SHA256 of the exact body, keyed with the inbox secret>`, or an API token",
    )
}

/// The signature's bytes from the header.
fn signature(headers: &HeaderMap) -> Result<Vec<u8>, ApiError> {
    let value = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        ApiError::unauthenticated("sign the body with X-Chorus-Signature, or send an API token").with_hint(
            "send `X-Chorus-Signature: sha256=<hex HMAC-SHA256 of the exact body, keyed with the inbox secret>`",
        )
    })?;
    let hex = value.trim().strip_prefix("sha256=").ok_or_else(bad_signature)?;
    decode_hex(hex).ok_or_else(bad_signature)
}

/// Checks `signature` against the body in constant time.
fn verify(secret: &str, body: &[u8], signature: &[u8]) -> Result<(), ApiError> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|e| ApiError::internal(format!("hmac key: {e}")))?;
    mac.update(body);
    mac.verify_slice(signature).map_err(|_| bad_signature())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16);
    text.as_bytes().chunks(2).map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(b"{}");
        let sig = mac.finalize().into_bytes().to_vec();
        assert!(verify("s3cret", b"{}", &sig).is_ok());
        assert!(verify("other", b"{}", &sig).is_err());
        assert!(verify("s3cret", b"{ }", &sig).is_err());
        assert_eq!(decode_hex("0aFf"), Some(vec![10, 255]));
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(decode_hex("abc"), None);
    }
}
