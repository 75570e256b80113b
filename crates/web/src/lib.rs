//! Chorus over HTTP: the `/api/v1` JSON API, live events over SSE, the OpenAPI document and
//! the one mapping from errors to HTTP responses.
//!
//! Handlers here only translate: they parse and check the request's shape, call one use case
//! on [`app::App`] and turn its result into a typed response. They never hold SQL or business
//! rules; anything a second client (CLI, UI, worker) would also need belongs in `app`.

mod api;
mod auth;
mod dto;
mod error;
mod extract;
mod middleware;
mod openapi;
mod ui;
mod widget;

pub use auth::SESSION_COOKIE;
pub use error::{ErrorBody, ErrorCode};
pub use widget::{MAX_FRAME, VISITOR_HEADER, WidgetLimits, languages, phrasebook};

use auth::RateLimiter;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::sync::Arc;
use std::time::Duration;

/// HTTP settings, decided once by the binary.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The largest JSON request body accepted, in bytes (uploads have their own limit).
    pub max_body_bytes: usize,
    /// Mark the session cookie `Secure` (serve over HTTPS).
    pub secure_cookies: bool,
    /// Sign-in attempts allowed per client address and per e-mail address each minute.
    pub login_attempts_per_minute: u32,
    /// The chat widget's rate limits.
    pub widget: WidgetLimits,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            max_body_bytes: 1024 * 1024,
            secure_cookies: false,
            login_attempts_per_minute: 10,
            widget: WidgetLimits::default(),
        }
    }
}

/// What the HTTP layer is built from.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: app::App,
    /// The HTTP settings.
    pub config: WebConfig,
}

/// What every handler sees: the application, the settings and the in-memory login limiter
/// (per node; a client spreading attempts over several nodes gets that many times the quota).
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) app: app::App,
    pub(crate) config: Arc<WebConfig>,
    pub(crate) login_limiter: Arc<RateLimiter>,
    pub(crate) widget: widget::Widget,
}

/// The whole HTTP interface: `/api/v1/…`, `/healthz`, and JSON answers for unknown routes
/// and wrong methods. Serve it with `into_make_service_with_connect_info::<SocketAddr>()` so
/// the login limit can tell clients apart by address.
pub fn router(state: AppState) -> Router {
    let shared = Shared {
        login_limiter: Arc::new(RateLimiter::new(
            state.config.login_attempts_per_minute,
            Duration::from_secs(60),
            100_000,
        )),
        widget: widget::Widget::new(&state.app, state.config.widget),
        config: Arc::new(state.config),
        app: state.app,
    };
    let upload_limit = usize::try_from(shared.app.config().attachment_max_bytes).unwrap_or(usize::MAX);
    let (routes, document) = api::routes(upload_limit).split_for_parts();
    routes
        .layer(axum::Extension(openapi::DocumentJson(openapi::finish(document))))
        .merge(ui::routes())
        .merge(widget::routes(upload_limit))
        .fallback(middleware::no_route)
        .method_not_allowed_fallback(middleware::wrong_method)
        .layer(DefaultBodyLimit::max(shared.config.max_body_bytes))
        .layer(middleware::catch_panic())
        .layer(axum::middleware::from_fn(middleware::request_context))
        // Outermost, so it compresses the final body (error bodies are rewritten inside):
        // gzip for pages, assets and JSON when the client accepts it; never for the SSE
        // stream (the default predicate skips text/event-stream) or images.
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(shared)
}
