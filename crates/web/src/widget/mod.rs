//! The web chat widget's public endpoints. A site embeds one tag,
//! `<script src="…/widget.js" data-inbox="INBOX_ID" async></script>`; the loader injects an
//! iframe of `/widget/frame/{inbox}`, whose script talks to `/widget/ws` (see [`socket`]).
//! Files go up through `/widget/upload` and come down through `/widget/files/{id}`, both with
//! the visitor token in the `X-Chorus-Visitor` header.
//!
//! These routes carry no session: visitors prove themselves with their token, and sites
//! with the inbox's allowed origins, enforced by the browser (`frame-ancestors`) and checked
//! again in the WebSocket's hello.

mod hub;
mod socket;

use crate::Shared;
use crate::auth::{ClientIp, RateLimiter};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{PathId, Query, body_rejection};
use app::{QueuePlace, TeamStatus, Visitor, WidgetMessage};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::{AttachmentId, InboxId};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub(crate) use hub::Hub;

include!(concat!(env!("OUT_DIR"), "/widget_files.rs"));

/// The header that carries the visitor token on uploads and downloads.
pub const VISITOR_HEADER: &str = "x-chorus-visitor";

/// The largest frame a widget may send; larger ones close the connection (1009).
pub const MAX_FRAME: usize = 16 * 1024;

/// Frames up to this size are read (and refused with a close frame when over
/// [`MAX_FRAME`]); larger ones end the connection at once.
const HARD_FRAME_LIMIT: usize = 64 * 1024;

/// Limits of the widget's endpoints, per node.
#[derive(Debug, Clone, Copy)]
pub struct WidgetLimits {
    /// Connections (hellos) per client address each minute.
    pub connects_per_minute: u32,
    /// Messages per visitor, and per client address, each minute.
    pub messages_per_minute: u32,
}

impl Default for WidgetLimits {
    fn default() -> Self {
        WidgetLimits { connects_per_minute: 120, messages_per_minute: 60 }
    }
}

/// What the widget's handlers share: the hub and the rate limiters.
#[derive(Clone)]
pub(crate) struct Widget {
    hub: Hub,
    connects_per_ip: Arc<RateLimiter>,
    messages: Arc<RateLimiter>,
    typing: Arc<RateLimiter>,
    identify: Arc<RateLimiter>,
}

impl Widget {
    pub(crate) fn new(app: &app::App, limits: WidgetLimits) -> Widget {
        let minute = Duration::from_secs(60);
        Widget {
            hub: Hub::start(app),
            connects_per_ip: Arc::new(RateLimiter::new(limits.connects_per_minute, minute, 100_000)),
            messages: Arc::new(RateLimiter::new(limits.messages_per_minute, minute, 200_000)),
            typing: Arc::new(RateLimiter::new(30, Duration::from_secs(10), 100_000)),
            identify: Arc::new(RateLimiter::new(10, minute, 100_000)),
        }
    }
}

/// The widget's routes.
pub(crate) fn routes(upload_limit: usize) -> Router<Shared> {
    Router::new()
        .route("/widget.js", get(loader))
        .route("/widget/frame/{inbox}", get(frame))
        .route("/widget/assets/{name}", get(asset))
        .route("/widget/ws", get(upgrade))
        .route("/widget/upload", post(upload).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/widget/files/{id}", get(download))
}

/// The assistant's words of every shipped language, read from the language files.
pub fn phrasebook() -> HashMap<String, domain::widget::Phrases> {
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        assistant: Option<domain::widget::Phrases>,
    }
    WIDGET_LANGUAGES
        .iter()
        .filter_map(|(code, json)| match serde_json::from_str::<File>(json) {
            Ok(f) => Some((code.to_string(), f.assistant.unwrap_or_default().or_english())),
            Err(e) => {
                tracing::warn!(language = code, error = %e, "a widget language file does not read; it is left out");
                None
            }
        })
        .collect()
}

/// The language codes shipped.
pub fn languages() -> Vec<&'static str> {
    WIDGET_LANGUAGES.iter().map(|(code, _)| *code).collect()
}

fn file(name: &str) -> Option<&'static [u8]> {
    WIDGET_FILES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

fn version(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))[..12].to_string()
}

/// The cache-busting URL of a widget file.
fn asset_url(name: &str) -> String {
    static VERSIONS: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    let versions = VERSIONS.get_or_init(|| WIDGET_FILES.iter().map(|(n, b)| (*n, version(b))).collect());
    match versions.get(name) {
        Some(v) => format!("/widget/assets/{name}?v={v}"),
        None => format!("/widget/assets/{name}"),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn not_found(what: &str) -> Response {
    ApiError::new(ErrorCode::NotFound, format!("{what} not found")).into_response()
}

/// `GET /widget.js`: the loader. Its URL has no version (sites embed it once), so it is
/// cached briefly and revalidated.
async fn loader(headers: HeaderMap) -> Response {
    let Some(bytes) = file("loader.js") else { return not_found("the widget loader") };
    cached(bytes, "loader.js", &headers, "public, max-age=300")
}

/// `GET /widget/assets/{name}`: the frame's script and style, cached for good (their URLs
/// carry a content hash).
async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    if name == "frame.html" {
        return not_found("widget file");
    }
    let Some(bytes) = file(&name) else { return not_found("widget file") };
    cached(bytes, &name, &headers, "public, max-age=31536000, immutable")
}

fn cached(bytes: &'static [u8], name: &str, headers: &HeaderMap, policy: &'static str) -> Response {
    let etag = format!("\"{}\"", version(bytes));
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    let mut res = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { bytes.into_response() };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(name)));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

#[derive(Deserialize)]
struct FrameQuery {
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// The language a frame speaks: the inbox's, else the visitor's browser's when shipped,
/// else English.
fn pick_language(fixed: Option<&str>, browser: Option<&str>) -> &'static str {
    let shipped = |code: &str| WIDGET_LANGUAGES.iter().find(|(c, _)| *c == code).map(|(c, _)| *c);
    fixed
        .and_then(shipped)
        .or_else(|| {
            let b = browser?.split(['-', '_']).next()?.to_ascii_lowercase();
            shipped(&b)
        })
        .or_else(|| shipped("en"))
        .unwrap_or("en")
}

/// `GET /widget/frame/{inbox}`: the page inside the iframe, with the inbox's look and the
/// language's strings inlined as JSON; only the inbox's allowed sites may frame it.
async fn frame(State(s): State<Shared>, Path(inbox): Path<String>, Query(q): Query<FrameQuery>) -> Response {
    let Ok(id) = inbox.parse::<uuid::Uuid>() else { return not_found("widget inbox") };
    let inbox = match s.app.widget_inbox(InboxId(id)).await {
        Ok(i) => i,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(page) = file("frame.html").and_then(|b| std::str::from_utf8(b).ok()) else {
        return not_found("the widget page");
    };
    let settings = inbox.settings.widget.clone().unwrap_or_default();
    let lang = pick_language(settings.language.as_deref(), q.lang.as_deref());
    let strings = WIDGET_LANGUAGES
        .iter()
        .find(|(c, _)| *c == lang)
        .and_then(|(_, json)| serde_json::from_str::<Value>(json).ok())
        .and_then(|v| v.get("ui").cloned())
        .unwrap_or_else(|| json!({}));
    let origin = q.origin.as_deref().and_then(domain::widget::normalise_origin);
    let config = json!({
        "inbox_id": inbox.id,
        "ws_url": "/widget/ws",
        "upload_url": "/widget/upload",
        "files_url": "/widget/files/",
        "color": settings.color,
        "greeting": settings.greeting,
        "language": lang,
        "strings": strings,
        "origin": origin,
    });
    // Inside <script type="application/json">: nothing may close the element.
    let config = config.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
    let html = page
        .replace("{{LANG}}", lang)
        .replace("{{CSS_URL}}", &asset_url("widget.css"))
        .replace("{{JS_URL}}", &asset_url("widget.js"))
        .replace("{{CONFIG}}", &config);
    let ancestors =
        if settings.allowed_origins.is_empty() { "*".to_string() } else { settings.allowed_origins.join(" ") };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; \
         media-src 'self' blob:; connect-src 'self' ws: wss:; frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'"
    );
    let mut res = axum::response::Html(html).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

/// `GET /widget/ws`: the visitor's live connection, with small buffers (most connections
/// idle for minutes) and the frame limit. A browser's handshake must come from Chorus's
/// own origin (the frame) or one of the inbox sites; which inbox is only known from the
/// hello, where the site's origin is checked again.
async fn upgrade(
    State(s): State<Shared>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let own = origin.split_once("://").map(|(_, rest)| rest).is_some_and(|rest| rest.eq_ignore_ascii_case(host));
        if !own {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("WebSocket connections from {origin} are refused; the widget connects from its own frame"),
            ));
        }
    }
    let widget = s.widget.clone();
    Ok(ws
        .read_buffer_size(2 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(256 * 1024)
        .max_message_size(HARD_FRAME_LIMIT)
        .max_frame_size(HARD_FRAME_LIMIT)
        .on_upgrade(move |socket| socket::serve(socket, s, widget, ip)))
}

/// The visitor a request's token names (in the named inbox, when one is named).
async fn visitor_of(s: &Shared, headers: &HeaderMap, inbox: Option<InboxId>) -> ApiResult<Visitor> {
    let token = headers
        .get(VISITOR_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthenticated("send the visitor token in the X-Chorus-Visitor header"))?;
    let inbox = inbox
        .or_else(|| app::App::token_inbox(token))
        .ok_or_else(|| ApiError::unauthenticated("the visitor token is not one Chorus issued"))?;
    let inbox = s.app.widget_inbox(inbox).await?;
    s.app.widget_connect(&inbox, Some(token)).await.map_err(|e| match e {
        app::Error::NotFound { .. } => ApiError::unauthenticated("the visitor token is not known for this inbox"),
        other => other.into(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    #[serde(default)]
    inbox_id: Option<String>,
    name: String,
}

/// `POST /widget/upload?inbox_id=…&name=…`: a file to send with the next message.
async fn upload(State(s): State<Shared>, Query(q): Query<UploadQuery>, req: Request) -> ApiResult<Response> {
    let inbox = match &q.inbox_id {
        Some(id) => Some(InboxId(id.parse::<uuid::Uuid>().map_err(|_| ApiError::invalid("inbox_id", "not an id"))?)),
        None => None,
    };
    let v = visitor_of(&s, req.headers(), inbox).await?;
    let content_type = match req.headers().get(header::CONTENT_TYPE) {
        None => "application/octet-stream".to_string(),
        Some(h) => h
            .to_str()
            .ok()
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| crate::api::attachments::is_mime(t))
            .ok_or_else(|| ApiError::invalid("content-type", "must be a MIME type like image/png"))?,
    };
    let bytes = Bytes::from_request(req, &s).await.map_err(body_rejection)?;
    let a = s.app.widget_upload(&v, &q.name, &content_type, &bytes).await?;
    let body = json!({ "id": a.id, "name": a.filename, "size": a.size, "content_type": a.content_type });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /widget/files/{id}`: a file of the visitor's conversation.
async fn download(
    State(s): State<Shared>,
    PathId(id): PathId<AttachmentId>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let v = visitor_of(&s, &headers, None).await?;
    let (attachment, content) = s.app.widget_file(&v, id).await?;
    crate::api::attachments::file_response(&attachment, content).await
}

/// A message as the widget receives it.
pub(crate) fn message_json(m: &WidgetMessage) -> Value {
    let msg = &m.message;
    let attachments: Vec<Value> = msg
        .attachments
        .iter()
        .map(|a| json!({ "id": a.id, "name": a.filename, "size": a.size, "content_type": a.content_type }))
        .collect();
    json!({
        "id": msg.id,
        "client_id": msg.meta.client_id,
        "direction": if msg.direction == domain::Direction::Inbound { "in" } else { "out" },
        "author": { "kind": m.author.as_str(), "name": m.name },
        "text": msg.text,
        "attachments": attachments,
        "status": msg.delivery_status,
        "created_at": msg.created_at,
    })
}

/// A queue place as the widget receives it.
pub(crate) fn queue_json(p: &QueuePlace) -> Value {
    let estimate = p
        .estimate
        .map(|e| json!({ "min_minutes": (e.low / 60_000).max(0), "max_minutes": ((e.high + 59_999) / 60_000).max(1) }));
    json!({
        "waiting": p.waiting,
        "position": p.position,
        "ahead": p.position.map(|n| n.saturating_sub(1)),
        "estimate": estimate,
        "agents_online": p.agents_online,
    })
}

/// Whether the team can answer, as the widget receives it.
pub(crate) fn status_json(t: &TeamStatus) -> Value {
    json!({ "online": t.online, "back_at": t.back_at })
}
