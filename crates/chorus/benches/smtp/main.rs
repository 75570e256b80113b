//! The SMTP ingest benchmark: mail sent to Chorus's own SMTP listener, end to end — the
//! SMTP conversation, parsing, storing with durable commits on SQLite, and indexing for
//! search — then once more with `Durability::Normal`, for comparison. Clients in the same
//! process speak raw SMTP over loopback, each on one connection sending message after
//! message (with pipelined envelopes, as real MTAs do). It prints figures beside the
//! target and never fails on a timing.
//!
//! `cargo bench -p chorus --bench smtp` runs it. Settings, from the environment:
//! - `CHORUS_BENCH_SMTP_MESSAGES`: mails sent; default 20,000.
//! - `CHORUS_BENCH_SMTP_CLIENTS`: concurrent SMTP connections; default 32.

use anyhow::{Context, Result, bail};
use app::{Actor, App, AppConfig, InboxInput, SystemClock};
use channels::email::smtp::{SmtpConfig, SmtpListener};
use domain::inbox::EmailSettings;
use domain::{ChannelKind, InboxSettings};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const TARGET_PER_SEC: f64 = 1_000.0;
const ADDRESS: &str = "support@bench.test";
/// One in this many mails answers an earlier one (In-Reply-To), threading into its
/// conversation; the others open conversations of their own.
const REPLY_ONE_IN: usize = 4;

fn main() -> Result<()> {
    let messages = env_count("CHORUS_BENCH_SMTP_MESSAGES", 20_000)?;
    let clients = env_count("CHORUS_BENCH_SMTP_CLIENTS", 32)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(messages, clients))
}

fn env_count(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(raw) => match raw.replace(['_', ','], "").parse() {
            Ok(0) | Err(_) => bail!("{name}={raw:?} is not a positive count"),
            Ok(n) => Ok(n),
        },
        Err(_) => Ok(default),
    }
}

async fn run(messages: usize, clients: usize) -> Result<()> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("Chorus SMTP ingest benchmark — SQLite, {cores} cores");
    println!("{messages} mails from {clients} keep-alive SMTP connections to an in-process listener\n");
    for (label, durability) in [("durable (Full)", store::Durability::Full), ("Normal", store::Durability::Normal)] {
        let (elapsed, mut latencies) = ingest(messages, clients, durability).await?;
        latencies.sort_unstable();
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        let rate = messages as f64 / elapsed.as_secs_f64();
        let verdict = match durability {
            store::Durability::Full if rate >= TARGET_PER_SEC => format!("target ≥ {TARGET_PER_SEC:.0}/s: met"),
            store::Durability::Full => format!("target ≥ {TARGET_PER_SEC:.0}/s: MISSED"),
            store::Durability::Normal => "comparison".to_string(),
        };
        println!(
            "{label:>15}: {messages} mails in {:.1} s = {rate:.0} messages/s ({verdict}); \
             per message (MAIL FROM to the final 250) p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            elapsed.as_secs_f64(),
            ms(pct(0.50)),
            ms(pct(0.99)),
            ms(pct(1.0))
        );
    }
    Ok(())
}

/// Sends `messages` mails into a fresh database and times them.
async fn ingest(messages: usize, clients: usize, durability: store::Durability) -> Result<(Duration, Vec<Duration>)> {
    let dir = tempfile::tempdir()?;
    let app = desk(dir.path(), durability).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut config = SmtpConfig::new("mx.bench.test");
    config.max_connections = clients + 8;
    let server = tokio::spawn(SmtpListener::new(app.clone(), config).run(listener));

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let next = next.clone();
        tasks.push(tokio::spawn(async move { client(addr, next, messages).await }));
    }
    let mut latencies = Vec::with_capacity(messages);
    for t in tasks {
        latencies.extend(t.await??);
    }
    let elapsed = started.elapsed();
    server.abort();
    app.store().close().await;
    Ok((elapsed, latencies))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A fresh database with one workspace and one e-mail inbox.
async fn desk(dir: &std::path::Path, durability: store::Durability) -> Result<App> {
    let db = dir.join("chorus.db");
    let store = store::Store::open(&db.to_string_lossy(), durability).await?;
    store.migrate().await?;
    let app = App::new(store, AppConfig::new(dir), Arc::new(SystemClock))?;
    let (ws, owner) =
        app.bootstrap("Bench", "owner@bench.test", "Owner", "bench password").await?.context("a fresh database")?;
    let owner = Actor { workspace_id: ws.id, user_id: owner.id, role: domain::Role::Owner };
    let settings = InboxSettings {
        email: Some(EmailSettings { addresses: vec![ADDRESS.into()], ..Default::default() }),
        ..Default::default()
    };
    app.create_inbox(&owner, InboxInput { kind: ChannelKind::Email, name: "Support".into(), settings }).await?;
    Ok(app)
}

/// One SMTP connection sending mails until all are taken; returns each mail's latency.
async fn client(addr: SocketAddr, next: Arc<AtomicUsize>, total: usize) -> Result<Vec<Duration>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    expect(&mut read, &mut line, "220").await?;
    write.write_all(b"EHLO client.bench.test\r\n").await?;
    expect(&mut read, &mut line, "250").await?;
    let mut latencies = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            write.write_all(b"QUIT\r\n").await?;
            return Ok(latencies);
        }
        let sent = Instant::now();
        let envelope = format!("MAIL FROM:<customer{}@example.com>\r\nRCPT TO:<{ADDRESS}>\r\nDATA\r\n", sender(i));
        write.write_all(envelope.as_bytes()).await?;
        expect(&mut read, &mut line, "250").await?;
        expect(&mut read, &mut line, "250").await?;
        expect(&mut read, &mut line, "354").await?;
        write.write_all(&mail(i)).await?;
        expect(&mut read, &mut line, "250").await?;
        latencies.push(sent.elapsed());
    }
}

/// Reads one (possibly multi-line) reply and checks its code.
async fn expect(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, line: &mut String, code: &str) -> Result<()> {
    loop {
        line.clear();
        if read.read_line(line).await? == 0 {
            bail!("the listener closed the connection");
        }
        if !line.starts_with(code) {
            bail!("expected {code}, got {:?}", line.trim_end());
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

/// Who sent mail `i`: a reply comes from the sender of the mail it answers.
fn sender(i: usize) -> usize {
    if i >= REPLY_ONE_IN && i.is_multiple_of(REPLY_ONE_IN) { i / 2 } else { i }
}

/// A small plain-text mail, about the size of a typical support question.
fn mail(i: usize) -> Vec<u8> {
    let from = sender(i);
    let threading = if from != i { format!("In-Reply-To: <bench-{from}@example.com>\r\n") } else { String::new() };
    format!(
        "From: Customer {from} <customer{from}@example.com>\r\n\
         To: Support <{ADDRESS}>\r\n\
         Subject: Order {from} has not arrived\r\n\
         Message-ID: <bench-{i}@example.com>\r\n\
         {threading}\
         Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Hello,\r\n\
         \r\n\
         I ordered a blue kettle ({i}) two weeks ago and it has not arrived yet. The tracking\r\n\
         page has said \"in transit\" since Tuesday. Could you check where it is, or send a\r\n\
         new one? I need it before the weekend.\r\n\
         \r\n\
         Thanks,\r\n\
         Customer {from}\r\n\
         .\r\n"
    )
    .into_bytes()
}
