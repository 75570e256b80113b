//! The agent UI's contacts pages.

use crate::Shared;
use axum::Router;

pub fn routes() -> Router<Shared> {
    Router::new()
}
