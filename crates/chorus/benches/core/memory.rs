//! Resident memory of the real `chorus serve` binary over the data set: after start, then
//! while clients keep it busy with lists and searches, read from `/proc/<pid>/status`
//! (Linux only). It starts its own process and stops it; it never touches a running desk.

use crate::dataset::DataSet;
use crate::desk::{database, http_client, timed_get};
use crate::figures::{Row, group};
use crate::queries::{LISTS, SearchCategory};
use crate::text::Rng;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const RSS_TARGET_MB: f64 = 100.0;
/// How long the served binary is kept busy before its memory is read.
const SERVE_LOAD: Duration = Duration::from_secs(20);
/// Concurrent clients keeping the served binary busy.
const SERVE_CLIENTS: usize = 8;

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

/// Serves the data set with `binary`, loads it and adds its memory to the summary.
pub async fn serve_memory(binary: &Path, data: &DataSet, rows: &mut Vec<Row>) -> Result<()> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let listen = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(binary)
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
        .with_context(|| format!("starting {}", binary.display()))?;
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
