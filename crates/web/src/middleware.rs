//! What wraps every request: the request id (taken from a sane `X-Request-Id` or made
//! fresh), the tracing span, the rendering of every error into the one JSON shape with that
//! id, the log line of every internal error, and JSON answers for unknown routes, wrong
//! methods and panics. Nothing leaves the server as a bare status or a plain-text body.

use crate::error::{ApiError, ErrorCode};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

/// The header carrying the request id both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Assigns the request id, runs the request in a span, and makes every error response a
/// JSON [`crate::ErrorBody`] carrying that id.
pub async fn request_context(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let res = next.run(req).instrument(span).await;
    let mut res = finish_errors(res, &id).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

/// The request's id, for handlers and layers that show it (the UI's error pages).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Up to 64 letters, digits, `-`, `_` or `.`: anything else could forge log lines.
fn is_sane_request_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

async fn finish_errors(mut res: Response, id: &str) -> Response {
    // The agent UI answers errors with pages of its own; they stay as they are.
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_page && res.extensions().get::<ApiError>().is_none() {
        return res;
    }
    let err = match res.extensions_mut().remove::<ApiError>() {
        Some(err) => err,
        None if res.status().is_client_error() || res.status().is_server_error() => {
            // Produced by a layer or the router itself, not by a handler: keep the status,
            // replace whatever body it had.
            let status = res.status();
            let code = ErrorCode::for_status(status);
            if code == ErrorCode::Internal {
                let body = axum::body::to_bytes(std::mem::take(res.body_mut()), 4096).await.unwrap_or_default();
                ApiError::internal(format!("{status}: {}", String::from_utf8_lossy(&body)))
            } else {
                ApiError::new(code, status.canonical_reason().unwrap_or("request refused").to_lowercase())
            }
        }
        None => return res,
    };
    if err.code() == ErrorCode::Internal {
        tracing::error!(request_id = %id, cause = err.cause().unwrap_or("unknown"), "internal error");
    }
    let rendered = err.render(id);
    let (mut parts, _) = res.into_parts();
    let (new_parts, body) = rendered.into_parts();
    parts.status = new_parts.status;
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &new_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}

/// Unknown routes.
pub async fn no_route() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
        .with_hint("the API lives under /api/v1; see /api/v1/openapi.json")
}

/// Known routes with the wrong method.
pub async fn wrong_method() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this route does not accept this method")
        .with_hint("the Allow header lists the methods it accepts")
}

/// What a panicking handler left behind.
type PanicPayload = Box<dyn std::any::Any + Send + 'static>;

/// Turns a panic in a handler into an internal error (logged with its request id).
pub fn catch_panic() -> tower_http::catch_panic::CatchPanicLayer<fn(PanicPayload) -> Response<Body>> {
    tower_http::catch_panic::CatchPanicLayer::custom(panic_response as fn(_) -> _)
}

fn panic_response(payload: PanicPayload) -> Response<Body> {
    let what = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".to_string());
    ApiError::internal(format!("panic: {what}")).into_response()
}
