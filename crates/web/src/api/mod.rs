//! The `/api/v1` routes, one module per area. Each handler is documented with
//! `#[utoipa::path]`, and routes are registered together with their documentation so the
//! OpenAPI document cannot miss one.

mod admin;
pub(crate) mod attachments;
mod auth;
mod contacts;
mod conversations;
mod events;
mod inboxes;
mod notifications;
mod routing;
mod rules;
mod search;
mod sla;

use crate::Shared;
use crate::dto::Health;
use axum::Json;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every documented route. Uploads get `upload_limit` as their body limit; everything else
/// keeps the router's default JSON limit.
pub(crate) fn routes(upload_limit: usize) -> OpenApiRouter<Shared> {
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(crate::openapi::document))
        .merge(auth::routes())
        .merge(admin::routes())
        .merge(inboxes::routes(upload_limit))
        .merge(contacts::routes())
        .merge(conversations::routes())
        .merge(search::routes())
        .merge(notifications::routes())
        .merge(attachments::routes(upload_limit))
        .merge(events::routes())
        .merge(routing::routes())
        .merge(sla::routes())
        .merge(rules::routes())
}

/// Whether the server is up.
#[utoipa::path(get, path = "/healthz", tag = "system", security(()), responses((status = 200, description = "The server answers", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}
