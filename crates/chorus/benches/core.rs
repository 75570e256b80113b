//! The core benchmark, on SQLite: ingest through the API channel's HTTP endpoint, the first
//! page of open conversations and search over a large data set, and the resident memory of
//! `chorus serve` with that data set. It prints figures beside the targets and never fails
//! on a timing: a missed target is reported, not asserted.
//!
//! `cargo bench -p chorus --bench core` runs it. Settings, from the environment:
//! - `CHORUS_BENCH_SCALE`: conversations (one message each) in the data set; default 1,000,000.
//! - `CHORUS_BENCH_INGEST`: messages posted in each ingest run; default 20,000.
//!
//! The data set is built once, writing the rows `receive_inbound` writes for a new customer
//! in large transactions, and kept under
//! `<target>/bench-data/scale-<N>/` (with a `bench.json` marker); later runs reuse it.
//! Delete that directory to rebuild it.

use anyhow::{Context, Result, bail};
use app::{Actor, App, AppConfig, Clock, InboxInput, SystemClock};
use domain::{ChannelKind, Identity, IdentityKind, InboxId, InboxSettings, Millis, Role, WorkspaceId};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};
use store::{Durability, Store};

const INGEST_TARGET_PER_SEC: f64 = 5_000.0;
const LIST_P99_TARGET_MS: f64 = 20.0;
const SEARCH_P99_TARGET_MS: f64 = 50.0;
const RSS_TARGET_MB: f64 = 100.0;

/// Concurrent HTTP clients posting messages, each on its own keep-alive connection.
const INGEST_CLIENTS: usize = 64;
/// Sequential requests per conversation-list query.
const LIST_REQUESTS: usize = 1_000;
/// Sequential requests per search category (six categories).
const SEARCH_REQUESTS_PER_CATEGORY: usize = 100;
/// Messages written per transaction while building the data set.
const BUILD_BATCH: usize = 1_000;
/// Requests before measuring, so the first figures are not the cost of a cold cache.
const WARM_UP: usize = 20;
/// Wall time one search category may take before it stops early (slow queries at a
/// large scale would otherwise keep the benchmark running for a long time).
const SEARCH_CATEGORY_BUDGET: Duration = Duration::from_secs(120);
/// How long the served binary is kept busy before its memory is read.
const SERVE_LOAD: Duration = Duration::from_secs(20);
/// Concurrent clients keeping the served binary busy.
const SERVE_CLIENTS: usize = 8;
/// One in this many messages is from a customer who wrote before (threads into their
/// conversation); the others open a new conversation.
const RETURNING_ONE_IN: u64 = 4;
const PASSWORD: &str = "bench-password-1";

fn main() -> Result<()> {
    // reqwest is built without a default TLS provider; ring is the one compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let settings = Settings::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(settings))
}

struct Settings {
    scale: usize,
    ingest: usize,
    /// `<target>/bench-data`.
    root: PathBuf,
    /// The release `chorus` binary cargo built beside this benchmark.
    binary: PathBuf,
}

impl Settings {
    fn from_env() -> Result<Settings> {
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_chorus"));
        let target =
            binary.parent().and_then(Path::parent).context("the chorus binary is not inside a target directory")?;
        Ok(Settings {
            scale: env_count("CHORUS_BENCH_SCALE", 1_000_000)?,
            ingest: env_count("CHORUS_BENCH_INGEST", 20_000)?,
            root: target.join("bench-data"),
            binary,
        })
    }
}

fn env_count(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(raw) => {
            let n: usize =
                raw.replace(['_', ','], "").parse().with_context(|| format!("{name}={raw:?} is not a count"))?;
            if n == 0 {
                bail!("{name} must be at least 1");
            }
            Ok(n)
        }
        Err(_) => Ok(default),
    }
}

/// One line of the closing summary.
struct Row {
    figure: String,
    measured: String,
    target: String,
    verdict: &'static str,
}

impl Row {
    fn new(figure: impl Into<String>, measured: String, target: &str, met: Option<bool>) -> Row {
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "",
        };
        Row { figure: figure.into(), measured, target: target.to_string(), verdict }
    }
}

async fn run(s: Settings) -> Result<()> {
    std::fs::create_dir_all(&s.root).with_context(|| format!("creating {}", s.root.display()))?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("Chorus core benchmark — SQLite, {cores} cores");
    println!("data set: {} conversations; ingest runs: {} messages each\n", group(s.scale), group(s.ingest));
    let mut rows = Vec::new();
    let mut phases = Vec::new();

    let started = Instant::now();
    println!("## Ingest through POST /api/v1/inboxes/{{id}}/messages ({INGEST_CLIENTS} keep-alive clients)");
    let sync = disk_sync_latency(&s.root)?;
    println!(
        "disk: fdatasync p50 {:.2} ms, p99 {:.2} ms (one durable commit costs at least one)",
        ms(sync.p50),
        ms(sync.p99)
    );
    for (label, durability) in [("durable (Full)", Durability::Full), ("Normal", Durability::Normal)] {
        let r = ingest(&s, durability).await?;
        println!(
            "{label:>15}: {} messages in {:.1} s = {:.0} messages/s; request p50 {:.1} ms, p99 {:.1} ms; \
             {} new conversations, {} threaded into existing ones",
            group(r.messages),
            r.elapsed.as_secs_f64(),
            r.per_sec(),
            ms(r.latency.p50),
            ms(r.latency.p99),
            group(r.messages - r.threaded),
            group(r.threaded)
        );
        let (target, met) = match durability {
            Durability::Full => ("≥ 5,000 msg/s", Some(r.per_sec() >= INGEST_TARGET_PER_SEC)),
            Durability::Normal => ("(comparison)", None),
        };
        rows.push(Row::new(format!("ingest, {label}"), format!("{:.0} msg/s", r.per_sec()), target, met));
    }
    phases.push(("ingest (both runs)", started.elapsed()));

    println!("\n## Data set");
    let started = Instant::now();
    let data = dataset(&s).await?;
    phases.push(("data set (build or reuse)", started.elapsed()));
    rows.push(Row::new(
        "data set build",
        if data.built_now {
            format!("{:.0} s", data.marker.build_seconds)
        } else {
            format!("{:.0} s (earlier run)", data.marker.build_seconds)
        },
        "",
        None,
    ));

    println!("\n## Reads against the in-process server");
    let started = Instant::now();
    read_latencies(&data, &mut rows).await?;
    phases.push(("list and search latencies", started.elapsed()));

    println!("\n## Resident memory of `chorus serve`");
    let started = Instant::now();
    serve_memory(&s, &data, &mut rows).await?;
    phases.push(("serve memory", started.elapsed()));

    println!("\n## Summary ({cores} cores, SQLite, {} conversations)", group(data.marker.conversations as usize));
    let width = rows.iter().map(|r| r.figure.chars().count()).max().unwrap_or(10);
    println!("{:width$}  {:>22}  {:>14}  ", "figure", "measured", "target");
    for r in &rows {
        println!("{:width$}  {:>22}  {:>14}  {}", r.figure, r.measured, r.target, r.verdict);
    }
    println!();
    for (phase, took) in phases {
        println!("{phase:>26}: {:.0} s", took.as_secs_f64());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// A desk: a store with a workspace, an API inbox and a token, served in process.

struct Desk {
    app: App,
    ws: WorkspaceId,
    inbox: InboxId,
    token: String,
}

fn database(dir: &Path) -> Result<String> {
    dir.join("chorus.db").to_str().map(str::to_string).context("the data directory must be valid UTF-8")
}

async fn open_app(dir: &Path, durability: Durability) -> Result<App> {
    let store = Store::open(&database(dir)?, durability).await?;
    store.migrate().await?;
    Ok(App::new(store, AppConfig::new(dir), Arc::new(SystemClock))?)
}

async fn new_desk(dir: &Path, durability: Durability) -> Result<Desk> {
    let app = open_app(dir, durability).await?;
    let (ws, user) = app
        .bootstrap("Bench support", "owner@example.com", "Owner", PASSWORD)
        .await?
        .context("the database is not new")?;
    let actor = Actor { workspace_id: ws.id, user_id: user.id, role: Role::Owner };
    let settings = InboxSettings::default();
    let inbox =
        app.create_inbox(&actor, InboxInput { kind: ChannelKind::Api, name: "Shop integration".into(), settings });
    let inbox = inbox.await?;
    let token = app.create_token(&actor, "bench").await?.secret;
    Ok(Desk { app, ws: ws.id, inbox: inbox.id, token })
}

struct Server {
    base: String,
    task: tokio::task::JoinHandle<()>,
}

/// Serves the real router on a real socket, as `chorus serve` does.
async fn serve_in_process(app: App) -> Result<Server> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = web::router(web::AppState { app, config: web::WebConfig::default() });
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await {
            eprintln!("the in-process server stopped: {e}");
        }
    });
    Ok(Server { base: format!("http://{addr}"), task })
}

fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder().no_proxy().pool_max_idle_per_host(1).build()?)
}

// ---------------------------------------------------------------------------------------
// 1. Ingest.

struct IngestRun {
    messages: usize,
    threaded: usize,
    elapsed: Duration,
    latency: Latency,
}

impl IngestRun {
    fn per_sec(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }
}

#[derive(Serialize)]
struct InboundBody {
    provider_message_id: String,
    from: FromBody,
    name: String,
    subject: String,
    text: String,
}

#[derive(Serialize)]
struct FromBody {
    kind: &'static str,
    value: String,
}

/// Posts `s.ingest` messages to a fresh database over HTTP and times them.
async fn ingest(s: &Settings, durability: Durability) -> Result<IngestRun> {
    let dir = tempfile::Builder::new().prefix("ingest-").tempdir_in(&s.root)?;
    let desk = new_desk(dir.path(), durability).await?;
    let server = serve_in_process(desk.app.clone()).await?;
    let url = Arc::new(format!("{}/api/v1/inboxes/{}/messages", server.base, desk.inbox));
    let token = Arc::new(desk.token.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let count = s.ingest;
    let started = Instant::now();
    let mut clients = Vec::with_capacity(INGEST_CLIENTS);
    for _ in 0..INGEST_CLIENTS {
        let (url, token, next) = (url.clone(), token.clone(), next.clone());
        clients.push(tokio::spawn(async move {
            let http = http_client()?;
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let sender = sender_of(i);
                let (subject, text) = message(i as u64);
                let body = InboundBody {
                    provider_message_id: format!("in-{i}"),
                    from: FromBody { kind: "email", value: email(sender) },
                    name: name(sender),
                    subject,
                    text,
                };
                let sent = Instant::now();
                let response = http.post(url.as_str()).bearer_auth(token.as_str()).json(&body).send().await?;
                let status = response.status();
                let answer = response.bytes().await?;
                if status != reqwest::StatusCode::CREATED {
                    bail!("message {i}: HTTP {status}: {}", String::from_utf8_lossy(&answer));
                }
                latencies.push(sent.elapsed());
            }
        }));
    }
    let mut latencies = Vec::with_capacity(count);
    for client in clients {
        latencies.extend(client.await??);
    }
    let elapsed = started.elapsed();
    server.task.abort();
    let conversations = open_total(&desk).await? as usize;
    desk.app.store().close().await;
    let threaded = count.saturating_sub(conversations);
    Ok(IngestRun { messages: count, threaded, elapsed, latency: Latency::of(latencies) })
}

/// How long a small durable write takes on the disk holding the databases: the floor under
/// every commit with `Durability::Full`.
fn disk_sync_latency(root: &Path) -> Result<Latency> {
    let mut file = tempfile::tempfile_in(root)?;
    let page = [7u8; 4096];
    let mut samples = Vec::with_capacity(200);
    for _ in 0..200 {
        let started = Instant::now();
        file.write_all(&page)?;
        file.sync_data()?;
        samples.push(started.elapsed());
    }
    Ok(Latency::of(samples))
}

// ---------------------------------------------------------------------------------------
// 2. The data set.

/// What a finished build leaves beside the database; its presence means the build completed.
#[derive(Serialize, Deserialize)]
struct Marker {
    scale: usize,
    conversations: i64,
    messages: usize,
    token: String,
    build_seconds: f64,
}

struct DataSet {
    dir: PathBuf,
    marker: Marker,
    built_now: bool,
}

async fn dataset(s: &Settings) -> Result<DataSet> {
    let dir = s.root.join(format!("scale-{}", s.scale));
    let marker_path = dir.join("bench.json");
    if let Ok(text) = std::fs::read_to_string(&marker_path) {
        match serde_json::from_str::<Marker>(&text) {
            Ok(marker) if marker.scale == s.scale && dir.join("chorus.db").exists() => {
                println!(
                    "reusing {} ({} conversations, {} messages, built in {:.0} s by an earlier run)",
                    dir.display(),
                    group(marker.conversations as usize),
                    group(marker.messages),
                    marker.build_seconds
                );
                return Ok(DataSet { dir, marker, built_now: false });
            }
            _ => println!("{} is from another build; building again", marker_path.display()),
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    println!(
        "building {} conversations, one customer message each, {} per transaction (Durability::Normal) in {}",
        group(s.scale),
        group(BUILD_BATCH),
        dir.display()
    );
    let desk = new_desk(&dir, Durability::Normal).await?;
    let started = Instant::now();
    let mut last_report = Instant::now();
    // Activity times spread over the last 60 days, oldest first.
    let span: Millis = 60 * 24 * 3_600_000;
    let first = SystemClock.now() - span;
    let step = (span / s.scale as i64).max(1);
    let store = desk.app.store().clone();
    let mut done = 0;
    while done < s.scale {
        let end = (done + BUILD_BATCH).min(s.scale);
        let mut tx = store.write().await?;
        let mut counters = std::collections::BTreeMap::new();
        for i in done..end {
            for key in write_new_conversation(&mut tx, &desk, i, first + i as i64 * step).await? {
                *counters.entry(key).or_insert(0) += 1;
            }
        }
        for (key, delta) in counters {
            tx.bump_counter(desk.ws, &key, delta).await?;
        }
        tx.commit().await?;
        done = end;
        if last_report.elapsed() >= Duration::from_secs(30) {
            last_report = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            println!("  {} / {} after {secs:.0} s ({:.0} messages/s)", group(done), group(s.scale), done as f64 / secs);
        }
    }
    let build_seconds = started.elapsed().as_secs_f64();
    let conversations = open_total(&desk).await?;
    desk.app.store().close().await;
    println!(
        "built {} conversations in {build_seconds:.0} s ({:.0} messages/s)",
        group(conversations as usize),
        s.scale as f64 / build_seconds
    );
    if conversations != s.scale as i64 {
        bail!("the data set has {conversations} open conversations, expected {}", s.scale);
    }
    let marker = Marker { scale: s.scale, conversations, messages: s.scale, token: desk.token, build_seconds };
    std::fs::write(&marker_path, serde_json::to_string_pretty(&marker)?)?;
    Ok(DataSet { dir, marker, built_now: true })
}

/// Writes what `receive_inbound` writes for a first message from a new customer: the
/// contact with its identity, a new open conversation, the message, their search
/// documents, the list counters and the three events. The lookups that find nothing for a
/// new customer are left out and the list counters are bumped once per batch (the caller
/// adds up the keys returned), so a large data set builds in minutes; the ingest figures
/// measure the use case itself.
async fn write_new_conversation(tx: &mut store::Tx, desk: &Desk, i: usize, now: Millis) -> Result<Vec<String>> {
    use domain::{
        Author, Contact, ContactId, Conversation, Direction, EventKind, Message, MessageId, MessageKind, NewEvent,
    };
    use serde_json::json;
    let ws = desk.ws;
    let (subject, text) = message(i as u64 ^ 0x5eed);
    let from = Identity::parse(IdentityKind::Email, &email(i))?;
    let contact_body = format!("{} {}", name(i), from.value);
    let contact = Contact {
        id: ContactId::new(),
        workspace_id: ws,
        name: Some(name(i)),
        company: None,
        attributes: Default::default(),
        identities: vec![from],
        created_at: now,
        updated_at: now,
    };
    tx.insert_contact(&contact).await?;
    tx.index_document(ws, store::SearchKind::Contact, contact.id.0, None, &contact_body).await?;
    let number = tx.next_conversation_number(ws).await?;
    let mut conversation = Conversation::open(ws, number, desk.inbox, contact.id, Some(subject.clone()), now);
    conversation.on_inbound(now, &text);
    tx.insert_conversation(&conversation).await?;
    tx.index_document(ws, store::SearchKind::Conversation, conversation.id.0, Some(conversation.id), &subject).await?;
    let message = Message {
        id: MessageId::new(),
        workspace_id: ws,
        conversation_id: conversation.id,
        inbox_id: desk.inbox,
        direction: Direction::Inbound,
        kind: MessageKind::Message,
        author: Author::Contact(contact.id),
        text,
        html: None,
        attachments: vec![],
        provider_message_id: Some(format!("ds-{i}")),
        delivery_status: None,
        delivery_error: None,
        created_at: now,
    };
    tx.insert_message(&message).await?;
    tx.index_document(ws, store::SearchKind::Message, message.id.0, Some(conversation.id), &message.text).await?;
    let events = [
        NewEvent {
            kind: EventKind::ContactCreated,
            conversation_id: None,
            user_id: None,
            data: json!({ "contact_id": contact.id }),
        },
        NewEvent {
            kind: EventKind::ConversationCreated,
            conversation_id: Some(conversation.id),
            user_id: None,
            data: json!({ "conversation_id": conversation.id, "number": conversation.number, "status": conversation.status, "assignee_id": null }),
        },
        NewEvent {
            kind: EventKind::MessageCreated,
            conversation_id: Some(conversation.id),
            user_id: None,
            data: json!({ "message_id": message.id, "kind": message.kind, "direction": message.direction }),
        },
    ];
    tx.append_events(ws, &events, now).await?;
    Ok(conversation.counter_keys())
}

/// The open-conversation counter, as the list's `total` reports it.
async fn open_total(desk: &Desk) -> Result<i64> {
    let actor = desk.app.authenticate_token(&desk.token).await?;
    let filter = domain::ConversationFilter { status: Some(domain::Status::Open), ..Default::default() };
    let list = desk.app.list_conversations(&actor, app::ConversationQuery { filter, cursor: None, limit: 1 }).await?;
    list.total.context("the open list has no counter")
}

// ---------------------------------------------------------------------------------------
// 3 and 4. List and search latencies over HTTP.

#[derive(Deserialize)]
struct Listing {
    items: Vec<serde_json::Value>,
    total: Option<i64>,
}

const LISTS: [(&str, &str); 2] =
    [("open", "status=open&limit=25"), ("open, unassigned", "status=open&assignee=none&limit=25")];

/// One GET, timed until the whole body has arrived.
async fn timed_get(http: &reqwest::Client, url: &str, token: &str) -> Result<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let response = http.get(url).bearer_auth(token).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    let took = started.elapsed();
    if !status.is_success() {
        bail!("GET {url}: HTTP {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok((took, body.to_vec()))
}

async fn read_latencies(data: &DataSet, rows: &mut Vec<Row>) -> Result<()> {
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

#[derive(Clone, Copy)]
enum SearchCategory {
    Common,
    Prefix,
    Uncommon,
    Rare,
    Unique,
    TwoWords,
}

impl SearchCategory {
    const ALL: [SearchCategory; 6] = [
        SearchCategory::Common,
        SearchCategory::Prefix,
        SearchCategory::Uncommon,
        SearchCategory::Rare,
        SearchCategory::Unique,
        SearchCategory::TwoWords,
    ];

    fn label(self) -> &'static str {
        match self {
            SearchCategory::Common => "common word:",
            SearchCategory::Prefix => "prefix of a common word:",
            SearchCategory::Uncommon => "product or city:",
            SearchCategory::Rare => "rare word:",
            SearchCategory::Unique => "order number (one message):",
            SearchCategory::TwoWords => "two words:",
        }
    }

    fn query(self, rng: &mut Rng, scale: usize) -> String {
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

// ---------------------------------------------------------------------------------------
// 5. Resident memory of the real binary.

/// The served binary, stopped when dropped.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Keeps the served binary busy for [`SERVE_LOAD`] with `clients` concurrent clients, a
/// third of the requests conversation lists and the rest searches; returns how many it served.
async fn serve_load(base: &str, data: &DataSet, clients: usize) -> Result<usize> {
    let until = Instant::now() + SERVE_LOAD;
    let served = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let (base, token, served, scale) =
            (base.to_string(), data.marker.token.clone(), served.clone(), data.marker.scale);
        tasks.push(tokio::spawn(async move {
            let http = http_client()?;
            let mut rng = Rng::new(c as u64 + 7);
            while Instant::now() < until {
                let url = match rng.below(3) {
                    0 => format!("{base}/api/v1/conversations?{}", rng.pick(&LISTS).1),
                    _ => {
                        let category = *rng.pick(&SearchCategory::ALL);
                        let q = category.query(&mut rng, scale).replace(' ', "+");
                        format!("{base}/api/v1/search?q={q}&limit=20")
                    }
                };
                timed_get(&http, &url, &token).await?;
                served.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(served.load(Ordering::Relaxed))
}

/// A process's memory from `/proc/<pid>/status`, in MB (10^6 bytes).
struct Memory {
    /// VmRSS: resident now.
    rss: f64,
    /// VmHWM: the most that was ever resident.
    peak: f64,
    /// RssAnon: heap and stacks (SQLite's page caches live here).
    anon: f64,
    /// RssFile: mapped files (the binary itself, SQLite's shared-memory index).
    file: f64,
}

fn memory_of(pid: u32) -> Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading the process status")?;
    let field = |name: &str| -> Result<f64> {
        let line = status.lines().find(|l| l.starts_with(name)).with_context(|| format!("no {name} in the status"))?;
        let kib: f64 = line.split_whitespace().nth(1).context("an empty status line")?.parse()?;
        Ok(kib * 1024.0 / 1e6)
    };
    Ok(Memory { rss: field("VmRSS:")?, peak: field("VmHWM:")?, anon: field("RssAnon:")?, file: field("RssFile:")? })
}

async fn serve_memory(s: &Settings, data: &DataSet, rows: &mut Vec<Row>) -> Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let listen = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(&s.binary)
        .arg("serve")
        .arg("--data-dir")
        .arg(&data.dir)
        .arg("--database-url")
        .arg(database(&data.dir)?)
        .arg("--listen")
        .arg(&listen)
        .env_remove("CHORUS_CONFIG")
        .env("CHORUS_LOG", "warn")
        .current_dir(&data.dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", s.binary.display()))?;
    let mut running = Running(child);
    let pid = running.0.id();
    let base = format!("http://{listen}");
    let http = http_client()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = running.0.try_wait()? {
            bail!("chorus serve exited early: {status}");
        }
        if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        if Instant::now() > deadline {
            bail!("chorus serve did not answer within two minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let idle = memory_of(pid)?;
    println!("started (pid {pid}); resident after start: {:.1} MB (anonymous {:.1} MB)", idle.rss, idle.anon);
    let mut after = idle;
    for clients in [1, SERVE_CLIENTS] {
        let served = serve_load(&base, data, clients).await?;
        after = memory_of(pid)?;
        println!(
            "after {} list and search requests from {clients} client(s) over {} s: resident {:.1} MB \
             (anonymous {:.1} MB, files {:.1} MB), peak {:.1} MB",
            group(served),
            SERVE_LOAD.as_secs(),
            after.rss,
            after.anon,
            after.file,
            after.peak
        );
    }
    drop(running);
    let (rss, peak) = (after.rss, after.peak);
    rows.push(Row::new("serve RSS after load", format!("{rss:.1} MB"), "< 100 MB", Some(rss < RSS_TARGET_MB)));
    rows.push(Row::new("serve peak RSS (VmHWM)", format!("{peak:.1} MB"), "< 100 MB", Some(peak < RSS_TARGET_MB)));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Figures.

struct Latency {
    n: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Latency {
    fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort_unstable();
        let n = samples.len();
        let at = |q: f64| samples.get(((n as f64 * q).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default();
        Latency { n, p50: at(0.50), p99: at(0.99), max: samples.last().copied().unwrap_or_default() }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// 1234567 → "1,234,567".
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Realistic customers and messages, deterministic from a number.

/// splitmix64: small, fast and good enough to vary text.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// One of `words`.
    fn word(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len() as u64) as usize]
    }
}

/// The customer who sent ingest message `i`: usually someone new (`i` itself), sometimes
/// someone who wrote an earlier message, whose open conversation the message threads into.
fn sender_of(i: usize) -> usize {
    let mut i = i;
    loop {
        let mut rng = Rng::new(i as u64 ^ 0xc0ffee);
        if i >= 100 && rng.below(RETURNING_ONE_IN) == 0 {
            i = rng.below(i as u64) as usize;
        } else {
            return i;
        }
    }
}

fn email(customer: usize) -> String {
    const DOMAINS: &[&str] = &["example.net", "example.com", "example.org"];
    format!("c{customer}@{}", DOMAINS[customer % DOMAINS.len()])
}

fn name(customer: usize) -> String {
    let mut rng = Rng::new(customer as u64);
    format!("{} {}", rng.word(&FIRST_NAMES), rng.word(&LAST_NAMES))
}

/// A seven-digit order number that appears in one message only.
fn order_number(seed: u64) -> u64 {
    1_000_000 + Rng::new(seed).next() % 9_000_000
}

/// A subject and a few sentences a customer might write.
fn message(seed: u64) -> (String, String) {
    let mut rng = Rng::new(seed);
    let product = rng.word(PRODUCTS);
    let problem = rng.word(PROBLEMS);
    let order = order_number(seed);
    let subject = match rng.below(3) {
        0 => format!("Problem with my {product}"),
        1 => format!("Order {order}: the {product} {problem}"),
        _ => format!("Question about order {order}"),
    };
    let (greeting, day) = (rng.word(GREETINGS), rng.word(DAYS));
    let mut text = match rng.below(3) {
        0 => format!("{greeting}, I ordered the {product} on {day} and it {problem}."),
        1 => format!("{greeting}, the {product} I bought on {day} {problem}."),
        _ => format!("{greeting}, my new {product} {problem}."),
    };
    text.push_str(&match rng.below(3) {
        0 => format!(" My order number is {order}. "),
        1 => format!(" It was order #{order}. "),
        _ => format!(" Reference: {order}. "),
    });
    text.push_str(rng.word(ASKS));
    if rng.below(2) == 0 {
        let context = rng.word(CONTEXT).replace("{city}", rng.word(&CITIES)).replace("{day}", rng.word(DAYS));
        text.push(' ');
        text.push_str(&context);
    }
    if rng.below(20) == 0 {
        text.push_str(&format!(" P.S. the box had a {} sticker on it.", rng.word(&RARE)));
    }
    text.push_str(&format!(" {}, {}", rng.word(SIGN_OFFS), rng.word(&FIRST_NAMES)));
    (subject, text)
}

/// The words of a space-separated list.
fn words(list: &'static str) -> Vec<&'static str> {
    list.split_whitespace().collect()
}

const GREETINGS: &[&str] = &["Hi", "Hello", "Good morning", "Hey there", "Dear support team", "Good afternoon"];
const DAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const SIGN_OFFS: &[&str] = &["Thanks", "Thank you", "Best regards", "Cheers", "Kind regards", "Many thanks"];
static FIRST_NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "Ana Ben Chloe Dmitri Emma Farah Gustavo Hana Ivan Jia Kofi Lena Mateo Nadia Oskar Priya Quentin \
        Rosa Sami Tomas Uma Viktor Wen Yara Zane",
    )
});
static LAST_NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "Silva Novak Okafor Schmidt Haddad Kowalski Lindqvist Moreau Nakamura O'Brien Petrova Rossi \
        Santos Tanaka Usman Varga Weber Yilmaz Zhang Bianchi",
    )
});
const PRODUCTS: &[&str] = &[
    "espresso machine",
    "standing desk",
    "wireless headphones",
    "running shoes",
    "winter jacket",
    "smart thermostat",
    "phone case",
    "yoga mat",
    "coffee grinder",
    "hiking backpack",
    "desk lamp",
    "electric kettle",
    "gaming mouse",
    "mechanical keyboard",
    "air purifier",
    "baby stroller",
    "camping tent",
    "kitchen blender",
    "robot vacuum",
    "office chair",
    "bike helmet",
    "water bottle",
    "smartwatch",
    "tablet stand",
];
const PROBLEMS: &[&str] = &[
    "arrived damaged",
    "stopped working after two days",
    "is missing a part",
    "was the wrong size",
    "never arrived",
    "makes a strange noise",
    "does not turn on",
    "came in the wrong colour",
    "was charged twice",
    "looks nothing like the pictures",
];
const ASKS: &[&str] = &[
    "Could you send a replacement?",
    "I would like a refund, please.",
    "Can you tell me where my parcel is?",
    "Please cancel the rest of my order.",
    "Is there a warranty on this?",
    "How do I return it?",
    "Can someone call me back today?",
    "Could you update my delivery address?",
    "I need an invoice for my company.",
    "Please reset my password, I cannot sign in to my account.",
];
const CONTEXT: &[&str] = &[
    "I already tried restarting it twice.",
    "The courier left a note but nobody rang the bell.",
    "My neighbour in {city} received the parcel instead.",
    "This is the second time this has happened.",
    "The tracking page has not changed since {day}.",
    "I bought it as a gift, so it is a bit urgent.",
    "Your chat assistant told me to write here.",
    "I attached a photo of the box.",
    "I am travelling to {city} on {day} and need it before then.",
];
static CITIES: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "Lisbon Porto Berlin Hamburg Lyon Nantes Madrid Seville Turin Krakow Gdansk Dublin Cork Leeds \
        Bristol Oslo Bergen Tallinn Riga Vilnius",
    )
});
/// Words that each appear in about one message in two thousand.
static RARE: LazyLock<Vec<&str>> = LazyLock::new(|| {
    words(
        "quokka zephyr marmalade kumquat obsidian tambourine pelican gondola xylophone platypus saffron \
        origami narwhal juniper calliope tundra mandolin periwinkle wombat cardamom falafel hologram \
        lighthouse meringue nebula ocelot pistachio quasar rhubarb sequoia toucan ukulele vermilion \
        walrus yodel zucchini albatross bonsai cinnamon dandelion eucalyptus flamingo gazebo hazelnut \
        iguana jasmine kaleidoscope lavender mongoose nutmeg octopus paprika quince raccoon sundial \
        tortoise umbrella vanilla wisteria yak anchovy biscotti chameleon dragonfly emerald fennel \
        gingerbread hedgehog indigo jellyfish kiwi lemongrass macaron nightingale oregano pomegranate \
        quiche rosemary salamander tangerine turquoise velvet waffle zeppelin armadillo buttercup cobalt \
        dolphin elderflower firefly gecko hyacinth ivory jaguar koala lynx magnolia nectarine opal \
        puffin",
    )
});
