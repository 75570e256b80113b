//! The agent UI's inbox pages.

use crate::Shared;
use axum::Router;

pub fn routes() -> Router<Shared> {
    Router::new()
}
