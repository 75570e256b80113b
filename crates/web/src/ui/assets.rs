//! Static files of the agent UI, embedded in the binary: served with a content hash in
//! their URL so browsers cache them for good and fetch a new copy after an upgrade.
//! Compression is applied by the layer in front of every UI response.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../../assets/app.css") },
    Asset {
        name: "pages.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/pages.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/app.js"),
    },
    Asset {
        name: "conversation.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/conversation.js"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/htmx.min.js"),
    },
    Asset {
        name: "htmx-ext-sse.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/htmx-ext-sse.min.js"),
    },
    Asset { name: "icon.svg", content_type: "image/svg+xml", bytes: include_bytes!("../../assets/icon.svg") },
];

/// The first 12 hex digits of each asset's SHA-256, computed once.
fn versions() -> &'static Vec<String> {
    static V: OnceLock<Vec<String>> = OnceLock::new();
    V.get_or_init(|| ASSETS.iter().map(|a| format!("{:x}", Sha256::digest(a.bytes))[..12].to_string()).collect())
}

/// The cache-busting URL of an asset (`/assets/app.css?v=1a2b3c…`).
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/assets/{name}?v={}", versions()[i]),
        None => format!("/assets/{name}"),
    }
}

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no such file")
            .into_response();
    };
    let asset = &ASSETS[i];
    let etag = format!("\"{}\"", versions()[i]);
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    let mut res = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { asset.bytes.into_response() };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}
