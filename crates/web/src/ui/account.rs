//! The agent UI's account pages.

use crate::Shared;
use axum::Router;

pub fn routes() -> Router<Shared> {
    Router::new()
}
