//! Signing in as a browser does, fetching pages with the session cookie, and the server
//! time of the inbox page and of its live-refresh fragment: sequential requests, each timed
//! from sending to the last byte, with and without gzip. It only reads (after signing in).

use crate::desk::{OWNER_EMAIL, PASSWORD};
use crate::figures::{Latency, Row, group, ms};
use anyhow::{Context, Result, bail};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, COOKIE, SET_COOKIE};
use serde::Serialize;
use std::time::{Duration, Instant};

const PAGE_P99_TARGET_MS: f64 = 30.0;
/// Sequential requests timed per page and encoding.
pub const REQUESTS: usize = 1_000;
/// Requests before measuring, so the first figures are not the cost of a cold cache.
pub const WARM_UP: usize = 50;

/// The inbox an agent opens first: every open conversation.
pub const INBOX: &str = "/inbox?view=all&status=open";
/// The fragment the inbox fetches again when the event stream says something changed.
const INBOX_BODY: &str = "/inbox/body?view=all&status=open";

#[derive(Serialize)]
struct LoginBody<'a> {
    email: &'a str,
    password: &'a str,
}

/// Signs in through `POST /api/v1/auth/login` and returns the `Cookie` header value that
/// carries the session.
pub async fn sign_in(http: &reqwest::Client, base: &str) -> Result<String> {
    let response = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&LoginBody { email: OWNER_EMAIL, password: PASSWORD })
        .send()
        .await?;
    let status = response.status();
    let prefix = format!("{}=", web::SESSION_COOKIE);
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&prefix))
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let body = response.bytes().await?;
    if !status.is_success() {
        bail!("signing in: HTTP {status}: {}", String::from_utf8_lossy(&body));
    }
    cookie.context("signing in set no session cookie")
}

/// A response as it arrived: the body exactly as sent (this client never decompresses).
pub struct Fetched {
    /// The `Content-Encoding` the server chose, if any.
    pub encoding: Option<String>,
    pub body: Vec<u8>,
}

impl Fetched {
    /// How the body was sent, for printing.
    pub fn encoding(&self) -> &str {
        self.encoding.as_deref().unwrap_or("identity")
    }
}

/// One GET with the session cookie, timed from sending until the whole body has arrived.
/// With `gzip` it accepts a gzip body, as browsers do.
pub async fn fetch(http: &reqwest::Client, url: &str, cookie: &str, gzip: bool) -> Result<(Duration, Fetched)> {
    let started = Instant::now();
    let mut request = http.get(url).header(COOKIE, cookie);
    if gzip {
        request = request.header(ACCEPT_ENCODING, "gzip");
    }
    let response = request.send().await?;
    let status = response.status();
    let encoding = response.headers().get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = response.bytes().await?;
    let took = started.elapsed();
    if !status.is_success() {
        bail!("GET {url}: HTTP {status}");
    }
    Ok((took, Fetched { encoding, body: body.to_vec() }))
}

/// Conversation rows in an uncompressed inbox page or fragment.
fn rows_shown(html: &[u8]) -> usize {
    String::from_utf8_lossy(html).matches(" data-row ").count()
}

/// Times the inbox page and its fragment, gzip (as a browser asks) and uncompressed, and
/// adds their p99 to the summary.
pub async fn page_latencies(http: &reqwest::Client, base: &str, cookie: &str, rows: &mut Vec<Row>) -> Result<()> {
    for (label, path) in [("inbox page", INBOX), ("inbox body fragment", INBOX_BODY)] {
        let url = format!("{base}{path}");
        let (cold, first) = fetch(http, &url, cookie, false).await?;
        let shown = rows_shown(&first.body);
        if shown == 0 {
            // A lost session redirects to the sign-in page, which has no rows.
            bail!("GET {path} shows no conversations");
        }
        println!(
            "GET {path}: {shown} conversation rows, {} bytes; first request {:.1} ms",
            group(first.body.len()),
            ms(cold)
        );
        for gzip in [true, false] {
            for _ in 0..WARM_UP {
                fetch(http, &url, cookie, gzip).await?;
            }
            let mut samples = Vec::with_capacity(REQUESTS);
            let mut sent = Fetched { encoding: None, body: Vec::new() };
            for _ in 0..REQUESTS {
                let (took, fetched) = fetch(http, &url, cookie, gzip).await?;
                samples.push(took);
                sent = fetched;
            }
            let l = Latency::of(samples);
            let asked = if gzip { "gzip accepted" } else { "uncompressed" };
            println!(
                "  {asked:>13}: sent {} bytes as {}; over {} requests p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
                group(sent.body.len()),
                sent.encoding(),
                l.n,
                ms(l.p50),
                ms(l.p99),
                ms(l.max)
            );
            rows.push(Row::new(
                format!("{label} p99, {asked}"),
                format!("{:.2} ms", ms(l.p99)),
                "< 30 ms",
                Some(ms(l.p99) < PAGE_P99_TARGET_MS),
            ));
        }
    }
    Ok(())
}
