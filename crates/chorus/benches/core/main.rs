//! The core benchmark, on SQLite: ingest through the API channel's HTTP endpoint, the first
//! page of open conversations and search over a large data set, and the resident memory of
//! `chorus serve` with that data set. It prints figures beside the targets and never fails
//! on a timing: a missed target is reported, not asserted.
//!
//! `cargo bench -p chorus --bench core` runs it. Settings, from the environment:
//! - `CHORUS_BENCH_SCALE`: conversations (one message each) in the data set; default 1,000,000.
//! - `CHORUS_BENCH_INGEST`: messages posted in each ingest run; default 20,000.
//! - `CHORUS_BENCH_INGEST_CLIENTS`: clients posting at once, each on its own keep-alive
//!   connection; default 64. Ingest is bound by the latency of a batch, not by the cores
//!   (about one core is busy at 64 clients), so more clients make bigger batches.
//!
//! The data set is built once, writing the rows `receive_inbound` writes for a new customer
//! in large transactions, and kept under
//! `<target>/bench-data/scale-<N>/` (with a `bench.json` marker); later runs reuse it.
//! Delete that directory to rebuild it.
//!
//! The modules `dataset`, `desk`, `figures` and `text` are shared with the `ui` benchmark.

mod dataset;
mod desk;
mod figures;
mod ingest;
mod memory;
mod queries;
mod text;

use anyhow::{Context, Result};
use figures::{env_count, group, print_summary};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<()> {
    // reqwest is built without a default TLS provider; ring is the one compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Errors inside the served router are logged (a failed request names its request id).
    let filter = std::env::var("CHORUS_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).try_init();
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
        Ok(Settings {
            scale: env_count("CHORUS_BENCH_SCALE", 1_000_000)?,
            ingest: env_count("CHORUS_BENCH_INGEST", 20_000)?,
            root: dataset::bench_data_root()?,
            binary: PathBuf::from(env!("CARGO_BIN_EXE_chorus")),
        })
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
    let clients = ingest::ingest_clients()?;
    println!("## Ingest through POST /api/v1/inboxes/{{id}}/messages ({clients} keep-alive clients)");
    ingest::report(&s.root, s.ingest, &mut rows).await?;
    phases.push(("ingest (both runs)", started.elapsed()));

    println!("\n## Data set");
    let started = Instant::now();
    let data = dataset::dataset(&s.root, s.scale).await?;
    phases.push(("data set (build or reuse)", started.elapsed()));
    rows.push(data.build_row());

    println!("\n## Reads against the in-process server");
    let started = Instant::now();
    queries::read_latencies(&data, &mut rows).await?;
    phases.push(("list and search latencies", started.elapsed()));

    println!("\n## Resident memory of `chorus serve`");
    let started = Instant::now();
    memory::serve_memory(&s.binary, &data, &mut rows).await?;
    phases.push(("serve memory", started.elapsed()));

    println!("\n## Summary ({cores} cores, SQLite, {} conversations)", group(data.marker.conversations as usize));
    print_summary(&rows);
    println!();
    for (phase, took) in phases {
        println!("{phase:>26}: {:.0} s", took.as_secs_f64());
    }
    Ok(())
}
