//! Who is using the agent UI. Pages need a signed-in member: without one, a page load is
//! sent to the sign-in page (and back afterwards), an htmx request is told to go there.
//! Every state-changing UI request must come from our own pages (Origin check): the
//! session cookie is SameSite=Lax, and this closes what Lax leaves open.

use crate::Shared;
use crate::auth::session_token;
use app::Actor;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// A signed-in member using the UI.
pub struct UiActor(pub Actor);

/// Where to send someone who must sign in, coming back to `path` afterwards.
pub fn login_redirect(path: &str, htmx: bool) -> Response {
    let target = format!("/login?next={}", encode(path));
    if htmx {
        // htmx follows this header with a full page load.
        (StatusCode::OK, [("hx-redirect", target)]).into_response()
    } else {
        Redirect::to(&target).into_response()
    }
}

/// Percent-encodes a path for a query parameter.
pub fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A local path to return to after signing in; anything else goes to the inbox.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.contains(['\r', '\n']) => {
            n.to_string()
        }
        _ => "/inbox".to_string(),
    }
}

/// Whether the request came from htmx (it then wants fragments, not pages).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

impl FromRequestParts<Shared> for UiActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Response> {
        let here = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        // For htmx calls the page the person is on is the place to come back to.
        let back = parts
            .headers
            .get("hx-current-url")
            .and_then(|v| v.to_str().ok())
            .and_then(|u| u.find("://").and_then(|i| u[i + 3..].find('/').map(|j| u[i + 3 + j..].to_string())))
            .unwrap_or_else(|| here.to_string());
        let htmx = is_htmx(&parts.headers);
        let Some(token) = session_token(&parts.headers) else { return Err(login_redirect(&back, htmx)) };
        match state.app.authenticate_session(token).await {
            Ok(actor) => Ok(UiActor(actor)),
            Err(app::Error::Unauthenticated) => Err(login_redirect(&back, htmx)),
            Err(e) => Err(super::UiError::from(e).into_response()),
        }
    }
}

/// Refuses state-changing requests that another site's page could have sent.
pub async fn same_origin(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || from_our_pages(req.headers()) {
        return next.run(req).await;
    }
    super::UiError::new(StatusCode::FORBIDDEN, "This form was sent from another site, so Chorus refused it.")
        .into_response()
}

fn from_our_pages(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
        (Some(origin), Some(host)) => origin.split("://").nth(1) == Some(host),
        // Old clients without Origin or Fetch metadata: SameSite=Lax already kept the
        // cookie off cross-site posts.
        (None, _) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/conversations/1?x=2")), "/conversations/1?x=2");
        for bad in ["https://evil.test", "//evil.test", "/\\evil.test", "inbox"] {
            assert_eq!(safe_next(Some(bad)), "/inbox", "{bad}");
        }
    }

    #[test]
    fn cross_site_posts_are_told_apart() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "chorus.test".parse().unwrap());
        h.insert(header::ORIGIN, "https://chorus.test".parse().unwrap());
        assert!(from_our_pages(&h));
        h.insert(header::ORIGIN, "https://evil.test".parse().unwrap());
        assert!(!from_our_pages(&h));
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!from_our_pages(&h));
    }
}
