//! The agent UI's settings pages.

use crate::Shared;
use axum::Router;

pub fn routes() -> Router<Shared> {
    Router::new()
}
