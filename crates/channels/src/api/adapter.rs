//! Delivers API-channel replies: POSTs a rendered body to the inbox's callback URL, signed,
//! and says whether the receiver took it, or, if not, whether trying again could help.
//!
//! It neither retries nor schedules; the delivery worker in `app` owns the backoff and the
//! dead-letter decision, using [`SendError::permanent`].

use super::codec::{DELIVERY_HEADER, SIGNATURE_HEADER, sign};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, Response, StatusCode, Url};
use std::time::Duration;

/// How much of an error body goes into the message, in characters.
const ERROR_SNIPPET_CHARS: usize = 200;
/// The most of a success body read when looking for the receiver's message id.
const MAX_SUCCESS_BODY: usize = 64 * 1024;
/// Connecting takes at most this long, even when the overall timeout is longer.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends signed callback requests. Cheap to clone; holds one connection pool.
#[derive(Debug, Clone)]
pub struct ApiSender {
    client: Client,
}

/// The HTTP client could not be set up (for example, no TLS roots could be loaded).
#[derive(Debug, thiserror::Error)]
#[error("could not set up the HTTP client for callbacks: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// The receiver took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// The HTTP status it answered (2xx).
    pub status: u16,
    /// Its own id for the message, when it answered a JSON object with an `"id"`.
    pub provider_message_id: Option<String>,
}

/// The receiver did not take the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// What happened, in words fit to show next to the message
    /// ("callback answered 500 Internal Server Error: …").
    pub message: String,
    /// True when sending the same request again cannot succeed (a 4xx other than 408 and
    /// 429, an unusable URL); false when a later try might.
    pub permanent: bool,
}

impl SendError {
    fn permanent(message: String) -> Self {
        SendError { message, permanent: true }
    }

    fn retryable(message: String) -> Self {
        SendError { message, permanent: false }
    }
}

impl ApiSender {
    /// A sender whose requests give up after `timeout` (connecting, sending and reading the answer).
    pub fn new(timeout: Duration) -> Result<Self, ClientError> {
        // rustls needs one process-wide crypto provider; installing it again is harmless (and
        // reports that one is already there, which is what we want).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
            // A redirect would turn the POST into a GET or send the signed body somewhere
            // the admin never configured; a 3xx is reported instead.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Chorus/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(ApiSender { client })
    }

    /// POSTs `body` (JSON) to `url`, signed with `secret`, naming the delivery so the receiver
    /// can drop duplicates of a retried message.
    pub async fn send(
        &self,
        url: &str,
        secret: &str,
        body: Vec<u8>,
        delivery_id: &str,
    ) -> Result<SendOutcome, SendError> {
        let target = parse_url(url)?;
        let shown = redacted(&target);
        let signature = sign(secret, &body);
        let response = self
            .client
            .post(target)
            .header(CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(DELIVERY_HEADER, delivery_id)
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::retryable(format!("could not reach callback {shown}: {}", describe(&e))))?;

        let status = response.status();
        if status.is_success() {
            let body = read_prefix(response, MAX_SUCCESS_BODY).await;
            return Ok(SendOutcome { status: status.as_u16(), provider_message_id: provider_id(&body) });
        }
        let body = read_prefix(response, ERROR_SNIPPET_CHARS * 4).await;
        let message = match snippet(&body) {
            s if s.is_empty() => format!("callback answered {status}"),
            s => format!("callback answered {status}: {s}"),
        };
        Err(SendError { message, permanent: is_permanent(status) })
    }
}

/// A 4xx says the request itself is wrong, so repeating it cannot help, except 408 (the
/// receiver timed out) and 429 (it asks us to slow down). Anything else may be passing.
fn is_permanent(status: StatusCode) -> bool {
    status.is_client_error() && status != StatusCode::REQUEST_TIMEOUT && status != StatusCode::TOO_MANY_REQUESTS
}

fn parse_url(url: &str) -> Result<Url, SendError> {
    let parsed =
        Url::parse(url).map_err(|e| SendError::permanent(format!("callback URL {url:?} is not valid: {e}")))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(SendError::permanent(format!("callback URL must be http:// or https://, not {other}://"))),
    }
}

/// The URL as shown in errors: without credentials or query string, which may hold secrets.
fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// Says in words why a request got no answer: the innermost I/O error when there is one
/// ("connection refused"), rather than the client's generic "error sending request".
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer before the timeout".to_string();
    }
    let mut innermost: Option<&(dyn std::error::Error + 'static)> = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return match io.kind() {
                ConnectionRefused => "connection refused".to_string(),
                ConnectionReset => "connection reset".to_string(),
                ConnectionAborted => "connection aborted".to_string(),
                TimedOut => "connection timed out".to_string(),
                _ => io.to_string(),
            };
        }
        innermost = Some(s);
        source = s.source();
    }
    innermost.map_or_else(|| e.to_string(), |s| s.to_string())
}

/// Reads at most about `limit` bytes of the body; the rest is left unread. A body that
/// breaks off midway yields what arrived.
async fn read_prefix(mut response: Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    out.truncate(limit);
    out
}

/// The start of an error body on one line: whitespace runs collapsed, control characters
/// dropped, at most [`ERROR_SNIPPET_CHARS`] characters.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let words: Vec<&str> = text.split_whitespace().collect();
    words.join(" ").chars().filter(|c| !c.is_control()).take(ERROR_SNIPPET_CHARS).collect()
}

/// The receiver's id for the message, from a JSON answer like `{"id": "msg_123"}`.
fn provider_id(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    match value.get("id")? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_client_errors_other_than_408_and_429_are_permanent() {
        for code in [400, 401, 403, 404, 410, 413, 422] {
            assert!(is_permanent(StatusCode::from_u16(code).expect("status")), "{code}");
        }
        for code in [301, 408, 429, 500, 502, 503, 504] {
            assert!(!is_permanent(StatusCode::from_u16(code).expect("status")), "{code}");
        }
    }

    #[test]
    fn provider_ids_come_from_json_objects_only() {
        assert_eq!(provider_id(br#"{"id": "msg_1"}"#), Some("msg_1".into()));
        assert_eq!(provider_id(br#"{"id": 42, "ok": true}"#), Some("42".into()));
        assert_eq!(provider_id(br#"{"id": ""}"#), None);
        assert_eq!(provider_id(br#"{"id": null}"#), None);
        assert_eq!(provider_id(b"OK"), None);
        assert_eq!(provider_id(b""), None);
        assert_eq!(provider_id(br#"["id"]"#), None);
    }

    #[test]
    fn snippets_are_one_short_line() {
        assert_eq!(snippet(b"  database\n\n  is down\r\n"), "database is down");
        let long = "x".repeat(500);
        assert_eq!(snippet(long.as_bytes()).chars().count(), ERROR_SNIPPET_CHARS);
        assert_eq!(snippet("é".repeat(300).as_bytes()).chars().count(), ERROR_SNIPPET_CHARS);
    }

    #[test]
    fn urls_are_checked_and_shown_without_secrets() {
        assert!(parse_url("not a url").is_err_and(|e| e.permanent));
        assert!(parse_url("ftp://example.com/x").is_err_and(|e| e.permanent));
        let url = parse_url("https://user:pw@hooks.example.com/chorus?token=s3cret#x").expect("valid");
        assert_eq!(redacted(&url), "https://hooks.example.com/chorus");
    }
}
