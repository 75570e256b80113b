//! Full-text search over the workspace's messages, conversation subjects and contacts.

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{SearchQuery, SearchResults};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Query, limit};
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(search))
}

/// Search; each hit has an HTML-escaped snippet with `<mark>` around matching words.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, description = "Hits, best first", body = SearchResults)))]
async fn search(
    State(s): State<Shared>,
    Auth(actor): Auth,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    if q.q.trim().is_empty() {
        return Err(ApiError::invalid("q", "must not be empty"));
    }
    let hits = s.app.search(&actor, q.q.trim(), limit(q.limit)?).await?;
    Ok(Json(SearchResults::all(hits)))
}
