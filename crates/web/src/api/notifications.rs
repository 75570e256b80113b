//! Your notifications: mentions and assignments.

use crate::Shared;
use crate::auth::Auth;
use crate::dto::{NotificationDto, NotificationList, NotificationsQuery};
use crate::error::ApiResult;
use crate::extract::{PathId, Query, cursor, limit};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::NotificationId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(list_notifications)).routes(routes!(mark_read)).routes(routes!(mark_all_read))
}

/// Your notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationsQuery),
    responses((status = 200, description = "A page of notifications", body = NotificationList)))]
async fn list_notifications(
    State(s): State<Shared>,
    Auth(actor): Auth,
    Query(q): Query<NotificationsQuery>,
) -> ApiResult<Json<NotificationList>> {
    let (page, unread_count) = s
        .app
        .list_notifications(&actor, q.unread.unwrap_or(false), cursor(q.cursor.as_deref())?, limit(q.limit)?)
        .await?;
    Ok(Json(NotificationList {
        next_cursor: page.next.map(|c| c.encode()),
        items: page.items.into_iter().map(NotificationDto::from).collect(),
        unread_count,
    }))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path, description = "The notification's id")), responses((status = 204, description = "Marked read")))]
async fn mark_read(
    State(s): State<Shared>,
    Auth(actor): Auth,
    PathId(id): PathId<NotificationId>,
) -> ApiResult<StatusCode> {
    s.app.mark_notification_read(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", responses((status = 204, description = "Marked read")))]
async fn mark_all_read(State(s): State<Shared>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    s.app.mark_all_notifications_read(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
