//! Ingest through the API channel's HTTP endpoint (`POST /api/v1/inboxes/{id}/messages`)
//! into a fresh database, with many keep-alive clients, once with durable commits and once
//! with `Durability::Normal` for comparison; plus the disk's own sync latency, the floor
//! under every durable commit, and where the inbound writer spent its time per message.
//! Each run uses its own temporary database, never the data set.

use crate::desk::{http_client, new_desk, open_total, serve_in_process};
use crate::figures::{Latency, Row, group, ms};
use crate::text::{Rng, email, message, name};
use anyhow::{Result, bail};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use store::Durability;

const INGEST_TARGET_PER_SEC: f64 = 5_000.0;
/// Concurrent HTTP clients posting messages, each on its own keep-alive connection, unless
/// `CHORUS_BENCH_INGEST_CLIENTS` says otherwise.
pub const INGEST_CLIENTS: usize = 64;

/// How many clients post at once: `CHORUS_BENCH_INGEST_CLIENTS`, else [`INGEST_CLIENTS`].
pub fn ingest_clients() -> Result<usize> {
    crate::figures::env_count("CHORUS_BENCH_INGEST_CLIENTS", INGEST_CLIENTS)
}
/// One in this many messages is from a customer who wrote before (threads into their
/// conversation); the others open a new conversation.
const RETURNING_ONE_IN: u64 = 4;

/// Prints the disk's sync latency and one ingest run of `count` messages per durability
/// setting, and adds their rates to the summary.
pub async fn report(root: &Path, count: usize, rows: &mut Vec<Row>) -> Result<()> {
    let sync = disk_sync_latency(root)?;
    println!(
        "disk: fdatasync p50 {:.2} ms, p99 {:.2} ms (one durable commit costs at least one)",
        ms(sync.p50),
        ms(sync.p99)
    );
    for (label, durability) in [("durable (Full)", Durability::Full), ("Normal", Durability::Normal)] {
        let r = ingest(root, count, durability).await?;
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
        let p = r.profile;
        let per = |us: u64| us as f64 / p.messages.max(1) as f64;
        println!(
            "{:>15}  writer, µs per message: begin {:.0}, look-ups {:.0}, receive {:.0}, write {:.0}, commit {:.0}; \
             {:.1} messages per batch, answered {:.2} ms after its commit (the WAL's sync, beside the next batch)",
            "",
            per(p.begin_us),
            per(p.look_up_us),
            per(p.receive_us),
            per(p.write_us),
            per(p.commit_us),
            p.messages as f64 / p.batches.max(1) as f64,
            p.sync_us as f64 / 1000.0 / p.batches.max(1) as f64
        );
        let cpu = |name: &str| r.cpu.iter().filter(|(n, _)| n.starts_with(name)).map(|(_, s)| s).sum::<f64>();
        let per_message = |secs: f64| secs * 1e6 / r.messages as f64;
        let all = r.cpu.values().sum::<f64>();
        println!(
            "{:>15}  CPU, µs per message: {:.0} in all = SQLite connections {:.0} + inbound writer {:.0} \
             + runtime (server and clients) {:.0} + other {:.0}; the 2 cores give {:.0} at 5,000 msg/s",
            "",
            per_message(all),
            per_message(cpu("sqlx-sqlite")),
            per_message(cpu("chorus-ingest")),
            per_message(cpu("tokio-rt")),
            per_message(all - cpu("sqlx-sqlite") - cpu("chorus-ingest") - cpu("tokio-rt")),
            2.0 * 1e6 / INGEST_TARGET_PER_SEC
        );
        let (target, met) = match durability {
            Durability::Full => ("≥ 5,000 msg/s", Some(r.per_sec() >= INGEST_TARGET_PER_SEC)),
            Durability::Normal => ("(comparison)", None),
        };
        rows.push(Row::new(format!("ingest, {label}"), format!("{:.0} msg/s", r.per_sec()), target, met));
    }
    Ok(())
}

/// One timed ingest run.
struct IngestRun {
    messages: usize,
    /// Where the inbound writer's time went.
    profile: app::WriterProfile,
    /// CPU seconds each kind of thread used during the run (see `cpu_between`).
    cpu: BTreeMap<String, f64>,
    threaded: usize,
    elapsed: Duration,
    latency: Latency,
}

impl IngestRun {
    fn per_sec(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }
}

/// The API channel's inbound message, as an integration posts it.
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

/// Posts `count` messages to a fresh database under `root` over HTTP and times them.
async fn ingest(root: &Path, count: usize, durability: Durability) -> Result<IngestRun> {
    let dir = tempfile::Builder::new().prefix("ingest-").tempdir_in(root)?;
    let desk = new_desk(dir.path(), durability).await?;
    let server = serve_in_process(desk.app.clone()).await?;
    let url = Arc::new(format!("{}/api/v1/inboxes/{}/messages", server.base, desk.inbox));
    let token = Arc::new(desk.token.clone());
    let next = Arc::new(AtomicUsize::new(0));
    // Each client is built before the clock starts: building one reads the system's root
    // certificates, some milliseconds of work that is no part of ingesting.
    let https = (0..ingest_clients()?).map(|_| http_client()).collect::<Result<Vec<_>>>()?;
    let cpu_before = thread_cpu();
    let started = Instant::now();
    let mut clients = Vec::with_capacity(https.len());
    for http in https {
        let (url, token, next) = (url.clone(), token.clone(), next.clone());
        clients.push(tokio::spawn(async move {
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
    let cpu = cpu_between(&cpu_before, thread_cpu());
    server.task.abort();
    let profile = desk.app.writer_profile();
    let conversations = open_total(&desk).await? as usize;
    desk.app.store().close().await;
    let threaded = count.saturating_sub(conversations);
    Ok(IngestRun { messages: count, profile, cpu, threaded, elapsed, latency: Latency::of(latencies) })
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

/// CPU time used so far by each of this process's threads, in seconds, with its name, keyed
/// by thread id. Read from `/proc/self/task/*/stat`; empty where there is none.
fn thread_cpu() -> BTreeMap<u32, (String, f64)> {
    let mut threads = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return threads };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        // "tid (name) state ppid …": the name may hold spaces and parentheses, so the fields
        // are counted from the last ')'. utime and stime are fields 14 and 15, in ticks of
        // 1/100 s (USER_HZ).
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let ticks: f64 = fields.get(11..13).into_iter().flatten().filter_map(|f| f.parse::<f64>().ok()).sum();
        threads.insert(tid, (stat[open + 1..close].to_string(), ticks / 100.0));
    }
    threads
}

/// The CPU seconds threads used between two readings of [`thread_cpu`], summed by thread name
/// with any trailing number dropped (`sqlx-sqlite-worker-3` counts as `sqlx-sqlite-worker-`;
/// Linux truncates names to 15 bytes). Threads are told apart by id, so the threads of an
/// earlier run that are still winding down count only what they used in between, and
/// threads that ended in between are not counted.
fn cpu_between(before: &BTreeMap<u32, (String, f64)>, after: BTreeMap<u32, (String, f64)>) -> BTreeMap<String, f64> {
    let mut by_name = BTreeMap::new();
    for (tid, (name, secs)) in after {
        let earlier = before.get(&tid).map_or(0.0, |(_, s)| *s);
        *by_name.entry(name.trim_end_matches(|c: char| c.is_ascii_digit()).to_string()).or_insert(0.0) +=
            secs - earlier;
    }
    by_name
}
