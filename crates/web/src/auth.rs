//! Who is calling: the [`Auth`] extractor accepts an API token (`Authorization: Bearer …`)
//! or the session cookie, and asks `app` whether it is valid; the cookie's attributes; and
//! the small in-memory limiter that slows down password guessing at sign-in.
//! Credentials are checked by `app` only; this module just finds them in the request.

use crate::Shared;
use crate::error::ApiError;
use app::Actor;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "chorus_session";

/// A signed-in caller; requests without valid credentials are refused with 401.
pub struct Auth(pub Actor);

/// A caller who may or may not be signed in; credentials that are present must be valid.
pub struct MaybeAuth(pub Option<Actor>);

enum Credential<'a> {
    Bearer(&'a str),
    Session(&'a str),
}

fn credential(headers: &HeaderMap) -> Result<Option<Credential<'_>>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value =
            value.to_str().map_err(|_| ApiError::unauthenticated("the Authorization header is not readable"))?;
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| ApiError::unauthenticated("the Authorization header must be `Bearer <token>`"))?;
        return Ok(Some(Credential::Bearer(token)));
    }
    Ok(session_token(headers).map(Credential::Session))
}

/// The session token in the request's cookies, if any.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

async fn authenticate(state: &Shared, credential: Credential<'_>) -> Result<Actor, ApiError> {
    let actor = match credential {
        Credential::Bearer(token) => state.app.authenticate_token(token).await?,
        Credential::Session(token) => state.app.authenticate_session(token).await?,
    };
    Ok(actor)
}

impl FromRequestParts<Shared> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        match credential(&parts.headers)? {
            Some(c) => Ok(Auth(authenticate(state, c).await?)),
            None => Err(ApiError::unauthenticated("sign in first: no session cookie or API token was sent")),
        }
    }
}

impl FromRequestParts<Shared> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        match credential(&parts.headers)? {
            Some(c) => Ok(MaybeAuth(Some(authenticate(state, c).await?))),
            None => Ok(MaybeAuth(None)),
        }
    }
}

/// The `Set-Cookie` value that starts a session lasting `max_age_secs`.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", max_age_secs.max(0))
}

/// The `Set-Cookie` value that ends the session in the browser.
pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// The address the connection came from, when the server recorded it. Forwarding headers
/// are not trusted: anyone can write them.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

/// Fixed-window counters per key (a client address, an e-mail address), bounded in size so
/// a flood of distinct keys cannot grow memory without limit.
pub struct RateLimiter {
    per_window: u32,
    window: Duration,
    max_keys: usize,
    windows: Mutex<HashMap<String, Window>>,
}

struct Window {
    started: Instant,
    count: u32,
}

impl RateLimiter {
    /// Allows `per_window` attempts per key in each `window`, tracking at most `max_keys` keys.
    pub fn new(per_window: u32, window: Duration, max_keys: usize) -> Self {
        RateLimiter { per_window, window, max_keys: max_keys.max(1), windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one attempt against every key, unless one of them is already used up: then
    /// nothing is counted and the answer is how long until that key's window ends.
    pub fn attempt(&self, keys: &[String]) -> Result<(), Duration> {
        self.attempt_at(keys, Instant::now())
    }

    fn attempt_at(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for key in keys {
            if let Some(w) = windows.get(key) {
                let ends = w.started + self.window;
                if now < ends && w.count >= self.per_window {
                    return Err(ends - now);
                }
            }
        }
        for key in keys {
            if !windows.contains_key(key) && windows.len() >= self.max_keys {
                self.make_room(&mut windows, now);
            }
            let w = windows.entry(key.clone()).or_insert(Window { started: now, count: 0 });
            if now >= w.started + self.window {
                *w = Window { started: now, count: 0 };
            }
            w.count += 1;
        }
        Ok(())
    }

    /// Drops finished windows; if every window is still running, drops the oldest.
    fn make_room(&self, windows: &mut HashMap<String, Window>, now: Instant) {
        windows.retain(|_, w| now < w.started + self.window);
        if windows.len() >= self.max_keys
            && let Some(oldest) = windows.iter().min_by_key(|(_, w)| w.started).map(|(k, _)| k.clone())
        {
            windows.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_refuses_after_quota_and_recovers() {
        let l = RateLimiter::new(2, Duration::from_secs(60), 10);
        let t0 = Instant::now();
        let keys = vec!["ip:1".to_string(), "email:a".to_string()];
        assert!(l.attempt_at(&keys, t0).is_ok());
        assert!(l.attempt_at(&keys, t0).is_ok());
        let wait = l.attempt_at(&keys, t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another e-mail from the same address is refused too.
        assert!(l.attempt_at(&["ip:1".to_string(), "email:b".to_string()], t0).is_err());
        assert!(l.attempt_at(&keys, t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn limiter_stays_bounded() {
        let l = RateLimiter::new(1, Duration::from_secs(60), 3);
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(l.attempt_at(&[format!("k{i}")], t0 + Duration::from_millis(i)).is_ok());
        }
        assert!(l.windows.lock().unwrap().len() <= 3);
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; chorus_session=tok; b=2".parse().unwrap());
        assert_eq!(session_token(&h), Some("tok"));
        assert!(session_cookie("t", 60, true).contains("HttpOnly; SameSite=Lax; Max-Age=60; Secure"));
    }
}
