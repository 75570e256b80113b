//! Reads against the data set over HTTP, on the in-process server: the first page of open
//! conversations (all, and unassigned) and search in six kinds of query, each timed to the
//! last byte; plus the threading lookup every inbound message makes. It only reads.

use crate::dataset::DataSet;
use crate::desk::{http_client, open_app, serve_in_process, timed_get};
use crate::figures::{Latency, Row, group, ms};
use crate::text::{CITIES, PRODUCTS, RARE, Rng, order_number};
use anyhow::{Context, Result};
use app::{App, Clock, SystemClock};
use serde::Deserialize;
use std::time::{Duration, Instant};
use store::Durability;

const LIST_P99_TARGET_MS: f64 = 20.0;
const SEARCH_P99_TARGET_MS: f64 = 50.0;
/// Sequential requests per conversation-list query.
const LIST_REQUESTS: usize = 1_000;
/// Sequential requests per search category (six categories).
const SEARCH_REQUESTS_PER_CATEGORY: usize = 100;
/// Requests before measuring, so the first figures are not the cost of a cold cache.
const WARM_UP: usize = 20;
/// Wall time one search category may take before it stops early (slow queries at a
/// large scale would otherwise keep the benchmark running for a long time).
const SEARCH_CATEGORY_BUDGET: Duration = Duration::from_secs(120);

/// The part of a list or search answer the benchmark reads.
#[derive(Deserialize)]
struct Listing {
    items: Vec<serde_json::Value>,
    total: Option<i64>,
}

/// The conversation lists timed, by label and query string.
pub const LISTS: [(&str, &str); 2] =
    [("open", "status=open&limit=25"), ("open, unassigned", "status=open&assignee=none&limit=25")];

/// Times the lists and the searches and adds their p99 to the summary.
pub async fn read_latencies(data: &DataSet, rows: &mut Vec<Row>) -> Result<()> {
    let app = open_app(&data.dir, Durability::Full).await?;
    let server = serve_in_process(app.clone()).await?;
    let http = http_client()?;
    let token = data.marker.token.as_str();
    let lookup = threading_lookup(&app, token).await?;
    println!(
        "threading lookup of a new customer (a query every inbound message makes): p50 {:.1} ms, max {:.1} ms over {} tries",
        ms(lookup.p50),
        ms(lookup.max),
        lookup.n
    );

    for (label, query) in LISTS {
        let url = format!("{}/api/v1/conversations?{query}", server.base);
        let (cold, body) = timed_get(&http, &url, token).await?;
        let first: Listing = serde_json::from_slice(&body)?;
        for _ in 0..WARM_UP {
            timed_get(&http, &url, token).await?;
        }
        let mut samples = Vec::with_capacity(LIST_REQUESTS);
        for _ in 0..LIST_REQUESTS {
            samples.push(timed_get(&http, &url, token).await?.0);
        }
        let l = Latency::of(samples);
        println!(
            "GET /api/v1/conversations?{query}: {} items of {} — first {:.1} ms, then over {} requests p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
            first.items.len(),
            first.total.map(|t| group(t as usize)).unwrap_or_else(|| "?".into()),
            ms(cold),
            l.n,
            ms(l.p50),
            ms(l.p99),
            ms(l.max)
        );
        rows.push(Row::new(
            format!("list {label}, p99"),
            format!("{:.2} ms", ms(l.p99)),
            "< 20 ms",
            Some(ms(l.p99) < LIST_P99_TARGET_MS),
        ));
    }

    let mut all = Vec::new();
    let mut rng = Rng::new(42);
    for category in SearchCategory::ALL {
        let mut samples = Vec::with_capacity(SEARCH_REQUESTS_PER_CATEGORY);
        let mut hits = 0;
        let mut slowest = (Duration::ZERO, String::new());
        let started = Instant::now();
        for i in 0..WARM_UP + SEARCH_REQUESTS_PER_CATEGORY {
            if i >= 2 * WARM_UP && started.elapsed() > SEARCH_CATEGORY_BUDGET {
                break;
            }
            let q = category.query(&mut rng, data.marker.scale);
            let url = format!("{}/api/v1/search?q={}&limit=20", server.base, q.replace(' ', "+"));
            let (took, body) = timed_get(&http, &url, token).await?;
            if i >= WARM_UP {
                samples.push(took);
                hits += serde_json::from_slice::<Listing>(&body)?.items.len();
                if took > slowest.0 {
                    slowest = (took, q);
                }
            }
        }
        all.extend(samples.iter().copied());
        let l = Latency::of(samples);
        let cut = if l.n < SEARCH_REQUESTS_PER_CATEGORY { " (stopped at the time budget)" } else { "" };
        println!(
            "search, {:<28} p50 {:>7.2} ms, p99 {:>7.2} ms over {} queries{cut}; {:.1} hits each; slowest {:?} {:.1} ms",
            category.label(),
            ms(l.p50),
            ms(l.p99),
            l.n,
            hits as f64 / l.n.max(1) as f64,
            slowest.1,
            ms(slowest.0)
        );
    }
    let l = Latency::of(all);
    println!("search, all {} queries: p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms", l.n, ms(l.p50), ms(l.p99), ms(l.max));
    rows.push(Row::new(
        "search, p99",
        format!("{:.2} ms", ms(l.p99)),
        "< 50 ms",
        Some(ms(l.p99) < SEARCH_P99_TARGET_MS),
    ));

    server.task.abort();
    drop(http);
    app.store().close().await;
    Ok(())
}

/// How long `receive_inbound` takes to look for a new customer's open conversation in the
/// inbox at this scale: the one lookup on its path that does not stay flat as the number
/// of conversations grows.
async fn threading_lookup(app: &App, token: &str) -> Result<Latency> {
    let actor = app.authenticate_token(token).await?;
    let ws = actor.workspace_id;
    let mut tx = app.store().read().await?;
    let inbox = tx.list_inboxes(ws).await?.into_iter().next().context("the data set has no inbox")?;
    let resolved_since = SystemClock.now() - inbox.settings.reopen_window_minutes * 60_000;
    let mut samples = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        tx.thread_for(ws, domain::ContactId::new(), inbox.id, resolved_since).await?;
        samples.push(started.elapsed());
    }
    Ok(Latency::of(samples))
}

/// A kind of search query, from words in most messages to a number in one.
#[derive(Clone, Copy)]
pub enum SearchCategory {
    Common,
    Prefix,
    Uncommon,
    Rare,
    Unique,
    TwoWords,
}

impl SearchCategory {
    pub const ALL: [SearchCategory; 6] = [
        SearchCategory::Common,
        SearchCategory::Prefix,
        SearchCategory::Uncommon,
        SearchCategory::Rare,
        SearchCategory::Unique,
        SearchCategory::TwoWords,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SearchCategory::Common => "common word:",
            SearchCategory::Prefix => "prefix of a common word:",
            SearchCategory::Uncommon => "product or city:",
            SearchCategory::Rare => "rare word:",
            SearchCategory::Unique => "order number (one message):",
            SearchCategory::TwoWords => "two words:",
        }
    }

    pub fn query(self, rng: &mut Rng, scale: usize) -> String {
        const COMMON: &[&str] = &["order", "please", "refund", "delivery", "thanks", "parcel", "replacement"];
        const PREFIXES: &[&str] = &["deliv", "refu", "repl", "pass", "ord"];
        const PAIRS: &[&str] = &[
            "refund espresso",
            "password reset",
            "wrong size",
            "damaged kettle",
            "parcel neighbour",
            "invoice company",
            "warranty thermostat",
            "lisbon parcel",
        ];
        match self {
            SearchCategory::Common => rng.word(COMMON).to_string(),
            SearchCategory::Prefix => rng.word(PREFIXES).to_string(),
            SearchCategory::Uncommon => {
                if rng.below(2) == 0 {
                    rng.word(PRODUCTS).rsplit(' ').next().unwrap_or("desk").to_string()
                } else {
                    rng.word(&CITIES).to_lowercase()
                }
            }
            SearchCategory::Rare => rng.word(&RARE).to_string(),
            SearchCategory::Unique => order_number(rng.below(scale as u64) ^ 0x5eed).to_string(),
            SearchCategory::TwoWords => rng.word(PAIRS).to_string(),
        }
    }
}
