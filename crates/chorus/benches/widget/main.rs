//! The chat widget benchmark. It starts `chorus serve` (the release binary, its own process,
//! a fresh SQLite database with the default durable commits), opens many widget connections
//! to it and measures:
//!
//! 1. memory: the server's resident memory before and after that many visitors have said
//!    hello and stay connected, per connection (target ≤ 16 KB);
//! 2. delivery: some of the visitors write at a steady total rate while an agent listens on
//!    the live event stream (SSE); the time from a message leaving the widget to the agent
//!    receiving its `message.created` is recorded (target p99 < 50 ms at 2,000 messages/s).
//!
//! The clients share the machine with the server, so the figures are conservative. It
//! prints figures beside the targets and never fails on a timing.
//!
//! `cargo bench -p chorus --bench widget` runs it. Settings, from the environment:
//! - `CHORUS_BENCH_WIDGET_CONNECTIONS`: connections held open; default 10,000.
//! - `CHORUS_BENCH_WIDGET_RATE`: messages per second in the delivery phase; default 2,000.
//! - `CHORUS_BENCH_WIDGET_SECONDS`: length of the delivery phase; default 10.
//! - `CHORUS_BENCH_WIDGET_WRITERS`: visitors writing in the delivery phase; default 2,000.
//! - `CHORUS_BENCH_WIDGET_DURABILITY`: `full` (default) or `normal` SQLite commits.

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const TARGET_BYTES_PER_CONNECTION: f64 = 16.0 * 1024.0;
const TARGET_P99_MS: f64 = 50.0;
const OWNER: &str = "owner@bench.test";
const PASSWORD: &str = "bench password 1";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn main() -> Result<()> {
    let connections = env_count("CHORUS_BENCH_WIDGET_CONNECTIONS", 10_000)?;
    let rate = env_count("CHORUS_BENCH_WIDGET_RATE", 2_000)?;
    let seconds = env_count("CHORUS_BENCH_WIDGET_SECONDS", 10)?;
    let writers = env_count("CHORUS_BENCH_WIDGET_WRITERS", 2_000)?.min(connections);
    // The HTTP client's TLS needs a crypto provider (unused here: the server is plain HTTP).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(connections, rate, seconds, writers))
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

/// `CHORUS_BENCH_WIDGET_DURABILITY`: the server's SQLite durability, `full` (the default:
/// every commit synced) or `normal`.
fn durability() -> String {
    std::env::var("CHORUS_BENCH_WIDGET_DURABILITY").unwrap_or_else(|_| "full".into())
}

/// The server under test.
struct Server {
    child: std::process::Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start() -> Result<Server> {
        let dir = tempfile::tempdir()?;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("CHORUS_OWNER_EMAIL", OWNER)
            .env("CHORUS_OWNER_PASSWORD", PASSWORD)
            .env("CHORUS_LOG", "warn")
            .env("CHORUS_SQLITE_DURABILITY", durability())
            .env("CHORUS_WIDGET_CONNECTS_PER_MINUTE", "1000000")
            .env("CHORUS_WIDGET_MESSAGES_PER_MINUTE", "1000000")
            .env("CHORUS_IMAP_POLL_SECONDS", "0")
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting chorus serve")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the server's output to the end (a full pipe would stall it).
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(60)).context("chorus serve did not start within 60 s")?;
        Ok(Server { child, addr, _dir: dir })
    }

    /// The server's resident memory, in bytes.
    fn rss(&self) -> Result<u64> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmRSS")?;
        Ok(kb * 1024)
    }

    async fn api(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> Result<Value> {
        let client = reqwest::Client::new();
        let mut req = client.request(method, format!("http://{}/api/v1{path}", self.addr)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("{path} answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

async fn token(addr: &str) -> Result<String> {
    let client = reqwest::Client::new();
    let login = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&json!({"email": OWNER, "password": PASSWORD}))
        .send()
        .await?;
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let res = client
        .post(format!("http://{addr}/api/v1/me/tokens"))
        .header("cookie", cookie)
        .header("origin", format!("http://{addr}"))
        .json(&json!({"name": "bench"}))
        .send()
        .await?;
    let body: Value = res.json().await?;
    body["secret"].as_str().map(str::to_string).context("no token")
}

async fn connect(addr: &str, inbox: &str) -> Result<(Socket, Value)> {
    let mut config = WebSocketConfig::default();
    config.read_buffer_size = 4 * 1024;
    config.write_buffer_size = 0;
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(format!("ws://{addr}/widget/ws"), Some(config), true)
            .await
            .context("connecting a widget")?;
    let hello = json!({"type": "hello", "inbox_id": inbox, "token": null, "origin": null});
    socket.send(Frame::Text(hello.to_string().into())).await?;
    loop {
        match socket.next().await {
            Some(Ok(Frame::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str())?;
                if v["type"] == "welcome" {
                    return Ok((socket, v));
                }
                bail!("expected a welcome, got {v}");
            }
            Some(Ok(_)) => continue,
            other => bail!("the connection ended before the welcome: {other:?}"),
        }
    }
}

/// Reads the agent's event stream and records when each message's `message.created` arrives.
async fn listen(addr: String, token: String, arrived: Arc<Mutex<HashMap<String, Instant>>>) -> Result<()> {
    let mut stream = TcpStream::connect(&addr).await?;
    let req = format!(
        "GET /api/v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending = String::new();
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        let now = Instant::now();
        pending.push_str(&String::from_utf8_lossy(&buf[..n]));
        while let Some(end) = pending.find('\n') {
            let line: String = pending.drain(..=end).collect();
            if let Some(data) = line.trim_end().strip_prefix("data:")
                && data.contains("message.created")
                && let Ok(v) = serde_json::from_str::<Value>(data.trim())
                && let Some(id) = v["data"]["message_id"].as_str()
            {
                arrived.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), now);
            }
        }
    }
}

async fn run(connections: usize, rate: usize, seconds: usize, writers: usize) -> Result<()> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("Chorus chat widget benchmark — chorus serve on SQLite (durability {}), {cores} cores", durability());
    let server = Server::start().await?;
    let token = token(&server.addr).await?;
    let inbox = server
        .api(
            reqwest::Method::POST,
            "/inboxes",
            &token,
            Some(json!({"kind": "widget", "name": "Bench chat", "settings": {"widget": {}}})),
        )
        .await?;
    let inbox = inbox["id"].as_str().context("no inbox id")?.to_string();
    // An agent online, assigning by hand: customers wait and the assistant greets them.
    server.api(reqwest::Method::PUT, "/me/presence", &token, Some(json!({"presence": "online"}))).await?;

    // 1. Memory per idle connection.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server.rss()?;
    let started = Instant::now();
    // The first connections stay idle (each read by a task of its own, which answers the
    // server's pings as a browser does); the last `writers` write in the second phase.
    let idle = connections - writers;
    let mut sockets = Vec::with_capacity(writers);
    let mut idle_tasks = Vec::with_capacity(idle);
    let mut opened =
        futures_util::stream::iter(0..connections).map(|_| connect(&server.addr, &inbox)).buffer_unordered(64);
    while let Some(r) = opened.next().await {
        let mut socket = r?.0;
        if idle_tasks.len() < idle {
            idle_tasks.push(tokio::spawn(async move { while let Some(Ok(_)) = socket.next().await {} }));
        } else {
            sockets.push(socket);
        }
    }
    let opening = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = server.rss()?;
    let per = (after.saturating_sub(before)) as f64 / connections as f64;
    println!(
        "\n{connections} widget connections open in {:.1} s ({:.0}/s)",
        opening.as_secs_f64(),
        connections as f64 / opening.as_secs_f64()
    );
    println!(
        "  server RSS {:.1} MB before, {:.1} MB after: {:.1} KB per connection (target ≤ {:.0} KB: {})",
        before as f64 / 1e6,
        after as f64 / 1e6,
        per / 1024.0,
        TARGET_BYTES_PER_CONNECTION / 1024.0,
        if per <= TARGET_BYTES_PER_CONNECTION { "met" } else { "MISSED" }
    );

    // 2. Delivery latency at a steady rate.
    let arrived: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    tokio::spawn(listen(server.addr.clone(), token.clone(), arrived.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut writing: Vec<Socket> = std::mem::take(&mut sockets);
    // Each writer's first message opens its conversation (and the assistant greets it);
    // the measured messages follow in those conversations.
    let warm = Instant::now();
    // All at once, so every writer keeps reading its socket (and answering pings).
    let mut firsts = futures_util::stream::iter(writing.iter_mut().enumerate())
        .map(|(w, socket)| async move {
            let frame = json!({"type": "message", "client_id": format!("first-{w}"), "text": "Hello, I need help"});
            socket.send(Frame::Text(frame.to_string().into())).await?;
            loop {
                match socket.next().await {
                    Some(Ok(Frame::Text(t))) if t.as_str().contains("\"ack\"") => return Ok::<_, anyhow::Error>(()),
                    Some(Ok(_)) => continue,
                    other => bail!("a writer's connection ended: {other:?}"),
                }
            }
        })
        .buffer_unordered(writers);
    while let Some(r) = firsts.next().await {
        r?;
    }
    drop(firsts);
    println!("\n{writers} conversations opened in {:.1} s", warm.elapsed().as_secs_f64());
    let sent: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let per_writer = Duration::from_secs_f64(writers as f64 / rate as f64);
    let total = rate * seconds;
    let each = total.div_ceil(writers);
    let phase = Instant::now();
    let mut tasks = Vec::with_capacity(writers);
    for (w, mut socket) in writing.into_iter().enumerate() {
        let sent = sent.clone();
        tasks.push(tokio::spawn(async move {
            // Writers start spread over one period so the rate is even.
            let offset = per_writer.mul_f64(w as f64 / writers as f64);
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, per_writer);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut pending: HashMap<String, Instant> = HashMap::new();
            let mut i = 0;
            let mut acked = 0;
            while acked < each {
                tokio::select! {
                    _ = tick.tick(), if i < each => {
                        let client_id = format!("w{w}-{i}");
                        i += 1;
                        let frame = json!({"type": "message", "client_id": client_id, "text": format!("Message {i} from visitor {w}")});
                        pending.insert(client_id, Instant::now());
                        if socket.send(Frame::Text(frame.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    frame = socket.next() => match frame {
                        Some(Ok(Frame::Text(t))) => {
                            let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                            if v["type"] == "ack" {
                                acked += 1;
                                let at = v["client_id"].as_str().and_then(|c| pending.remove(c));
                                if let (Some(at), Some(id)) = (at, v["message"]["id"].as_str()) {
                                    sent.lock().unwrap_or_else(|p| p.into_inner()).push((id.to_string(), at));
                                }
                            } else if v["type"] == "error" {
                                acked += 1;
                                eprintln!("widget error: {v}");
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => return,
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = phase.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let arrived = arrived.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut latencies: Vec<f64> = sent
        .iter()
        .filter_map(|(id, at)| arrived.get(id).map(|t| t.saturating_duration_since(*at).as_secs_f64() * 1e3))
        .collect();
    latencies.sort_by(f64::total_cmp);
    if latencies.is_empty() {
        bail!("no message reached the agent's event stream");
    }
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "\n{} messages from {writers} visitors in {:.1} s: {:.0} messages/s (asked for {rate}/s)",
        sent.len(),
        elapsed.as_secs_f64(),
        sent.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  widget → agent's event stream: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} of {} arrived (target p99 < {TARGET_P99_MS:.0} ms: {})",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        latencies[latencies.len() - 1],
        latencies.len(),
        sent.len(),
        if pct(0.99) < TARGET_P99_MS { "met" } else { "MISSED" }
    );
    println!("  server RSS now {:.1} MB", server.rss()? as f64 / 1e6);
    for t in idle_tasks {
        t.abort();
    }
    Ok(())
}
