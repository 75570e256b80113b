//! The agent UI's search pages.

use crate::Shared;
use axum::Router;

pub fn routes() -> Router<Shared> {
    Router::new()
}
